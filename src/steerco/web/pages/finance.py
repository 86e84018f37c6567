"""Finance in the browser: budget lines by initiative with their variance, one line's
plan vs ledger actuals by period, entering and correcting actuals, and benefit sign-off.

Everyone reads these pages; the edit controls appear only to whom the API allows them:
adding a budget line and posting or correcting actuals is "finance" (controller, admin)
over the line's org unit; signing off a realised benefit is "signoff" (controllers
only). The ledger is append-only: a correction reverses the wrong entry and posts the
right one (`finance.service.correct_ledger_entry`), both kept and shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.authz import scopes
from steerco.core.snapshot import rows_of
from steerco.db.enums import BudgetKind, Source
from steerco.finance.repository import workspace_currency
from steerco.finance.service import (
    correct_ledger_entry,
    create_budget_line,
    paste_budget_plan,
    post_ledger_entry,
    set_budget_plan,
    update_budget_line,
)
from steerco.initiatives.service import sign_off_benefit
from steerco.kit import numbers
from steerco.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import finance as views
from steerco.views import work_forms as wf
from steerco.views.names import (
    choices,
    initiative_names,
    metric_names,
    people_named,
    person_names,
    unit_names,
    units_named,
)
from steerco.web.pages import forms as fw
from steerco.web.pages.common import WORK, finite, key_of, page_of, today
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LINE_FIELDS = ("code", "name", "kind", "initiative", "unit", "controller", "plan")
ACTUAL_FIELDS = ("period", "amount", "posted_on", "reference")
REFUSED = "only a controller (or an admin) over the budget line's org unit can do this"


def _plan(text: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    """Planned spend typed one period a line, "2026-03 12000" (month, amount)."""
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        head, _, amount = line.partition(" ")
        local: dict[str, str] = {}
        period = fw.month(head, "plan", local)
        value = fw.number(amount.strip(), "plan", local, "12000")
        if local:
            errors["plan"] = (f"Line {n} “{line}”: {local['plan']} Each line is a month "
                              "and an amount, like “2026-03 12000”.")
            return []
        out.append({"period": period, "amount": value})
    return out


# --- the list ---------------------------------------------------------------------------


def _render_list(request: Request, s: Session, user: PageUser, form: dict[str, str],
                 errors: dict[str, str] | None = None, code: int = 200, page: int = 1,
                 q: str = "") -> Response:
    ws = user.ctx.ws
    rows = views.lines_overview(s, ws, today(s, ws))
    if q:
        t = q.lower()
        rows = [r for r in rows if t in f"{r.code} {r.name} {r.initiative or ''}".lower()]
    shown, pager = page_of(rows, page)
    return render(request, "finance.html", status_code=fw.status(request, code), rows=shown,
                  pager=pager, q=q, form=form, errors=errors or {},
                  may_finance=user.can(s, "finance", None) or any(
                      r.value in ("admin", "controller") for r in user.principal.roles),
                  kinds=[k.value for k in BudgetKind], choices=choices(s, ws),
                  work=wf.work_choices(s, ws), currency=workspace_currency(s, ws))


@router.get("/finance")
def finance(request: Request, user: User, page: int = 1, q: str = "",
            initiative: str = "") -> Response:
    with user.ctx.read() as s:
        form = dict.fromkeys(LINE_FIELDS, "") | {"kind": "opex", "initiative": initiative,
                                                  "controller": user.name}
        return _render_list(request, s, user, form, page=page, q=q)


@router.post("/finance/new")
async def new_line(request: Request, user: FormUser) -> Response:
    form = await fw.read_form(request, LINE_FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = fw.one(wf.initiatives_named(s, ws, form["initiative"]), "initiative",
                     form["initiative"], "initiative", errors)
        unit = fw.one(units_named(s, ws, form["unit"]), "unit", form["unit"], "org unit",
                      errors)
        if unit is None and ini is not None and not form["unit"]:
            found = wf.initiatives_named(s, ws, form["initiative"])[0]
            unit = found.org_unit_id  # a line sits where its initiative does by default
        ctl = fw.one(people_named(s, ws, form["controller"]), "controller",
                     form["controller"], "person", errors)
        if not user.can(s, "finance", unit):
            raise Forbidden(REFUSED)
        for f, what in (("code", "a code, like IT-2026-07"), ("name", "a name")):
            if not form[f]:
                errors[f] = f"Give the budget line {what}."
        plan = _plan(form["plan"], errors)
        body = {"code": form["code"], "name": form["name"], "kind": form["kind"] or "opex",
                "currency": workspace_currency(s, ws),
                "initiative_id": format_id("initiative", ini) if ini else None,
                "org_unit_id": format_id("org_unit", unit) if unit else None,
                "controller_id": format_id("person", ctl) if ctl else None, "plan": plan}
        line = fw.attempt(s, errors, lambda: create_budget_line(s, ws, body),
                          lambda exc: fw.messages(exc, {"initiative_id": "initiative",
                                                        "org_unit_id": "unit",
                                                        "controller_id": "controller"},
                                                  LINE_FIELDS, "code", form))
        if errors or line is None:
            return _render_list(request, s, user, form, errors, 422)
        target = f"/finance/{format_id('budget_line', line.id)}?saved=1"
    return fw.done_again(request, target)


# --- one budget line --------------------------------------------------------------------


def _detail(s: Session, ws: int, bid: str) -> views.LineDetail:
    return fw.found(views.line_detail(s, ws, key_of(bid, "budget_line")), "budget_line", bid)


def _earned(s: Session, ws: int, key: int | None) -> dict[str, float | None] | None:
    """SPI and CPI of the line's initiative, as its page shows them."""
    if key is None:
        return None
    work = WORK.get(s, ws)
    row = int(rows_of(work.model.wg.initiatives.ids, [key])[0])
    if row < 0:
        return None
    return {k: finite(getattr(work.earned, k)[row]) for k in ("spi", "cpi", "bac")}


def _render_line(request: Request, s: Session, user: PageUser, bid: str,
                 form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 code: int = 200, saved: bool = False) -> Response:
    ws = user.ctx.ws
    d = _detail(s, ws, bid)
    now = today(s, ws)
    periods = sorted(set(d.planned) | set(d.actual))
    table, cum_p, cum_a = [], 0.0, 0.0
    chart: dict[str, Any] = {"kind": "budget", "periods": [], "planned": [], "actual": []}
    for per in periods:
        p, a = d.planned.get(per, 0.0), d.actual.get(per)
        cum_p += p
        cum_a += a or 0.0
        table.append({"period": per, "planned": p, "actual": a,
                      "variance": None if a is None else a - p, "past": per <= now})
        chart["periods"].append(per.strftime("%b %y"))
        chart["planned"].append(round(cum_p, 2))
        chart["actual"].append(round(cum_a, 2) if per <= now or a is not None else None)
    cur = d.line.currency
    to_date = sum(v for k, v in d.planned.items() if k <= now)
    chart["description"] = (f"Budget line {d.line.name}: planned {numbers.money(cum_p, cur)},"
                            f" actual {numbers.money(cum_a, cur)} to date")
    sc = scopes.of_budget_line(s, ws, d.line)
    people = person_names(s, ws, [d.line.controller_id,
                                  *[b.signed_off_by_id for b in d.benefits]])
    first = (now.replace(day=1)).isoformat()[:7]
    defaults = {"period": first, "amount": "", "posted_on": now.isoformat(), "reference": ""}
    return render(request, "budget_line.html", status_code=fw.status(request, code),
                  d=d, bid=format_id("budget_line", d.line.id), table=table, chart=chart,
                  planned=cum_p, actual=cum_a, to_date=to_date, variance=cum_a - to_date,
                  currency=cur, people=people, form=defaults | (form or {}),
                  errors=errors or {}, saved=saved, ev=_earned(s, ws, d.line.initiative_id),
                  may_finance=user.can(s, "finance", sc.unit),
                  may_signoff=user.can(s, "signoff", d.line.org_unit_id),
                  ben_metrics=metric_names(s, ws, [b.metric_id for b in d.benefits]),
                  iid=format_id("initiative", d.line.initiative_id)
                  if d.line.initiative_id else None, today=now)


@router.get("/finance/{bid}")
def line(request: Request, bid: str, user: User, saved: str = "") -> Response:
    with user.ctx.read() as s:
        return _render_line(request, s, user, bid, saved=bool(saved))


def _allow_finance(s: Session, user: PageUser, d: views.LineDetail) -> None:
    if not user.can(s, "finance", scopes.of_budget_line(s, user.ctx.ws, d.line).unit):
        raise Forbidden(REFUSED)


@router.post("/finance/{bid}/actuals")
async def post_actual(request: Request, bid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, ACTUAL_FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        d = _detail(s, ws, bid)
        _allow_finance(s, user, d)
        body = {"budget_line_id": format_id("budget_line", d.line.id),
                "period": fw.month(form["period"], "period", errors),
                "amount": fw.number(form["amount"], "amount", errors),
                "posted_on": fw.day(form["posted_on"], "posted_on", errors),
                "reference": form["reference"] or None, "source": Source.MANUAL.value}
        fw.attempt(s, errors, lambda: post_ledger_entry(s, ws, body),
                   lambda exc: fw.messages(exc, {}, ACTUAL_FIELDS, "amount", form))
        if errors:
            return _render_line(request, s, user, bid, form, errors, 422)
    return fw.done_again(request, f"/finance/{bid}?saved=1#ledger")


@router.post("/finance/{bid}/actuals/{lid}/correct")
async def correct_actual(request: Request, bid: str, lid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, ("amount", "reason"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        d = _detail(s, ws, bid)
        _allow_finance(s, user, d)
        entry = views.ledger_entry(s, ws, key_of(lid, "ledger_entry"))
        if entry is None or entry.budget_line_id != d.line.id:
            raise NotFound("ledger_entry", lid)
        amount = fw.number(form["amount"], "fix_amount", errors)
        if not form["reason"]:
            errors["fix_reason"] = "Say why the actual is wrong (kept with both entries)."
        if not errors:
            try:
                correct_ledger_entry(s, ws, entry.id, {"amount": amount,
                                                       "posted_on": today(s, ws),
                                                       "reason": form["reason"]})
            except (ValidationFailed, Conflict) as exc:
                s.rollback()
                errors = {"fix_amount": exc.detail}
        if errors:
            return _render_line(request, s, user, bid, {"fix_id": lid, "fix_amount":
                                form["amount"], "fix_reason": form["reason"]}, errors, 422)
    return fw.done_again(request, f"/finance/{bid}?saved=1#ledger")


@router.post("/finance/{bid}/benefits/{ben}/sign-off")
async def sign_off(request: Request, bid: str, ben: str, user: FormUser) -> Response:
    form = await fw.read_form(request, ("realised",))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        d = _detail(s, ws, bid)
        b = views.benefit(s, ws, key_of(ben, "benefit"))
        if b is None or b.id not in {x.id for x in d.benefits}:
            raise NotFound("benefit", ben)
        if not user.can(s, "signoff", scopes.of_benefit(s, ws, b).unit):
            raise Forbidden("only a controller over the initiative's org unit signs off "
                            "realised benefits")
        realised = fw.number(form["realised"], "realised", errors)
        if realised is not None:
            sign_off_benefit(s, ws, b.id, realised, user.person_id)
        if errors:
            return _render_line(request, s, user, bid, {"ben_id": ben, "realised":
                                form["realised"]}, errors, 422)
    return fw.done_again(request, f"/finance/{bid}?saved=1#benefits")


def month_label(d: dt.date) -> str:
    return d.strftime("%b %Y")


# --- changing a budget line and its plan ------------------------------------------------

EDIT_FIELDS = ("name", "kind", "initiative", "unit", "controller")
EDIT_LABELS = {"name": "Name", "kind": "Kind", "initiative_id": "Initiative",
               "org_unit_id": "Org unit", "controller_id": "Controller"}
EDIT_FORM_FIELD = {"initiative_id": "initiative", "org_unit_id": "unit",
                   "controller_id": "controller"}


def _amount(v: float) -> str:
    """An amount as a form shows it to be typed again: 12000, 1250.5 (no grouping)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _plan_text(plan: dict[dt.date, float]) -> str:
    """A plan as the form carries it: "2026-03<TAB>12000" lines, in period order."""
    return "\n".join(f"{p:%Y-%m}\t{_amount(a)}" for p, a in sorted(plan.items()))


def _edit_values(s: Session, ws: int, d: views.LineDetail) -> dict[str, str]:
    line = d.line
    return {"name": line.name, "kind": line.kind.value, "initiative": d.initiative or "",
            "unit": unit_names(s, ws, [line.org_unit_id]).get(line.org_unit_id or -1, ""),
            "controller": person_names(s, ws, [line.controller_id]).get(
                line.controller_id or -1, ""),
            "version": str(line.version), "plan_was": _plan_text(d.planned), "paste": ""}


def _read_plan(text: str) -> dict[dt.date, float]:
    out: dict[dt.date, float] = {}
    for ln in text.splitlines():
        month_, _, amount = ln.partition("\t")
        try:
            out[dt.date.fromisoformat(f"{month_}-01")] = float(amount)
        except ValueError:
            continue
    return out


def _line_conflict(s: Session, ws: int, d: views.LineDetail, plan_was: str) -> dict[str, Any]:
    """Who changed the line (its fields or its plan) last, when, and what: the fields'
    changes from the audit log, the plan's as each period's amount then → now."""
    named = {"controller_id": person_names, "org_unit_id": unit_names,
             "initiative_id": initiative_names}
    fields = fw.changed_by(s, ws, "budget_lines", d.line.id, EDIT_LABELS, named)
    plan = fw.changed_by(s, ws, "budget_plans", d.line.id, {}, hidden=("amount", "key"))
    later = plan if plan["at"] and (fields["at"] is None or plan["at"] > fields["at"]) \
        else fields
    before = _read_plan(plan_was)
    now = d.planned
    changes = [] if later is plan else list(fields["changes"])
    cur = d.line.currency
    for p in sorted(set(before) | set(now)):
        a, b = before.get(p), now.get(p)
        if a != b:
            changes.append({"field": f"Plan {month_label(p)}",
                            "before": "—" if a is None else numbers.money(a, cur),
                            "after": "—" if b is None else numbers.money(b, cur)})
    return {"who": later["who"], "at": later["at"], "changes": changes}


def _render_edit(request: Request, s: Session, user: PageUser, bid: str,
                 form: dict[str, str], errors: dict[str, str] | None = None,
                 code: int = 200, conflict: dict[str, Any] | None = None,
                 rows: list[tuple[str, str]] | None = None) -> Response:
    ws = user.ctx.ws
    d = _detail(s, ws, bid)
    if rows is None:
        rows = [(f"{p:%Y-%m}", _amount(a)) for p, a in sorted(d.planned.items())]
    return render(request, "budget_line_edit.html", status_code=fw.status(request, code),
                  d=d, bid=format_id("budget_line", d.line.id), form=form,
                  errors=errors or {}, conflict=conflict, rows=rows,
                  kinds=[(k.value, k.value.upper() if len(k.value) == 5 else
                          k.value.capitalize()) for k in BudgetKind], choices=choices(s, ws),
                  work=wf.work_choices(s, ws), currency=d.line.currency)


@router.get("/finance/{bid}/edit")
def edit_line(request: Request, bid: str, user: User) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        d = _detail(s, ws, bid)
        _allow_finance(s, user, d)
        return _render_edit(request, s, user, bid, _edit_values(s, ws, d))


@router.post("/finance/{bid}/edit")
async def save_line(request: Request, bid: str, user: FormUser) -> Response:
    """Change the line's name, kind, initiative, org unit or controller (by names)."""
    form = await fw.read_form(request, (*EDIT_FIELDS, "version", "plan_was"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        d = _detail(s, ws, bid)
        _allow_finance(s, user, d)
        if form["version"] != str(d.line.version):
            return _render_edit(request, s, user, bid, form | {"version": str(d.line.version)},
                                code=409, conflict=_line_conflict(s, ws, d, form["plan_was"]))
        ini = fw.one(wf.initiatives_named(s, ws, form["initiative"]), "initiative",
                     form["initiative"], "initiative", errors)
        unit = fw.one(units_named(s, ws, form["unit"]), "unit", form["unit"], "org unit",
                      errors)
        ctl = fw.one(people_named(s, ws, form["controller"]), "controller",
                     form["controller"], "person", errors)
        if not form["name"]:
            errors["name"] = "Give the budget line a name."
        if unit != d.line.org_unit_id and not user.can(s, "finance", unit):
            raise Forbidden(REFUSED)  # moving it needs the right where it goes
        fw.attempt(s, errors, lambda: update_budget_line(s, ws, d.line.id, {
            "name": form["name"], "kind": form["kind"] or "opex",
            "initiative_id": format_id("initiative", ini) if ini else None,
            "org_unit_id": format_id("org_unit", unit) if unit else None,
            "controller_id": format_id("person", ctl) if ctl else None}),
            lambda exc: fw.messages(exc, EDIT_FORM_FIELD, EDIT_FIELDS, "name", form))
        if errors:
            return _render_edit(request, s, user, bid, form, errors, 422)
    return fw.done(request, f"/finance/{bid}?saved=1")


@router.post("/finance/{bid}/plan")
async def save_plan(request: Request, bid: str, user: FormUser) -> Response:
    """Replace the planned spend per period from the table's rows, or from a block pasted
    from a spreadsheet (which then wins); a bad row is named by its number, nothing is
    saved, and the rows as typed are kept."""
    raw = await request.form()
    months = [str(v).strip() for v in raw.getlist("period")]
    amounts = [str(v).strip() for v in raw.getlist("amount")]
    rows = [(m_, a) for m_, a in zip(months, amounts, strict=False) if m_ or a]
    form = {k: str(raw.get(k) or "").strip() for k in ("version", "plan_was")}
    form["paste"] = str(raw.get("paste") or "")
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        d = _detail(s, ws, bid)
        _allow_finance(s, user, d)
        values = _edit_values(s, ws, d)
        if form["version"] != str(d.line.version):
            return _render_edit(request, s, user, bid,
                                values | {"paste": form["paste"]}, code=409, rows=rows,
                                conflict=_line_conflict(s, ws, d, form["plan_was"]))
        pasted = form["paste"].strip()
        text = pasted or "\n".join(f"{m_}\t{a}" for m_, a in rows)

        def save() -> Any:
            if not text.strip():
                return set_budget_plan(s, ws, d.line.id, [])  # no rows: no plan
            return paste_budget_plan(s, ws, d.line.id, text)

        where = "line" if pasted else "row"
        fw.attempt(s, errors, save, lambda exc: {
            "plan": "Nothing was saved. " + "; ".join(
                e.message.replace("line ", f"{where} ", 1) for e in exc.errors),
            "plan_source": "paste" if pasted else "rows"})
        if errors:
            return _render_edit(request, s, user, bid, values | {"paste": form["paste"]},
                                errors, 422, rows=rows)
    return fw.done_again(request, f"/finance/{bid}?saved=1#plan")

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
from steerco.finance.service import correct_ledger_entry, create_budget_line, post_ledger_entry
from steerco.initiatives.service import sign_off_benefit
from steerco.kit import numbers
from steerco.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import finance as views
from steerco.views import work_forms as wf
from steerco.views.names import choices, metric_names, people_named, person_names, units_named
from steerco.web.pages import forms_work as fw
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
        if not errors:
            try:
                line = create_budget_line(s, ws, {
                    "code": form["code"], "name": form["name"], "kind": form["kind"] or "opex",
                    "currency": workspace_currency(s, ws),
                    "initiative_id": format_id("initiative", ini) if ini else None,
                    "org_unit_id": format_id("org_unit", unit) if unit else None,
                    "controller_id": format_id("person", ctl) if ctl else None,
                    "plan": plan})
                target = f"/finance/{format_id('budget_line', line.id)}?saved=1"
            except ValidationFailed as exc:
                s.rollback()
                errors = fw.messages(exc, {"initiative_id": "initiative",
                                           "org_unit_id": "unit",
                                           "controller_id": "controller"},
                                     LINE_FIELDS, "code", form)
        if errors:
            return _render_list(request, s, user, form, errors, 422)
    return fw.done(request, target)


# --- one budget line --------------------------------------------------------------------


def _detail(s: Session, ws: int, bid: str) -> views.LineDetail:
    d = views.line_detail(s, ws, key_of(bid, "budget_line"))
    if d is None:
        raise NotFound("budget_line", bid)
    return d


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
        if not errors:
            try:
                post_ledger_entry(s, ws, body)
            except ValidationFailed as exc:
                s.rollback()
                errors = fw.messages(exc, {}, ACTUAL_FIELDS, "amount", form)
        if errors:
            return _render_line(request, s, user, bid, form, errors, 422)
    return fw.done(request, f"/finance/{bid}?saved=1#ledger")


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
    return fw.done(request, f"/finance/{bid}?saved=1#ledger")


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
    return fw.done(request, f"/finance/{bid}?saved=1#benefits")


def month_label(d: dt.date) -> str:
    return d.strftime("%b %Y")

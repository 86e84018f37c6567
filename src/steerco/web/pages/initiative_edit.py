"""Creating and changing initiatives in the browser, on the API's own services and rules:
details (people and units by name), the stage gate (a refused move lists what the next
gate lacks, from `initiatives.service.gate_gaps`), linked metrics, planned benefits and
the dependency declaration (`dependencies_declared`: true with no dependency is the
explicit "none").

Who may do what is the API's rule: creating an initiative is "model" on its org unit
(strategy office, admin); everything else on it is "steer" (its owner, an executive,
the strategy office over its unit). Milestones and dependencies: web/pages/work_items.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.authz import scopes
from steerco.db.enums import STAGE_ORDER, BenefitKind, InitiativeKind, StageGate
from steerco.db.models import Initiative, PlannedBenefit
from steerco.initiatives.service import (
    add_benefit,
    create_initiative,
    delete_benefit,
    link_metric,
    move_stage,
    stop_initiative,
    unlink_metric,
    update_benefit,
    update_initiative,
)
from steerco.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import initiatives as views
from steerco.views import work_forms as wf
from steerco.views.finance import benefit as find_benefit
from steerco.views.finance import lines_overview
from steerco.views.names import (
    choices,
    metric_names,
    people_named,
    person_names,
    unit_names,
    units_named,
)
from steerco.web.pages import forms as fw
from steerco.web.pages.common import key_of, today
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = ("name", "description", "kind", "stage", "owner", "sponsor", "unit", "start_date",
          "due_date", "metric")
LABELS = {"name": "Title", "description": "Description", "kind": "Kind", "stage": "Stage",
          "owner_id": "Owner", "sponsor_id": "Sponsor", "controller_id": "Controller",
          "org_unit_id": "Org unit", "start_date": "Start", "due_date": "Due",
          "percent_complete": "Complete", "dependencies_declared": "Dependencies declared"}
FORM_FIELD = {"owner_id": "owner", "sponsor_id": "sponsor", "org_unit_id": "unit",
              "metric_ids": "metric"}
#: Where to fix each gap a stage gate names (service field → what to do on this page).
GAP_FIX = {"owner_id": "set the owner under Details",
           "due_date": "set the due date under Details",
           "metric_ids": "link a metric under Linked metrics",
           "budget_lines": "a controller adds a budget line on the Finance page"}
BENEFIT_FIELDS = ("ben_kind", "ben_amount", "ben_due", "ben_metric", "ben_line")
#: Service field → the benefit form's field.
BENEFIT_FIELD = {"amount": "ben_amount", "due_date": "ben_due", "metric_id": "ben_metric",
                 "budget_line_id": "ben_line"}
REFUSED_CREATE = "only the strategy office (or an admin) can add initiatives here"
REFUSED_STEER = ("only the initiative's owner, an executive or the strategy office over its "
                 "org unit can change it")


def find(s: Session, ws: int, iid: str) -> Initiative:
    return fw.found(views.find(s, ws, key_of(iid, "initiative")), "initiative", iid)


def may_steer(s: Session, user: PageUser, ini: Initiative) -> bool:
    sc = scopes.of_initiative(s, user.ctx.ws, ini)
    return user.can(s, "steer", sc.unit, list(sc.owners))


def allow_steer(s: Session, user: PageUser, ini: Initiative) -> None:
    if not may_steer(s, user, ini):
        raise Forbidden(REFUSED_STEER)


def _values(s: Session, ws: int, ini: Initiative) -> dict[str, str]:
    people = person_names(s, ws, [ini.owner_id, ini.sponsor_id])
    return {"name": ini.name, "description": ini.description or "", "kind": ini.kind.value,
            "stage": ini.stage.value, "owner": people.get(ini.owner_id or -1, ""),
            "sponsor": people.get(ini.sponsor_id or -1, ""),
            "unit": unit_names(s, ws, [ini.org_unit_id]).get(ini.org_unit_id or -1, ""),
            "start_date": ini.start_date.isoformat() if ini.start_date else "",
            "due_date": ini.due_date.isoformat() if ini.due_date else "",
            "metric": "", "version": str(ini.version)}


#: The initiative's fields shown by name when a save lost a race.
CONFLICT_NAMES = {"owner_id": person_names, "sponsor_id": person_names,
                  "controller_id": person_names, "org_unit_id": unit_names}


def conflict(s: Session, ws: int, ini: Initiative) -> dict[str, Any]:
    return fw.changed_by(s, ws, Initiative.__tablename__, ini.id, LABELS, CONFLICT_NAMES)


def render_edit(request: Request, s: Session, user: PageUser, ini: Initiative | None,
                form: dict[str, str], errors: dict[str, str] | None = None,
                code: int = 200, **extra: Any) -> Response:
    """The initiative form (new, or edit with every section of an existing one)."""
    ws = user.ctx.ws
    ctx: dict[str, Any] = {"i": ini, "form": form, "errors": errors or {},
                           "kinds": [k.value for k in InitiativeKind],
                           "new_stages": [x.value for x in STAGE_ORDER[:3]],
                           "stages": [x.value for x in STAGE_ORDER],
                           "choices": choices(s, ws), "work": wf.work_choices(s, ws),
                           "benefit_kinds": [k.value for k in BenefitKind],
                           "conflict": None, "gaps": None, "iid": None}
    if ini is not None:
        from steerco.web.pages.work_items import sections  # milestones and dependencies

        here = STAGE_ORDER.index(ini.stage)
        lines = wf.lines_of(s, ws, ini.id)
        ctx.update(
            iid=format_id("initiative", ini.id), stage_i=here,
            next_stage=STAGE_ORDER[here + 1].value if here + 1 < len(STAGE_ORDER) else None,
            prev_stage=STAGE_ORDER[here - 1].value if here > 0 else None,
            metrics=wf.linked_metrics(s, ws, ini.id), lines=lines,
            line_rows={r.id: r for r in lines_overview(s, ws, today(s, ws), ini.id)},
            benefits=views.benefits_of(s, ws, ini.id),
            may_finance=user.can(s, "finance", ini.org_unit_id),
            **sections(s, ws, ini))
    ctx.update(extra)
    return render(request, "initiative_edit.html", status_code=fw.status(request, code),
                  **ctx)


def _body(s: Session, ws: int, form: dict[str, str], errors: dict[str, str],
          new: bool) -> dict[str, Any]:
    owner = fw.one(people_named(s, ws, form["owner"]), "owner", form["owner"], "person",
                   errors)
    sponsor = fw.one(people_named(s, ws, form["sponsor"]), "sponsor", form["sponsor"],
                     "person", errors)
    unit = fw.one(units_named(s, ws, form["unit"]), "unit", form["unit"], "org unit", errors)
    if not form["name"]:
        errors["name"] = "Give the initiative a title."
    body: dict[str, Any] = {
        "name": form["name"] or None, "description": form["description"] or None,
        "kind": form["kind"] or None,
        "owner_id": format_id("person", owner) if owner else None,
        "sponsor_id": format_id("person", sponsor) if sponsor else None,
        "org_unit_id": format_id("org_unit", unit) if unit else None,
        "start_date": fw.day(form["start_date"], "start_date", errors, required=False),
        "due_date": fw.day(form["due_date"], "due_date", errors, required=False)}
    if new:
        body["stage"] = form["stage"] or "defined"
        metric = fw.one(wf.metrics_named(s, ws, form["metric"]), "metric", form["metric"],
                        "metric", errors)
        body["metric_ids"] = [format_id("metric", metric)] if metric else []
        if body["owner_id"] is None:
            body.pop("owner_id")
    return body


# --- create -----------------------------------------------------------------------------


@router.get("/initiatives/new")
def new(request: Request, user: User) -> Response:
    if not user.models:
        raise Forbidden(REFUSED_CREATE)
    with user.ctx.read() as s:
        year = today(s, user.ctx.ws).year
        form = dict.fromkeys(FIELDS, "") | {"kind": "project", "stage": "defined",
                                             "owner": user.name,
                                             "start_date": f"{year}-01-01",
                                             "due_date": f"{year}-12-31"}
        return render_edit(request, s, user, None, form)


@router.post("/initiatives/new")
async def create(request: Request, user: FormUser) -> Response:
    form = await fw.read_form(request, FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _body(s, ws, form, errors, new=True)
        unit = key_of(body["org_unit_id"], "org_unit") if body["org_unit_id"] else None
        if not user.can(s, "model", unit):
            raise Forbidden(REFUSED_CREATE)
        row = fw.attempt(s, errors, lambda: create_initiative(s, ws, body),
                         lambda exc: fw.messages(exc, FORM_FIELD, FIELDS, "name", form))
        if errors or row is None:
            return render_edit(request, s, user, None, form, errors, 422)
        target = f"/initiatives/{format_id('initiative', row.id)}/edit?saved=1"
    return fw.done_again(request, target)


# --- edit -------------------------------------------------------------------------------


@router.get("/initiatives/{iid}/edit")
def edit(request: Request, iid: str, user: User, saved: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        return render_edit(request, s, user, ini, _values(s, ws, ini), saved=bool(saved))


@router.post("/initiatives/{iid}/edit")
async def save(request: Request, iid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, (*FIELDS, "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        if form["version"] != str(ini.version):
            return render_edit(request, s, user, ini, {**form, "version": str(ini.version)},
                               code=409, conflict=conflict(s, ws, ini))
        body = _body(s, ws, form, errors, new=False)
        new_unit = key_of(body["org_unit_id"], "org_unit") if body["org_unit_id"] else None
        if new_unit != ini.org_unit_id and not user.can(s, "steer", new_unit,
                                                          [ini.owner_id]):
            raise Forbidden(REFUSED_STEER)  # moving it needs the right where it goes
        fw.attempt(s, errors, lambda: update_initiative(s, ws, ini.id, body),
                   lambda exc: fw.messages(exc, FORM_FIELD, FIELDS, "name", form))
        if errors:
            return render_edit(request, s, user, find(s, ws, iid), form, errors, 422)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1")


@router.post("/initiatives/{iid}/stage")
async def stage(request: Request, iid: str, user: FormUser) -> Response:
    """Move through the stage gate; a refusal lists every gap of the gate in place."""
    form = await fw.read_form(request, ("stage", "version"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        if form["version"] != str(ini.version):
            return render_edit(request, s, user, ini, _values(s, ws, ini), code=409,
                               conflict=conflict(s, ws, ini))
        target = form["stage"]
        try:
            move_stage(s, ws, ini.id, target)
        except ValidationFailed as exc:
            s.rollback()
            ini = find(s, ws, iid)
            gaps = [{"what": e.message, "fix": GAP_FIX.get(e.field, "")} for e in exc.errors]
            shown = StageGate(target).value if target in set(StageGate) else target
            return render_edit(request, s, user, ini, _values(s, ws, ini), code=422,
                               gaps=gaps, gap_stage=shown)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#stage")


@router.post("/initiatives/{iid}/metrics")
async def add_metric(request: Request, iid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, ("link_metric",))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        metric = fw.one(wf.metrics_named(s, ws, form["link_metric"]), "link_metric",
                        form["link_metric"], "metric", errors)
        if not form["link_metric"]:
            errors["link_metric"] = "Type the name of a metric this initiative should move."
        if metric is not None and not errors:
            link_metric(s, ws, ini.id, metric)
        if errors:
            return render_edit(request, s, user, ini, _values(s, ws, ini) | form, errors, 422)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#metrics")


@router.post("/initiatives/{iid}/declare")
async def declare(request: Request, iid: str, user: FormUser) -> Response:
    """The owner states the dependency list is complete ("none" when it is empty), or
    withdraws that statement."""
    form = await fw.read_form(request, ("declared", "version"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        if form["version"] != str(ini.version):
            return render_edit(request, s, user, ini, _values(s, ws, ini), code=409,
                               conflict=conflict(s, ws, ini))
        update_initiative(s, ws, ini.id, {"dependencies_declared": form["declared"] == "1"})
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#declared")


@router.post("/initiatives/{iid}/benefits")
async def benefit(request: Request, iid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, BENEFIT_FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        kind = form["ben_kind"] or BenefitKind.METRIC_IMPACT.value
        body: dict[str, Any] = {
            "initiative_id": format_id("initiative", ini.id), "kind": kind,
            "amount": fw.number(form["ben_amount"], "ben_amount", errors),
            "due_date": fw.day(form["ben_due"], "ben_due", errors)}
        if kind == BenefitKind.METRIC_IMPACT.value:
            m = fw.one(wf.metrics_named(s, ws, form["ben_metric"]), "ben_metric",
                       form["ben_metric"], "metric", errors)
            if not form["ben_metric"]:
                errors["ben_metric"] = "A metric impact names the metric it moves."
            body["metric_id"] = format_id("metric", m) if m else None
        else:
            lines = {b.name.lower(): b for b in wf.lines_of(s, ws, ini.id)}
            lines |= {b.code.lower(): b for b in lines.values()}
            line = lines.get(form["ben_line"].lower())
            if line is None:
                errors["ben_line"] = (f"“{form['ben_line']}” is not a budget line of this "
                                      "initiative; pick one from the list." if form["ben_line"]
                                      else "Savings name the budget line they show on.")
            body["budget_line_id"] = format_id("budget_line", line.id) if line else None
        fw.attempt(s, errors, lambda: add_benefit(s, ws, body),
                   lambda exc: fw.messages(exc, BENEFIT_FIELD, BENEFIT_FIELDS, "ben_amount",
                                           form))
        if errors:
            ini = find(s, ws, iid)
            return render_edit(request, s, user, ini, _values(s, ws, ini) | form, errors, 422)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#benefits")


@router.post("/initiatives/{iid}/metrics/{met}/remove")
async def remove_metric(request: Request, iid: str, met: str, user: FormUser) -> Response:
    """The initiative is no longer expected to move the metric. From `decided` on the
    last linked metric stays (the gate needs one): refused in place, naming it."""
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        metric = key_of(met, "metric")
        fw.attempt(s, errors, lambda: unlink_metric(s, ws, ini.id, metric),
                   lambda exc: {"unlink": exc.errors[0].message[0].upper()
                                + exc.errors[0].message[1:] + "."})
        if errors:
            ini = find(s, ws, iid)
            return render_edit(request, s, user, ini, _values(s, ws, ini), errors, 422)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#metrics")


@router.post("/initiatives/{iid}/stop")
async def stop(request: Request, iid: str, user: FormUser) -> Response:
    """Stop the initiative (the API's DELETE: it stays, with its history)."""
    form = await fw.read_form(request, ("version",))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        allow_steer(s, user, ini)
        if (c := fw.stale(s, ws, form, ini, LABELS, CONFLICT_NAMES)) is not None:
            return render_edit(request, s, user, ini, _values(s, ws, ini), code=409,
                               conflict=c)
        stop_initiative(s, ws, ini.id)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1")


# --- one planned benefit ----------------------------------------------------------------

BEN_FIELDS = ("amount", "due_date")
BEN_LABELS = {"amount": "Amount", "due_date": "By"}


def _benefit(s: Session, ws: int, ben: str) -> tuple[PlannedBenefit, Initiative]:
    b = find_benefit(s, ws, key_of(ben, "benefit"))
    if b is None:
        raise NotFound("benefit", ben)
    ini = views.find(s, ws, b.initiative_id)
    if ini is None:
        raise NotFound("benefit", ben)
    return b, ini


def _ben_values(b: PlannedBenefit) -> dict[str, str]:
    amount = repr(float(b.amount))
    return {"amount": amount[:-2] if amount.endswith(".0") else amount,
            "due_date": b.due_date.isoformat(), "version": str(b.version)}


def _render_benefit(request: Request, s: Session, user: PageUser, b: PlannedBenefit,
                    ini: Initiative, form: dict[str, str],
                    errors: dict[str, str] | None = None, code: int = 200,
                    conflict: dict[str, Any] | None = None) -> Response:
    ws = user.ctx.ws
    on = (metric_names(s, ws, [b.metric_id]).get(b.metric_id, "") if b.metric_id else
          next((f"{x.code} · {x.name}" for x in wf.lines_of(s, ws, ini.id)
                if x.id == b.budget_line_id), ""))
    return render(request, "benefit_edit.html", status_code=fw.status(request, code), b=b,
                  i=ini, iid=format_id("initiative", ini.id), ben=format_id("benefit", b.id),
                  on=on, form=form, errors=errors or {}, conflict=conflict)


@router.get("/benefits/{ben}/edit")
def edit_benefit(request: Request, ben: str, user: User) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        b, ini = _benefit(s, ws, ben)
        allow_steer(s, user, ini)
        return _render_benefit(request, s, user, b, ini, _ben_values(b))


def _benefit_open(request: Request, s: Session, user: PageUser, ben: str,
                  form: dict[str, str]
                  ) -> tuple[PlannedBenefit, Initiative, Response | None]:
    """The benefit a form posts to and its initiative, once the user may steer it, and
    the 409 answer — who changed what — when the form was read at an older version."""
    b, ini = _benefit(s, user.ctx.ws, ben)
    allow_steer(s, user, ini)
    c = fw.stale(s, user.ctx.ws, form, b, BEN_LABELS)
    if c is None:
        return b, ini, None
    return b, ini, _render_benefit(request, s, user, b, ini,
                                   form | {"version": str(b.version)}, code=409, conflict=c)


@router.post("/benefits/{ben}/edit")
async def save_benefit(request: Request, ben: str, user: FormUser) -> Response:
    """Change a planned benefit's amount or date; a signed-off one is frozen (refused in
    place, saying who signed it off)."""
    form = await fw.read_form(request, (*BEN_FIELDS, "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        b, ini, refused = _benefit_open(request, s, user, ben, form)
        if refused is not None:
            return refused
        body = {"amount": fw.number(form["amount"], "amount", errors),
                "due_date": fw.day(form["due_date"], "due_date", errors)}
        try:
            fw.attempt(s, errors, lambda: update_benefit(s, ws, b.id, body),
                       lambda exc: fw.messages(exc, {}, BEN_FIELDS, "amount", form))
        except Conflict as exc:
            s.rollback()
            errors["amount"] = _frozen(s, ws, b, exc)
        if errors:
            b, ini = _benefit(s, ws, ben)
            return _render_benefit(request, s, user, b, ini, form, errors, 422)
    return fw.done_again(request, f"/initiatives/{iid_of(ini)}/edit?saved=1#benefits")


@router.post("/benefits/{ben}/delete")
async def remove_benefit(request: Request, ben: str, user: FormUser) -> Response:
    form = await fw.read_form(request, ("version",))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        b, ini, refused = _benefit_open(request, s, user, ben, form)
        if refused is not None:
            return refused
        try:
            delete_benefit(s, ws, b.id)
        except Conflict as exc:
            s.rollback()
            errors["delete"] = _frozen(s, ws, b, exc)
            b, ini = _benefit(s, ws, ben)
            return _render_benefit(request, s, user, b, ini, _ben_values(b), errors, 422)
    return fw.done_again(request, f"/initiatives/{iid_of(ini)}/edit?saved=1#benefits")


def iid_of(ini: Initiative) -> str:
    return format_id("initiative", ini.id)


def _frozen(s: Session, ws: int, b: PlannedBenefit, exc: Conflict) -> str:
    who = person_names(s, ws, [b.signed_off_by_id]).get(b.signed_off_by_id or -1,
                                                          "a controller")
    return (f"Signed off by {who} (realised {b.realised_amount:g}): "
            f"{exc.detail[0].upper() + exc.detail[1:]}.")

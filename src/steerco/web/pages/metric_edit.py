"""Creating and editing metrics (KPIs and key results) in the browser, on the API's own
services and rules: the definition, the objectives it measures, its plan (a table or a
block pasted from a spreadsheet), who else may check in, and its causal links.

Who may do what is the API's rule: creating, editing, the plan, objective links and
causal links change the strategy model ("model": strategy office or admin over the
metric's org unit); delegating check-ins is for whoever may check in on it in their own
right (its owner, or admin / strategy office). The edit form carries the version it was
read at; a save against a newer one is refused with who changed the metric, when, and
what, and the user's input is kept. People, objectives and metrics are typed by name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.authz import scopes
from steerco.db.enums import Cadence, Direction, IndicatorType, MetricKind, ToleranceMode
from steerco.db.models import Metric
from steerco.kit.errors import CycleRefused, FieldError, Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.metrics.repository import MetricRepository
from steerco.metrics.service import (
    add_causal_link,
    add_updater,
    attach_objective,
    create_metric,
    delete_causal_link,
    detach_objective,
    paste_plan,
    remove_updater,
    update_causal_link,
    update_metric,
)
from steerco.transfer.feeds import service as feeds
from steerco.transfer.feeds.repository import FeedRepository
from steerco.views import Session
from steerco.views import metrics as views
from steerco.views import objectives as objective_views
from steerco.views.names import (
    choices,
    metric_names,
    objectives_titled,
    people_named,
    person_names,
)
from steerco.web.pages.common import key_of, today
from steerco.web.pages.forms import attempt, changed_by, found, number, one, read_form
from steerco.web.pages.forms import done_again as done
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

REFUSED = {"model": "only the strategy office (or an admin) over this metric's org unit can "
                    "change its definition, plan, objectives and causal links",
           "delegate": "only the metric's owner (or the strategy office / an admin) can "
                       "delegate check-ins on it"}
NUMBERS = ("baseline_value", "target_value", "tolerance", "min_value", "max_value")
FIELDS = ("name", "kind", "unit", "direction", "baseline_value", "baseline_date",
          "target_value", "target_date", "tolerance", "tolerance_mode", "indicator",
          "cadence", "owner", "description", "min_value", "max_value")
LABELS = {"name": "Name", "kind": "Kind", "unit": "Unit", "direction": "Direction",
          "baseline_value": "Baseline", "baseline_date": "Baseline date",
          "target_value": "Target", "target_date": "Target date", "tolerance": "Tolerance",
          "tolerance_mode": "Tolerance mode", "indicator": "Leading / lagging",
          "cadence": "Cadence", "owner_id": "Owner", "description": "Description",
          "min_value": "Lowest possible value", "max_value": "Highest possible value"}
#: Service field → form field.
FORM_FIELD = {"owner_id": "owner", "objectives": "objective", "objective_id": "objective",
              "driver_id": "other", "driven_id": "other", "person_id": "person",
              "lag_days": "lag"}
DATES = ("baseline_date", "target_date")


def _metric(s: Session, ws: int, mid: str) -> Metric:
    return found(views.find(s, ws, key_of(mid, "metric")), "metric", mid)


def _may(s: Session, user: PageUser, m: Metric, what: str) -> bool:
    sc = scopes.of_metric(s, user.ctx.ws, m)
    action = "model" if what == "model" else "checkin"
    return user.can(s, action, sc.unit, [] if what == "model" else list(sc.owners))


def _allow(s: Session, user: PageUser, m: Metric, what: str) -> None:
    if not _may(s, user, m, what):
        raise Forbidden(REFUSED[what])


def _text(v: float | None) -> str:
    if v is None:
        return ""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _values(s: Session, ws: int, m: Metric) -> dict[str, str]:
    return {"name": m.name, "kind": m.kind.value, "unit": m.unit,
            "direction": m.direction.value, "baseline_value": _text(m.baseline_value),
            "baseline_date": m.baseline_date.isoformat(),
            "target_value": _text(m.target_value), "target_date": m.target_date.isoformat(),
            "tolerance": _text(m.tolerance), "tolerance_mode": m.tolerance_mode.value,
            "indicator": m.indicator.value, "cadence": m.cadence.value,
            "owner": person_names(s, ws, [m.owner_id]).get(m.owner_id, ""),
            "description": m.description or "", "min_value": _text(m.min_value),
            "max_value": _text(m.max_value), "version": str(m.version)}


def _field_of(e: FieldError) -> str:
    parts = e.field.split(".")
    head = parts[0]
    if head in ("objectives",) and len(parts) > 2:
        return "weight" if parts[2] == "weight" else "objective"
    field = FORM_FIELD.get(head, head)
    if field in (*FIELDS, "objective", "weight", "other", "person", "sign", "lag", "plan"):
        return field
    for name in FIELDS:  # a message about the whole form names the field it is about
        if name in e.message:
            return name
    return "name"


def _messages(exc: ValidationFailed, form: dict[str, str] | None = None,
              titles: dict[str, str] | None = None) -> dict[str, str]:
    """The service's refusals by form field, saying what a field got and what it wants."""
    out: dict[str, str] = {}
    for e in exc.errors:
        field = _field_of(e)
        msg = e.message
        if field in DATES and "valid date" in msg:
            got = (form or {}).get(field, "")
            msg = (f"“{got}” is not a date; enter one like 2026-01-31." if got
                   else "Enter a date like 2026-01-31.")
        elif "Input should be" in msg and form is not None and field in form:
            msg = f"“{form[field]}” is not accepted here: {msg[0].lower()}{msg[1:]}."
        if isinstance(exc, CycleRefused):
            path = " → ".join(f"“{(titles or {}).get(p, p)}”" for p in exc.path)
            msg = (f"This would close a loop of causes: {path}. A metric cannot drive "
                   "itself, not even through others.")
        out.setdefault(field, msg)
    return out or {"name": exc.detail}


def _render(request: Request, s: Session, user: PageUser, m: Metric | None,
            form: dict[str, str], errors: dict[str, str] | None = None,
            conflict: dict[str, Any] | None = None, status_code: int = 200,
            saved: str | None = None) -> Response:
    ws = user.ctx.ws
    ctx: dict[str, Any] = {
        "m": m, "form": form, "errors": errors or {}, "conflict": conflict, "saved": saved,
        "mid": format_id("metric", m.id) if m else None,
        "kinds": [k.value for k in MetricKind], "directions": [d.value for d in Direction],
        "modes": [t.value for t in ToleranceMode],
        "indicators": [i.value for i in IndicatorType],
        "cadences": [c.value for c in Cadence], "choices": choices(s, ws),
        "metric_choices": views.metric_choices(s, ws),
    }
    if m is not None:
        plan = MetricRepository(s, ws).plan_of(m.id)
        links, other = views.causal_links_of(s, ws, m.id)
        ups = MetricRepository(s, ws).updaters_of([m.id])[m.id]
        ctx.update(
            plan=[(on.isoformat() if hasattr(on, "isoformat") else str(on), _text(v))
                  for on, v in plan],
            objectives=[{"id": format_id("objective", k), "title": t, "weight": w}
                        for k, t, w in views.objective_weights(s, ws, m.id)],
            links=[{"id": format_id("causal_link", ln.id),
                    "drives": ln.driver_id == m.id,
                    "other": other[ln.driven_id if ln.driver_id == m.id else ln.driver_id].name
                    if (ln.driven_id if ln.driver_id == m.id else ln.driver_id) in other
                    else "?",
                    "sign": ln.sign, "lag": ln.lag_days} for ln in links],
            updaters=[{"id": format_id("person", p), "name": n}
                      for p, n in sorted(person_names(s, ws, ups).items(),
                                         key=lambda x: x[1])],
            may_model=_may(s, user, m, "model"), may_delegate=_may(s, user, m, "delegate"))
        row = FeedRepository(s, ws).of_metric(m.id)
        ctx["feed"] = feeds.public(row, m) if row is not None else None
    if request.headers.get("hx-request"):  # htmx swaps only 2xx answers into the page
        status_code = 200
    return render(request, "metric_edit.html", status_code=status_code, **ctx)


def _body(s: Session, ws: int, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The service's body from the form; numbers and the owner are read here (in place)."""
    body: dict[str, Any] = {k: form[k] or None for k in
                            ("name", "kind", "unit", "direction", "baseline_date",
                             "target_date", "tolerance_mode", "indicator", "cadence")}
    body["description"] = form["description"] or None
    for k in NUMBERS:
        body[k] = number(form[k], k, errors, "120 or 3.5", required=False)
    for k in ("baseline_value", "target_value"):
        if not form[k]:
            errors.setdefault(k, "Enter a number, like 120 or 3.5.")
    owner = one(people_named(s, ws, form["owner"]), "owner", form["owner"], "person", errors)
    if owner is not None:
        body["owner_id"] = format_id("person", owner)
    elif not form["owner"]:
        errors["owner"] = "Type the name of the person accountable for this metric."
    return body


# --- create -----------------------------------------------------------------------------


@router.get("/metrics/new")
def new(request: Request, user: User, objective: str = "") -> Response:
    if not user.models:
        raise Forbidden(REFUSED["model"])
    ws = user.ctx.ws
    with user.ctx.read() as s:
        day = today(s, ws)
        title, due = "", f"{day.year}-12-31" if day.month < 12 else f"{day.year + 1}-12-31"
        if objective:
            o = objective_views.find(s, ws, key_of(objective, "objective"))
            if o is not None:  # a key result is due when its objective's period ends
                title, due = o.title, o.period_end.isoformat()
        form = dict.fromkeys(FIELDS, "") | {
            "kind": "key_result", "direction": "increase_to", "tolerance_mode": "relative",
            "indicator": "lagging", "cadence": "monthly", "owner": user.name,
            "baseline_date": day.isoformat(), "target_date": due,
            "objective": title, "weight": "1"}
        return _render(request, s, user, None, form)


@router.post("/metrics/new")
async def create(request: Request, user: FormUser) -> Response:
    form = await read_form(request, (*FIELDS, "objective", "weight"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _body(s, ws, form, errors)
        objective = one(objectives_titled(s, ws, form["objective"]), "objective",
                        form["objective"], "objective", errors)
        weight = number(form["weight"], "weight", errors, "1 or 0.5", required=False) or 1.0
        if objective is not None:
            body["objectives"] = [{"objective_id": format_id("objective", objective),
                                   "weight": weight}]
        owner_unit = (scopes.person_unit(s, ws, key_of(body["owner_id"], "person"))
                      if body.get("owner_id") else None)
        if not user.can(s, "model", owner_unit):
            raise Forbidden(REFUSED["model"])
        row = attempt(s, errors, lambda: create_metric(s, ws, body),
                      lambda exc: _messages(exc, form))
        if errors or row is None:
            return _render(request, s, user, None, form, errors, status_code=422)
        target = f"/metrics/{format_id('metric', row.id)}/edit?saved=1#plan"
    return done(request, target)


# --- edit -------------------------------------------------------------------------------


@router.get("/metrics/{mid}/edit")
def edit(request: Request, mid: str, user: User) -> Response:
    with user.ctx.read() as s:
        m = _metric(s, user.ctx.ws, mid)
        if not (_may(s, user, m, "model") or _may(s, user, m, "delegate")):
            raise Forbidden(REFUSED["model"])
        return _render(request, s, user, m, _values(s, user.ctx.ws, m))


@router.post("/metrics/{mid}/edit")
async def save(request: Request, mid: str, user: FormUser) -> Response:
    form = await read_form(request, (*FIELDS, "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        m = _metric(s, ws, mid)
        _allow(s, user, m, "model")
        if form["version"] != str(m.version):
            conflict = changed_by(s, ws, Metric.__tablename__, m.id, LABELS,
                                  {"owner_id": person_names})
            return _render(request, s, user, m, {**form, "version": str(m.version)},
                           conflict=conflict, status_code=409)
        body = _body(s, ws, form, errors)
        body.pop("kind")  # a KPI stays a KPI (the API cannot change it either)
        if body.get("owner_id") and key_of(body["owner_id"], "person") != m.owner_id:
            # Moving it to another owner needs the right where it goes, too.
            unit = scopes.person_unit(s, ws, key_of(body["owner_id"], "person"))
            if not user.can(s, "model", unit):
                raise Forbidden(REFUSED["model"])
        attempt(s, errors, lambda: update_metric(s, ws, m.id, body),
                lambda exc: _messages(exc, form))
        if errors:
            return _render(request, s, user, _metric(s, ws, mid), form, errors,
                           status_code=422)
    return done(request, f"/metrics/{mid}?saved=1")


async def _side(request: Request, mid: str, user: PageUser, names: tuple[str, ...],
                what: str, act: Any, anchor: str) -> Response:
    """A side form of the edit page: read it, check the right, run `act(s, m, form,
    errors)`; on refusal show the edit page with the messages and the input kept."""
    form = await read_form(request, names)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        m = _metric(s, ws, mid)
        _allow(s, user, m, what)
        try:
            act(s, m, form, errors)
        except ValidationFailed as exc:
            s.rollback()
            keys = [key_of(p, "metric") for p in getattr(exc, "path", [])]
            titles = {format_id("metric", k): t for k, t in metric_names(s, ws, keys).items()}
            errors = _messages(exc, form, titles)
        if errors:
            s.rollback()
            m = _metric(s, ws, mid)
            return _render(request, s, user, m, _values(s, ws, m) | form, errors,
                           status_code=422)
    if request.headers.get("hx-request"):
        # The edit page again, in place: a redirect to the page one is on (with only
        # its #fragment new) would not reload it.
        with user.ctx.read() as s:
            m = _metric(s, ws, mid)
            return _render(request, s, user, m, _values(s, ws, m), saved=anchor)
    return done(request, f"/metrics/{mid}/edit?saved=1#{anchor}")


# --- plan -------------------------------------------------------------------------------


@router.post("/metrics/{mid}/plan")
async def plan(request: Request, mid: str, user: FormUser) -> Response:
    """Save the plan from the table's rows, or from a block pasted from a spreadsheet
    (which then wins). Both go through the same parser: a bad row is named by its line."""
    raw = await request.form()
    dates = [str(v).strip() for v in raw.getlist("on")]
    values = [str(v).strip() for v in raw.getlist("value")]
    rows = "\n".join(f"{d}\t{v}" if (d or v) else "" for d, v in zip(dates, values,
                                                                      strict=False))
    pasted = str(raw.get("paste") or "")

    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        text = pasted if pasted.strip() else rows
        if not text.strip():
            from steerco.metrics.service import set_plan
            set_plan(s, user.ctx.ws, m.id, [])  # an empty table: back to the linear plan
            return
        try:
            paste_plan(s, user.ctx.ws, m.id, text)
        except ValidationFailed as exc:
            where = "paste" if pasted.strip() else "rows"
            errors["plan"] = "Nothing was saved. " + "; ".join(
                e.message.replace("line ", "row " if where == "rows" else "line ", 1)
                for e in exc.errors)
            errors["plan_source"] = where

    return await _side(request, mid, user, ("paste",), "model", act, "plan")


# --- objectives -------------------------------------------------------------------------


@router.post("/metrics/{mid}/objectives")
async def add_objective(request: Request, mid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        ws = user.ctx.ws
        if not form["objective"]:
            errors["objective"] = "Type the title of the objective this metric measures."
            return
        key = one(objectives_titled(s, ws, form["objective"]), "objective",
                  form["objective"], "objective", errors)
        weight = number(form["weight"], "weight", errors, "1 or 0.5", required=False) or 1.0
        if key is not None and not errors:
            attach_objective(s, ws, m.id, key, weight)

    return await _side(request, mid, user, ("objective", "weight"), "model", act,
                       "objectives")


@router.post("/metrics/{mid}/objectives/{oid}/remove")
async def remove_objective(request: Request, mid: str, oid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        detach_objective(s, user.ctx.ws, m.id, key_of(oid, "objective"))

    return await _side(request, mid, user, (), "model", act, "objectives")


# --- delegated updaters -----------------------------------------------------------------


@router.post("/metrics/{mid}/updaters")
async def add_person(request: Request, mid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        ws = user.ctx.ws
        if not form["person"]:
            errors["person"] = "Type the name of the person who may check in too."
            return
        key = one(people_named(s, ws, form["person"]), "person", form["person"], "person",
                  errors)
        if key is None:
            return
        if key == m.owner_id:
            errors["person"] = (f"“{form['person']}” owns this metric and can check in "
                                "on it already.")
            return
        add_updater(s, ws, m.id, {"person_id": format_id("person", key)})

    return await _side(request, mid, user, ("person",), "delegate", act, "updaters")


@router.post("/metrics/{mid}/updaters/{pid}/remove")
async def remove_person(request: Request, mid: str, pid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        remove_updater(s, user.ctx.ws, m.id, key_of(pid, "person"))

    return await _side(request, mid, user, (), "delegate", act, "updaters")


# --- causal links -----------------------------------------------------------------------


@router.post("/metrics/{mid}/links")
async def add_link(request: Request, mid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        ws = user.ctx.ws
        if not form["other"]:
            errors["other"] = "Type the name of the other metric."
            return
        other = one(views.metrics_named(s, ws, form["other"]), "other", form["other"],
                    "metric", errors)
        lag = number(form["lag"], "lag", errors, "0 or 30", required=False) or 0.0
        if lag != int(lag) or not 0 <= lag <= 3660:
            errors["lag"] = f"“{form['lag']}” is not a whole number of days from 0 to 3660."
        if form["sign"] not in ("1", "-1"):
            errors["sign"] = "Choose whether it moves the other metric the same or the " \
                             "opposite way."
        if other is None or errors:
            return
        here, there = format_id("metric", m.id), format_id("metric", other)
        drives = form["direction"] != "driven_by"
        ends = (m.id, other) if drives else (other, m.id)
        existing = next((ln for ln in views.causal_links_of(s, ws, m.id)[0]
                         if (ln.driver_id, ln.driven_id) == ends), None)
        if existing is not None:  # the same link again: its sign and lag change (PATCH)
            update_causal_link(s, ws, existing.id, {"sign": int(form["sign"]),
                                                    "lag_days": int(lag or 0)})
            return
        add_causal_link(s, ws, {"driver_id": here if drives else there,
                                "driven_id": there if drives else here,
                                "sign": int(form["sign"]), "lag_days": int(lag or 0)})

    return await _side(request, mid, user, ("other", "direction", "sign", "lag"), "model",
                       act, "links")


@router.post("/metrics/{mid}/links/{lid}/remove")
async def remove_link(request: Request, mid: str, lid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        key = key_of(lid, "causal_link")
        links, _ = views.causal_links_of(s, user.ctx.ws, m.id)
        if key not in {ln.id for ln in links}:
            raise NotFound("causal link", lid)
        delete_causal_link(s, user.ctx.ws, key)

    return await _side(request, mid, user, (), "model", act, "links")


# --- SQL feed ---------------------------------------------------------------------------


@router.post("/metrics/{mid}/feed")
async def set_feed(request: Request, mid: str, user: FormUser) -> Response:
    """Set or change the metric's SQL feed; the URL is never shown back (a blank one
    keeps the stored URL)."""
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        try:
            feeds.save(s, user.ctx.ws, m, {"url": form["feed_url"],
                                           "query": form["feed_query"] or " "})
        except ValidationFailed as exc:
            for e in exc.errors:
                key = "feed_url" if e.field == "url" else "feed_query"
                errors.setdefault(key, f"The {'database URL' if key == 'feed_url' else 'query'}"
                                       f" {e.message}.")

    return await _side(request, mid, user, ("feed_url", "feed_query"), "model", act, "feed")


@router.post("/metrics/{mid}/feed/run")
async def run_feed_now(request: Request, mid: str, user: FormUser) -> Response:
    """Run the feed now; a failure is recorded on the feed (shown in its section) and
    told to the owner, so it is no refusal of this form."""
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        row = FeedRepository(s, user.ctx.ws).of_metric(m.id)
        if row is None:
            errors["feed_query"] = "This metric has no SQL feed yet: set one first."
            return
        feeds.run_feed(s, user.ctx.ws, row, m)

    return await _side(request, mid, user, (), "model", act, "feed")


@router.post("/metrics/{mid}/feed/remove")
async def remove_feed(request: Request, mid: str, user: FormUser) -> Response:
    def act(s: Session, m: Metric, form: dict[str, str], errors: dict[str, str]) -> None:
        feeds.delete(s, user.ctx.ws, m)

    return await _side(request, mid, user, (), "model", act, "feed")

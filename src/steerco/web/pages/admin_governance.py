"""Escalation rules and review rhythms in the browser (governance).

The API's services and rules: both change the strategy model ("model": the strategy
office or an admin; a rule or review limited to an org unit needs it over that unit).
A rule's form carries the version it was read at; a stale save is refused with who
changed what, when.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.db.enums import ReviewKind
from steerco.db.models import Rule
from steerco.governance.schemas import SIGNAL_KINDS
from steerco.governance.service import create_rule, schedule_review_series, update_rule
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import admin as views
from steerco.views.names import choices, people_named, person_names, unit_names, units_named
from steerco.web.pages import forms as fw
from steerco.web.pages.admin_settings import model_only as _model
from steerco.web.pages.common import key_of, today
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SEVERITIES = [("1", "Info or worse"), ("2", "Warning or worse"), ("3", "Critical only")]


# --- escalation rules -------------------------------------------------------------------

RU_FIELDS = ("name", "signal_kind", "min_severity", "scope", "ladder")
RU_LABELS = {"name": "Name", "signal_kind": "Signal", "min_severity": "Minimum severity",
             "scope": "Org unit", "org_unit_id": "Org unit", "ladder": "Ladder days",
             "ladder_days": "Ladder days", "active": "Active"}
RU_FIELD_OF = {"org_unit_id": "scope", "ladder_days": "ladder"}


def _rule(s: Session, ws: int, rid: str) -> Rule:
    return fw.found(views.find_rule(s, ws, key_of(rid, "rule")), "rule", rid)


def _ru_render(request: Request, s: Session, ws: int, r: Rule | None, form: dict[str, str],
               errors: dict[str, str] | None = None, conflict_: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:
    return fw.render_form(request, "admin/rule_edit.html", "r", "rule", r, form, errors,
                          conflict_, status_code, choices=choices(s, ws),
                          signals=[(k, k.replace("_", " ").capitalize()) for k in SIGNAL_KINDS],
                          severities=SEVERITIES)


def _ru_body(s: Session, ws: int, form: dict[str, str],
             errors: dict[str, str]) -> dict[str, Any]:
    unit = fw.one(units_named(s, ws, form["scope"]), "scope", form["scope"], "org unit", errors)
    days: list[Any] = []
    for part in form["ladder"].replace(";", ",").split(","):
        if part.strip():
            try:
                days.append(int(part))
            except ValueError:
                errors["ladder"] = (f"Ladder days: “{form['ladder']}” — “{part.strip()}” is "
                                    "not a whole number of days; enter e.g. 3, 7, 14.")
    if not days and "ladder" not in errors:
        errors["ladder"] = "Ladder days: empty — enter the grace days per rung, e.g. 3, 7, 14."
    return {"name": form["name"], "signal_kind": form["signal_kind"],
            "min_severity": form["min_severity"] or "2", "ladder_days": days,
            "org_unit_id": format_id("org_unit", unit) if unit else None}


@router.get("/admin/rules")
def rules(request: Request, user: User, saved: str = "") -> Response:
    _model(user)
    ws = user.ctx.ws
    with user.ctx.read() as s:
        rows = views.rules(s, ws)
        units = unit_names(s, ws, [r.org_unit_id for r in rows])
    return render(request, "admin/rules.html", items=rows, units=units, saved=saved,
                  severities=dict(SEVERITIES))


@router.get("/admin/rules/new")
def new_rule(request: Request, user: User) -> Response:
    _model(user)
    with user.ctx.read() as s:
        return _ru_render(request, s, user.ctx.ws, None,
                          dict.fromkeys(RU_FIELDS, "") | {"signal_kind": "off_track"
                                                          if "off_track" in SIGNAL_KINDS
                                                          else SIGNAL_KINDS[0],
                                                          "min_severity": "2",
                                                          "ladder": "3, 7, 14"})


@router.post("/admin/rules/new")
async def create_rule_page(request: Request, user: FormUser) -> Response:
    _model(user)
    form = await fw.read_form(request, RU_FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _ru_body(s, ws, form, errors)
        unit = key_of(body["org_unit_id"], "org_unit") if body["org_unit_id"] else None
        user.principal.require(s, "model", unit)
        fw.attempt(s, errors, lambda: create_rule(s, ws, body),
                   lambda exc: fw.labelled_messages(exc, form, RU_FIELD_OF, RU_LABELS, "name"))
        if errors:
            return _ru_render(request, s, ws, None, form, errors, status_code=422)
    return fw.done(request, "/admin/rules?saved=1")


@router.get("/admin/rules/{rid}/edit")
def edit_rule(request: Request, rid: str, user: User) -> Response:
    _model(user)
    ws = user.ctx.ws
    with user.ctx.read() as s:
        r = _rule(s, ws, rid)
        user.principal.require(s, "model", r.org_unit_id)
        form = {"name": r.name, "signal_kind": r.signal_kind,
                "min_severity": str(r.min_severity),
                "scope": unit_names(s, ws, [r.org_unit_id]).get(r.org_unit_id or -1, ""),
                "ladder": ", ".join(str(d) for d in r.ladder_days),
                "active": "1" if r.active else "", "version": str(r.version)}
        return _ru_render(request, s, ws, r, form)


@router.post("/admin/rules/{rid}/edit")
async def save_rule(request: Request, rid: str, user: FormUser) -> Response:
    _model(user)
    form = await fw.read_form(request, (*RU_FIELDS, "active", "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        r = _rule(s, ws, rid)
        user.principal.require(s, "model", r.org_unit_id)
        if (conflict := fw.stale(s, ws, form, r, RU_LABELS, fw.PEOPLE_AND_UNITS)):
            return _ru_render(request, s, ws, r, {**form, "version": str(r.version)},
                              conflict_=conflict, status_code=409)
        body = _ru_body(s, ws, form, errors) | {"active": form["active"] == "1"}
        if body["org_unit_id"]:
            user.principal.require(s, "model", key_of(body["org_unit_id"], "org_unit"))
        fw.attempt(s, errors, lambda: update_rule(s, ws, r.id, body),
                   lambda exc: fw.labelled_messages(exc, form, RU_FIELD_OF, RU_LABELS, "name"))
        if errors:
            return _ru_render(request, s, ws, _rule(s, ws, rid), form, errors,
                              status_code=422)
    return fw.done(request, "/admin/rules?saved=1")


# --- review cadences --------------------------------------------------------------------

RV_FIELDS = ("title", "kind", "first", "count", "chair", "unit")
RV_LABELS = {"title": "Title", "kind": "Kind", "first": "First review on",
             "count": "How many", "chair": "Chair", "unit": "Org unit"}
RV_FIELD_OF = {"scheduled_for": "first", "chair_id": "chair", "org_unit_id": "unit"}


def _cadences(request: Request, s: Session, ws: int, form: dict[str, str],
              errors: dict[str, str] | None = None, status_code: int = 200,
              saved: str = "") -> Response:
    reviews = views.recent_reviews(s, ws)
    return render(request, "admin/cadences.html",
                  status_code=fw.status(request, status_code),
                  metric_cadences=views.metric_cadences(s, ws), reviews=reviews,
                  chairs=person_names(s, ws, [r.chair_id for r in reviews]),
                  units=unit_names(s, ws, [r.org_unit_id for r in reviews]),
                  form=form, errors=errors or {}, choices=choices(s, ws), saved=saved,
                  kinds=[(k.value, k.value.replace("_", " ").capitalize())
                         for k in ReviewKind])


@router.get("/admin/cadences")
def cadences(request: Request, user: User, saved: str = "") -> Response:
    _model(user)
    with user.ctx.read() as s:
        first = today(s, user.ctx.ws)
        form = {"title": "", "kind": ReviewKind.MONTHLY_BUSINESS.value,
                "first": first.isoformat(), "count": "6", "chair": user.name, "unit": ""}
        return _cadences(request, s, user.ctx.ws, form, saved=saved)


@router.post("/admin/cadences")
async def schedule_reviews(request: Request, user: FormUser) -> Response:
    _model(user)
    form = await fw.read_form(request, RV_FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        chair = fw.one(people_named(s, ws, form["chair"]), "chair", form["chair"], "person",
                     errors)
        unit = fw.one(units_named(s, ws, form["unit"]), "unit", form["unit"], "org unit",
                    errors)
        user.principal.require(s, "model", unit)
        if not form["count"].isdigit():
            errors["count"] = (f"How many: “{form['count']}” is not a whole number; "
                               "enter e.g. 6.")
        body = {"title": form["title"], "kind": form["kind"],
                "scheduled_for": form["first"] or None,
                "chair_id": format_id("person", chair) if chair else None,
                "org_unit_id": format_id("org_unit", unit) if unit else None}
        count = int(form["count"]) if form["count"].isdigit() else 1
        made = fw.attempt(s, errors, lambda: schedule_review_series(s, ws, body, count),
                          lambda exc: fw.labelled_messages(exc, form, RV_FIELD_OF, RV_LABELS,
                                                           "title"))
        if errors or made is None:
            return _cadences(request, s, ws, form, errors, status_code=422)
    return fw.done(request, f"/admin/cadences?saved={len(made)}")

"""Deciding in the browser: the escalation inbox, one escalation with its actions, and
the decision log — on the governance services the API uses (one set of rules).

Who may act on an escalation is the API's rule: "steer" on its subject, or being its
assignee (`scopes.of_escalation`). A decision that re-plans a metric's target or date, or
stops an initiative, carries the change out in the same transaction; a refusal of that
change (e.g. a target behind the baseline) is shown on the field, nothing is written, and
the user's input is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.authz import scopes
from steerco.db.enums import DecisionKind
from steerco.governance.service import (
    acknowledge_escalation,
    assign_escalation,
    record_decision,
    snooze_escalation,
)
from steerco.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import decisions as views
from steerco.views.labels import labels_of
from steerco.views.names import choices, people_named, person_names, unit_names, units_named
from steerco.web.pages.common import key_of
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
REFUSED = ("only the person it waits on, the subject's owner, or an executive or the "
           "strategy office over its org unit can act on this escalation")
#: Service field → form field of the decision and snooze forms.
FORM_FIELD = {"new_target_value": "new_target_value", "new_target_date": "new_target_date",
              "target_value": "new_target_value", "target_date": "new_target_date",
              "rationale": "rationale", "kind": "kind", "until": "until", "reason": "reason",
              "assignee_id": "assignee"}
def _labels_in(s: Session, ws: int, texts: list[str]) -> dict[str, str]:
    return labels_of(s, ws, {m for t in texts for m in views.ID_IN_TEXT.findall(t)})


def _find(s: Session, ws: int, eid: str) -> views.EscalationRow:
    row = views.escalation(s, ws, key_of(eid, "escalation"))
    if row is None:
        raise NotFound("escalation", eid)
    return row


def _allow(s: Session, user: PageUser, row: views.EscalationRow) -> None:
    sc = scopes.of_escalation(s, user.ctx.ws, row.e)
    if not user.can(s, "steer", sc.unit, list(sc.owners)):
        raise Forbidden(REFUSED)


# --- the inbox --------------------------------------------------------------------------


@router.get("/escalations")
def inbox(request: Request, user: User, who: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        who = who if who in ("me", "all") else ("all" if user.steers else "me")
        rows = views.inbox(s, ws, user.person_id if who == "me" else None)
        labels = _labels_in(s, ws, [r.e.summary for r in rows])
    return render(request, "escalations.html", rows=rows, who=who, labels=labels,
                  named=views.named)


# --- one escalation ---------------------------------------------------------------------

DECIDE_FIELDS = ("kind", "rationale", "new_target_value", "new_target_date")


def _render(request: Request, s: Session, user: PageUser, row: views.EscalationRow,
            form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
            status_code: int = 200, done: str = "") -> Response:
    ws = user.ctx.ws
    decision = views.decision_of(s, ws, row.e.id)
    log = []
    if decision is not None:
        log = views.decision_log(s, ws, views.LogFilters(), only=decision.id)
    reading = views.subject_reading(s, ws, (row.e.subject_kind, row.e.subject_id))
    labels = _labels_in(s, ws, [row.e.summary])
    if request.headers.get("hx-request"):  # htmx swaps only 2xx answers into the page
        status_code = 200
    return render(request, "escalation.html", status_code=status_code, x=row,
                  eid=format_id("escalation", row.e.id), summary=views.named(row.e.summary, labels),
                  form=form or dict.fromkeys(DECIDE_FIELDS, "") | {
                      "kind": "replan_target" if row.e.subject_kind == "metric"
                      else "accept_risk", "until": "", "reason": "", "assignee": ""},
                  errors=errors or {}, done=done, decision=log[0] if log else None,
                  audit=views.effect_audit(s, ws, decision) if decision else None,
                  kinds=views.KIND_LABELS, reading=reading, choices=choices(s, ws),
                  may_act=_may(s, user, row), is_metric=row.e.subject_kind == "metric")


def _may(s: Session, user: PageUser, row: views.EscalationRow) -> bool:
    sc = scopes.of_escalation(s, user.ctx.ws, row.e)
    return user.can(s, "steer", sc.unit, list(sc.owners))


@router.get("/escalations/{eid}")
def show(request: Request, eid: str, user: User, done: str = "") -> Response:
    with user.ctx.read() as s:
        return _render(request, s, user, _find(s, user.ctx.ws, eid), done=done)


def _back(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    raw = await request.form()
    return {k: str(raw.get(k) or "").strip() for k in names}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _messages(exc: ValidationFailed | Conflict, form: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in getattr(exc, "errors", []) or []:
        field = FORM_FIELD.get(e.field.split(".")[0], "rationale")
        msg = e.message
        got = form.get(field, "")
        if field in ("new_target_date", "until") and got and _date(got) is None:
            msg = f"“{got}” is not a date; enter one like 2026-12-31."
        elif field == "new_target_value" and got and not _is_number(got):
            msg = f"“{got}” is not a number; enter e.g. 150 or 1.5."
        elif got and got not in msg and field != "rationale":
            msg = f"“{got}”: {msg}"
        out.setdefault(field, msg)
    return out or {"rationale": exc.detail}


@router.post("/escalations/{eid}/acknowledge")
def acknowledge(request: Request, eid: str, user: FormUser) -> Response:
    with user.ctx.write() as s:
        row = _find(s, user.ctx.ws, eid)
        _allow(s, user, row)
        acknowledge_escalation(s, user.ctx.ws, row.e.id)
    return _back(request, f"/escalations/{eid}?done=acknowledged")


@router.post("/escalations/{eid}/assign")
async def assign(request: Request, eid: str, user: FormUser) -> Response:
    form = await _form(request, ("assignee",))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        row = _find(s, ws, eid)
        _allow(s, user, row)
        found = people_named(s, ws, form["assignee"]) if form["assignee"] else []
        errors: dict[str, str] = {}
        if not form["assignee"]:
            errors["assignee"] = "Type the name of the person to hand it to."
        elif len(found) != 1:
            errors["assignee"] = (f"No person is called “{form['assignee']}”; pick one from "
                                  "the list." if not found else
                                  f"{len(found)} people are called “{form['assignee']}”; type "
                                  "the e-mail to say which.")
        else:
            try:
                assign_escalation(s, ws, row.e.id, {"assignee_id": found[0].id})
            except (ValidationFailed, Conflict) as exc:
                s.rollback()
                errors = _messages(exc, form)
        if errors:
            return _render(request, s, user, _find(s, ws, eid), form=_blank(row) | form,
                           errors=errors, status_code=422)
    return _back(request, f"/escalations/{eid}?done=assigned")


def _blank(row: views.EscalationRow) -> dict[str, str]:
    return dict.fromkeys(DECIDE_FIELDS, "") | {
        "kind": "replan_target" if row.e.subject_kind == "metric" else "accept_risk",
        "until": "", "reason": "", "assignee": ""}


@router.post("/escalations/{eid}/snooze")
async def snooze(request: Request, eid: str, user: FormUser) -> Response:
    form = await _form(request, ("until", "reason"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        row = _find(s, ws, eid)
        _allow(s, user, row)
        errors: dict[str, str] = {}
        if not form["until"]:
            errors["until"] = "Say until which day it can wait."
        else:
            try:
                snooze_escalation(s, ws, row.e.id, {"until": form["until"],
                                                    "reason": form["reason"]})
            except (ValidationFailed, Conflict) as exc:
                s.rollback()
                errors = _messages(exc, form)
        if errors:
            return _render(request, s, user, _find(s, ws, eid), form=_blank(row) | form,
                           errors=errors, status_code=422)
    return _back(request, f"/escalations/{eid}?done=snoozed")


@router.post("/escalations/{eid}/decide")
async def decide(request: Request, eid: str, user: FormUser) -> Response:
    form = await _form(request, DECIDE_FIELDS)
    ws = user.ctx.ws
    with user.ctx.write() as s:
        row = _find(s, ws, eid)
        _allow(s, user, row)
        errors: dict[str, str] = {}
        body: dict[str, Any] = {"escalation_id": row.e.id, "kind": form["kind"],
                                "rationale": form["rationale"]}
        if not form["rationale"]:
            errors["rationale"] = "Say why: the rationale stays with the decision."
        if form["kind"] == DecisionKind.REPLAN_TARGET and row.e.subject_kind == "metric" \
                and not (form["new_target_value"] or form["new_target_date"]):
            errors["new_target_value"] = "A re-plan of the target names the new target."
        for field in ("new_target_value", "new_target_date"):
            if form[field]:
                body[field] = form[field]
        if not errors:
            try:
                then = views.subject_reading(s, ws, (row.e.subject_kind, row.e.subject_id))
                record_decision(s, ws, body, user.person_id, subject_then=then)
            except (ValidationFailed, Conflict) as exc:
                s.rollback()
                errors = _messages(exc, form)
        if errors:
            return _render(request, s, user, _find(s, ws, eid), form=_blank(row) | form,
                           errors=errors, status_code=422)
    return _back(request, f"/escalations/{eid}?done=decided")


# --- the decision log -------------------------------------------------------------------


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/decisions")
def log(request: Request, user: User, unit: str = "", owner: str = "", kind: str = "",
        since: str = "", until: str = "") -> Response:
    ws = user.ctx.ws
    notes: list[str] = []
    with user.ctx.read() as s:
        f = views.LogFilters(kind=DecisionKind(kind) if kind in set(DecisionKind) else None,
                             since=_date(since), until=_date(until))
        for text, label in ((since, "From"), (until, "To")):
            if text and _date(text) is None:
                notes.append(f"{label}: “{text}” is not a date (like 2026-12-31); ignored.")
        if unit:
            found = units_named(s, ws, unit)
            if len(found) == 1:
                f.unit = int(found[0].id)
            else:
                notes.append(f"Unit: no single org unit is called “{unit}”; ignored.")
        if owner:
            people = people_named(s, ws, owner)
            if len(people) == 1:
                f.owner = int(people[0].id)
            else:
                notes.append(f"Owner: no single person is called “{owner}”; ignored.")
        rows = views.decision_log(s, ws, f)
        labels = _labels_in(s, ws, [r["signal"]["summary"] for r in rows if r["signal"]])
        opts = choices(s, ws)
    return render(request, "decisions.html", rows=rows, kinds=views.KIND_LABELS,
                  form={"unit": unit, "owner": owner, "kind": kind, "since": since,
                        "until": until}, notes=notes, choices=opts, labels=labels,
                  named=views.named, person_names=person_names, unit_names=unit_names)

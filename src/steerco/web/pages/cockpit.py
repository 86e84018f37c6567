"""My work (what I must do) and the cockpit (the strategy on one screen, exceptions only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.accounts.errors import Forbidden
from steerco.core.rollup import measured_counts
from steerco.core.snapshot import rows_of
from steerco.evidence import history
from steerco.evidence.repository import SnapshotRepository
from steerco.evidence.service import EngineState, counts_by_status
from steerco.kit.dates import NO_DAY, from_day, to_day
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import cockpit as views
from steerco.views import decisions as decision_views
from steerco.views import metrics as metric_views
from steerco.views import objectives as objective_views
from steerco.views import reviews as review_views
from steerco.views.labels import labels_of
from steerco.views.names import unit_name, units_of_kinds
from steerco.web.pages import strategy_map
from steerco.web.pages.common import (
    WORK,
    Work,
    finite,
    key_of,
    link,
    metric_row,
    page_of,
    state,
    status_name,
    today,
)
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

EXCEPTIONS = [("broken_dependency", "Broken dependencies"),
              ("green_dashboard", "Green-dashboard paradoxes"),
              ("benefit_leakage", "Benefit leakage"),
              ("critical_path_slip", "Critical-path slips"),
              ("stale_metric", "Stale metrics")]
#: Who holds an escalation at each rung of the ladder (steerco.governance.ladder).
RUNGS = ["owner", "manager", "unit head", "steering committee"]
STATUS_ORDER = ["off_track", "missed", "at_risk", "stale", "no_data", "on_track", "achieved"]
_CHANGES: dict[tuple[str, int, Any, Any, int], list[dict[str, Any]]] = {}


# --- My work -----------------------------------------------------------------------------


def _due_checkins(s: Session, ws: int, st: EngineState, me: int) -> list[dict[str, Any]]:
    rows = metric_views.owned(s, ws, me)
    day = to_day(today(s, ws))
    out: list[dict[str, Any]] = []
    mr = st.evaluation.metrics
    for key, name, unit in rows:
        r = metric_row(st, key)
        if r < 0:
            continue
        last = int(mr.last_day[r])
        cadence = int(st.snapshot.metrics.cadence_days[r])
        due = day if last == NO_DAY else last + cadence
        out.append({"id": format_id("metric", key), "name": name, "unit": unit,
                    "last": None if last == NO_DAY else from_day(last),
                    "due": from_day(due), "overdue_days": max(0, day - due),
                    "status": status_name(int(mr.status.status[r])),
                    "last_value": finite(mr.last_value[r])})
    out.sort(key=lambda x: x["due"])
    return out


@router.get("/my-work")
def my_work(request: Request, user: User, cpage: int = 1, fpage: int = 1) -> Response:
    ws, me = user.ctx.ws, user.person_id
    with user.ctx.read() as s:
        st = state(s, ws)
        due = _due_checkins(s, ws, st, me)
        horizon = today(s, ws) + dt.timedelta(days=14)
        due_soon = [d for d in due if d["due"] <= horizon]
        checkins, cpager = page_of(due_soon, cpage, 10)
        work = WORK.get(s, ws)
        mine = [f for f in work.findings if f["person_id"] == format_id("person", me)]
        findings, fpager = page_of(mine, fpage, 10)
        escalations = views.open_escalations_of(s, ws, me)
        inbox = decision_views.inbox(s, ws, me)
        ids_in = decision_views.ID_IN_TEXT.findall
        inbox_labels = labels_of(s, ws, {i for r in inbox for i in ids_in(r.e.summary)})
        initiatives = views.running_initiatives_of(s, ws, me)
        subject_labels = labels_of(s, ws, [f["subject"]["id"] for f in findings])
        now = today(s, ws)
        actions = [{"id": format_id("review_action", a.id), "title": a.title,
                    "due": a.due_on, "overdue": a.due_on < now, "review": r.title,
                    "review_on": r.scheduled_for, "rid": format_id("review", r.id)}
                   for a, r in review_views.open_actions_of(s, ws, me)]
    overdue = sum(1 for d in due if d["overdue_days"] > 0)
    return render(request, "my_work.html", checkins=checkins, cpager=cpager,
                  owned=len(due), overdue=overdue, findings=findings, fpager=fpager,
                  escalations=escalations, initiatives=initiatives, link=link,
                  inbox=inbox, inbox_labels=inbox_labels, named=decision_views.named,
                  subject_labels=subject_labels, actions=actions)


# --- Cockpit -----------------------------------------------------------------------------


def _changes(s: Session, ws: int, st: EngineState) -> dict[str, Any]:
    """Forecasts and statuses that moved between the two latest issue dates."""
    dates = SnapshotRepository(s, ws).issue_dates()
    if not dates:
        return {"dates": [], "items": []}
    new_date = dates[-1]
    old_date = dates[-2] if len(dates) > 1 else None
    key = (str(s.get_bind().engine.url), ws, old_date, new_date,
           st.snapshot.high_water if old_date is None else 0)
    if key in _CHANGES:
        return {"dates": [old_date, new_date], "items": _CHANGES[key]}
    new = views.forecasts_issued_on(s, ws, new_date)
    if old_date is not None:
        old = views.forecasts_issued_on(s, ws, old_date)
    else:  # one record: compare it with today's evaluation
        old, new = new, {}
        mr = st.evaluation.metrics
        for k in old:
            r = metric_row(st, k)
            if r >= 0:
                new[k] = (finite(mr.forecast[r]), finite(mr.p_hit[r]),
                          status_name(int(mr.status.status[r])))
    items: list[dict[str, Any]] = []
    for k, (v1, p1, s1) in new.items():
        if k not in old:
            continue
        v0, p0, s0 = old[k]
        dp = None if p0 is None or p1 is None else p1 - p0
        rel = (None if v0 is None or v1 is None or v0 == 0 else (v1 - v0) / abs(v0))
        if s0 != s1 or (dp is not None and abs(dp) >= 0.15) or (rel is not None
                                                                and abs(rel) >= 0.1):
            worse = STATUS_ORDER.index(s1) < STATUS_ORDER.index(s0) if (
                s0 in STATUS_ORDER and s1 in STATUS_ORDER) else False
            items.append({"metric": k, "old_status": s0, "new_status": s1,
                          "old_forecast": v0, "new_forecast": v1, "old_p": p0, "new_p": p1,
                          "dp": dp, "worse": worse})
    items.sort(key=lambda x: (not x["worse"], x["old_status"] == x["new_status"],
                              -abs(x["dp"] or 0)))
    if len(_CHANGES) > 64:
        _CHANGES.clear()
    _CHANGES[key] = items
    return {"dates": [old_date, new_date], "items": items}


def _exceptions(s: Session, ws: int, work: Work,
                ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The exception blocks (count and top three of each kind) and their subjects' labels.

    Memoised per `Work`: the findings are its own, and every table a label is read from
    (initiatives, milestones, dependencies, metrics, objectives, people, units, themes,
    budget lines, benefits, causal links) is one of ENGINE_TABLES, so an edit to any of
    them makes a new `Work`. Counting the kinds scanned all findings five times (tens of
    thousands on `l`) on every view.
    """
    hit = work.memo.get("cockpit_exceptions")
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind, _ in EXCEPTIONS}
    for f in work.findings:
        rows = by_kind.get(f["kind"])
        if rows is not None:
            rows.append(f)
    exceptions = []
    shown: list[dict[str, Any]] = []
    for kind, label in EXCEPTIONS:
        rows = by_kind[kind]
        exceptions.append({"kind": kind, "label": label, "count": len(rows),
                           "top": rows[:3]})
        shown.extend(rows[:3])
    subject_labels = labels_of(s, ws, [f["subject"]["id"] for f in shown])
    work.memo["cockpit_exceptions"] = (exceptions, subject_labels)
    return exceptions, subject_labels


def _off_track_objectives(s: Session, ws: int, st: EngineState) -> tuple[int, list[Any]]:
    """How many objectives are off track or missed, and the six to show, memoised per
    evaluation (`EngineState.memo`: emptied when a check-in is applied; a new state when
    objectives, metrics or alignments change)."""
    hit = st.memo.get("cockpit_off_track")
    if hit is None:
        hit = st.memo["cockpit_off_track"] = _off_track_uncached(s, ws, st)
    return hit


def _off_track_uncached(s: Session, ws: int, st: EngineState) -> tuple[int, list[Any]]:
    o_status = st.evaluation.objectives.status
    names = np.array([status_name(int(x)) for x in range(7)])
    bad = np.flatnonzero(np.isin(names[o_status.astype(np.int64)], ["off_track", "missed"]))
    keys = [int(st.snapshot.objective_ids[r]) for r in bad]
    if not keys:
        return 0, []
    # Upper levels first: an off-track company objective matters more than a team's.
    order = {"company": 0, "business_unit": 1, "department": 2, "team": 3}
    rows = objective_views.levels_of(s, ws, keys)
    rows.sort(key=lambda r: (order.get(str(getattr(r[2], "value", r[2])), 9), r[0]))
    # Each with its own status: a missed objective is not shown as "off track"; and how
    # much of it is measured.
    shown = rows[:6]
    rows_of_shown = [int(x) for x in rows_of(st.snapshot.objective_ids, [r[0] for r in shown])]
    status = st.evaluation.metrics.status.status
    out = []
    for r, x in zip(shown, rows_of_shown, strict=True):
        k, n = measured_counts(st.snapshot.graph, status, x)
        out.append((*r, status_name(int(o_status[x])), f"{k} of {n} metrics measured"))
    return len(keys), out


@router.get("/cockpit")
def cockpit(request: Request, user: User, unit: str | None = None,
            changed_page: int = 1, recorded: int | None = None) -> Response:
    ws = user.ctx.ws
    unit_key = key_of(unit, "org_unit") if unit else None
    with user.ctx.read() as s:
        st = state(s, ws)
        counts = counts_by_status(st)
        smap = strategy_map.build(s, ws, st, unit_key)
        n_off, off = _off_track_objectives(s, ws, st)
        exceptions, subject_labels = _exceptions(s, ws, WORK.get(s, ws))
        changes = _changes(s, ws, st)
        changed, cpager = page_of(changes["items"], changed_page, 8)
        labels = SnapshotRepository(s, ws).metric_labels([c["metric"] for c in changed])
        scope_name = unit_name(s, ws, unit_key)
        reviews = views.coming_reviews(s, ws, today(s, ws) + dt.timedelta(days=1),
                                       today(s, ws) + dt.timedelta(days=14))
        top_units = [(k, name) for k, name, _ in
                     units_of_kinds(s, ws, ["company", "business_unit"], 30)]
    return render(request, "cockpit.html", counts=counts, smap=smap, n_off=n_off, off=off,
                  exceptions=exceptions, changes=changes, changed=changed, cpager=cpager,
                  labels=labels, link=link, unit=unit, unit_name=scope_name,
                  top_units=top_units, recorded=recorded, format_id=format_id,
                  reviews=reviews, rungs=RUNGS, subject_labels=subject_labels)


@router.post("/cockpit/record-forecasts")
def record_forecasts(user: FormUser) -> Response:
    if not user.models:
        raise Forbidden("only the strategy office records the forecasts of a review")
    with user.ctx.write() as s:
        st = state(s, user.ctx.ws)
        n = history.record_forecasts(s, user.ctx.ws, st)
    return RedirectResponse(f"/cockpit?recorded={n}", status_code=303)

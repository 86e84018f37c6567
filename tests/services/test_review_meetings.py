"""Review meetings: the agenda is made of exceptions, once per subject; closing a review
snapshots forecasts and findings, and the next review of its series compares against it;
the meeting marks items discussed and records actions; scheduling mails the pack."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from steerco.db.models import OutboxMessage
from steerco.evidence.history import record_forecasts
from steerco.evidence.service import EngineCache
from steerco.governance.agenda import build_agenda
from steerco.governance.service import (
    PACK_MAIL,
    add_action,
    close_review,
    create_review,
    generate_agenda,
    set_discussed,
)
from steerco.kit.errors import Conflict, ValidationFailed
from tests.services.test_governance import AS_OF, escalation, org, weekly


def finding(kind: str, subject: str, severity: int = 2, text: str = "x") -> dict[str, Any]:
    skind = {"met": "metric", "ini": "initiative", "ben": "benefit"}[subject.split("_")[0]]
    return {"kind": kind, "severity": severity, "subject": {"kind": skind, "id": subject},
            "person_id": None, "explanation": text, "evidence": {}}


NO_CHANGE: dict[str, Any] = {"since": None, "changes": []}


def test_the_agenda_is_exceptions_only_one_item_per_subject_new_or_worse_findings(session):
    o = org(session)
    ws = o.w.wid
    bookings = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}")
    churn = o.w.metric("Churn", owner_id=f"per_{o.seller.id}")
    steady = o.w.metric("Steady", owner_id=f"per_{o.seller.id}")
    uptime = o.w.metric("Uptime", owner_id=f"per_{o.operator.id}")
    esc = escalation(session, ws, bookings.id)
    b, c, st_, u = (f"met_{m.id}" for m in (bookings, churn, steady, uptime))
    findings = [
        finding("reality_gap", b, 3, "Owner says 0.9, P(hit) 0.05"),  # escalated too
        finding("green_dashboard", b, 2),                 # same subject: same item
        finding("stale_metric", c, 2, "No evidence for 5 weeks"),  # worse than before
        finding("stale_metric", st_, 2),                  # unchanged since last review
        finding("noise_metric", c, 3),                    # hygiene: not an exception
        finding("reality_gap", c, 1),                     # info: not an exception
        finding("stale_metric", u, 3),                    # another subtree
    ]
    changes = {"since": "2026-06-01", "changes": [
        {"metric_id": b, "status_before": "on_track", "status_now": "off_track",
         "worse": True, "forecast_before": 200.0, "forecast_now": 120.0,
         "p_hit_before": 0.8, "p_hit_now": 0.1}]}
    previous = {f"stale_metric:{st_}": 2, f"stale_metric:{c}": 1}
    review = create_review(session, ws, {"kind": "weekly_ops", "title": "Sales weekly",
                                         "scheduled_for": "2026-07-01",
                                         "org_unit_id": o.sales.id})
    agenda = build_agenda(session, ws, review, changes, findings, previous)

    assert [(i["key"], i["type"], i["title"]) for i in agenda] == [
        (b, "escalation", "Bookings"), (c, "finding", "Churn")]
    assert len({i["key"] for i in agenda}) == len(agenda)
    first = agenda[0]
    assert first["escalation_id"] == f"esc_{esc.id}" and first["link"] == f"/metrics/{b}"
    assert [f["kind"] for f in first["findings"]] == ["reality_gap", "green_dashboard"]
    assert first["forecast_now"] == 120.0 and len(first["reasons"]) == 4
    assert agenda[1]["findings"] == [{"kind": "stale_metric", "severity": 2,
                                      "explanation": "No evidence for 5 weeks",
                                      "new": False}]
    assert "(worse)" in agenda[1]["reasons"][0]

    # The first review of a series: every exception in scope is new.
    agenda = build_agenda(session, ws, review, NO_CHANGE, findings, None)
    assert [i["key"] for i in agenda] == [b, c, st_]
    assert all(f["new"] for i in agenda for f in i.get("findings", []))


def test_closing_snapshots_and_the_next_review_of_the_series_compares_against_it(session):
    o = org(session)
    ws = o.w.wid
    kw = {"cadence": "weekly", "baseline_value": 100, "target_value": 200,
          "baseline_date": "2026-01-01", "target_date": "2026-12-31"}
    bookings = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}", **kw)
    weekly(o, bookings, dt.date(2026, 1, 1), np.linspace(196, 210, 22))
    session.flush()
    b = f"met_{bookings.id}"
    june = create_review(session, ws, {"kind": "monthly_business", "title": "June MBR",
                                       "scheduled_for": "2026-06-01",
                                       "org_unit_id": o.sales.id})
    st_june = EngineCache().state(session, ws, dt.date(2026, 6, 1))
    close_review(session, ws, june.id, st_june, [finding("stale_metric", b, 2)])
    assert june.held_on == dt.date(2026, 6, 1) and june.closed_at is not None
    assert june.snapshot == {"forecasts_on": "2026-06-01",
                             "findings": {f"stale_metric:{b}": 2}}
    with pytest.raises(Conflict):
        close_review(session, ws, june.id, st_june, [])

    weekly(o, bookings, dt.date(2026, 6, 4), [150, 120, 100, 90])  # it collapses
    session.flush()
    # Forecasts recorded since (another series, a later date) are not what this series
    # compares against.
    record_forecasts(session, ws, EngineCache().state(session, ws, dt.date(2026, 6, 20)))
    session.flush()
    july = create_review(session, ws, {"kind": "monthly_business", "title": "July MBR",
                                       "scheduled_for": "2026-07-01",
                                       "org_unit_id": o.sales.id})
    st = EngineCache().state(session, ws, AS_OF)
    generate_agenda(session, ws, july.id, st, [finding("stale_metric", b, 2),
                                                finding("reality_gap", b, 3)])
    [item] = july.agenda
    assert item["since"] == "2026-06-01" and item["worse"] is True
    assert item["forecast_before"] > item["forecast_now"]
    # Only the new finding is a reason; the stale one was there at June's review.
    assert [f["kind"] for f in item["findings"]] == ["reality_gap"]

    # Another series (a weekly review of the same unit) has no closed review yet: it
    # compares against the latest recorded forecasts.
    ops = create_review(session, ws, {"kind": "weekly_ops", "title": "Weekly",
                                      "scheduled_for": "2026-07-01",
                                      "org_unit_id": o.sales.id})
    generate_agenda(session, ws, ops.id, st, [])
    assert {i.get("since") for i in ops.agenda} <= {"2026-06-20"}


def test_the_meeting_marks_items_discussed_and_records_actions_until_closed(session):
    o = org(session)
    ws = o.w.wid
    bookings = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}")
    escalation(session, ws, bookings.id)
    st = EngineCache().state(session, ws, AS_OF)
    review = create_review(session, ws, {"kind": "weekly_ops", "title": "Sales weekly",
                                         "scheduled_for": "2026-07-01",
                                         "org_unit_id": o.sales.id})
    generate_agenda(session, ws, review.id, st, [])
    key = f"met_{bookings.id}"
    set_discussed(session, ws, review.id, {"item": key})
    set_discussed(session, ws, review.id, {"item": key})
    assert review.discussed == [key]
    with pytest.raises(ValidationFailed) as err:
        set_discussed(session, ws, review.id, {"item": "met_999999"})
    assert err.value.errors[0].field == "item"
    action = add_action(session, ws, review.id, {
        "title": "Call the three largest accounts", "owner_id": f"per_{o.seller.id}",
        "due_on": "2026-07-08", "item": key})
    assert (action.owner_id, action.due_on, action.item_key) == (
        o.seller.id, dt.date(2026, 7, 8), key)
    with pytest.raises(ValidationFailed) as err:
        add_action(session, ws, review.id, {"title": "x", "owner_id": "per_999999",
                                            "due_on": "2026-07-08"})
    assert err.value.errors[0].field == "owner_id"
    set_discussed(session, ws, review.id, {"item": key, "discussed": False})
    assert review.discussed == []

    close_review(session, ws, review.id, st, [])
    with pytest.raises(Conflict):
        set_discussed(session, ws, review.id, {"item": key})
    with pytest.raises(Conflict):
        add_action(session, ws, review.id, {"title": "Late", "due_on": "2026-07-08",
                                            "owner_id": f"per_{o.seller.id}"})
    held = list(review.agenda or [])
    with pytest.raises(Conflict) as closed:  # a held review's agenda is its record
        generate_agenda(session, ws, review.id, st, [])
    assert "was closed" in closed.value.detail and closed.value.errors[0].field == "closed_at"
    assert review.agenda == held


def test_scheduling_a_review_mails_the_chair_and_attendees_a_link_to_the_pack(session):
    o = org(session)
    ws = o.w.wid
    review = create_review(session, ws, {
        "kind": "weekly_ops", "title": "Sales weekly", "scheduled_for": "2026-07-01",
        "chair_id": f"per_{o.seller.id}",
        "attendee_ids": [f"per_{o.operator.id}", f"per_{o.seller.id}"]})
    assert review.attendee_ids == [o.operator.id, o.seller.id]
    sent = session.scalars(select(OutboxMessage).where(
        OutboxMessage.workspace_id == ws, OutboxMessage.kind == PACK_MAIL).order_by(
        OutboxMessage.id)).all()
    assert [m.recipient for m in sent] == [o.seller.email, o.operator.email]
    assert sent[0].payload["pack_pdf"] == f"/api/v1/reviews/rev_{review.id}/pack?format=pdf"
    assert sent[0].payload["title"] == "Sales weekly"
    with pytest.raises(ValidationFailed) as err:
        create_review(session, ws, {"kind": "weekly_ops", "title": "x",
                                    "scheduled_for": "2026-07-01",
                                    "attendee_ids": ["per_999999"]})
    assert err.value.errors[0].field == "attendee_ids.0"


def test_each_section_of_a_long_agenda_is_capped_worst_first(session):
    from steerco.governance import agenda as ag
    from steerco.governance.service import open_escalation

    o = org(session)
    ws = o.w.wid
    for k in range(ag.MAX_ESCALATIONS + 5):
        open_escalation(session, ws, signal_kind="off_track", subject_kind="metric",
                        subject_id=900_000 + k, summary="Off track", rung=k % 3)
    review = create_review(session, ws, {"kind": "weekly_ops", "title": "All",
                                         "scheduled_for": "2026-07-01"})
    findings = [finding("stale_metric", f"met_{800_000 + k}", 2 + k % 2)
                for k in range(ag.MAX_FINDINGS + 5)]
    changes = {"since": "2026-06-01", "changes": [
        {"metric_id": f"met_{700_000 + k}", "status_before": "on_track",
         "status_now": "at_risk", "worse": True, "forecast_before": 1.0,
         "forecast_now": 0.5} for k in range(ag.MAX_CHANGES + 5)]}
    agenda = build_agenda(session, ws, review, changes, findings, None)
    counts = {t: sum(1 for i in agenda if i["type"] == t) for t in ag.SECTIONS}
    assert counts == {"escalation": ag.MAX_ESCALATIONS, "benefit": 0,
                      "finding": ag.MAX_FINDINGS, "change": ag.MAX_CHANGES}
    assert [i["rung"] for i in agenda[:3]] == [2, 2, 2]  # highest rung first
    found = [i["findings"][0]["severity"] for i in agenda if i["type"] == "finding"]
    assert found == sorted(found, reverse=True) and found[0] == 3 and found[-1] == 2

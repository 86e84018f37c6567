"""Decisions that change things, escalation snooze and finding triage (services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.enums import EscalationState, TriageState
from steerco.db.models import AuditEntry, Decision, Escalation, Metric, Workspace
from steerco.governance.service import open_escalation, record_decision, snooze_escalation
from steerco.governance.triage import shown, triage_finding
from steerco.initiatives.service import create_initiative
from steerco.kit.errors import ValidationFailed
from tests.factories import world

TODAY = dt.date(2026, 11, 22)


def _esc(s: Any, ws: int, metric: int, who: int) -> Escalation:
    return open_escalation(s, ws, signal_kind="off_track", subject_kind="metric",
                           subject_id=metric, summary="Revenue is off track",
                           assignee_id=who)


def test_a_replan_changes_the_target_and_names_the_decision_in_the_audit(engine: Any) -> None:
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        w = world(s)
        ws, alice = w.wid, w.alice.id
        m = w.metric()
        mid, esc_id = m.id, _esc(s, ws, m.id, alice).id
    try:
        with unit_of_work(factory) as s:
            s.info["actor"] = f"per_{alice}"
            dec = record_decision(s, ws, {"escalation_id": esc_id, "kind": "replan_target",
                                          "rationale": "The market shrank",
                                          "new_target_value": 150.0},
                                  decided_by=alice, today=TODAY,
                                  subject_then={"status": "off_track", "forecast": 120.0})
            dec_id = dec.id
        with factory() as s:
            assert s.get(Metric, mid).target_value == 150.0
            d = s.get(Decision, dec_id)
            assert d.effect == {"entity": "metric", "id": f"met_{mid}",
                                "changes": {"target_value": [200.0, 150.0]}}
            assert d.subject_then == {"status": "off_track", "forecast": 120.0}
            assert s.get(Escalation, esc_id).state is EscalationState.RESOLVED
            audit = s.scalars(select(AuditEntry).where(
                AuditEntry.workspace_id == ws, AuditEntry.entity == "metrics",
                AuditEntry.entity_id == mid, AuditEntry.action == "update")).all()
            assert [(a.actor, a.changes["target_value"]) for a in audit] == [
                (f"per_{alice} by decision dec_{dec_id}", [200.0, 150.0])]
    finally:
        with unit_of_work(factory) as s:
            s.delete(s.get(Workspace, ws))


def _counts(factory: Any, ws: int) -> tuple[int, int, int]:
    with factory() as s:
        return (s.scalar(select(func.count()).select_from(Decision).where(
                    Decision.workspace_id == ws)) or 0,
                s.scalar(select(func.count()).select_from(AuditEntry).where(
                    AuditEntry.workspace_id == ws)) or 0,
                s.scalar(select(func.count()).select_from(Escalation).where(
                    Escalation.workspace_id == ws,
                    Escalation.state == EscalationState.RESOLVED)) or 0)


def test_a_refused_replan_writes_nothing(engine: Any) -> None:
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        w = world(s)
        ws, alice = w.wid, w.alice.id
        m = w.metric()
        mid, esc_id = m.id, _esc(s, ws, m.id, alice).id
    try:
        before = _counts(factory, ws)
        # below the baseline of an increasing metric: the metrics service refuses it
        with pytest.raises(ValidationFailed) as err, unit_of_work(factory) as s:
            record_decision(s, ws, {"escalation_id": esc_id, "kind": "replan_target",
                                    "rationale": "x", "new_target_value": 50.0},
                            decided_by=alice, today=TODAY)
        assert err.value.errors[0].field == "target_value"
        # a target on an accept-risk decision is refused before anything is written
        with pytest.raises(ValidationFailed) as err, unit_of_work(factory) as s:
            record_decision(s, ws, {"escalation_id": esc_id, "kind": "accept_risk",
                                    "rationale": "x", "new_target_value": 150.0},
                            decided_by=alice, today=TODAY)
        assert err.value.errors[0].field == "new_target_value"
        assert _counts(factory, ws) == before
        with factory() as s:
            assert s.get(Metric, mid).target_value == 200.0
            assert s.get(Escalation, esc_id).state is EscalationState.OPEN
    finally:
        with unit_of_work(factory) as s:
            s.delete(s.get(Workspace, ws))


def test_a_stop_decision_stops_its_initiative(session: Any) -> None:
    w = world(session)
    ini = create_initiative(session, w.wid, {"name": "Kiosk", "owner_id": w.alice.id,
                                            "start_date": "2026-01-01",
                                            "due_date": "2026-12-31"})
    dec = record_decision(session, w.wid, {"kind": "stop", "rationale": "No traction",
                                           "subject_id": f"ini_{ini.id}"},
                          decided_by=w.alice.id, today=TODAY)
    assert ini.stopped is True
    assert dec.effect == {"entity": "initiative", "id": f"ini_{ini.id}",
                          "changes": {"stopped": [False, True]}}


def test_a_target_on_something_without_one_is_refused(session: Any) -> None:
    w = world(session)
    ini = create_initiative(session, w.wid, {"name": "Kiosk", "owner_id": w.alice.id})
    with pytest.raises(ValidationFailed, match="only a metric has a target"):
        record_decision(session, w.wid, {"kind": "replan_target", "rationale": "x",
                                         "subject_id": f"ini_{ini.id}",
                                         "new_target_value": 3.0},
                        decided_by=w.alice.id, today=TODAY)


def test_snoozing_an_escalation_needs_a_later_day_and_a_reason(session: Any) -> None:
    w = world(session)
    esc = _esc(session, w.wid, w.metric().id, w.alice.id)
    with pytest.raises(ValidationFailed, match="not after today"):
        snooze_escalation(session, w.wid, esc.id, {"until": TODAY, "reason": "x"},
                          today=TODAY)
    with pytest.raises(ValidationFailed):
        snooze_escalation(session, w.wid, esc.id, {"until": "2026-12-01", "reason": ""},
                          today=TODAY)
    snooze_escalation(session, w.wid, esc.id, {"until": "2026-12-01",
                                                "reason": "Supplier answers on Monday"},
                      today=TODAY)
    assert esc.snoozed_until == dt.date(2026, 12, 1)


def test_triage_acknowledge_assign_snooze_and_the_snooze_returns_on_its_day(
        session: Any) -> None:
    w = world(session)
    key = "stale_metric:met_1"
    row = triage_finding(session, w.wid, key, {"action": "acknowledge"}, w.alice.id,
                         severity=2, today=TODAY)
    assert row.state is TriageState.ACKNOWLEDGED and shown(row, 2, TODAY) == "seen"
    assert shown(row, 3, TODAY) == "worse"  # it got worse since it was seen
    triage_finding(session, w.wid, key, {"action": "assign", "assignee_id": w.bob.id},
                   w.alice.id, severity=2, today=TODAY)
    assert row.assignee_id == w.bob.id
    with pytest.raises(ValidationFailed) as err:
        triage_finding(session, w.wid, key, {"action": "snooze", "until": "2026-11-20",
                                             "reason": "x"}, w.alice.id, today=TODAY)
    assert err.value.errors[0].field == "until"
    triage_finding(session, w.wid, key, {"action": "snooze", "until": "2026-11-29",
                                         "reason": "After the price list"}, w.alice.id,
                   severity=2, today=TODAY)
    assert shown(row, 2, TODAY) == "snoozed"
    assert shown(row, 2, dt.date(2026, 11, 28)) == "snoozed"
    assert shown(row, 2, dt.date(2026, 11, 29)) == "back"  # its day: back in the view
    assert shown(None, 2, TODAY) == "new"
    triage_finding(session, w.wid, key, {"action": "accept", "reason": "Known gap"},
                   w.alice.id, severity=2, today=TODAY)
    assert shown(row, 2, TODAY) == "accepted" and shown(row, 3, TODAY) == "worse"

"""Governance services: rules refuse what the engine cannot act on, a decision resolves its
escalation in the same transaction, and a review's agenda is its own subtree's business."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest
from sqlalchemy import select

from steerco.checkins.service import check_in
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.enums import AuditAction, EscalationState
from steerco.db.models import AuditEntry, Decision, Escalation, OrgUnit, Person, Review, Workspace
from steerco.db.repository import entity_counts
from steerco.evidence.history import record_forecasts
from steerco.evidence.service import EngineCache
from steerco.governance.service import (
    acknowledge_escalation,
    archive_rule,
    assign_escalation,
    build_agenda,
    create_review,
    create_rule,
    delete_review,
    generate_agenda,
    open_escalation,
    record_decision,
    update_review,
    update_rule,
)
from steerco.initiatives.service import create_initiative
from steerco.kit.errors import Conflict, NotFound, ValidationFailed
from steerco.org.service import create_org_unit, create_person
from tests.factories import World, world


@dataclass
class Org:
    """root → sales → sales team, and root → ops; one person in each leaf."""

    w: World
    root: OrgUnit
    sales: OrgUnit
    sales_team: OrgUnit
    ops: OrgUnit
    seller: Person
    operator: Person


def org(session) -> Org:
    w = world(session)
    ws = w.wid
    root = create_org_unit(session, ws, {"name": "Company", "kind": "company"})
    sales = create_org_unit(session, ws, {"name": "Sales", "kind": "business_unit",
                                          "parent_id": root.id})
    team = create_org_unit(session, ws, {"name": "Key accounts", "kind": "team",
                                         "parent_id": sales.id})
    ops = create_org_unit(session, ws, {"name": "Ops", "kind": "business_unit",
                                        "parent_id": root.id})
    seller = create_person(session, ws, {"name": "Sam Seller", "email": "sam@x.example",
                                         "org_unit_id": team.id})
    operator = create_person(session, ws, {"name": "Otto Ops", "email": "otto@x.example",
                                           "org_unit_id": ops.id})
    return Org(w, root, sales, team, ops, seller, operator)


def refused(session, call, exc=ValidationFailed):
    """Run a call that must be refused; return the error after proving nothing was written."""
    session.flush()
    before = entity_counts(session)
    with pytest.raises(exc) as info:
        call()
    session.flush()
    assert entity_counts(session) == before, "a refused call wrote something"
    return info.value


def fields(err) -> list[str]:
    return [e.field for e in err.errors]


def escalation(session, ws: int, metric_id: int, **kw) -> Escalation:
    return open_escalation(session, ws, signal_kind="stale_metric", subject_kind="metric",
                           subject_id=metric_id, summary="No evidence for 3 weeks", **kw)


# --- rules ------------------------------------------------------------------------------


def test_a_rule_on_a_signal_the_engine_never_emits_is_refused_naming_the_allowed_kinds(
        session):
    w = world(session)
    err = refused(session, lambda: create_rule(session, w.wid, {
        "name": "Mood", "signal_kind": "bad_vibes"}))
    assert fields(err) == ["signal_kind"]
    msg = err.errors[0].message
    assert "'bad_vibes'" in msg
    for kind in ("stale_metric", "broken_dependency", "benefit_leakage", "off_track"):
        assert kind in msg


def test_a_rule_on_an_engine_signal_or_a_breached_status_is_accepted(session):
    w = world(session)
    for kind in ("green_dashboard", "critical_path_slip", "off_track", "stale", "missed"):
        rule = create_rule(session, w.wid, {"name": kind, "signal_kind": kind})
        assert rule.signal_kind == kind and rule.active
        assert rule.ladder_days == [3, 7, 14] and rule.min_severity == 2


@pytest.mark.parametrize(("ladder", "says"), [
    ([], "at least 1"),
    ([3, 3, 7], "increase strictly"),
    ([7, 3], "increase strictly"),
    ([0, 2], "between 1 and"),
    ([-1], "between 1 and"),
    (list(range(1, 10)), "at most 8"),
])
def test_a_ladder_is_a_short_strictly_increasing_list_of_positive_grace_days(
        session, ladder, says):
    w = world(session)
    err = refused(session, lambda: create_rule(session, w.wid, {
        "name": "R", "signal_kind": "stale_metric", "ladder_days": ladder}))
    assert fields(err)[0].startswith("ladder_days")
    assert says in err.errors[0].message


def test_min_severity_must_be_on_the_engines_scale(session):
    w = world(session)
    for bad in (0, 4):
        err = refused(session, lambda bad=bad: create_rule(session, w.wid, {
            "name": "R", "signal_kind": "reality_gap", "min_severity": bad}))
        assert fields(err) == ["min_severity"]
    assert create_rule(session, w.wid, {"name": "R", "signal_kind": "reality_gap",
                                        "min_severity": 3}).min_severity == 3


def test_a_rule_acts_on_a_metric_or_an_objective_not_both(session):
    w = world(session)
    metric, objective = w.metric(), w.objective()
    err = refused(session, lambda: create_rule(session, w.wid, {
        "name": "R", "signal_kind": "reality_gap", "metric_id": f"met_{metric.id}",
        "objective_id": f"obj_{objective.id}"}))
    assert fields(err) == ["objective_id"]
    assert "not both" in err.errors[0].message
    rule = create_rule(session, w.wid, {"name": "R", "signal_kind": "reality_gap",
                                        "metric_id": f"met_{metric.id}"})
    err = refused(session, lambda: update_rule(session, w.wid, rule.id, {
        "objective_id": f"obj_{objective.id}"}))
    assert fields(err) == ["objective_id"]
    # Moving it from the metric to the objective in one change is fine.
    moved = update_rule(session, w.wid, rule.id, {"metric_id": None,
                                                  "objective_id": f"obj_{objective.id}"})
    assert (moved.metric_id, moved.objective_id) == (None, objective.id)


def test_a_rule_referring_to_another_workspaces_entities_is_refused_naming_the_field(
        session):
    mine, theirs = world(session), world(session)
    metric = theirs.metric()
    err = refused(session, lambda: create_rule(session, mine.wid, {
        "name": "R", "signal_kind": "reality_gap", "metric_id": f"met_{metric.id}"}))
    assert fields(err) == ["metric_id"] and "in this workspace" in err.errors[0].message
    err = refused(session, lambda: create_rule(session, mine.wid, {
        "name": "R", "signal_kind": "reality_gap", "org_unit_id": f"org_{theirs.team.id}"}))
    assert fields(err) == ["org_unit_id"]
    err = refused(session, lambda: create_rule(session, mine.wid, {
        "name": "R", "signal_kind": "reality_gap", "org_unit_id": f"per_{mine.alice.id}"}))
    assert fields(err) == ["org_unit_id"] and "got a person" in err.errors[0].message


def test_archiving_a_rule_switches_it_off_and_keeps_it(session):
    w = world(session)
    rule = create_rule(session, w.wid, {"name": "R", "signal_kind": "stale_metric"})
    assert archive_rule(session, w.wid, rule.id).active is False
    assert update_rule(session, w.wid, rule.id, {"name": "Renamed"}).name == "Renamed"
    err = refused(session, lambda: update_rule(session, w.wid, rule.id, {"name": None}))
    assert fields(err) == ["name"]


# --- escalations and decisions ----------------------------------------------------------


def test_a_decision_resolves_its_escalation_and_takes_its_subject(session):
    w = world(session)
    metric = w.metric()
    esc = escalation(session, w.wid, metric.id, assignee_id=w.alice.id)
    assert (esc.state, esc.version) == (EscalationState.OPEN, 1)
    dec = record_decision(session, w.wid, {"escalation_id": f"esc_{esc.id}",
                                           "kind": "replan_date", "rationale": "Q3 instead"},
                          decided_by=w.bob.id, today=dt.date(2026, 5, 4))
    assert esc.state is EscalationState.RESOLVED
    assert esc.resolved_at is not None and esc.version == 2
    assert (dec.escalation_id, dec.subject_kind, dec.subject_id) == (esc.id, "metric",
                                                                     metric.id)
    assert dec.decided_by_id == w.bob.id and dec.decided_on == dt.date(2026, 5, 4)


def test_a_second_decision_on_a_resolved_escalation_is_a_conflict_naming_it(session):
    w = world(session)
    esc = escalation(session, w.wid, w.metric().id)
    record_decision(session, w.wid, {"escalation_id": esc.id, "kind": "accept_risk",
                                     "rationale": "Fine"}, decided_by=w.alice.id)
    err = refused(session, lambda: record_decision(session, w.wid, {
        "escalation_id": esc.id, "kind": "stop", "rationale": "Again"},
        decided_by=w.alice.id), Conflict)
    assert f"esc_{esc.id}" in err.detail and "already resolved" in err.detail
    assert fields(err) == ["escalation_id"]
    for call in (lambda: acknowledge_escalation(session, w.wid, esc.id),
                 lambda: assign_escalation(session, w.wid, esc.id,
                                           {"assignee_id": w.bob.id})):
        refused(session, call, Conflict)


def test_a_decision_needs_an_escalation_or_an_existing_subject(session):
    w = world(session)
    err = refused(session, lambda: record_decision(session, w.wid, {
        "kind": "stop", "rationale": "Why not"}, decided_by=w.alice.id))
    assert fields(err) == ["escalation_id"]
    err = refused(session, lambda: record_decision(session, w.wid, {
        "kind": "stop", "rationale": "x", "subject_id": "ini_999999"}, decided_by=w.alice.id))
    assert fields(err) == ["subject_id"] and "ini_999999" in err.errors[0].message
    err = refused(session, lambda: record_decision(session, w.wid, {
        "kind": "stop", "rationale": "x", "subject_id": f"per_{w.bob.id}"},
        decided_by=w.alice.id))
    assert fields(err) == ["subject_id"] and "a person" in err.errors[0].message
    ini = create_initiative(session, w.wid, {"name": "Pilot"})
    dec = record_decision(session, w.wid, {"kind": "stop", "rationale": "No traction",
                                           "subject_id": f"ini_{ini.id}"},
                          decided_by=w.alice.id)
    assert (dec.subject_kind, dec.subject_id, dec.escalation_id) == ("initiative", ini.id,
                                                                     None)


def test_a_decision_and_its_resolution_commit_or_roll_back_together(engine):
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        w = world(s)
        ws_id, alice = w.wid, w.alice.id
        esc_id = escalation(s, ws_id, w.metric().id).id
    try:
        with pytest.raises(RuntimeError), unit_of_work(factory) as s:
            record_decision(s, ws_id, {"escalation_id": esc_id, "kind": "stop",
                                       "rationale": "x"}, decided_by=alice)
            raise RuntimeError("the request failed after the decision")
        with factory() as s:
            assert s.get(Escalation, esc_id).state is EscalationState.OPEN
            assert s.scalars(select(Decision).where(Decision.workspace_id == ws_id)).all() == []
        with unit_of_work(factory) as s:
            s.info["actor"] = "per_7"
            dec_id = record_decision(s, ws_id, {"escalation_id": esc_id, "kind": "stop",
                                                "rationale": "x"}, decided_by=alice).id
        with factory() as s:
            assert s.get(Escalation, esc_id).state is EscalationState.RESOLVED
            audit = {(a.entity, a.entity_id, a.action.value, a.actor) for a in s.scalars(
                select(AuditEntry).where(AuditEntry.workspace_id == ws_id,
                                         AuditEntry.actor == "per_7"))}
            assert audit == {("decisions", dec_id, "create", "per_7"),
                             ("escalations", esc_id, "update", "per_7")}
    finally:
        with unit_of_work(factory) as s:
            s.delete(s.get(Workspace, ws_id))


def test_acknowledging_and_reassigning_an_escalation(session):
    w = world(session)
    esc = escalation(session, w.wid, w.metric().id, assignee_id=w.alice.id)
    acknowledge_escalation(session, w.wid, esc.id)
    assert esc.state is EscalationState.ACKNOWLEDGED and esc.acknowledged_at is not None
    assert acknowledge_escalation(session, w.wid, esc.id).version == 2  # no second change
    err = refused(session, lambda: assign_escalation(session, w.wid, esc.id,
                                                     {"assignee_id": f"org_{w.team.id}"}))
    assert fields(err) == ["assignee_id"] and "got an org unit" in err.errors[0].message
    assign_escalation(session, w.wid, esc.id, {"assignee_id": f"per_{w.bob.id}"})
    assert esc.assignee_id == w.bob.id
    assert esc.state is EscalationState.OPEN and esc.acknowledged_at is None


def test_another_workspaces_governance_rows_are_not_found(session):
    mine, theirs = world(session), world(session)
    esc = escalation(session, theirs.wid, theirs.metric().id)
    rule = create_rule(session, theirs.wid, {"name": "R", "signal_kind": "stale_metric"})
    review = create_review(session, theirs.wid, {"kind": "weekly_ops", "title": "W",
                                                 "scheduled_for": "2026-03-02"})
    for call in (lambda: acknowledge_escalation(session, mine.wid, esc.id),
                 lambda: assign_escalation(session, mine.wid, esc.id,
                                           {"assignee_id": mine.alice.id}),
                 lambda: update_rule(session, mine.wid, rule.id, {"name": "Mine"}),
                 lambda: archive_rule(session, mine.wid, rule.id),
                 lambda: update_review(session, mine.wid, review.id, {"title": "Mine"}),
                 lambda: delete_review(session, mine.wid, review.id)):
        refused(session, call, NotFound)
    # Referred to from a request body, a foreign id is a refused field.
    err = refused(session, lambda: record_decision(session, mine.wid, {
        "escalation_id": f"esc_{esc.id}", "kind": "stop", "rationale": "x"},
        decided_by=mine.alice.id))
    assert fields(err) == ["escalation_id"]
    assert esc.state is EscalationState.OPEN
    metric = mine.metric()
    err = refused(session, lambda: record_decision(session, mine.wid, {
        "subject_id": f"met_{metric.id}", "review_id": f"rev_{review.id}",
        "kind": "stop", "rationale": "x"}, decided_by=mine.alice.id))
    assert fields(err) == ["review_id"]


# --- reviews ----------------------------------------------------------------------------


def test_a_held_review_or_one_with_decisions_cannot_be_deleted(session):
    w = world(session)
    new = {"kind": "monthly_business", "title": "MBR", "scheduled_for": "2026-04-01"}
    held = create_review(session, w.wid, new)
    update_review(session, w.wid, held.id, {"held_on": "2026-04-01"})
    err = refused(session, lambda: delete_review(session, w.wid, held.id), Conflict)
    assert f"rev_{held.id}" in err.detail and "held" in err.detail
    decided = create_review(session, w.wid, new)
    record_decision(session, w.wid, {"subject_id": f"met_{w.metric().id}", "kind": "stop",
                                     "rationale": "x", "review_id": decided.id},
                    decided_by=w.alice.id)
    refused(session, lambda: delete_review(session, w.wid, decided.id), Conflict)
    plain = create_review(session, w.wid, new)
    delete_review(session, w.wid, plain.id)
    assert session.get(Review, plain.id) is None


def test_a_reviews_agenda_lists_its_subtrees_escalations_at_its_level_once_per_subject(
        session):
    o = org(session)
    ws = o.w.wid
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    sales_metric = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}")
    ops_metric = o.w.metric("Uptime", owner_id=f"per_{o.operator.id}")
    sales_ini = create_initiative(session, ws, {"name": "Push", "org_unit_id": o.sales.id})
    old = escalation(session, ws, sales_metric.id, opened_at=t0)
    climbed = open_escalation(session, ws, signal_kind="earned_value",
                              subject_kind="initiative", subject_id=sales_ini.id,
                              summary="SPI 0.7", rung=2, opened_at=t0 + dt.timedelta(days=3),
                              assignee_id=o.seller.id)
    acked = escalation(session, ws, sales_metric.id, opened_at=t0 + dt.timedelta(days=1))
    acknowledge_escalation(session, ws, acked.id)
    elsewhere = escalation(session, ws, ops_metric.id, opened_at=t0)
    done = escalation(session, ws, sales_metric.id, opened_at=t0)
    record_decision(session, ws, {"escalation_id": done.id, "kind": "accept_risk",
                                  "rationale": "ok"}, decided_by=o.seller.id)
    no_change = {"since": None, "changes": []}

    # The weekly review of Sales sees every open escalation of its subtree, highest rung
    # first; the two about Bookings make one item (its oldest), named and linked.
    sales = create_review(session, ws, {"kind": "weekly_ops", "title": "Sales weekly",
                                        "scheduled_for": "2026-04-01",
                                        "org_unit_id": o.sales.id})
    agenda = build_agenda(session, ws, sales, no_change)
    assert [i["escalation_id"] for i in agenda] == [f"esc_{climbed.id}", f"esc_{old.id}"]
    assert f"esc_{acked.id}" not in str(agenda)
    first = agenda[0]
    assert first == {"key": f"ini_{sales_ini.id}", "type": "escalation", "title": "Push",
                     "link": f"/initiatives/ini_{sales_ini.id}",
                     "escalation_id": f"esc_{climbed.id}", "reasons": [
                         "Decision requested: SPI 0.7"],
                     "state": "open", "rung": 2, "signal_kind": "earned_value",
                     "subject_kind": "initiative", "subject_id": f"ini_{sales_ini.id}",
                     "summary": "SPI 0.7", "assignee_id": f"per_{o.seller.id}",
                     "opened_at": (t0 + dt.timedelta(days=3)).isoformat()}
    assert (agenda[1]["title"], agenda[1]["link"]) == (
        "Bookings", f"/metrics/met_{sales_metric.id}")

    # The monthly business review takes up escalations from the manager's rung up, the
    # quarterly strategy review from the unit head's.
    mbr = create_review(session, ws, {"kind": "monthly_business", "title": "Sales MBR",
                                      "scheduled_for": "2026-04-01",
                                      "org_unit_id": o.sales.id})
    assert [i["escalation_id"] for i in build_agenda(session, ws, mbr, no_change)] == [
        f"esc_{climbed.id}"]
    company = create_review(session, ws, {"kind": "quarterly_strategy", "title": "QBR",
                                          "scheduled_for": "2026-04-01"})
    assert [i["escalation_id"] for i in build_agenda(session, ws, company, no_change)] == [
        f"esc_{climbed.id}"]
    everyone = create_review(session, ws, {"kind": "weekly_ops", "title": "All weekly",
                                           "scheduled_for": "2026-04-01"})
    assert {i["escalation_id"] for i in build_agenda(session, ws, everyone, no_change)} == {
        f"esc_{e.id}" for e in (old, climbed, elsewhere)}
    ops = create_review(session, ws, {"kind": "weekly_ops", "title": "Ops weekly",
                                      "scheduled_for": "2026-04-01", "org_unit_id": o.ops.id})
    assert [i["escalation_id"] for i in build_agenda(session, ws, ops, no_change)] == [
        f"esc_{elsewhere.id}"]


AS_OF = dt.date(2026, 6, 30)


def weekly(o: Org, metric, start: dt.date, values) -> None:
    for i, v in enumerate(values):
        check_in(o.w.session, o.w.wid, {"metric_id": metric.id, "value": float(v),
                                        "as_of": (start + dt.timedelta(days=7 * i)).isoformat()},
                 today=AS_OF)


def test_a_generated_agenda_adds_what_changed_in_the_subtree_since_the_last_review(session):
    o = org(session)
    ws = o.w.wid
    kw = {"cadence": "weekly", "baseline_value": 100, "target_value": 200,
          "baseline_date": "2026-01-01", "target_date": "2026-12-31"}
    bookings = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}", **kw)
    uptime = o.w.metric("Uptime", owner_id=f"per_{o.operator.id}", **kw)
    for m in (bookings, uptime):
        weekly(o, m, dt.date(2026, 1, 1), np.linspace(196, 210, 22))
    session.flush()
    record_forecasts(session, ws, EngineCache().state(session, ws, dt.date(2026, 6, 1)))
    for m in (bookings, uptime):  # both collapse after the review
        weekly(o, m, dt.date(2026, 6, 4), [150, 120, 100, 90])
    esc = escalation(session, ws, bookings.id)
    session.flush()
    st = EngineCache().state(session, ws, AS_OF)

    sales = create_review(session, ws, {"kind": "weekly_ops", "title": "Sales weekly",
                                        "scheduled_for": "2026-07-01",
                                        "org_unit_id": o.sales.id})
    generate_agenda(session, ws, sales.id, st)
    # Escalated and changed: one item about Bookings, with both reasons.
    [item] = sales.agenda
    assert (item["type"], item["title"]) == ("escalation", "Bookings")
    assert item["escalation_id"] == f"esc_{esc.id}"
    assert item["metric_id"] == f"met_{bookings.id}" and item["worse"] is True
    assert item["since"] == "2026-06-01"
    assert item["forecast_now"] < item["forecast_before"]
    assert [r.split(":")[0] for r in item["reasons"]] == ["Decision requested", "Worse"]

    company = create_review(session, ws, {"kind": "quarterly_strategy", "title": "QBR",
                                          "scheduled_for": "2026-07-01"})
    generate_agenda(session, ws, company.id, st)
    assert {i["metric_id"] for i in company.agenda if i["type"] == "change"} == {
        f"met_{bookings.id}", f"met_{uptime.id}"}
    # The stored agenda is audited like any other change.
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "reviews", AuditEntry.entity_id == company.id,
        AuditEntry.action == AuditAction.UPDATE)).one()
    assert entry.changes["agenda"][0] is None and len(entry.changes["agenda"][1]) == 2

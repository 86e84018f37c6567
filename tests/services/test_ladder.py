"""The escalation ladder over a real workspace: breaches open escalations once per rule and
subject, grace days make them climb owner → manager → org-unit head → steering committee,
decisions stop them, rules' scopes hold, and every new assignee gets an outbox message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from steerco.accounts.service import add_grant
from steerco.checkins.service import check_in
from steerco.db.enums import EscalationState
from steerco.db.models import Escalation, Metric, OutboxMessage, Person, Rule
from steerco.evidence.service import CACHE
from steerco.findings import service as fs
from steerco.governance.ladder import run_ladder
from steerco.governance.service import (
    acknowledge_escalation,
    archive_rule,
    create_rule,
    record_decision,
    snooze_escalation,
)
from steerco.metrics.service import create_metric
from steerco.objectives.service import create_objective
from steerco.org.service import (
    create_org_unit,
    create_person,
    create_workspace,
    update_person,
)

T = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Any:
    CACHE.clear()
    fs.clear()
    yield
    CACHE.clear()
    fs.clear()


@dataclass
class Co:
    """Company (head Cora) → Sales (head Sheila) → Key accounts (no head); Company → Ops
    (no head). Alice (Key accounts, manager Mia) owns a stale and an empty metric; Otto
    (Ops, no manager) owns an empty one; Stella holds the strategy office."""

    session: Any
    wid: int
    sales: int
    cora: Person
    sheila: Person
    mia: Person
    alice: Person
    otto: Person
    stella: Person
    stale: Metric
    empty: Metric
    ops_metric: Metric

    def rule(self, signal_kind: str, min_severity: int = 1, **kw: Any) -> Rule:
        return create_rule(self.session, self.wid, {
            "name": signal_kind, "signal_kind": signal_kind, "min_severity": min_severity,
            "ladder_days": [3, 7, 14], **kw})

    def run(self, days: int = 0) -> Any:
        report = run_ladder(self.session, self.wid, T + dt.timedelta(days=days))
        self.session.flush()
        return report

    def escalations(self) -> list[Escalation]:
        return list(self.session.scalars(select(Escalation).where(
            Escalation.workspace_id == self.wid).order_by(Escalation.id)))

    def outbox(self) -> list[OutboxMessage]:
        return list(self.session.scalars(select(OutboxMessage).where(
            OutboxMessage.workspace_id == self.wid).order_by(OutboxMessage.id)))


def company(session: Any) -> Co:
    ws = create_workspace(session, {"slug": "ladder", "name": "Ladder Inc"}).id

    def person(name: str, **kw: Any) -> Person:
        email = name.split()[0].lower() + "@ladder.example"
        return create_person(session, ws, {"name": name, "email": email, **kw})

    cora, sheila = person("Cora Chief"), person("Sheila Sales")
    root = create_org_unit(session, ws, {"name": "Company", "kind": "company",
                                         "head_id": cora.id})
    sales = create_org_unit(session, ws, {"name": "Sales", "kind": "business_unit",
                                          "parent_id": root.id, "head_id": sheila.id})
    team = create_org_unit(session, ws, {"name": "Key accounts", "kind": "team",
                                         "parent_id": sales.id})
    ops = create_org_unit(session, ws, {"name": "Ops", "kind": "business_unit",
                                        "parent_id": root.id})
    mia = person("Mia Manager", org_unit_id=sales.id)
    alice = person("Alice Archer", org_unit_id=team.id, manager_id=mia.id)
    otto = person("Otto Ops", org_unit_id=ops.id)
    stella = person("Stella Steer", org_unit_id=root.id)
    add_grant(session, ws, {"person_id": stella.id, "role": "strategy_office"})

    def metric(name: str, owner: Person, **kw: Any) -> Metric:
        return create_metric(session, ws, {
            "name": name, "unit": "EUR", "direction": "increase_to", "baseline_value": 100.0,
            "baseline_date": "2026-01-01", "target_value": 200.0,
            "target_date": "2026-12-31", "owner_id": owner.id, **kw})

    stale = metric("Net revenue", alice)
    empty = metric("Pipeline", alice)
    ops_metric = metric("Cost to serve", otto)
    check_in(session, ws, {"metric_id": stale.id, "value": 110.0, "as_of": "2026-03-01"})
    session.flush()
    return Co(session, ws, sales.id, cora, sheila, mia, alice, otto, stella, stale, empty,
              ops_metric)


def subjects(escs: list[Escalation]) -> set[int]:
    return {e.subject_id for e in escs}


def test_a_breach_opens_one_escalation_per_rule_at_rung_zero_with_the_owner(session):
    co = company(session)
    stale_rule = co.rule("stale_metric", 2)
    no_data = co.rule("no_data", 1)
    co.rule("no_data", 3)  # the engine rates an empty metric below critical
    report = co.run()
    escs = co.escalations()
    assert len(report.opened) == len(escs) == 3
    by_rule = {(e.rule_id, e.subject_id): e for e in escs}
    assert set(by_rule) == {(stale_rule.id, co.stale.id), (no_data.id, co.empty.id),
                            (no_data.id, co.ops_metric.id)}
    first = by_rule[(stale_rule.id, co.stale.id)]
    assert (first.rung, first.state, first.signal_kind, first.subject_kind) == (
        0, EscalationState.OPEN, "stale_metric", "metric")
    assert first.assignee_id == co.alice.id
    assert by_rule[(no_data.id, co.ops_metric.id)].assignee_id == co.otto.id
    assert first.opened_at.date() == T


def test_running_the_ladder_twice_opens_and_climbs_nothing_new(session):
    co = company(session)
    co.rule("no_data")
    co.run()
    before = [(e.id, e.rung, e.assignee_id) for e in co.escalations()]
    messages = len(co.outbox())
    again = co.run()
    assert again.opened == [] and again.climbed == []
    assert [(e.id, e.rung, e.assignee_id) for e in co.escalations()] == before
    assert len(co.outbox()) == messages


def test_an_escalation_climbs_to_manager_then_unit_head_then_steering_committee(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    (esc,) = co.escalations()
    acknowledge_escalation(session, co.wid, esc.id)  # acknowledging does not stop the clock
    assert co.run(2).climbed == []
    assert (esc.rung, esc.assignee_id) == (0, co.alice.id)
    co.run(3)
    assert (esc.rung, esc.assignee_id) == (1, co.mia.id)
    assert esc.escalated_at is not None and esc.escalated_at.date() == T + dt.timedelta(3)
    co.run(9)
    assert esc.rung == 1
    co.run(10)  # Key accounts has no head: the nearest ancestor's head (Sales) takes it
    assert (esc.rung, esc.assignee_id) == (2, co.sheila.id)
    co.run(24)
    assert (esc.rung, esc.assignee_id) == (3, co.stella.id)
    assert co.run(400).climbed == []
    assert esc.rung == 3


def test_a_late_run_climbs_every_rung_that_fell_due(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    report = co.run(30)
    (esc,) = co.escalations()
    assert [(c["from_rung"], c["rung"]) for c in report.climbed] == [(0, 3)]
    assert (esc.rung, esc.assignee_id) == (3, co.stella.id)
    assert esc.escalated_at is not None and esc.escalated_at.date() == T + dt.timedelta(24)


def test_without_a_manager_the_head_of_the_owners_unit_or_its_ancestors_takes_over(session):
    co = company(session)
    co.rule("no_data", metric_id=co.ops_metric.id)
    co.run()
    co.run(3)
    (esc,) = co.escalations()
    assert (esc.rung, esc.assignee_id) == (1, co.cora.id)  # Ops has no head: Company's


def test_a_resolved_escalation_never_climbs_and_its_decision_holds(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    (esc,) = co.escalations()
    record_decision(session, co.wid, {"escalation_id": esc.id, "kind": "accept_risk",
                                      "rationale": "Data arrives with the Q4 close"},
                    decided_by=co.mia.id, today=T)
    report = co.run(10)
    assert report.climbed == [] and report.opened == []
    assert (esc.rung, esc.state, esc.assignee_id) == (0, EscalationState.RESOLVED,
                                                      co.alice.id)
    assert len(co.escalations()) == 1


def test_a_rules_scope_limits_what_it_escalates(session):
    co = company(session)
    objective = create_objective(session, co.wid, {
        "title": "Grow", "period_start": "2026-01-01", "period_end": "2026-12-31",
        "level": "company", "perspective": "financial", "owner_id": co.alice.id})
    linked = create_metric(session, co.wid, {
        "name": "Linked", "unit": "EUR", "direction": "increase_to", "baseline_value": 1.0,
        "baseline_date": "2026-01-01", "target_value": 2.0, "target_date": "2026-12-31",
        "owner_id": co.otto.id, "objectives": [{"objective_id": objective.id}]})
    in_sales = co.rule("no_data", org_unit_id=co.sales)
    one_metric = co.rule("metric_without_tolerance", metric_id=co.stale.id)
    of_objective = co.rule("no_data", objective_id=objective.id)
    off = co.rule("no_data")
    archive_rule(session, co.wid, off.id)
    co.run()
    escs = co.escalations()
    assert subjects([e for e in escs if e.rule_id == in_sales.id]) == {co.empty.id}
    assert subjects([e for e in escs if e.rule_id == one_metric.id]) == {co.stale.id}
    assert subjects([e for e in escs if e.rule_id == of_objective.id]) == {linked.id}
    assert not [e for e in escs if e.rule_id == off.id]


def test_every_new_assignee_gets_an_outbox_message(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    (esc,) = co.escalations()
    (first,) = co.outbox()
    assert (first.kind, first.recipient) == ("escalation", "alice@ladder.example")
    assert first.payload["escalation_id"] == f"esc_{esc.id}"
    assert first.payload["rung"] == 0 and first.sent_at is None
    co.run(3)
    assert [m.recipient for m in co.outbox()] == ["alice@ladder.example",
                                                   "mia@ladder.example"]
    assert co.outbox()[-1].payload["rung"] == 1


def test_a_snoozed_escalation_does_not_climb_until_the_snooze_ends(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    (esc,) = co.escalations()
    snooze_escalation(session, co.wid, esc.id, {"until": T + dt.timedelta(20),
                                                "reason": "Waiting for the Q4 close"},
                      today=T)
    for day in (3, 10, 19):  # it would have climbed on day 3, 10 and 24 without the snooze
        assert co.run(day).climbed == []
        assert (esc.rung, esc.assignee_id) == (0, co.alice.id)
    assert co.run(20).climbed == []  # back in Alice's inbox with her full grace days
    assert co.run(22).climbed == []
    co.run(23)
    assert (esc.rung, esc.assignee_id) == (1, co.mia.id)
    assert esc.escalated_at is not None and esc.escalated_at.date() == T + dt.timedelta(23)
    assert [m.recipient for m in co.outbox()] == ["alice@ladder.example",
                                                   "mia@ladder.example"]


def test_a_deactivated_manager_is_skipped_to_the_unit_head_and_never_told(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    update_person(session, co.wid, co.mia.id, {"active": False})
    session.flush()
    co.run(3)
    (esc,) = co.escalations()
    assert (esc.rung, esc.assignee_id) == (1, co.sheila.id)
    assert "mia@ladder.example" not in [m.recipient for m in co.outbox()]


def test_a_deactivated_unit_head_is_skipped_to_the_next_head_up_and_never_told(session):
    co = company(session)
    co.rule("stale_metric", 2)
    co.run()
    update_person(session, co.wid, co.sheila.id, {"active": False})
    session.flush()
    co.run(3)
    co.run(10)
    (esc,) = co.escalations()
    assert (esc.rung, esc.assignee_id) == (2, co.cora.id)
    assert "sheila@ladder.example" not in [m.recipient for m in co.outbox()]


def test_a_deactivated_owner_is_skipped_an_escalation_opens_with_their_manager(session):
    co = company(session)
    co.rule("stale_metric", 2)
    update_person(session, co.wid, co.alice.id, {"active": False})
    session.flush()
    co.run()
    (esc,) = co.escalations()
    assert (esc.rung, esc.assignee_id) == (1, co.mia.id)
    assert [m.recipient for m in co.outbox()] == ["mia@ladder.example"]
    co.run(3)  # rung 1's grace counts from the day it opened
    assert (esc.rung, esc.assignee_id) == (1, co.mia.id)
    co.run(7)
    assert (esc.rung, esc.assignee_id) == (2, co.sheila.id)



def test_several_rules_matching_one_subjects_signal_open_one_escalation(session):
    # The newcomer's find: one off-track metric opened three escalations from three rules
    # (two of them identical), so its owner got three identical items and e-mails.
    co = company(session)
    wide = co.rule("no_data")
    in_sales = co.rule("no_data", org_unit_id=co.sales)
    # An identical twin, as older data may still hold (creating one is refused now).
    twin = Rule(workspace_id=co.wid, name="no_data again", signal_kind="no_data",
                min_severity=1, ladder_days=[3, 7, 14], org_unit_id=co.sales, active=True)
    session.add(twin)
    session.flush()
    report = co.run()
    escs = co.escalations()
    # One per (subject, signal): the Sales rule is the more specific for the Sales metric.
    assert sorted((e.subject_id, e.rule_id) for e in escs) == sorted(
        [(co.empty.id, in_sales.id), (co.ops_metric.id, wide.id)])
    assert len(report.opened) == 2
    to_alice = [m for m in co.outbox() if m.recipient == co.alice.email]
    assert len(to_alice) == 1


def test_a_second_matching_rule_never_opens_a_duplicate_later(session):
    co = company(session)
    wide = co.rule("no_data")
    co.run()
    before = {(e.subject_id, e.rule_id) for e in co.escalations()}
    assert (co.empty.id, wide.id) in before
    co.rule("no_data", org_unit_id=co.sales)  # more specific, added later
    assert co.run(1).opened == []
    archive_rule(session, co.wid, wide.id)  # its escalation stays open
    assert co.run(2).opened == []
    assert {(e.subject_id, e.rule_id) for e in co.escalations()} == before


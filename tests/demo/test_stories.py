"""The stories the demo tells on purpose, each found through the engine (findings, the
what-if, the escalation ladder and review agendas) — never through the generator's own
choices. The README's "tour" names each of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.accounts.demo import create_demo_users
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import Escalation, Initiative, Metric, Milestone, Review
from steerco.db.models.accounts import Role, RoleGrant
from steerco.demo import write_demo
from steerco.findings.service import clear, findings, whatif
from steerco.governance.demo import replay
from steerco.kit.ids import parse_any

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    """The `s` demo as `steerco demo` writes it: data, users, governance history."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('stories') / 'demo.db'}")
    upgrade(engine)
    write_demo(engine, "s", 7, AS_OF, "demo")
    with unit_of_work(make_sessionmaker(engine)) as s:
        create_demo_users(s, 1)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        replay(s, 1, AS_OF)
    yield engine, 1
    clear()
    engine.dispose()


def _found(demo: tuple[Engine, int], kind: str) -> list[dict[str, Any]]:
    engine, ws = demo
    with Session(engine) as s:
        return findings(s, ws, AS_OF, kind)


def _key(ref: str) -> int:
    return parse_any(ref, "id")[1]


def test_a_green_dashboard_paradox_is_found(demo: tuple[Engine, int]) -> None:
    found = _found(demo, "green_dashboard")
    assert found, "no green-dashboard paradox"
    f = found[0]
    assert f["evidence"]["periods"] >= 3 and f["evidence"]["green_initiatives"] >= 1
    assert f["subject"]["kind"] == "metric"


def test_a_slipped_supplier_milestone_breaks_a_dependency_and_a_slip_lowers_a_key_result(
        demo: tuple[Engine, int]) -> None:
    engine, ws = demo
    broken = _found(demo, "broken_dependency")
    with Session(engine) as s:
        supplier = [f for f in broken if f["evidence"]["provider"].startswith("mil_") and
                    "supplier" in (s.get(Milestone, _key(f["evidence"]["provider"])).name
                                   or "").lower()]
        assert supplier, "no broken dependency on a supplier milestone"
        f = supplier[0]
        prov = s.get(Milestone, _key(f["evidence"]["provider"]))
        cons = f["evidence"]["consumer"]
        consumer = (s.get(Initiative, _key(cons)) if cons.startswith("ini_") else
                    s.get(Initiative, s.get(Milestone, _key(cons)).initiative_id))
        units = {s.get(Initiative, prov.initiative_id).org_unit_id, consumer.org_unit_id}
        assert len(units) == 2, "the dependency should cross teams"
        # Its ripple: two more weeks of slip move the consumer's planned impact past a
        # key result's target day, and the key result's P(hit) falls.
        answer = whatif(s, ws, AS_OF, [f"{f['evidence']['provider']}:14"])
        lowered = [m for m in answer["metrics"]
                   if m["new_p_hit"] is not None and m["old_p_hit"] is not None
                   and m["new_p_hit"] < m["old_p_hit"]
                   and s.get(Metric, _key(m["id"])).kind.value == "key_result"]
    assert lowered, answer["metrics"]


def test_claimed_savings_that_do_not_show_in_the_ledger_are_found(
        demo: tuple[Engine, int]) -> None:
    found = _found(demo, "benefit_leakage")
    assert found and all("ledger shows" in f["explanation"] for f in found)


def test_a_causal_link_that_does_not_hold_in_the_data_is_found(
        demo: tuple[Engine, int]) -> None:
    assert _found(demo, "causal_link_not_holding")


def test_an_owner_whose_confidence_is_far_from_p_hit_is_found(
        demo: tuple[Engine, int]) -> None:
    found = _found(demo, "reality_gap")
    assert found and max(f["evidence"]["gap"] for f in found) >= 0.4


def test_an_escalation_has_climbed_to_the_steering_committee_and_waits_for_a_decision(
        demo: tuple[Engine, int]) -> None:
    engine, ws = demo
    with Session(engine) as s:
        office = set(s.scalars(select(RoleGrant.person_id).where(
            RoleGrant.workspace_id == ws, RoleGrant.role == Role.STRATEGY_OFFICE)))
        top = s.scalars(select(Escalation).where(
            Escalation.workspace_id == ws, Escalation.rung >= 3,
            Escalation.state != "resolved")).all()
    assert top and any(e.assignee_id in office for e in top)


def test_next_weeks_review_has_its_agenda(demo: tuple[Engine, int]) -> None:
    engine, ws = demo
    with Session(engine) as s:
        coming = s.scalars(select(Review).where(
            Review.workspace_id == ws, Review.scheduled_for > AS_OF,
            Review.scheduled_for <= AS_OF + dt.timedelta(days=7))).all()
    assert coming
    assert all(r.agenda for r in coming), "a coming review without its agenda"
    agenda = [i for r in coming for i in (r.agenda or [])]
    assert any(i["type"] == "escalation" for i in agenda)

"""Earned value and benefit leakage against hand-computed ledgers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from steerco.core.benefits import (
    Budget,
    Savings,
    earned_value,
    earned_value_findings,
    leakage,
    leakage_findings,
)
from steerco.kit.dates import NO_DAY, to_day
from tests.core.test_impact import initiatives, milestones


def d(y: int, m: int, day: int = 1) -> int:
    return to_day(dt.date(y, m, day))


def budget(plan: list[tuple[int, float]], ledger: list[tuple[int, float]]) -> Budget:
    """One line (key 5) of initiative 10, controller 77."""
    return Budget(np.array([5]), np.array([10]), np.array([77]),
                  np.full(len(plan), 5), np.array([p[0] for p in plan]),
                  np.array([p[1] for p in plan], dtype=float),
                  np.full(len(ledger), 5), np.array([x[0] for x in ledger]),
                  np.array([x[1] for x in ledger], dtype=float))


def test_earned_value_phases_the_plan_by_day_and_earns_by_milestones_done() -> None:
    # 4 months of 1,000 each; as of 16 Feb (16/28 of February elapsed)
    b = budget([(d(2026, m), 1000.0) for m in (1, 2, 3, 4)],
               [(d(2026, 1), 1200.0), (d(2026, 2), 600.0)])
    ms = milestones([1, 2, 3, 4], [10] * 4, [d(2026, 2)] * 4,
                    completed=[d(2026, 1, 20), NO_DAY, NO_DAY, NO_DAY])
    ini = initiatives([10], owner=[3])
    ev = earned_value(ini, ms, b, d(2026, 2, 16))
    assert ev.bac[0] == 4000.0
    assert ev.pv[0] == pytest.approx(1000.0 + 1000.0 * 16 / 28)
    assert ev.ev[0] == 1000.0  # a quarter of the milestones done
    assert ev.ac[0] == 1800.0
    assert ev.spi[0] == pytest.approx(1000.0 / (1000.0 + 1000.0 * 16 / 28))
    assert ev.cpi[0] == pytest.approx(1000.0 / 1800.0)
    b2 = earned_value_findings(ini, ev)
    assert b2.subject.tolist() == [10] and b2.severity.tolist() == [3]


def test_an_initiative_on_plan_and_on_budget_raises_no_earned_value_finding() -> None:
    b = budget([(d(2026, m), 1000.0) for m in (1, 2)], [(d(2026, 1), 1000.0)])
    ms = milestones([1, 2], [10, 10], [d(2026, 1, 31), d(2026, 2, 28)],
                    completed=[d(2026, 1, 30), NO_DAY])
    ini = initiatives([10], owner=[3])
    ev = earned_value(ini, ms, b, d(2026, 1, 31))
    assert ev.spi[0] == pytest.approx(1.0) and ev.cpi[0] == pytest.approx(1.0)
    assert len(earned_value_findings(ini, ev)) == 0


def test_without_milestones_the_owners_percent_complete_is_the_share_done() -> None:
    b = budget([(d(2026, 1), 1000.0)], [])
    ini = initiatives([10], percent=[0.25])
    ev = earned_value(ini, milestones([], [], []), b, d(2026, 3, 1))
    assert ev.ev[0] == 250.0 and np.isnan(ev.cpi[0])


def _savings(claimed: float, realised: float = np.nan, day: int | None = None) -> Savings:
    return Savings(np.array([1]), np.array([10]), np.array([5]), np.array([claimed]),
                   np.array([day if day is not None else d(2026, 1)]), np.array([realised]))


PLAN_Q1 = [(d(2026, m), 10_000.0) for m in (1, 2, 3, 4)]


def test_savings_visible_as_spend_below_plan_do_not_leak() -> None:
    b = budget(PLAN_Q1, [(d(2026, m), 9_000.0) for m in (1, 2, 3)])
    s = _savings(3_000.0)
    lk = leakage(b, s, d(2026, 4, 10))
    assert lk.visible[0] == 3_000.0 and lk.shortfall[0] == pytest.approx(0.0)
    assert len(leakage_findings(b, s, lk, initiatives([10]))) == 0


def test_claimed_savings_the_ledger_does_not_show_leak_and_the_controller_acts() -> None:
    b = budget(PLAN_Q1, [(d(2026, m), 10_000.0) for m in (1, 2, 3)])
    s = _savings(3_000.0, realised=2_800.0)  # signed off: the realised amount is the claim
    lk = leakage(b, s, d(2026, 4, 10))
    assert lk.claimed[0] == 2_800.0 and lk.visible[0] == 0.0
    f = leakage_findings(b, s, lk, initiatives([10], owner=[3]))
    assert f.subject.tolist() == [1] and f.person.tolist() == [77]
    assert f.severity.tolist() == [3]
    assert f.evidence["period_end_day"].tolist() == [d(2026, 3, 31)]


def test_a_period_still_running_or_without_all_its_actuals_is_not_judged() -> None:
    b = budget(PLAN_Q1, [(d(2026, m), 10_000.0) for m in (1, 2)])
    s = _savings(3_000.0)
    assert np.isnan(leakage(b, s, d(2026, 3, 20)).shortfall[0])  # March not over
    assert np.isnan(leakage(b, s, d(2026, 4, 10)).shortfall[0])  # March not posted


def test_a_savings_period_ends_where_the_next_claim_on_the_line_starts() -> None:
    b = budget(PLAN_Q1, [(d(2026, m), 9_000.0) for m in (1, 2, 3)])
    s = Savings(np.array([1, 2]), np.array([10, 10]), np.array([5, 5]),
                np.array([2_000.0, 1_000.0]), np.array([d(2026, 1), d(2026, 3)]),
                np.array([np.nan, np.nan]))
    lk = leakage(b, s, d(2026, 4, 10))
    assert lk.visible[0] == 2_000.0  # January and February only
    assert np.isnan(lk.visible[1])  # March to May (a quarter, the last claim) is not over
    assert lk.period_end_day.tolist() == [d(2026, 2, 28), d(2026, 5, 31)]

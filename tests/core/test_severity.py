"""Severity from impact (steerco.core.severity): money, critical path, outcome weight."""

from __future__ import annotations

import pytest

from steerco.core.severity import CRITICAL, INFO, WARNING, Stake, money_text, rate


def test_critical_path_with_money_is_critical_and_says_so() -> None:
    r = rate(2, Stake(money=1_200_000, critical_path=True))
    assert r.severity == CRITICAL
    assert r.reason == ("critical: on the critical path of an initiative carrying "
                        "1.2 M EUR of benefits")


def test_same_kind_without_anything_at_stake_is_info() -> None:
    r = rate(3, Stake())
    assert r.severity == INFO
    assert r.reason.startswith("info: no benefits")


def test_small_money_is_a_warning_and_big_money_critical() -> None:
    assert rate(3, Stake(money=40_000)).severity == WARNING
    assert rate(3, Stake(money=40_000)).reason == (
        "warning: concerns initiatives carrying 40 k EUR of benefits")
    assert rate(2, Stake(money=2_000_000)).severity == CRITICAL
    # on the critical path, a quarter of a million is enough
    assert rate(2, Stake(money=300_000, critical_path=True)).severity == CRITICAL
    assert rate(2, Stake(money=300_000)).severity == WARNING


def test_outcome_weight_alone_can_make_it_critical() -> None:
    r = rate(2, Stake(outcome_weight=0.75))
    assert r.severity == CRITICAL
    assert r.reason == "critical: a metric it concerns carries 75% of its objective's weight"
    assert rate(2, Stake(outcome_weight=0.5)).severity == WARNING  # one of two equal metrics


def test_hygiene_and_info_kinds_stay_at_most_warnings() -> None:
    big = Stake(money=5_000_000, critical_path=True)
    assert rate(3, big, signal=False).severity == WARNING
    assert rate(3, big, signal=False).reason.startswith("warning (hygiene): ")
    assert rate(1, big).severity == WARNING


def test_rank_orders_by_severity_then_money() -> None:
    a = rate(2, Stake(money=2_000_000))
    b = rate(2, Stake(money=1_500_000))
    c = rate(2, Stake(money=10_000))
    assert sorted([c, a, b], key=lambda r: r.rank, reverse=True) == [a, b, c]


def test_bad_base_is_refused() -> None:
    with pytest.raises(ValueError, match="1, 2 or 3"):
        rate(4, Stake())


def test_money_text() -> None:
    assert money_text(1_234_567) == "1.2 M EUR"
    assert money_text(350_000, "USD") == "350 k USD"
    assert money_text(900) == "900 EUR"

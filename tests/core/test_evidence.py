"""The evidence engine in core: one metric's results never depend on its neighbours."""

from __future__ import annotations

import numpy as np

from steerco.core.evidence import checkin, evaluate, evaluate_rows
from steerco.core.snapshot import Benefits, Metrics, build_snapshot
from steerco.core.status import Status

AS_OF = 20_600  # a day number (2026-05-25)


def company(n: int = 60, seed: int = 3):
    """n metrics with 1–3 years of weekly/monthly evidence and targets 1–18 months out."""
    rng = np.random.default_rng(seed)
    cadence = rng.choice([7, 30, 91], n, p=[0.6, 0.3, 0.1])
    target_day = AS_OF + rng.integers(20, 540, n)
    metrics = Metrics(
        ids=np.arange(1, n + 1, dtype=np.int64) * 10,
        direction=rng.integers(0, 4, n).astype(np.int8),
        baseline_value=np.full(n, 100.0), baseline_day=np.full(n, AS_OF - 400),
        target_value=rng.uniform(90, 140, n), target_day=target_day,
        tolerance=np.full(n, 0.05), tolerance_kind=np.ones(n, dtype=np.int8),
        cadence_days=cadence.astype(np.int64), owner=np.ones(n, dtype=np.int64))
    mm, dd, vv = [], [], []
    for i in range(n):
        k = int(rng.integers(3, 3 * 365 // cadence[i]))
        days = AS_OF - cadence[i] * np.arange(k)[::-1] - int(rng.integers(0, 5))
        trend = rng.normal(0, 0.3)
        mm.append(np.full(k, metrics.ids[i]))
        dd.append(days)
        vv.append(100 + trend * np.arange(k) + rng.normal(0, 2, k))
    m, d, v = np.concatenate(mm), np.concatenate(dd), np.concatenate(vv)
    benefits = Benefits(metric=np.array([0, 1, 2]), day=target_day[[0, 1, 2]] + [-10, 30, -5],
                        amount=np.array([5.0, 5.0, -3.0]), initiative=np.array([1, 1, 2]))
    empty = np.zeros(0)
    return build_snapshot(metrics, m, d, v, np.full(m.size, np.nan), np.arange(m.size),
                          np.full(m.size, -1), empty, empty, empty, [1], [], [], [],
                          metrics.ids, np.ones(n, dtype=np.int64), np.ones(n), benefits)


def test_a_metric_evaluated_alone_gets_exactly_its_results_in_the_whole_batch():
    snap = company()
    full = evaluate(snap, AS_OF)
    for row in range(snap.metrics.n):
        one = evaluate_rows(snap, np.array([row]), AS_OF)
        np.testing.assert_allclose(one.forecast[0], full.metrics.forecast[row], rtol=1e-9,
                                   equal_nan=True)
        np.testing.assert_allclose(one.p_hit[0], full.metrics.p_hit[row], rtol=1e-9,
                                   atol=1e-12, equal_nan=True)
        assert one.status.status[0] == full.metrics.status.status[row]


def test_a_benefit_due_after_the_target_date_does_not_move_the_target_forecast():
    snap = company()
    without = evaluate(snap, AS_OF)
    # Benefit 1 lands 30 days after metric 1's target: it cannot count towards it.
    snap.benefits = Benefits(np.array([1]), np.array([snap.metrics.target_day[1] + 30]),
                             np.array([500.0]), np.array([1]))
    with_late = evaluate(snap, AS_OF)
    assert with_late.metrics.forecast[1] == without.metrics.forecast[1]


def test_a_benefit_due_before_the_target_raises_the_forecast_by_its_amount():
    snap = company()
    snap.benefits = Benefits.empty()
    base = evaluate(snap, AS_OF)
    snap.benefits = Benefits(np.array([0]), np.array([snap.metrics.target_day[0] - 10]),
                             np.array([50.0]), np.array([1]))
    more = evaluate(snap, AS_OF)
    assert np.isclose(more.metrics.forecast[0] - base.metrics.forecast[0], 50.0)


def test_check_ins_patched_one_by_one_equal_a_full_recompute():
    snap = company()
    ev = evaluate(snap, AS_OF)
    rng = np.random.default_rng(9)
    for k, row in enumerate(rng.integers(0, snap.metrics.n, 15).tolist()):
        checkin(snap, ev, row, AS_OF - int(k % 3), float(rng.normal(120, 5)), np.nan,
                10_000 + k)
    fresh = evaluate(snap, AS_OF)
    np.testing.assert_allclose(ev.metrics.p_hit, fresh.metrics.p_hit, equal_nan=True)
    np.testing.assert_array_equal(ev.metrics.status.status, fresh.metrics.status.status)
    np.testing.assert_array_equal(ev.objectives.status, fresh.objectives.status)


def test_a_metric_without_evidence_is_no_data_and_never_green():
    metrics = company().metrics
    empty = np.zeros(0)
    bare = build_snapshot(metrics, empty, empty, empty, empty, empty, empty, empty, empty,
                          empty, [1], [], [], [], metrics.ids, np.ones(metrics.n), np.ones(
                              metrics.n))
    ev = evaluate(bare, AS_OF)
    assert (ev.metrics.status.status == Status.NO_DATA).all()
    assert ev.objectives.status[0] == Status.NO_DATA


def ramp_metric(key_result: bool):
    """Two years flat at 100, then a key-result period ramping on plan towards 130."""
    base_day, target_day = AS_OF - 70, AS_OF + 21
    weeks = np.arange(0, 110)
    days = AS_OF - 7 * weeks[::-1]
    frac = np.clip((days - base_day) / (target_day - base_day), 0, 1)
    values = 100 + 30 * frac + np.random.default_rng(2).normal(0, 0.3, days.size)
    metrics = Metrics(
        ids=np.array([1]), direction=np.array([0], dtype=np.int8),
        baseline_value=np.array([100.0]), baseline_day=np.array([base_day]),
        target_value=np.array([130.0]), target_day=np.array([target_day]),
        tolerance=np.array([0.05]), tolerance_kind=np.ones(1, dtype=np.int8),
        cadence_days=np.array([7]), owner=np.array([1]),
        key_result=np.array([key_result]))
    empty = np.zeros(0)
    snap = build_snapshot(metrics, np.ones(days.size), days, values, np.full(days.size, np.nan),
                          np.arange(days.size), np.full(days.size, -1), empty, empty, empty,
                          [1], [], [], [], [1], [1], [1.0])
    return evaluate(snap, AS_OF).metrics


def test_a_key_result_on_plan_is_forecast_from_its_period_not_the_years_before():
    kr = ramp_metric(key_result=True)
    kpi = ramp_metric(key_result=False)
    # The period's check-ins carry the ramp on towards the target, while the same numbers
    # read as a standing KPI are held back by two flat years before the commitment.
    assert kr.forecast[0] > kpi.forecast[0] + 2
    assert kr.p_hit[0] > 50 * kpi.p_hit[0]


def _one_day_of_corrections(keys, values, supersedes):
    """One metric, every row dated the same day; keys are submission order."""
    metrics = Metrics(
        ids=np.array([1]), direction=np.array([0], dtype=np.int8),
        baseline_value=np.array([0.0]), baseline_day=np.array([AS_OF - 100]),
        target_value=np.array([100.0]), target_day=np.array([AS_OF + 100]),
        tolerance=np.array([0.05]), tolerance_kind=np.ones(1, dtype=np.int8),
        cadence_days=np.array([7]), owner=np.array([1]))
    n = len(keys)
    empty = np.zeros(0)
    snap = build_snapshot(metrics, np.ones(n), np.full(n, AS_OF - 1), np.array(values, float),
                          np.full(n, np.nan), np.array(keys), np.array(supersedes),
                          empty, empty, empty, [1], [], [], [], [1], [1], [1.0])
    return evaluate(snap, AS_OF).metrics.last_value[0]


def test_correcting_an_earlier_check_in_of_the_day_does_not_make_it_current():
    # 40 then 45 on one day; the 40 is corrected to 41: 45 is still the day's last value.
    assert _one_day_of_corrections([1, 2, 3], [40, 45, 41], [-1, -1, 1]) == 45


def test_correcting_the_last_check_in_of_the_day_replaces_the_current_value():
    assert _one_day_of_corrections([1, 2, 3], [40, 45, 46], [-1, -1, 2]) == 46
    # A chain of corrections keeps the position of the row it started from.
    assert _one_day_of_corrections([1, 2, 3, 4], [40, 45, 41, 42], [-1, -1, 1, 3]) == 45


def test_a_phased_plan_starts_from_the_baseline_not_flat_at_its_first_point():
    """Baseline 10 today, first plan point 12 in two months, target 14: a check-in of
    10.1 today is on plan (the plan is 10 today), not behind a flat 12 — a newcomer's
    first key result read "off track" on its first day. Direction 0 = increase_to."""
    from steerco.core.plan import plan_values

    metrics = Metrics(
        ids=np.array([1]), direction=np.array([0], dtype=np.int8),
        baseline_value=np.array([10.0]), baseline_day=np.array([AS_OF]),
        target_value=np.array([14.0]), target_day=np.array([AS_OF + 120]),
        tolerance=np.array([0.05]), tolerance_kind=np.ones(1, dtype=np.int8),
        cadence_days=np.array([7]), owner=np.array([1]), key_result=np.array([True]))
    snap = build_snapshot(metrics, np.ones(1), np.array([AS_OF]), np.array([10.1]),
                          np.full(1, np.nan), np.arange(1), np.full(1, -1),
                          np.array([1, 1]), np.array([AS_OF + 60, AS_OF + 120]),
                          np.array([12.0, 14.0]), [1], [], [], [], [1], [1], [1.0])
    assert plan_values(snap.plans, [0, 0, 0], [AS_OF, AS_OF + 30, AS_OF + 60]).tolist() == [
        10.0, 11.0, 12.0]
    assert evaluate(snap, AS_OF).metrics.status.status[0] == Status.ON_TRACK

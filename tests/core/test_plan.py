"""Plan value, progress, variance and tolerance bands."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steerco.core.directions import Direction
from steerco.core.plan import (
    PlanSet,
    ToleranceKind,
    ToleranceState,
    default_plans,
    meets_target,
    plan_value_at,
    plan_values,
    progress,
    tolerance_band,
    tolerance_state,
    variance,
)
from steerco.kit.dates import NO_DAY

UP, DOWN, ABOVE, BELOW = (Direction.INCREASE_TO, Direction.DECREASE_TO,
                          Direction.STAY_AT_OR_ABOVE, Direction.STAY_AT_OR_BELOW)
nan = math.nan


def test_direction_codes_and_names_are_stable():
    assert [int(d) for d in Direction] == [0, 1, 2, 3]
    assert Direction.from_name("stay_at_or_below") is BELOW
    assert Direction.from_name("increase_to").wire_name == "increase_to"
    with pytest.raises(ValueError):
        Direction.from_name("sideways")


def test_the_default_plan_is_linear_from_baseline_to_target_and_flat_outside():
    plans = default_plans([UP, DOWN], [0.0, 100.0], [0, 0], [100.0, 50.0], [100, 100])
    assert plan_value_at(plans, 25).tolist() == [25.0, 87.5]
    assert plan_value_at(plans, -10).tolist() == [0.0, 100.0]
    assert plan_value_at(plans, 1000).tolist() == [100.0, 50.0]


def test_a_stay_metric_plan_is_flat_at_its_threshold():
    plans = default_plans([ABOVE, BELOW], [80.0, 5.0], [0, 0], [95.0, 2.0], [100, NO_DAY])
    assert plan_value_at(plans, -50).tolist() == [95.0, 2.0]
    assert plan_value_at(plans, 500).tolist() == [95.0, 2.0]


def test_a_missing_baseline_leaves_a_plan_flat_at_the_target():
    plans = default_plans([UP, UP], [nan, 10.0], [0, NO_DAY], [100.0, 100.0], [100, 100])
    assert plan_value_at(plans, 0).tolist() == [100.0, 100.0]


def test_a_metric_with_neither_baseline_nor_target_has_no_plan():
    plans = default_plans([UP], [nan], [NO_DAY], [nan], [NO_DAY])
    assert plans.counts.tolist() == [0]
    assert np.isnan(plan_value_at(plans, 5)).all()


def test_explicit_plan_points_are_piecewise_linear_in_any_input_order():
    plans = PlanSet.from_points([0, 0, 0, 1], [31, 0, 59, 10], [10.0, 0.0, 40.0, 7.0], n=3)
    assert plans.counts.tolist() == [3, 1, 0]
    values = plan_values(plans, [0, 0, 0, 0, 1, 2], [0, 15, 31, 45, 99, 5])
    assert values[:5].tolist() == [0.0, pytest.approx(15 / 31 * 10), 10.0, 25.0, 7.0]
    assert math.isnan(values[5])


def test_two_points_on_one_day_are_a_step_and_the_later_one_counts():
    plans = PlanSet.from_points([0, 0, 0], [0, 10, 10], [0.0, 5.0, 20.0], n=1)
    assert plan_values(plans, [0, 0, 0], [10, 5, 11]).tolist() == [20.0, 2.5, 20.0]


def test_bad_plan_points_are_dropped_not_raised():
    plans = PlanSet.from_points([0, 0, 5, -1, 0], [0, NO_DAY, 1, 1, 10],
                                [1.0, 2.0, 3.0, 4.0, nan], n=1)
    assert plans.counts.tolist() == [1]
    assert plan_value_at(plans, 99).tolist() == [1.0]


def test_plans_from_caller_csr_arrays_are_sorted_and_queries_for_unknown_metrics_are_nan():
    plans = PlanSet.from_ragged([0, 2, 2, 3], [10, 0, 4], [1.0, 0.0, 9.0])
    assert plan_value_at(plans, 5).tolist()[0] == 0.5
    assert math.isnan(plan_value_at(plans, 5)[1])
    assert np.isnan(plan_values(plans, [7, -1, 0], [0, 0, NO_DAY])).all()


def test_an_empty_plan_set_answers_nan():
    plans = PlanSet.from_points([], [], [], n=2)
    assert np.isnan(plan_value_at(plans, 0)).all()
    assert plan_value_at(PlanSet.from_points([], [], [], n=0), 0).shape == (0,)


def test_progress_of_increase_and_decrease_is_the_share_of_the_way_from_baseline():
    p = progress([UP, DOWN, UP, DOWN], [0.0, 100.0, 0.0, 100.0], [100.0, 50.0, 100.0, 50.0],
                 [25.0, 75.0, 150.0, 120.0])
    assert p.tolist() == [0.25, 0.5, 1.5, -0.4]


def test_progress_with_target_equal_to_baseline_is_attainment():
    p = progress([UP, UP, DOWN, DOWN], 10.0, 10.0, [10.0, 9.0, 10.0, 11.0])
    assert p.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_progress_with_a_target_on_the_wrong_side_of_the_baseline_is_attainment():
    assert progress([UP, UP], 100.0, 50.0, [60.0, 40.0]).tolist() == [1.0, 0.0]


def test_a_stay_metric_scores_one_while_it_holds_and_falls_to_zero_over_one_band():
    p = progress([ABOVE] * 4 + [BELOW] * 3, nan, [95.0] * 4 + [2.0] * 3,
                 [96.0, 94.0, 93.0, 90.0, 2.0, 2.5, 3.5], band=2.0)
    assert p.tolist() == [1.0, 0.5, 0.0, 0.0, 1.0, 0.75, 0.25]


def test_a_stay_metric_without_a_band_is_strictly_one_or_zero():
    assert progress([ABOVE, ABOVE], nan, 95.0, [95.0, 94.99]).tolist() == [1.0, 0.0]


def test_progress_is_nan_for_missing_actual_target_baseline_or_direction():
    p = progress([UP, UP, UP, ABOVE, 9], [0.0, 0.0, nan, nan, 0.0], [1.0, nan, 1.0, 1.0, 1.0],
                 [nan, 0.5, 0.5, nan, 0.5])
    assert np.isnan(p).all()


@settings(max_examples=200, deadline=None)
@given(direction=st.sampled_from(list(Direction)),
       baseline=st.floats(-1e6, 1e6), target=st.floats(-1e6, 1e6),
       a=st.floats(-1e6, 1e6), b=st.floats(-1e6, 1e6), band=st.floats(0, 1e4))
def test_progress_is_monotone_in_the_actual_for_its_direction(direction, baseline, target,
                                                              a, b, band):
    lo, hi = min(a, b), max(a, b)
    p_lo, p_hi = progress([direction] * 2, baseline, target, [lo, hi], band=band).tolist()
    if direction.higher_is_better:
        assert p_hi >= p_lo - 1e-9
    else:
        assert p_hi <= p_lo + 1e-9


def test_meets_target_follows_the_direction():
    met = meets_target([UP, DOWN, ABOVE, BELOW, UP], 10.0, [10.0, 10.0, 9.0, 11.0, nan])
    assert met.tolist() == [True, True, False, False, False]


def test_variance_is_signed_so_positive_is_better_for_every_direction():
    v = variance([UP, DOWN, ABOVE, BELOW], 100.0, [110.0, 110.0, 90.0, 90.0])
    assert v.absolute.tolist() == [10.0, -10.0, -10.0, 10.0]
    assert v.relative.tolist() == [0.1, -0.1, -0.1, 0.1]


def test_relative_variance_against_a_zero_plan_is_nan():
    v = variance([UP, UP], [0.0, nan], [5.0, 5.0])
    assert v.absolute[0] == 5.0
    assert np.isnan(v.relative).all()
    assert math.isnan(v.absolute[1])


def test_a_relative_band_scales_with_the_plan_and_an_absolute_band_does_not():
    band = tolerance_band([ToleranceKind.RELATIVE, ToleranceKind.ABSOLUTE, ToleranceKind.NONE,
                           ToleranceKind.RELATIVE], [0.1, 3.0, 0.5, -1.0], [-200.0] * 4)
    assert band.tolist()[:2] == [20.0, 3.0]
    assert np.isnan(band[2:]).all()
    assert tolerance_band([ToleranceKind.NONE], [nan], [50.0], default_relative=0.05)[0] == 2.5


def test_within_tolerance_is_ok_beyond_is_a_breach_and_doing_better_never_breaches():
    state = tolerance_state([5.0, 0.0, -2.0, -2.5, nan, -0.1], [2.0, 2.0, 2.0, 2.0, 2.0, nan])
    assert state.tolist() == [ToleranceState.ON_PLAN, ToleranceState.ON_PLAN,
                              ToleranceState.WITHIN, ToleranceState.BREACH,
                              ToleranceState.UNKNOWN, ToleranceState.BREACH]


def test_plan_lookup_is_vectorised_over_many_metrics():
    n = 50_000
    rng = np.random.default_rng(3)
    metric = np.repeat(np.arange(n), 12)
    day = np.tile(np.arange(12) * 30, n)
    plans = PlanSet.from_points(metric, day, rng.normal(size=n * 12), n=n)
    values = plan_value_at(plans, rng.integers(-10, 400, n))
    assert values.shape == (n,)
    assert np.isfinite(values).all()

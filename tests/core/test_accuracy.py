"""Forecast accuracy by horizon: definitions pinned on hand-built records."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from steerco.core.accuracy import (
    accuracy_by_horizon,
    forecast_errors,
    horizons,
    periods_of_days,
)
from steerco.kit.dates import to_day


def test_an_error_is_forecast_minus_actual_so_over_forecasts_are_positive():
    assert forecast_errors([110.0, 90.0], [100.0, 100.0]).tolist() == [10.0, -10.0]


def test_an_adjustment_and_a_scale_give_errors_in_percent_of_the_scale():
    err = forecast_errors([100.0], [95.0], adjustment=[-3.0], scale=[200.0])
    assert err.tolist() == [1.0]


def test_sign_minus_one_reports_errors_on_negated_quantities_such_as_deficits():
    # A deficit of 200 projected (stored -200), 180 realised (stored -180): over-projected.
    assert forecast_errors([-200.0], [-180.0], sign=-1.0).tolist() == [20.0]


def test_a_zero_or_missing_scale_gives_a_nan_error():
    err = forecast_errors([1.0, 1.0], [0.0, 0.0], scale=[0.0, math.nan])
    assert np.isnan(err).all()


def test_the_issue_period_is_horizon_one_by_default_and_zero_when_asked():
    assert horizons([2020, 2020], [2020, 2023]).tolist() == [1, 4]
    assert horizons([2020], [2023], first=0).tolist() == [3]


def test_days_map_to_calendar_periods_that_step_by_one():
    days = [to_day(dt.date(2025, 12, 31)), to_day(dt.date(2026, 1, 1)),
            to_day(dt.date(2026, 4, 1))]
    assert periods_of_days(days, "year").tolist() == [2025, 2026, 2026]
    assert periods_of_days(days, "month").tolist() == [2025 * 12 + 11, 2026 * 12,
                                                       2026 * 12 + 3]
    assert periods_of_days(days, "quarter").tolist() == [2025 * 4 + 3, 2026 * 4, 2026 * 4 + 1]
    assert periods_of_days(days, "day").tolist() == days
    assert periods_of_days([0, 6, 7], "week").tolist() == [0, 0, 1]
    assert periods_of_days([to_day(dt.date(1969, 12, 31))], "year").tolist() == [1969]


def test_each_horizon_reports_n_mean_error_mean_absolute_error_and_rmse():
    table = accuracy_by_horizon([1, 1, 1, 2], [1.0, -2.0, 4.0, 3.0])
    assert table.horizon.tolist() == [1, 2]
    assert table.n.tolist() == [3, 1]
    assert table.mean_error[0] == 1.0
    assert table.mean_abs_error[0] == 7.0 / 3.0
    assert math.isclose(table.rmse[0], math.sqrt(21.0 / 3.0))
    assert table.spread[1] == 0.0  # one record: no spread


def test_the_spread_is_the_central_two_thirds_with_linear_interpolation():
    errors = np.array([5.0, -1.0, 0.0, 2.0, 9.0, 3.5, -4.0])
    table = accuracy_by_horizon(np.ones(7, dtype=int), errors)
    lo, hi = np.quantile(errors, [1 / 6, 5 / 6])
    assert math.isclose(table.spread[0], hi - lo)


def test_records_with_a_nan_error_are_left_out():
    table = accuracy_by_horizon([1, 1, 2], [1.0, math.nan, math.nan])
    assert table.horizon.tolist() == [1]
    assert table.n.tolist() == [1]


def test_empty_input_gives_an_empty_table():
    table = accuracy_by_horizon([], [], groups=([],))
    assert len(table) == 0
    assert table.groups.shape == (0, 1)


def test_groups_split_the_table_by_metric_and_owner_and_sort_by_keys_then_horizon():
    metric = [7, 7, 3, 3, 3]
    owner = [1, 1, 2, 2, 2]
    table = accuracy_by_horizon([2, 1, 1, 1, 2], [1.0, 2.0, 3.0, 5.0, -1.0],
                                groups=(metric, owner), target_period=[11, 10, 10, 12, 11])
    assert table.groups.tolist() == [[3, 2], [3, 2], [7, 1], [7, 1]]
    assert table.horizon.tolist() == [1, 2, 1, 2]
    assert table.n.tolist() == [2, 1, 1, 1]
    assert table.mean_error.tolist() == [4.0, -1.0, 2.0, 1.0]
    assert table.first_target.tolist() == [10, 11, 10, 11]
    assert table.last_target.tolist() == [12, 11, 10, 11]


def test_without_target_periods_the_range_is_minus_one():
    table = accuracy_by_horizon([1], [1.0])
    assert (table.first_target[0], table.last_target[0]) == (-1, -1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.floats(-1e6, 1e6)), min_size=1, max_size=40))
def test_grouped_statistics_equal_a_plain_per_horizon_computation(records):
    h = np.array([r[0] for r in records])
    e = np.array([r[1] for r in records])
    table = accuracy_by_horizon(h, e)
    for i, hz in enumerate(table.horizon.tolist()):
        sel = e[h == hz]
        assert table.n[i] == sel.size
        assert math.isclose(table.mean_error[i], sel.mean(), rel_tol=1e-9, abs_tol=1e-6)
        assert math.isclose(table.rmse[i], np.sqrt((sel**2).mean()), rel_tol=1e-9)
        lo, hi = np.quantile(sel, [1 / 6, 5 / 6])
        assert math.isclose(table.spread[i], hi - lo, rel_tol=1e-9, abs_tol=1e-6)
        assert table.mean_abs_error[i] <= table.rmse[i] * (1 + 1e-12) + 1e-12

"""Behaviour of the vectorised forecaster on hand-built series and real KPIs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steerco.core.forecast import (
    Direction,
    add_contributions,
    forecast,
    p_hit,
    p_hit_at,
    resample_ragged,
    resample_to_cadence,
    steps_until,
    value_at,
)


def monthly_seasonal(years: int = 8, trend: float = 0.0, seed: int = 1) -> np.ndarray:
    """Monthly sales with a December peak (+40%), mild noise, optional trend per month."""
    rng = np.random.default_rng(seed)
    t = np.arange(12 * years)
    shape = np.ones(12)
    shape[11] = 1.4  # December
    shape[0] = 0.85  # January hangover
    return np.asarray(100.0 * shape[t % 12] * (1.0 + trend * t)
                      * (1.0 + 0.01 * rng.standard_normal(t.size)))


def test_a_constant_series_is_forecast_flat_with_zero_width_intervals() -> None:
    fc = forecast(np.full((1, 30), 7.0), season_length=12, horizon=6)
    np.testing.assert_allclose(fc.mean, 7.0)
    np.testing.assert_allclose(fc.upper95 - fc.lower95, 0.0, atol=1e-9)
    np.testing.assert_allclose(fc.sd, 0.0, atol=1e-9)


def test_a_linear_trend_is_extrapolated_upwards() -> None:
    y = 50.0 + 2.0 * np.arange(60)  # last value 168
    fc = forecast(y, season_length=1, horizon=6)
    assert fc.mean[0, 0] > 168.0
    assert np.all(np.diff(fc.mean[0]) > 0)
    assert fc.mean[0, -1] == pytest.approx(180.0, rel=0.03)


def test_a_seasonal_series_is_not_read_as_a_trend() -> None:
    y = monthly_seasonal()  # ends on a December peak
    fc = forecast(y, season_length=12, horizon=12)
    assert fc.seasonal[0]
    # January falls back from the December peak instead of continuing "upwards" …
    assert fc.mean[0, 0] < 0.7 * y[-1]
    # … and the next December is the peak of the coming year again.
    assert int(np.argmax(fc.mean[0])) == 11
    assert np.mean(fc.mean[0]) == pytest.approx(np.mean(y[-12:]), rel=0.03)


def test_seasonality_is_not_modelled_without_three_cycles_of_history() -> None:
    fc = forecast(monthly_seasonal(years=2), season_length=12, horizon=3)
    assert not fc.seasonal[0]


def test_short_histories_of_one_to_three_points_get_sensible_forecasts() -> None:
    y = np.full((3, 5), np.nan)
    y[0, -1] = 10.0
    y[1, -2:] = [10.0, 12.0]
    y[2, -3:] = [10.0, 12.0, 11.0]
    fc = forecast(y, season_length=12, horizon=4)
    assert fc.mean[0] == pytest.approx([10.0] * 4)
    assert np.all(np.isnan(fc.sd[0]))  # one point says nothing about spread
    assert np.all(np.isfinite(fc.mean[1:])) and np.all(np.isfinite(fc.sd[1:]))
    assert np.all((fc.mean[1:] > 5.0) & (fc.mean[1:] < 20.0))
    assert np.all(fc.sd[1:] > 0)


def test_an_all_nan_row_gives_nan_and_leaves_the_other_rows_alone() -> None:
    y = np.vstack([np.full(40, np.nan), 100.0 + np.arange(40.0)])
    fc = forecast(y, season_length=1, horizon=3)
    assert np.all(np.isnan(fc.mean[0])) and np.all(np.isnan(fc.upper80[0]))
    alone = forecast(y[1:], season_length=1, horizon=3)
    np.testing.assert_allclose(fc.mean[1], alone.mean[0])


def test_rows_are_forecast_independently_of_their_neighbours() -> None:
    rng = np.random.default_rng(3)
    y = 100.0 + np.cumsum(rng.standard_normal((6, 80)), axis=1)
    y[2, :30] = np.nan  # a later start
    y[4, 50:53] = np.nan  # a gap
    both = forecast(y, season_length=12, horizon=5)
    for i in range(6):
        one = forecast(y[i:i + 1], season_length=12, horizon=5)
        np.testing.assert_allclose(both.mean[i], one.mean[0], rtol=1e-9)
        np.testing.assert_allclose(both.upper95[i], one.upper95[0], rtol=1e-9)


def test_intervals_nest_and_widen_with_the_horizon() -> None:
    rng = np.random.default_rng(7)
    y = np.vstack([monthly_seasonal(seed=s) for s in range(3)]
                  + [50.0 + np.cumsum(rng.standard_normal(96))])
    fc = forecast(y, season_length=12, horizon=18)
    assert np.all(fc.lower95 <= fc.lower80) and np.all(fc.lower80 <= fc.mean)
    assert np.all(fc.mean <= fc.upper80) and np.all(fc.upper80 <= fc.upper95)
    assert np.all(np.diff(fc.scale, axis=1) >= 0)
    # Relative width never shrinks (in absolute terms a December peak is wider than the
    # January after it, as multiplicative seasonality should be) …
    assert np.all(np.diff(np.log(fc.upper95 / fc.lower95), axis=1) >= -1e-12)
    # … and without seasonality the interval widens outright.
    assert np.all(np.diff(fc.upper95[3] - fc.lower95[3]) >= -1e-9)


def test_empty_inputs_give_empty_forecasts() -> None:
    assert forecast(np.zeros((0, 10)), 12, 3).mean.shape == (0, 3)
    assert forecast(np.ones((2, 10)), 12, 0).mean.shape == (2, 0)


def test_negative_values_are_forecast_on_the_value_scale() -> None:
    y = -50.0 + np.sin(np.arange(48)) * 5.0
    fc = forecast(y, season_length=1, horizon=3)
    assert not fc.log_rows[0]
    assert np.all(fc.mean < 0)


def test_threads_do_not_change_the_result() -> None:
    rng = np.random.default_rng(11)
    y = 100.0 + np.cumsum(rng.standard_normal((4100, 30)), axis=1)
    a = forecast(y, 4, 3)
    b = forecast(y, 4, 3, workers=2)
    np.testing.assert_array_equal(a.mean, b.mean)


# ---- P(hit) ---------------------------------------------------------------------------

def test_p_hit_reads_each_of_the_four_directions() -> None:
    d = np.array([Direction.INCREASE_TO, Direction.DECREASE_TO,
                  Direction.STAY_AT_OR_ABOVE, Direction.STAY_AT_OR_BELOW])
    p = p_hit(mean=110.0, sd=10.0, target=100.0, direction=d)
    assert p == pytest.approx([0.841345, 0.158655, 0.841345, 0.158655], abs=1e-6)


def test_p_hit_with_no_spread_is_certain_and_with_nan_is_unknown() -> None:
    d = Direction.INCREASE_TO
    assert p_hit(100.0, 0.0, 100.0, d) == 1.0
    assert p_hit(99.0, 0.0, 100.0, d) == 0.0
    assert np.isnan(p_hit(np.nan, 1.0, 100.0, d))
    assert np.isnan(p_hit(100.0, np.nan, 100.0, d))
    assert np.isnan(p_hit(100.0, 1.0, 100.0, 9))


@settings(max_examples=60, deadline=None)
@given(mean=st.floats(-1e6, 1e6), sd=st.floats(1e-3, 1e5),
       t1=st.floats(-1e6, 1e6), t2=st.floats(-1e6, 1e6),
       direction=st.sampled_from(list(Direction)))
def test_p_hit_is_monotone_in_the_target(mean: float, sd: float, t1: float, t2: float,
                                         direction: Direction) -> None:
    lo, hi = min(t1, t2), max(t1, t2)
    p_lo, p_hi = p_hit(mean, sd, [lo, hi], direction)
    assert 0.0 <= p_lo <= 1.0 and 0.0 <= p_hi <= 1.0
    if direction in (Direction.INCREASE_TO, Direction.STAY_AT_OR_ABOVE):
        assert p_hi <= p_lo  # a higher bar is harder to clear
    else:
        assert p_hi >= p_lo  # a higher ceiling is easier to stay under


@settings(max_examples=60, deadline=None)
@given(m1=st.floats(-1e4, 1e4), m2=st.floats(-1e4, 1e4), sd=st.floats(1e-2, 1e3),
       target=st.floats(-1e4, 1e4))
def test_p_hit_of_an_increase_rises_with_the_forecast(m1: float, m2: float, sd: float,
                                                      target: float) -> None:
    lo, hi = min(m1, m2), max(m1, m2)
    p_lo, p_hi = p_hit([lo, hi], sd, target, Direction.INCREASE_TO)
    assert p_hi >= p_lo
    q_lo, q_hi = p_hit([lo, hi], sd, target, Direction.DECREASE_TO)
    assert q_hi <= q_lo


def test_p_hit_at_uses_the_model_law_and_agrees_with_the_intervals() -> None:
    y = monthly_seasonal(trend=0.005)
    fc = forecast(y, season_length=12, horizon=12)
    up = Direction.INCREASE_TO
    assert p_hit_at(fc, 6, fc.upper80[0, 5], up)[0] == pytest.approx(0.10, abs=1e-9)
    assert p_hit_at(fc, 6, fc.lower95[0, 5], up)[0] == pytest.approx(0.975, abs=1e-9)
    assert p_hit_at(fc, 6, -5.0, up)[0] == 1.0  # a positive series clears a negative bar


# ---- horizons and planned contributions -------------------------------------------------

def test_the_target_date_is_counted_in_whole_cadence_steps() -> None:
    assert list(steps_until(100, [100, 101, 130, 131, 50], 30)) == [0, 1, 1, 2, 0]


def test_a_planned_contribution_lifts_the_forecast_from_its_step_on() -> None:
    fc = forecast(np.vstack([np.full(24, 10.0), np.full(24, 20.0)]), 1, 6)
    out = add_contributions(fc, series=[0, 0, 1, 1], step=[3, 5, 9, 2],
                            amount=[5.0, 1.0, 100.0, np.nan])
    np.testing.assert_allclose(out.mean[0], [10, 10, 15, 15, 16, 16])
    np.testing.assert_allclose(out.mean[1], 20.0)  # past the horizon, or NaN: skipped
    assert value_at(out.mean, [4, 99]) == pytest.approx([15.0, 20.0])
    assert p_hit_at(out, 3, 14.0, Direction.INCREASE_TO)[0] == 1.0
    assert p_hit_at(out, 2, 14.0, Direction.INCREASE_TO)[0] == 0.0


# ---- real business series ---------------------------------------------------------------

def _kpi(path: Path) -> np.ndarray:
    with path.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    return np.array([float(r[1]) for r in rows])


def test_real_monthly_wine_sales_are_found_seasonal_and_forecast_well(
        shared_data: Path) -> None:
    y = _kpi(shared_data / "kpis" / "pmdarima_wineind.csv")
    train, test = y[:-12], y[-12:]
    fc = forecast(train, season_length=12, horizon=12)
    assert fc.seasonal[0]
    ours = np.mean(np.abs(fc.mean[0] - test))
    naive = np.mean(np.abs(train[-1] - test))
    assert ours < 0.7 * naive
    inside = (test >= fc.lower95[0]) & (test <= fc.upper95[0])
    assert inside.mean() >= 0.75


# ---- irregular check-ins to a cadence grid ---------------------------------------------

def test_irregular_check_ins_keep_the_last_value_of_each_period_and_leave_gaps_nan() -> None:
    # Monthly-ish cadence of 30 days ending on day 300: steps (180,210] … (270,300].
    days = [185, 200, 199, 250, 301, 100]
    values = [1.0, 3.0, 2.0, 5.0, 99.0, 7.0]
    grid = resample_to_cadence(days, values, cadence_days=30, end_day=300, n_steps=4)
    # day 200 beats day 199 in the first step; (240,270] has 250; (270,300] had nothing
    # (day 301 is after the end, day 100 before the first step).
    np.testing.assert_array_equal(grid, [3.0, np.nan, 5.0, np.nan])


def test_a_correction_on_the_same_day_supersedes_the_earlier_entry() -> None:
    grid = resample_to_cadence([10, 10], [1.0, 2.0], cadence_days=7, end_day=13, n_steps=1)
    assert grid[0] == 2.0


def test_ragged_histories_resample_in_one_call_like_one_by_one() -> None:
    rng = np.random.default_rng(5)
    lengths = [0, 1, 7, 20]
    days = [rng.integers(0, 400, k) for k in lengths]
    vals = [rng.standard_normal(k) for k in lengths]
    offsets = np.r_[0, np.cumsum(lengths)]
    cad = np.array([7, 30, 30, 91])
    grid = resample_ragged(np.concatenate(vals), np.concatenate(days), offsets, cad, 400,
                           n_steps=12)
    assert grid.shape == (4, 12)
    assert np.all(np.isnan(grid[0]))
    for i in range(4):
        one = resample_to_cadence(days[i], vals[i], int(cad[i]), 400, n_steps=12)
        np.testing.assert_array_equal(grid[i], one)
    inferred = resample_ragged(np.concatenate(vals), np.concatenate(days), offsets, cad, 400)
    assert inferred.shape[1] >= 5  # covers the oldest observation on the finest cadence
    fc = forecast(grid, season_length=1, horizon=2)  # left gaps are what forecast expects
    assert np.isnan(fc.mean[0, 0]) and np.isfinite(fc.mean[3, 0])


def test_with_a_fixed_holdout_a_step_forecast_does_not_depend_on_the_horizon():
    rng = np.random.default_rng(5)
    y = 100 + np.cumsum(rng.normal(0.2, 1.0, (6, 150)), axis=1)
    short = forecast(y, season_length=52, horizon=20, holdout=13)
    long = forecast(y, season_length=52, horizon=70, holdout=13)
    np.testing.assert_allclose(long.mean[:, :20], short.mean)
    np.testing.assert_allclose(long.lower80[:, :20], short.lower80)
    np.testing.assert_allclose(long.upper95[:, :20], short.upper95)

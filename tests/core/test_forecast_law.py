"""The predictive law behind P(hit): Student-t from the row's own errors, recalibrated.

Hand-computed cases: the Cauchy CDF (t with 1 degree of freedom) is 1/2 + arctan(z)/π,
so T_1(1) = 0.75; the Beta(1, 1) CDF is the identity and the Beta(2, 1) CDF is u².
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

import steerco.core.forecast as fmod
from steerco.core.forecast import (
    CALIBRATION_BETA,
    Direction,
    add_contributions,
    forecast,
    law_cdf,
    law_ppf,
    p_hit,
    p_hit_at,
)
from steerco.core.forecast_engine import error_df

UP = Direction.INCREASE_TO
DOWN = Direction.DECREASE_TO


def random_walk(n: int, seed: int = 1) -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(seed).normal(0.0, 1.0, n))


def test_overlapping_k_step_errors_count_as_count_over_k_independent_ones() -> None:
    # 104 errors 13 steps ahead hold 8 independent ones; 10 errors 12 ahead less than
    # one, floored at 1 (Cauchy); fewer than 3 errors give no t law (NaN).
    np.testing.assert_array_equal(error_df(np.array([104.0, 10.0, 3.0]), 13),
                                  [8.0, 1.0, 1.0])
    assert error_df(np.array([48.0]), 12)[0] == 4.0
    assert np.isnan(error_df(np.array([2.0]), 1)[0])


def test_a_row_gets_the_degrees_of_freedom_of_its_own_error_count() -> None:
    # 60 points, 4 steps: k-step errors from origins 2 … 59 − k (58 − k of them) plus the
    # two holdout cuts = 60 − k errors, so df = (60 − k) / k: 59, 29, 19, 14.
    fc = forecast(random_walk(60), 1, 4)
    np.testing.assert_allclose(fc.df[0], [59.0, 29.0, 19.0, 14.0])
    # Past the dense steps df is that of the next estimated step (17, then 21): at 21
    # the holdout cuts (20 steps) no longer reach, so 58 − 21 = 37 errors.
    fc20 = forecast(random_walk(60), 1, 20)
    np.testing.assert_allclose(fc20.df[0, 13:17], 43.0 / 17.0)
    np.testing.assert_allclose(fc20.df[0, 17:], 37.0 / 21.0)


def test_short_histories_and_constant_rows_keep_the_normal_law() -> None:
    # Fewer than 13 points: the spread is the t-inflated random-walk floor already.
    fc = forecast(random_walk(8), 1, 4)
    assert np.all(np.isinf(fc.df))
    flat = forecast(np.full(30, 5.0), 1, 3)
    np.testing.assert_array_equal(flat.lower80, flat.upper80)
    assert p_hit_at(flat, 2, 5.0, UP)[0] == 1.0
    assert p_hit_at(flat, 2, 5.1, UP)[0] == 0.0


def test_with_an_infinite_df_the_law_is_the_plain_normal() -> None:
    z = np.array([-1.5, 0.0, 1.0])
    np.testing.assert_allclose(law_cdf(z, np.inf), ndtr(z), rtol=0, atol=1e-15)
    assert law_ppf(0.9, np.array([np.inf]))[0] == pytest.approx(1.2815515655446004)


def test_the_t_law_is_recalibrated_by_the_beta_cdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmod, "CALIBRATION_BETA", (1.0, 1.0))  # identity map
    assert law_cdf(1.0, 1.0) == pytest.approx(0.75, abs=1e-12)  # Cauchy: 1/2 + 1/4
    assert law_cdf(-1.0, 1.0) == pytest.approx(0.25, abs=1e-12)
    monkeypatch.setattr(fmod, "CALIBRATION_BETA", (2.0, 1.0))  # B(u) = u²
    assert law_cdf(1.0, 1.0) == pytest.approx(0.5625, abs=1e-12)
    assert law_cdf(0.0, 7.0) == pytest.approx(0.25, abs=1e-12)  # T(0) = 1/2 for any df
    # The inverse: B⁻¹(0.5625) = 0.75 and the Cauchy quantile at 0.75 is tan(π/4) = 1.
    assert law_ppf(0.5625, np.array([1.0]))[0] == pytest.approx(1.0, abs=1e-9)
    assert np.isnan(law_ppf(0.5, np.array([np.nan]))[0])


def test_the_shipped_recalibration_leans_up_and_keeps_probabilities_ordered() -> None:
    a, b = CALIBRATION_BETA
    # Fitted on the training backtest: outcomes land above the model's median slightly
    # more often than below, so P(value ≤ center) < 1/2 …
    assert a > b
    assert law_cdf(0.0, 10.0) < 0.5
    # … and the law stays a law: monotone, from 0 to 1.
    z = np.linspace(-30.0, 30.0, 601)
    c = law_cdf(z, 3.0)
    assert np.all(np.diff(c) >= 0) and c[0] < 1e-3 and c[-1] > 1 - 1e-3


def test_p_hit_follows_the_t_law_and_the_intervals_agree_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmod, "CALIBRATION_BETA", (1.0, 1.0))
    y = random_walk(60, seed=3) - 200.0  # negative values: modelled on the value scale
    fc = forecast(y, 1, 4)
    assert not fc.log_rows[0]
    c, s, df = fc.center[0, 3], fc.scale[0, 3], fc.df[0, 3]
    assert df == 14.0
    # Hand check against scipy's t: one scale above the center under t with 14 df.
    from scipy import stats
    assert p_hit_at(fc, 4, c + s, UP)[0] == pytest.approx(stats.t.sf(1.0, 14.0), abs=1e-12)
    assert p_hit_at(fc, 4, c + s, DOWN)[0] == pytest.approx(stats.t.cdf(1.0, 14.0), abs=1e-12)
    # The 80 % interval is the t's 10/90 % quantiles, wider than the normal's.
    assert fc.upper80[0, 3] - c == pytest.approx(stats.t.ppf(0.9, 14.0) * s, rel=1e-9)
    assert fc.upper80[0, 3] - c > 1.2815515655446004 * s


def test_p_hit_at_the_interval_bounds_is_their_nominal_probability() -> None:
    fc = forecast(np.vstack([random_walk(80, 4), random_walk(80, 5) + 50]), 1, 8)
    assert np.all(np.isfinite(fc.df))
    for k in (1, 5, 8):
        np.testing.assert_allclose(p_hit_at(fc, k, fc.upper80[:, k - 1], UP), 0.10, atol=1e-9)
        np.testing.assert_allclose(p_hit_at(fc, k, fc.lower80[:, k - 1], UP), 0.90, atol=1e-9)
        np.testing.assert_allclose(p_hit_at(fc, k, fc.upper95[:, k - 1], DOWN), 0.975,
                                   atol=1e-9)
    # The point forecast is not moved by the law: it stays the model's center.
    np.testing.assert_allclose(np.log(fc.mean), fc.center)


def test_a_planned_contribution_switches_the_row_to_the_normal_a_what_if_uses() -> None:
    fc = forecast(np.vstack([random_walk(60, 6), random_walk(60, 7)]), 1, 4)
    out = add_contributions(fc, series=[0], step=[1], amount=[3.0])
    assert np.all(np.isinf(out.df[0])) and np.all(out.df[1] == fc.df[1])
    tgt = out.mean[0, 3] + 0.5
    # steerco.core.impact scores a what-if with p_hit(mean + amount, sd): the same number.
    assert p_hit_at(out, 4, tgt, UP)[0] == pytest.approx(
        p_hit(out.mean[0, 3], out.sd[0, 3], tgt, UP), abs=1e-12)
    assert p_hit_at(out, 4, 1.0, UP)[1] == p_hit_at(fc, 4, 1.0, UP)[1]


def test_interval_quantiles_are_computed_once_per_distinct_row_and_exactly() -> None:
    df = np.array([[59.0, 29.0, 19.0], [59.0, 29.0, 19.0], [np.inf, np.inf, np.inf],
                   [3.0, 1.5, 1.0], [59.0, 29.0, 19.0]])
    for p, got in zip((0.1, 0.975), fmod._ppf_rows(df, (0.1, 0.975)), strict=True):
        np.testing.assert_array_equal(got, law_ppf(p, df))
    # Rows whose grouping key collides but whose values differ are still exact.
    twin = np.array([[2.0, 1.0], [1.0, 2.0]])
    monkey = fmod._ppf_rows(twin, (0.9,))[0]
    np.testing.assert_array_equal(monkey, law_ppf(0.9, twin))

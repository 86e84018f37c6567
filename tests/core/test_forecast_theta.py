"""Theta's drift: the trend of the last few cycles, not a trend across a level shift."""

from __future__ import annotations

import numpy as np
import pytest

from steerco.core.forecast_engine import fit_params, theta_slope_span


def _crash_then_recovery() -> np.ndarray:
    """Ten years of monthly log values: seven falling 1 %/month, three rising 1 %/month."""
    t = np.arange(120, dtype=np.float64)
    return np.where(t < 84, -0.01 * t, -0.84 + 0.01 * (t - 84))[None, :]


def test_theta_drift_follows_the_recovery_not_the_whole_window() -> None:
    z = _crash_then_recovery()
    span = theta_slope_span(12)
    assert span == 36
    drift = fit_params(z, np.array([0]), span).drift[0, 1]
    # Half the slope of the last 36 months (+1 %/month) — the whole window's slope
    # is negative and would forecast a recovering series to fall.
    assert drift == pytest.approx(0.005, abs=1e-9)
    assert fit_params(z, np.array([0])).drift[0, 1] < 0


def test_the_theta_span_counts_cycles_of_the_longest_season_only() -> None:
    assert theta_slope_span(1) is None  # no season: the whole window, as before
    assert theta_slope_span(4) == 24  # at least two years of quarters
    assert theta_slope_span(52) == 156
    assert theta_slope_span(24, (168,)) == 504

"""Strongly seasonal series: a day that swings from ~10 at night to thousands by day."""

from __future__ import annotations

import numpy as np

from steerco.core.forecast import forecast


def hourly_traffic(days: int = 35, seed: int = 3) -> np.ndarray:
    """Hourly counts: ~10 at night, ~2,000 by day, weekends at a third, each day's
    rush shifted by up to two hours and 15 % noise (the shape of M4 Hourly's worst)."""
    rng = np.random.default_rng(seed)
    out = []
    for d in range(days):
        shift = int(rng.integers(-2, 3))
        hours = (np.arange(24) - shift) % 24
        day = 10.0 + 2000.0 * np.exp(-0.5 * ((hours - 14) / 3.5) ** 2)
        if d % 7 in (5, 6):
            day = 10.0 + (day - 10.0) / 3.0
        out.append(day * np.exp(0.15 * rng.standard_normal(24)))
    return np.concatenate(out)


def smape(a: np.ndarray, f: np.ndarray) -> float:
    return float(np.mean(200.0 * np.abs(a - f) / (np.abs(a) + np.abs(f))))


def test_a_series_ruled_by_its_daily_cycle_is_never_forecast_flat() -> None:
    """Whatever a short holdout says, the forecast keeps the night low and the day high."""
    rows = [hourly_traffic(seed=s) for s in range(12)]
    y = np.array([r[:-48] for r in rows])
    fc = forecast(y, season_length=24, horizon=48, extra_seasons=(168,))
    assert fc.seasonal.all()
    for f in fc.mean:
        night, noon = f[(np.arange(48) + y.shape[1]) % 24 == 2], f[
            (np.arange(48) + y.shape[1]) % 24 == 14]
        assert night.max() < 100.0 < 300.0 < noon.min()  # a weekend day: a third


def test_the_weekly_cycle_of_hourly_data_is_used_when_given() -> None:
    rows = [hourly_traffic(seed=s) for s in range(12)]
    y = np.array([r[:-48] for r in rows])  # the held-back 48 hours fall on a weekend
    actual = np.array([r[-48:] for r in rows])
    daily = forecast(y, season_length=24, horizon=48)
    weekly = forecast(y, season_length=24, horizon=48, extra_seasons=(168,))
    assert smape(actual, weekly.mean) < smape(actual, daily.mean)

"""The M4 scorer reproduces the published figures, and the engine holds up against them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bench import m4

from steerco.core.forecast import forecast


def test_smape_and_mase_match_hand_computed_values() -> None:
    train = np.array([[np.nan, 10.0, 12.0, 11.0, 13.0]])  # naive steps 2, 1, 2 → 5/3
    actual = np.array([[12.0, 14.0]])
    fc = np.array([[13.0, 13.0]])
    assert m4.smape_per_series(actual, fc)[0] == pytest.approx(
        100.0 * (1 / 25 + 1 / 27))
    assert m4.mase_per_series(train, actual, fc, 1)[0] == pytest.approx(1.0 / (5.0 / 3.0))


def test_the_seasonality_test_needs_three_cycles_and_a_real_season() -> None:
    t = np.arange(48)
    seasonal = 100.0 + 20.0 * np.sin(2 * np.pi * t / 12)
    assert m4.seasonality_test(seasonal, 12)
    assert not m4.seasonality_test(seasonal[:30], 12)
    assert not m4.seasonality_test(seasonal, 1)
    noise = 100.0 + np.random.default_rng(0).standard_normal(48)
    assert not m4.seasonality_test(noise, 12)


def test_naive2_reproduces_the_published_weekly_benchmark(shared_data: Path) -> None:
    data = m4.load(shared_data / "m4", "Weekly")
    assert data.train.shape[0] == 359 and data.test.shape == (359, 13)
    s = m4.score(data, m4.naive2(data.train, data.horizon, data.frequency))
    assert round(s["smape"], 3) == 9.161
    assert round(s["mase"], 3) == 2.777


def test_the_engine_beats_the_published_damped_benchmark_on_m4_weekly(
        shared_data: Path) -> None:
    data = m4.load(shared_data / "m4", "Weekly")
    fc = forecast(data.train, season_length=52, horizon=13)
    s = m4.score(data, fc.mean)
    assert s["smape"] <= 8.866 and s["mase"] <= 2.404  # published Damped
    assert s["smape"] <= 8.706 and s["mase"] <= 2.548  # statsforecast AutoETS, same data
    assert 0.75 <= m4.coverage(data.test, fc.lower80, fc.upper80) <= 0.85

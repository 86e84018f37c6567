"""Forecast engine vs M4 Weekly and statsforecast peers, plus the 100k-series speed test.

    python -m bench.forecast_m4 [--quick] [--json]

Accuracy: all 359 M4 Weekly series, horizon 13, scored exactly as published (sMAPE; MASE
scaled by the in-sample naive, m = 1 for Weekly). Our engine models yearly seasonality
(season length 52, tested per series on the training data); the peers run as M4 ran
them (season length 1). Peers, in the same run on the same data: statsforecast AutoETS,
Naive (= Naive2 on Weekly), damped Holt (AutoETS "AAN" damped) and Theta.

Speed: 100,000 seeded synthetic monthly series of 104 points (level, trend, seasonality,
noise and random-walk mixes) → forecasts for 13 steps and P(hit) at step 12, against
statsforecast AutoETS (season length 12) on the first 2,000 of them.
--quick: 20,000 series and 300 peer series, no damped/Theta peers.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from bench import m4
from bench._common import run, shared_data
from steerco.core.forecast import Direction, forecast, p_hit_at

FloatArray = m4.FloatArray
H = 13
SEASON = 52  # weekly data has yearly seasonality; the engine tests for it per series
WORKERS = 2  # the machine's two cores; results do not depend on it


def synthetic(n: int, t_len: int = 104, m: int = 12, seed: int = 20240601) -> FloatArray:
    """Seeded positive series: lognormal level × trend × seasonality × noise × drift."""
    rng = np.random.default_rng(seed)
    t = np.arange(t_len)
    level = rng.lognormal(5.0, 1.0, n)[:, None]
    trend = (rng.normal(0.0, 0.004, n) * (rng.random(n) < 0.6))[:, None]
    amp = rng.uniform(0.0, 0.3, n) * (rng.random(n) < 0.5)
    phase = rng.integers(0, m, n)[:, None]
    season = amp[:, None] * np.sin(2.0 * np.pi * (t[None, :] + phase) / m)
    noise = rng.normal(0.0, 1.0, (n, t_len)) * rng.uniform(0.01, 0.15, n)[:, None]
    walk = np.cumsum(rng.normal(0.0, 1.0, (n, t_len)) * rng.uniform(0.0, 0.03, n)[:, None],
                     axis=1)
    return np.asarray(level * np.exp(trend * t + season + noise + walk), dtype=np.float64)


def _peer(make: Callable[[], Any], train: FloatArray, h: int,
          ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, float]:
    """Run a statsforecast model series by series; returns forecasts, bounds and seconds."""
    rows = [r[~np.isnan(r)] for r in train]
    make().forecast(y=rows[0], h=h, level=[80, 95])  # numba compiles on first use
    out = {k: np.empty((len(rows), h)) for k in ("mean", "lo-80", "hi-80", "lo-95", "hi-95")}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, x in enumerate(rows):
            res = make().forecast(y=x, h=h, level=[80, 95])
            for k, v in out.items():
                v[i] = res[k]
    secs = time.perf_counter() - t0
    return out["mean"], out["lo-80"], out["hi-80"], out["lo-95"], out["hi-95"], secs


def _scores(data: m4.M4Subset, mean: FloatArray, lo80: FloatArray, hi80: FloatArray,
            lo95: FloatArray, hi95: FloatArray, secs: float) -> dict[str, float]:
    s = m4.score(data, mean)
    return {"smape": round(s["smape"], 3), "mase": round(s["mase"], 3),
            "coverage80": round(m4.coverage(data.test, lo80, hi80), 3),
            "coverage95": round(m4.coverage(data.test, lo95, hi95), 3),
            "seconds": round(secs, 3),
            "series_per_second": round(data.train.shape[0] / secs, 1)}


def _accuracy(quick: bool) -> dict[str, Any]:
    from statsforecast.models import AutoETS, Naive, Theta

    data = m4.load(shared_data() / "m4", "Weekly")
    forecast(data.train[:4], SEASON, H)  # warm caches, like the peers' numba compile
    t0 = time.perf_counter()
    fc = forecast(data.train, SEASON, H, workers=WORKERS)
    ours = _scores(data, fc.mean, fc.lower80, fc.upper80, fc.lower95, fc.upper95,
                   time.perf_counter() - t0)
    ours["seasonal_series"] = int(fc.seasonal.sum())
    peers = {"autoets": _scores(data, *_peer(lambda: AutoETS(season_length=1), data.train, H)),
             "naive2": _scores(data, *_peer(Naive, data.train, H))}
    if not quick:
        peers["damped"] = _scores(data, *_peer(
            lambda: AutoETS(season_length=1, model="AAN", damped=True), data.train, H))
        peers["theta"] = _scores(data, *_peer(lambda: Theta(season_length=1), data.train, H))
    ets = peers["autoets"]
    ours["peers"] = peers
    ours["ratios"] = {
        "smape_vs_autoets": round(ours["smape"] / ets["smape"], 4),
        "mase_vs_autoets": round(ours["mase"] / ets["mase"], 4),
        "speed_vs_autoets": round(ours["series_per_second"] / ets["series_per_second"], 1),
    }
    ours["published"] = {"naive2": {"smape": 9.161, "mase": 2.777},
                         "damped": {"smape": 8.866, "mase": 2.404},
                         "theta": {"smape": 9.093, "mase": 2.637}}
    ours["targets_met"] = bool(
        ours["smape"] <= 8.866 and ours["mase"] <= 2.404
        and ours["smape"] <= ets["smape"] and ours["mase"] <= ets["mase"]
        and 0.75 <= ours["coverage80"] <= 0.85)
    return ours


def _speed(quick: bool) -> dict[str, Any]:
    from statsforecast.models import AutoETS

    n = 20_000 if quick else 100_000
    n_peer = 300 if quick else 2_000
    y = synthetic(n)
    target = y[:, -1] * 1.05
    direction = np.full(n, Direction.INCREASE_TO)
    forecast(y[:8], 12, H)
    t0 = time.perf_counter()
    fc = forecast(y, 12, H, workers=WORKERS)
    p = p_hit_at(fc, 12, target, direction)
    secs = time.perf_counter() - t0
    *_, peer_secs = _peer(lambda: AutoETS(season_length=12), y[:n_peer], H)
    per_ours = secs / n
    per_peer = peer_secs / n_peer
    return {"series": n, "points": int(y.shape[1]), "seconds": round(secs, 3),
            "workers": WORKERS, "p_hit_mean": round(float(np.nanmean(p)), 4),
            "peer_series": n_peer, "peer_seconds": round(peer_secs, 3),
            "speedup_vs_autoets": round(per_peer / per_ours, 1),
            "within_10s": bool(secs <= 10.0)}


def body(args: argparse.Namespace) -> dict[str, Any]:
    """Run the accuracy comparison and the speed test."""
    result = _accuracy(args.quick)
    result["speed"] = _speed(args.quick)
    return result


if __name__ == "__main__":
    run("forecast_m4", body, __doc__.splitlines()[0])

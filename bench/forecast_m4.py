"""Forecast engine vs M4 Weekly or Hourly and statsforecast peers, plus a speed test.

    python -m bench.forecast_m4 [--frequency weekly|hourly] [--quick] [--json]

Accuracy: all series of the M4 subset (Weekly: 359, horizon 13; Hourly: 414, horizon
48), scored exactly as published (sMAPE; MASE scaled by the in-sample seasonal naive,
m = 1 for Weekly, 24 for Hourly). Our engine is given the season length (52 weekly; 24
hourly, where it also looks for the weekly cycle of 168) and tests it per series. Fair
peers, in the same run on the same data, get the SAME season length: statsforecast
AutoETS and AutoTheta with season m, MSTL with every season (it carries seasons longer
than AutoETS's limit of 24); and, reported beside them, the non-seasonal variants as M4
ran them (AutoETS, Theta and damped Holt with season 1) and M4's Naive2.
`best_statsforecast` names the best peer per measure; `targets_met` means ahead of
Naive2, the best Theta and the best statsforecast peer on sMAPE and MASE, with 80 %
coverage in 0.75–0.85. Hourly writes `forecast_m4_hourly[-quick].json`.

Speed: 100,000 seeded synthetic monthly series of 104 points (level, trend, seasonality,
noise and random-walk mixes) → forecasts for 13 steps and P(hit) at step 12, against
statsforecast AutoETS (season length 12) on the first 2,000 of them.
--quick: 20,000 series and 300 peer series, no season-1 peers.
--engine-only: steerco's scores and speed without any peer (fast; writes
forecast_m4[_hourly]_engine[-quick].json).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from bench import m4
from bench._common import run, shared_data
from steerco.core.forecast import Direction, forecast, p_hit_at

FloatArray = m4.FloatArray
H = 13  # the speed test's horizon
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


#: Per frequency: M4 subset, the season length(s) the engine is given (the first is the
#: primary one; MSTL gets them all), and the published bars of the frequency.
FREQUENCIES: dict[str, dict[str, Any]] = {
    "weekly": {"subset": "Weekly", "seasons": (52,),
               "published": {"naive2": {"smape": 9.161, "mase": 2.777},
                             "damped": {"smape": 8.866, "mase": 2.404},
                             "theta": {"smape": 9.093, "mase": 2.637}}},
    "hourly": {"subset": "Hourly", "seasons": (24, 168),
               "published": {"naive2": {"smape": 18.383, "mase": 2.395},
                             "theta": {"smape": 18.138, "mase": 2.455},
                             "winner": {"smape": 9.328, "mase": 0.893}}},
}


def _peers(data: m4.M4Subset, seasons: tuple[int, ...], quick: bool,
           ) -> dict[str, dict[str, float]]:
    """statsforecast peers, each with the SAME season length the engine is given, plus the
    non-seasonal (season 1) variants as M4 ran them, and M4's Naive2."""
    from statsforecast.models import MSTL, AutoETS, AutoTheta, Theta

    m, h = seasons[0], data.horizon
    t0 = time.perf_counter()
    nv2 = m4.naive2(data.train, h, data.frequency)
    secs = time.perf_counter() - t0
    # Naive2 is a point forecast; its intervals are the naive's (random-walk) ones.
    peers = {"naive2": _scores(data, *_naive_bounds(data.train, nv2), secs)}
    # AutoETS models a season only up to 24 steps (statsforecast falls back to a
    # non-seasonal model beyond): for longer seasons MSTL carries the seasonality.
    peers[f"autoets_m{m}"] = _scores(data, *_peer(lambda: AutoETS(season_length=m),
                                                  data.train, h))
    peers[f"autotheta_m{m}"] = _scores(data, *_peer(lambda: AutoTheta(season_length=m),
                                                    data.train, h))
    peers[f"mstl_m{'_'.join(map(str, seasons))}"] = _scores(data, *_peer(
        lambda: MSTL(season_length=list(seasons),
                     trend_forecaster=AutoETS(model="ZZN")), data.train, h))
    if not quick:
        peers["autoets_m1"] = _scores(data, *_peer(lambda: AutoETS(season_length=1),
                                                   data.train, h))
        peers["theta_m1"] = _scores(data, *_peer(lambda: Theta(season_length=1),
                                                 data.train, h))
        peers["damped_m1"] = _scores(data, *_peer(
            lambda: AutoETS(season_length=1, model="AAN", damped=True), data.train, h))
    return peers


def _naive_bounds(train: FloatArray, point: FloatArray,
                  ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Naive2's point forecast with random-walk intervals (sd of one step · sqrt(k))."""
    step_sd = np.nanstd(np.diff(train, axis=1), axis=1)[:, None]
    sd = step_sd * np.sqrt(np.arange(1, point.shape[1] + 1))[None, :]
    return (point, point - 1.2816 * sd, point + 1.2816 * sd,
            point - 1.96 * sd, point + 1.96 * sd)


def _accuracy(quick: bool, frequency: str = "weekly", engine_only: bool = False,
              ) -> dict[str, Any]:
    cfg = FREQUENCIES[frequency]
    seasons: tuple[int, ...] = cfg["seasons"]
    data = m4.load(shared_data() / "m4", cfg["subset"])
    h = data.horizon
    forecast(data.train[:4], seasons[0], h, extra_seasons=seasons[1:])  # warm caches
    t0 = time.perf_counter()
    fc = forecast(data.train, seasons[0], h, workers=WORKERS, extra_seasons=seasons[1:])
    ours = _scores(data, fc.mean, fc.lower80, fc.upper80, fc.lower95, fc.upper95,
                   time.perf_counter() - t0)
    ours["frequency"] = frequency
    ours["season_lengths"] = list(seasons)
    ours["seasonal_series"] = int(fc.seasonal.sum())
    if engine_only:
        return ours
    peers = _peers(data, seasons, quick)
    ours["peers"] = peers
    sf = {k: v for k, v in peers.items() if k != "naive2"}
    best = {key: min(sf, key=lambda k: sf[k][key]) for key in ("smape", "mase")}
    ours["best_statsforecast"] = {key: {"peer": best[key], key: sf[best[key]][key]}
                                  for key in ("smape", "mase")}
    theta = min((k for k in peers if "theta" in k), key=lambda k: peers[k]["smape"])
    beat = ("naive2", theta, best["smape"], best["mase"])
    ours["ratios"] = {f"{key}_vs_{k}": round(ours[key] / peers[k][key], 4)
                      for k in dict.fromkeys(beat) for key in ("smape", "mase")}
    ours["published"] = cfg["published"]
    ahead = all(ours[key] < peers[k][key] for k in beat for key in ("smape", "mase"))
    ours["targets_met"] = bool(ahead and 0.75 <= ours["coverage80"] <= 0.85)
    return ours


def _speed(quick: bool, engine_only: bool = False) -> dict[str, Any]:
    from statsforecast.models import AutoETS

    n = 20_000 if quick else 100_000
    n_peer = 300 if quick else 2_000
    y = synthetic(n)
    target = y[:, -1] * 1.05
    direction = np.full(n, Direction.INCREASE_TO)
    forecast(y[:8], 12, H)
    t0, c0 = time.perf_counter(), time.process_time()
    fc = forecast(y, 12, H, workers=WORKERS)
    p = p_hit_at(fc, 12, target, direction)
    secs = time.perf_counter() - t0
    cpu = round(time.process_time() - c0, 3)  # all threads: what a loaded machine hides
    if engine_only:
        return {"series": n, "points": int(y.shape[1]), "seconds": round(secs, 3),
                "cpu_seconds": cpu, "workers": WORKERS,
                "p_hit_mean": round(float(np.nanmean(p)), 4), "within_10s": bool(secs <= 10.0)}
    *_, peer_secs = _peer(lambda: AutoETS(season_length=12), y[:n_peer], H)
    per_ours = secs / n
    per_peer = peer_secs / n_peer
    return {"series": n, "points": int(y.shape[1]), "seconds": round(secs, 3),
            "cpu_seconds": cpu, "workers": WORKERS, "p_hit_mean": round(float(np.nanmean(p)), 4),
            "peer_series": n_peer, "peer_seconds": round(peer_secs, 3),
            "speedup_vs_autoets": round(per_peer / per_ours, 1),
            "within_10s": bool(secs <= 10.0)}


def body(args: argparse.Namespace) -> dict[str, Any]:
    """Run the accuracy comparison and (weekly only) the speed test."""
    result = _accuracy(args.quick, args.frequency, args.engine_only)
    if args.frequency == "weekly":
        result["speed"] = _speed(args.quick, args.engine_only)
    return result


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frequency", choices=sorted(FREQUENCIES), default="weekly",
                   help="M4 subset: weekly (season 52) or hourly (seasons 24 and 168)")
    p.add_argument("--engine-only", action="store_true",
                   help="steerco's scores and speed only, without the statsforecast peers")


if __name__ == "__main__":
    freq = "hourly" if "hourly" in sys.argv else "weekly"
    only = "_engine" if "--engine-only" in sys.argv else ""
    run(("forecast_m4" if freq == "weekly" else f"forecast_m4_{freq}") + only, body,
        __doc__.splitlines()[0], _args)

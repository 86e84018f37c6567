"""Interval coverage on short histories: 4 to 12 points cut from real series.

    python -m bench.short_history [--quick] [--json]

Most key results have 4–12 check-ins when their forecast matters. Windows of n = 4 … 12
points are cut at rolling origins from the real series in ../shared/data/kpis
(quarterly beer production, monthly wine sales, monthly electrical-equipment orders and
the 22 monthly US employment sectors) and from M4 Weekly; each is forecast a quarter and
a year past its last point (3 and 12 steps monthly, 1 and 4 quarterly, 13 and 52
weekly) and the truth is checked against the 80 % and 95 % intervals. Goal: coverage
within ±5 points of 80 % and 95 % for every history length. The peer in the same run is
the naive random walk with drift and Student-t intervals, the textbook answer for a
short series.
--quick: every third origin and the first 120 M4 series.
"""

from __future__ import annotations

import argparse
import csv
from typing import Any

import numpy as np
from scipy import stats

from bench import m4
from bench._common import run, shared_data
from steerco.core.forecast import forecast

FloatArray = m4.FloatArray
LENGTHS = range(4, 13)


def _series() -> list[tuple[str, FloatArray, int, tuple[int, int]]]:
    """(name, values, season length, (quarter, year) steps) of every real series."""
    kp = shared_data() / "kpis"
    out: list[tuple[str, FloatArray, int, tuple[int, int]]] = []

    def col(path: str, c: int) -> FloatArray:
        with (kp / path).open(newline="") as f:
            rows = list(csv.reader(f))[1:]
        return np.array([float(r[c]) for r in rows if r[c] not in ("", "NA")])

    out.append(("ausbeer", col("pmdarima_ausbeer.csv", 1), 4, (1, 4)))
    out.append(("wineind", col("pmdarima_wineind.csv", 1), 12, (3, 12)))
    out.append(("elec_equip", col("statsmodels_elec_equip.csv", 1), 12, (3, 12)))
    with (kp / "vega_us_employment.csv").open(newline="") as f:
        header = next(csv.reader(f))
    for c in range(1, len(header)):
        if header[c] != "nonfarm_change":
            out.append((f"us_employment.{header[c]}", col("vega_us_employment.csv", c), 12,
                        (3, 12)))
    return out


def _windows(x: FloatArray, n: int, k: int, stride: int) -> tuple[FloatArray, FloatArray]:
    origins = np.arange(n, x.size - k + 1, stride)
    hist = np.stack([x[o - n:o] for o in origins]) if origins.size else np.zeros((0, n))
    return hist, x[origins + k - 1]


def _drift_t(hist: FloatArray, k: int) -> tuple[FloatArray, FloatArray, FloatArray,
                                                 FloatArray, FloatArray]:
    """Random walk with drift, t intervals with the drift's own uncertainty."""
    n = hist.shape[1]
    d = np.diff(hist, axis=1)
    drift = d.mean(axis=1)
    s = d.std(axis=1, ddof=1)
    mean = hist[:, -1] + k * drift
    sd = s * np.sqrt(k + k * k / (n - 1))
    t80, t95 = stats.t.ppf(0.9, n - 2), stats.t.ppf(0.975, n - 2)
    return mean, mean - t80 * sd, mean + t80 * sd, mean - t95 * sd, mean + t95 * sd


def _cover(truth: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    return (truth >= lo) & (truth <= hi)


def body(args: argparse.Namespace) -> dict[str, Any]:
    """Coverage per history length, ours and the peer's, pooled over series and horizons."""
    stride = 3 if args.quick else 1
    series = _series()
    w = m4.load(shared_data() / "m4", "Weekly")
    for i, row in enumerate(w.train[: 120 if args.quick else None]):
        x = np.concatenate([row[~np.isnan(row)], w.test[i]])
        series.append((f"m4.{w.ids[i]}", x, 52, (13, 52)))
    per_n: dict[str, Any] = {}
    for n in LENGTHS:
        hits: dict[str, list[FloatArray]] = {k: [] for k in ("o80", "o95", "p80", "p95")}
        by_h: dict[str, list[FloatArray]] = {"quarter80": [], "year80": [],
                                             "quarter95": [], "year95": []}
        for _name, x, m, steps in series:
            # M4 series are long: a handful of origins each keeps the mix balanced.
            st = stride * (max(1, (x.size - n) // 40) if m == 52 else 1)
            for label, k in zip(("quarter", "year"), steps, strict=True):
                hist, truth = _windows(x, n, k, st)
                if hist.shape[0] == 0:
                    continue
                fc = forecast(hist, m, k)
                c80 = _cover(truth, fc.lower80[:, -1], fc.upper80[:, -1])
                c95 = _cover(truth, fc.lower95[:, -1], fc.upper95[:, -1])
                _, l80, u80, l95, u95 = _drift_t(hist, k)
                hits["o80"].append(c80)
                hits["o95"].append(c95)
                hits["p80"].append(_cover(truth, l80, u80))
                hits["p95"].append(_cover(truth, l95, u95))
                by_h[f"{label}80"].append(c80)
                by_h[f"{label}95"].append(c95)
        cov = {k: float(np.mean(np.concatenate(v))) for k, v in hits.items()}
        per_n[str(n)] = {
            "windows": int(np.concatenate(hits["o80"]).size),
            "coverage80": round(cov["o80"], 3), "coverage95": round(cov["o95"], 3),
            "by_horizon": {k: round(float(np.mean(np.concatenate(v))), 3)
                           for k, v in by_h.items()},
            "peer_drift_t": {"coverage80": round(cov["p80"], 3),
                             "coverage95": round(cov["p95"], 3)},
        }
    ok = all(abs(v["coverage80"] - 0.80) <= 0.05 and abs(v["coverage95"] - 0.95) <= 0.05
             for v in per_n.values())
    return {"series": len(series), "lengths": per_n, "targets_met": bool(ok)}


if __name__ == "__main__":
    run("short_history", body, __doc__.splitlines()[0])

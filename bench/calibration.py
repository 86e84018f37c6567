"""Is P(hit) calibrated? A backtest on real series: Brier score, ECE, reliability table.

    python -m bench.calibration [--quick] [--json]

Every forecast the engine makes at a rolling origin of a real series — M4 Weekly (359
series, horizon 13), M4 Hourly (414, horizon 48, seasons 24 and 168) and the KPI series
of ../shared/data/kpis (a year ahead) — is asked for P(value ≥ target) at its last
step, for targets set at five quantiles (10/30/50/70/90 %) of the true outcomes of its
data set (expressed as growth over the last value, so a target is a plausible goal for
every series and never depends on that series' own outcome). Each P(hit) is recorded
with whether the target was hit.

Reported: the Brier score (mean squared error of P(hit) against 0/1), the expected
calibration error (ECE: P(hit) in ten equal-width bins, the count-weighted mean of
|mean P(hit) − share hit|) and the reliability table behind it; the peer in the same
run is climatology (P(hit) = the share of hits at that target quantile), whose ECE is
near 0 by construction and whose Brier score is the one to beat. Goal: ECE ≤ 0.05.
--quick: M4 origins at the end of the training data only, every third KPI origin.
"""

from __future__ import annotations

import argparse
import csv
from typing import Any

import numpy as np

from bench import m4
from bench._common import run, shared_data
from steerco.core.calibration import reliability
from steerco.core.forecast import Direction, forecast, p_hit_at

FloatArray = m4.FloatArray
QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)
BINS = 10


def _m4_cases(subset: str, seasons: tuple[int, ...], origins: int,
              ) -> tuple[FloatArray, FloatArray, FloatArray, int, tuple[int, ...]]:
    """(histories, last values, truths at the horizon end, h, seasons) of M4 origins."""
    d = m4.load(shared_data() / "m4", subset)
    full = np.concatenate([d.train, d.test], axis=1)
    h = d.horizon
    hist, truth = [], []
    for o in range(origins):
        end = full.shape[1] - h * (o + 1)
        hist.append(full[:, :end])
        truth.append(full[:, end + h - 1])
    width = min(x.shape[1] for x in hist)
    hs = np.concatenate([x[:, -width:] for x in hist])
    return hs, hs[:, -1], np.concatenate(truth), h, seasons


def _kpi_series() -> list[tuple[FloatArray, int]]:
    kp = shared_data() / "kpis"
    out: list[tuple[FloatArray, int]] = []
    for name, m in (("pmdarima_ausbeer.csv", 4), ("pmdarima_wineind.csv", 12),
                    ("statsmodels_elec_equip.csv", 12), ("vega_us_employment.csv", 12)):
        with (kp / name).open(newline="") as f:
            rows = list(csv.reader(f))
        for c in range(1, len(rows[0])):
            if rows[0][c] != "nonfarm_change":
                out.append((np.array([float(r[c]) for r in rows[1:] if r[c] not in ("", "NA")]), m))
    return out


def _score(p: FloatArray, hit: FloatArray) -> dict[str, Any]:
    r = reliability(p, hit, BINS)
    return {"n": r.n, "brier": round(r.brier, 4), "ece": round(r.ece, 4),
            "reliability": [{"bin": f"{lo:.1f}-{hi:.1f}", "n": c, "mean_p_hit": round(mp, 4),
                             "share_hit": round(mh, 4)} for lo, hi, c, mp, mh in r.table]}


def _ask(hist: FloatArray, last: FloatArray, truth: FloatArray, fc_step: Any,
         ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P(hit), hit and the quantile index for every (forecast, target) pair."""
    fc, k = fc_step
    ok = np.isfinite(truth) & np.isfinite(last) & (last != 0) & ~np.isnan(fc.center[:, -1])
    growth = truth[ok] / last[ok]
    ps, hits, qs = [], [], []
    for j, q in enumerate(QUANTILES):
        target = last * float(np.quantile(growth, q))
        p = p_hit_at(fc, k, target, Direction.INCREASE_TO)[ok]
        ps.append(p)
        hits.append((truth[ok] >= target[ok]).astype(np.float64))
        qs.append(np.full(p.size, j))
    return np.concatenate(ps), np.concatenate(hits), np.concatenate(qs)


def body(args: argparse.Namespace) -> dict[str, Any]:
    """Run the backtest and score P(hit) against the outcomes."""
    parts: dict[str, tuple[FloatArray, FloatArray, FloatArray]] = {}
    origins = 1 if args.quick else 3
    for subset, seasons in (("Weekly", (52,)), ("Hourly", (24, 168))):
        hs, last, truth, h, ss = _m4_cases(subset, seasons, origins)
        fc = forecast(hs, ss[0], h, extra_seasons=ss[1:], workers=2)
        parts[f"m4_{subset.lower()}"] = _ask(hs, last, truth, (fc, h))
    stride = 3 if args.quick else 1
    ks_h, ks_l, ks_t, ks_p = [], [], [], []
    for x, m in _kpi_series():
        h = 4 if m == 4 else 12
        for end in range(24, x.size - h + 1, stride):
            ks_h.append(x[max(0, end - 120):end])
            ks_t.append(x[end + h - 1])
            ks_p.append(m)
    for m in (4, 12):
        idx = [i for i, mm in enumerate(ks_p) if mm == m]
        hist = m4.left_padded([list(ks_h[i]) for i in idx])
        truth = np.array([ks_t[i] for i in idx])
        h = 4 if m == 4 else 12
        fc = forecast(hist, m, h, workers=2)
        ks_l.append(_ask(hist, hist[:, -1], truth, (fc, h)))
    parts["kpis"] = tuple(np.concatenate([x[i] for x in ks_l]) for i in range(3))  # type: ignore[assignment]
    p = np.concatenate([v[0] for v in parts.values()])
    hit = np.concatenate([v[1] for v in parts.values()])
    q = np.concatenate([v[2] for v in parts.values()])
    clim = np.zeros_like(p)
    for j in range(len(QUANTILES)):
        clim[q == j] = hit[q == j].mean()
    out = _score(p, hit)
    out["by_source"] = {k: {kk: vv for kk, vv in _score(v[0], v[1]).items()
                            if kk != "reliability"} for k, v in parts.items()}
    peer = _score(clim, hit)
    out["peers"] = {"climatology": {"brier": peer["brier"], "ece": peer["ece"]}}
    out["targets_met"] = bool(out["ece"] <= 0.05)
    return out


if __name__ == "__main__":
    run("calibration", body, __doc__.splitlines()[0])

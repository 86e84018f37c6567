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
Also peers: the same forecasts under the plain normal law (what P(hit) was before the
law became a recalibrated Student-t) and under the t law without the recalibration.
--quick: M4 origins at the end of the training data only, every third KPI origin.

--fit: the TRAINING backtest that fits the recalibration (`CALIBRATION_BETA` in
steerco.core.forecast): M4 Weekly and Hourly origins 3, 4 and 5 horizons before the end
of the data and M4 Weekly 52 weeks ahead at the last two year-ahead origins inside the
training part — disjoint from every origin scored above (those are 0–2 horizons back and
the KPI series). Prints the maximum-likelihood Beta(a, b) of the PIT values under the
t law at every forecast step, a leave-one-set-out check (fit on two sets, P(hit) scored
on the third) and the training scores; it does not change the code.
"""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

import numpy as np
from scipy import stats
from scipy.special import ndtr, stdtr

from bench import m4
from bench._common import run, shared_data
from steerco.core.calibration import reliability
from steerco.core.forecast import CALIBRATION_BETA, Direction, Forecast, forecast, p_hit_at

FloatArray = m4.FloatArray
QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)
BINS = 10


Case = tuple[FloatArray, FloatArray, FloatArray, int, tuple[int, ...]]


def _m4_cases(subset: str, seasons: tuple[int, ...], origins: int, first: int = 0,
              horizon: int | None = None, train_only: bool = False,
              paths: bool = False) -> Case:
    """(histories, last values, truths at the horizon end — or at every step with
    `paths` — h, seasons) of M4 origins first … first + origins − 1 horizons before the
    end (of the training part only with `train_only`)."""
    d = m4.load(shared_data() / "m4", subset)
    full = d.train if train_only else np.concatenate([d.train, d.test], axis=1)
    h = horizon or d.horizon
    hist, truth = [], []
    for o in range(first, first + origins):
        end = full.shape[1] - h * (o + 1)
        hist.append(full[:, :end])
        truth.append(full[:, end:end + h] if paths else full[:, end + h - 1])
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


def _model_z(fc: Forecast, k: int, value: FloatArray) -> FloatArray:
    """(value − center) / scale at step k on the modelling scale (log for log rows)."""
    lg = fc.log_rows
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(lg, np.log(np.where(lg & (value > 0), value, np.nan)), value)
        return np.asarray((v - fc.center[:, k - 1]) / fc.scale[:, k - 1], dtype=np.float64)


def _t_cdf(fc: Forecast, k: int, z: FloatArray) -> FloatArray:
    """The law without the recalibration: Student-t where df is finite, else normal."""
    d = fc.df[:, k - 1]
    fin = np.isfinite(d)
    return np.asarray(np.where(fin, stdtr(np.where(fin, d, 1.0), z), ndtr(z)),
                      dtype=np.float64)


def _ask(hist: FloatArray, last: FloatArray, truth: FloatArray, fc_step: Any,
         ) -> tuple[FloatArray, ...]:
    """P(hit), hit, the quantile index and the peers' P(hit) (plain normal law, t law
    without recalibration) for every (forecast, target) pair."""
    fc, k = fc_step
    ok = np.isfinite(truth) & np.isfinite(last) & (last != 0) & ~np.isnan(fc.center[:, -1])
    growth = truth[ok] / last[ok]
    ps, hits, qs, normal, tlaw = [], [], [], [], []
    for j, q in enumerate(QUANTILES):
        target = last * float(np.quantile(growth, q))
        p = p_hit_at(fc, k, target, Direction.INCREASE_TO)[ok]
        ps.append(p)
        hits.append((truth[ok] >= target[ok]).astype(np.float64))
        qs.append(np.full(p.size, j))
        z = _model_z(fc, k, target)
        t_up = (1.0 - _t_cdf(fc, k, z))[ok]
        z = z[ok]
        # Rows with a zero spread (constant histories) keep the engine's certain answer.
        normal.append(np.where(np.isfinite(z), 1.0 - ndtr(z), p))
        tlaw.append(np.where(np.isfinite(z), t_up, p))
    return tuple(np.concatenate(x) for x in (ps, hits, qs, normal, tlaw))


def _training_sets() -> dict[str, Case]:
    """The training backtest (see --fit): origins none of the scored runs use."""
    return {"m4_weekly_o3-5": _m4_cases("Weekly", (52,), 3, first=3, paths=True),
            "m4_hourly_o3-5": _m4_cases("Hourly", (24, 168), 3, first=3, paths=True),
            "m4_weekly_year_ahead_train": _m4_cases("Weekly", (52,), 2, horizon=52,
                                                    train_only=True, paths=True)}


def _pit(case: Case) -> tuple[FloatArray, tuple[FloatArray, ...]]:
    """PIT values under the t law (rows with a finite df) at EVERY step 1 … h — the
    recalibration acts on the law at every step (P(hit) at any target date, the
    intervals) — and the scored (P(hit), hit) pairs at the horizon end."""
    hs, last, paths, h, ss = case
    fc = forecast(hs, ss[0], h, extra_seasons=ss[1:], workers=2)
    pits = []
    for k in range(1, h + 1):
        z = _model_z(fc, k, paths[:, k - 1])
        fin = np.isfinite(fc.df[:, k - 1]) & np.isfinite(z)
        pits.append(_t_cdf(fc, k, z)[fin])
    return np.concatenate(pits), _ask(hs, last, paths[:, -1], (fc, h))


def _beta_fit(u: FloatArray) -> tuple[float, float]:
    a, b, _, _ = stats.beta.fit(np.clip(u, 1e-6, 1 - 1e-6), floc=0, fscale=1)
    return float(a), float(b)


def _mapped(pairs: tuple[FloatArray, ...], ab: tuple[float, float]) -> FloatArray:
    # P(hit) = 1 − B(1 − P_t(hit)): the map acts on the law's CDF at the target.
    return np.asarray(1.0 - stats.beta.cdf(1.0 - pairs[4], *ab), dtype=np.float64)


def _brief(p: FloatArray, hit: FloatArray) -> dict[str, Any]:
    return {k: v for k, v in _score(p, hit).items() if k != "reliability"}


def fit() -> dict[str, Any]:
    """Fit the Beta recalibration on the training backtest and report it."""
    sets = {name: _pit(case) for name, case in _training_sets().items()}
    a, b = _beta_fit(np.concatenate([u for u, _ in sets.values()]))
    out: dict[str, Any] = {"beta": [round(a, 3), round(b, 3)],
                           "shipped_beta": list(CALIBRATION_BETA)}
    loso = {}
    for name in sets:
        ab = _beta_fit(np.concatenate([u for k, (u, _) in sets.items() if k != name]))
        pairs = sets[name][1]
        loso[name] = {"beta": [round(ab[0], 3), round(ab[1], 3)],
                      **_brief(_mapped(pairs, ab), pairs[1])}
    out["leave_one_set_out"] = loso
    out["training"] = {
        name: {law: _brief(p, pairs[1]) for law, p in (
            ("normal", pairs[3]), ("t", pairs[4]), ("t_recalibrated", _mapped(pairs, (a, b))))}
        for name, (_, pairs) in sets.items()}
    return out


def body(args: argparse.Namespace) -> dict[str, Any]:
    """Run the backtest and score P(hit) against the outcomes."""
    if args.fit:
        return fit()
    parts: dict[str, tuple[FloatArray, ...]] = {}
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
    parts["kpis"] = tuple(np.concatenate([x[i] for x in ks_l]) for i in range(5))
    p, hit, q, normal, tlaw = (np.concatenate([v[i] for v in parts.values()])
                               for i in range(5))
    clim = np.zeros_like(p)
    for j in range(len(QUANTILES)):
        clim[q == j] = hit[q == j].mean()
    out = _score(p, hit)
    out["by_source"] = {k: _score(v[0], v[1]) for k, v in parts.items()}
    peer = _score(clim, hit)
    out["peers"] = {"climatology": {"brier": peer["brier"], "ece": peer["ece"]}}
    for name, i, pp in (("normal_law", 3, normal), ("t_law", 4, tlaw)):
        out["peers"][name] = {**_brief(pp, hit), "by_source": {
            k: _brief(v[i], v[1]) for k, v in parts.items()}}
    out["targets_met"] = bool(out["ece"] <= 0.05)
    out["targets_met_by_source"] = {k: bool(v["ece"] <= 0.05)
                                    for k, v in out["by_source"].items()}
    return out


def _flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fit", action="store_true",
                   help="fit the recalibration on the training backtest and report it")


if __name__ == "__main__":
    # The training fit writes bench/results/calibration_fit.json, not over the scores.
    run("calibration_fit" if "--fit" in sys.argv else "calibration", body,
        __doc__.splitlines()[0], _flags)

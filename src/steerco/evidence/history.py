"""Forecast history: store the forecasts issued at a review, judge them when actuals arrive.

A company learns whose forecasts to trust only if yesterday's forecasts are kept: each
review date stores every metric's forecast at its target date; once that date has passed
the forecast meets its actual, and the errors are summarised by horizon the way CBO
publishes its projection errors (n, mean error, mean absolute error, RMSE).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from steerco.core.accuracy import accuracy_by_horizon, forecast_errors, horizons, periods_of_days
from steerco.core.calibration import owner_calibration, reliability
from steerco.core.directions import Direction
from steerco.core.evidence import actual_at
from steerco.core.snapshot import Snapshot, rows_of
from steerco.evidence.repository import SnapshotRepository
from steerco.evidence.service import STATUS_NAMES, EngineState
from steerco.kit.dates import from_day, to_day
from steerco.kit.ids import format_id

FloatArray = npt.NDArray[np.float64]


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def record_forecasts(session: Session, workspace_id: int, st: EngineState,
                     review_id: int | None = None) -> int:
    """Store every metric's current forecast as issued on the evaluation date.

    Recording twice on the same date replaces that date's records (idempotent).
    """
    ev, snap = st.evaluation, st.snapshot
    issued = from_day(ev.as_of)
    mr = ev.metrics
    rows = []
    for i in range(snap.metrics.n):
        rows.append({
            "workspace_id": workspace_id, "metric_id": int(snap.metrics.ids[i]),
            "issued_on": issued, "target_date": from_day(int(snap.metrics.target_day[i])),
            "value": _f(mr.forecast[i]), "lower80": _f(mr.lower80[i]),
            "upper80": _f(mr.upper80[i]), "lower95": _f(mr.lower95[i]),
            "upper95": _f(mr.upper95[i]), "p_hit": _f(mr.p_hit[i]),
            "status": STATUS_NAMES[int(mr.status.status[i])], "review_id": review_id})
    repo = SnapshotRepository(session, workspace_id)
    repo.delete_forecasts(issued)
    repo.insert_forecasts(rows)
    return len(rows)


def _table(t: Any, key: str | None = None, fmt: Any = str) -> list[dict[str, Any]]:
    out = []
    for i in range(t.horizon.shape[0]):
        row: dict[str, Any] = {"horizon_months": int(t.horizon[i]), "n": int(t.n[i]),
                               "mean_error": round(float(t.mean_error[i]), 4),
                               "mean_abs_error": round(float(t.mean_abs_error[i]), 4),
                               "rmse": round(float(t.rmse[i]), 4)}
        if key is not None:
            row[key] = fmt(int(t.groups[i, 0]))
        out.append(row)
    return out


def accuracy_report(session: Session, workspace_id: int, st: EngineState,
                    up_to: dt.date) -> dict[str, Any]:
    """Accuracy by horizon (in months) per metric, per owner and overall.

    Errors are forecast − actual; per metric in the metric's unit, per owner and overall
    in percent of the actual (units differ between metrics). The actual of a target date
    is the last evidence on or before it, at most one cadence old.
    """
    repo = SnapshotRepository(session, workspace_id)
    metric, issued, target, value, owner = repo.due_forecasts(up_to)
    snap = st.snapshot
    rows = rows_of(snap.metrics.ids, metric)
    known = rows >= 0
    metric, issued, target, value, owner, rows = (
        a[known] for a in (metric, issued, target, value, owner, rows))
    measured = actual_at(snap, rows, target, snap.metrics.cadence_days[rows])
    ok = np.isfinite(measured)
    metric, issued, target, value, owner = (a[ok] for a in (metric, issued, target, value,
                                                             owner))
    actual = measured[ok]
    h = horizons(periods_of_days(issued, "month"), periods_of_days(target, "month"), first=0)
    err = forecast_errors(value, actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(actual != 0, forecast_errors(value, actual, scale=np.abs(actual)),
                       np.nan)
    fin = np.isfinite(pct)
    return {
        "forecasts_judged": int(ok.sum()),
        "overall": _table(accuracy_by_horizon(h[fin], pct[fin])),
        "per_owner": _table(accuracy_by_horizon(h[fin], pct[fin], groups=[owner[fin]]),
                            "owner_id", lambda k: format_id("person", k)),
        "per_metric": _table(accuracy_by_horizon(h, err, groups=[metric]), "metric_id",
                             lambda k: format_id("metric", k)),
        "owner_calibration": owner_confidence_report(snap, to_day(up_to)),
    }


#: |mean confidence − hit rate| from which an owner is called over- or under-confident.
CONFIDENCE_BIAS = 0.1


def confidence_pairs(snap: Snapshot, up_to: int,
                     ) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """(owner key, confidence, hit) of every judged check-in confidence (see below).

    Every check-in with a confidence, made on or before its metric's target date, once
    that date has passed (by `up_to`), is a pair; hit = the actual at the target date
    met the target in the metric's direction (NaN when there is no actual). Owner keys
    are person keys, −1 for an unowned metric.
    """
    m = snap.metrics
    snap.compact()
    rows = np.flatnonzero((m.target_day <= up_to) & ~np.isnan(m.target_value))
    actual = actual_at(snap, rows, m.target_day[rows], m.cadence_days[rows])
    up = np.isin(m.direction[rows], (Direction.INCREASE_TO, Direction.STAY_AT_OR_ABOVE))
    hit_row = np.where(np.isnan(actual), np.nan,
                       np.where(up, actual >= m.target_value[rows],
                                actual <= m.target_value[rows]).astype(np.float64))
    h = snap.history
    counts = h.offsets[rows + 1] - h.offsets[rows]
    idx = np.repeat(h.offsets[rows], counts) + (
        np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    rep = np.repeat(np.arange(rows.size), counts)
    keep = ~np.isnan(h.confidence[idx]) & (h.days[idx] <= m.target_day[rows][rep])
    idx, rep = idx[keep], rep[keep]
    owners = np.maximum(m.owner[rows][rep], -1).astype(np.int64)
    return owners, h.confidence[idx].astype(np.float64), hit_row[rep]


def _verdict(bias: float) -> str:
    return ("over-confident" if bias > CONFIDENCE_BIAS else "under-confident"
            if bias < -CONFIDENCE_BIAS else "calibrated")


def owner_confidence_report(snap: Snapshot, up_to: int) -> list[dict[str, Any]]:
    """How the confidences owners gave at check-in fared, per owner, worst Brier first.

    Pairs as in `confidence_pairs`. Per owner: Brier score, the Brier score of always
    saying their own hit rate, mean confidence, hit rate and bias (mean confidence − hit
    rate; > 0 optimistic) with a verdict.
    """
    owners, conf, hit = confidence_pairs(snap, up_to)
    cal = owner_calibration(owners, conf, hit)
    out = []
    for k in np.flatnonzero(cal.count > 0):
        bias = float(cal.bias[k])
        out.append({"owner_id": format_id("person", int(k)), "checkins": int(cal.count[k]),
                    "brier": round(float(cal.brier[k]), 4),
                    "brier_base": round(float(cal.brier_base[k]), 4),
                    "mean_confidence": round(float(cal.mean_confidence[k]), 4),
                    "hit_rate": round(float(cal.hit_rate[k]), 4),
                    "bias": round(bias, 4), "verdict": _verdict(bias)})
    return sorted(out, key=lambda r: -r["brier"])


def confidence_reliability(snap: Snapshot, up_to: int) -> dict[str, Any]:
    """Every owner's judged confidences together: Brier, ECE and the decile table.

    Table rows: {"bin": "0.7-0.8", "n", "mean_confidence", "share_hit"}; empty bins are
    left out. With no judged pairs n = 0 and Brier/ECE are None.
    """
    _, conf, hit = confidence_pairs(snap, up_to)
    r = reliability(conf, hit)
    return {"n": r.n, "brier": _f(round(r.brier, 4)) if r.n else None,
            "ece": _f(round(r.ece, 4)) if r.n else None,
            "table": [{"bin": f"{lo:.1f}-{hi:.1f}", "n": c, "mean_confidence": round(mp, 4),
                       "share_hit": round(mh, 4)} for lo, hi, c, mp, mh in r.table]}


def changes_since_last_review(session: Session, workspace_id: int, st: EngineState,
                              min_forecast_change: float = 0.05,
                              min_p_hit_change: float = 0.15) -> dict[str, Any]:
    """What moved since the latest recorded forecasts: statuses, forecasts and P(hit).

    A metric is listed when its status changed, its forecast moved by at least
    `min_forecast_change` (relative), or its P(hit) by at least `min_p_hit_change`.
    Worsened statuses come first. Without any recorded review, `since` is None.
    """
    repo = SnapshotRepository(session, workspace_id)
    today = from_day(st.evaluation.as_of)
    dates = [d for d in repo.issue_dates() if d < today] or repo.issue_dates()
    if not dates:
        return {"since": None, "changes": []}
    since = dates[-1]
    metric, value, p_hit, status = repo.forecasts_issued_on(since)
    snap, mr = st.snapshot, st.evaluation.metrics
    rows = rows_of(snap.metrics.ids, metric)
    ok = rows >= 0
    metric, value, p_hit, status, rows = (a[ok] for a in (metric, value, p_hit, status, rows))
    now_v, now_p = mr.forecast[rows], mr.p_hit[rows]
    now_s = mr.status.status[rows].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(now_v - value) / np.maximum(np.abs(value), 1e-12)
    moved = (now_s != status) | (np.nan_to_num(rel) >= min_forecast_change) | (
        np.nan_to_num(np.abs(now_p - p_hit)) >= min_p_hit_change)
    severity = {0: 0, 5: 0, 1: 1, 3: 1, 4: 1, 2: 2, 6: 2}  # on_track … missed
    out = []
    for i in np.flatnonzero(moved):
        was, now = int(status[i]), int(now_s[i])
        out.append({
            "metric_id": format_id("metric", int(metric[i])),
            "status_before": STATUS_NAMES[was] if 0 <= was < len(STATUS_NAMES) else None,
            "status_now": STATUS_NAMES[now],
            "worse": severity.get(now, 1) > severity.get(was, 1),
            "forecast_before": _f(value[i]), "forecast_now": _f(now_v[i]),
            "p_hit_before": _f(p_hit[i]), "p_hit_now": _f(now_p[i]),
        })
    out.sort(key=lambda c: (not c["worse"], c["metric_id"]))
    return {"since": since.isoformat(), "changes": out}

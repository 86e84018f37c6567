"""Evidence → forecast, P(hit), progress and status per metric, rolled up to objectives.

`evaluate` does the whole workspace at once (vectorised per cadence group); `checkin`
re-evaluates one metric through the same row function and patches its ancestors, so the
incremental path can never disagree with a full recompute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.arrays import concat_ranges, ranges_with_owner
from steerco.core.forecast import add_contributions, forecast, p_hit_at, steps_until, value_at
from steerco.core.forecast_resample import resample_ragged
from steerco.core.plan import plan_values, progress, tolerance_band
from steerco.core.rollup import RollupSettings, RollupState, rollup, update_metric
from steerco.core.snapshot import SEASON_BY_CADENCE, Snapshot
from steerco.core.status import StatusInputs, StatusResult, StatusSettings, metric_status
from steerco.kit.dates import NO_DAY

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: History used for a forecast: three years of steps (the forecaster fits at most ten
#: seasonal cycles but needs three to detect yearly seasonality).
YEARS_OF_HISTORY = 3
#: Longest forecast horizon in steps; targets further out use the last step's law.
MAX_HORIZON = 156
#: Holdout span per cadence (steps) that picks each metric's method combination: a
#: quarter of weekly steps, half a year of monthly ones, a year of quarters. Fixed, so a
#: metric's forecast does not depend on which other metrics share the batch.
HOLDOUT_BY_CADENCE = {7: 13, 30: 6, 91: 4}
#: Observed steps a key result needs in its own period before it is forecast from them.
MIN_PERIOD_STEPS = 4


@dataclass
class MetricResults:
    """Per-metric outputs, one entry per snapshot row."""

    last_value: FloatArray
    last_day: IntArray
    confidence: FloatArray
    forecast: FloatArray  # point forecast at the target date
    lower80: FloatArray
    upper80: FloatArray
    lower95: FloatArray
    upper95: FloatArray
    p_hit: FloatArray
    plan_value: FloatArray  # plan on the last evidence day
    progress: FloatArray
    status: StatusResult


@dataclass
class Evaluation:
    """Everything the engine knows about a workspace at `as_of`."""

    as_of: int
    metrics: MetricResults
    objectives: RollupState


def _season(cadence: int) -> int:
    return SEASON_BY_CADENCE.get(int(cadence), 1)


def _forecast_rows(snap: Snapshot, rows: IntArray, lo: IntArray, hi: IntArray,
                   days: IntArray, values: FloatArray, as_of: int,
                   workers: int = 1) -> dict[str, FloatArray]:
    """Forecast `rows` to their target dates; row k's history is days/values[lo[k]:hi[k]].

    Rows are grouped by cadence: each group shares one regular grid and season length.
    """
    n = rows.shape[0]
    out = {k: np.full(n, np.nan) for k in ("forecast", "lower80", "upper80", "lower95",
                                           "upper95", "p_hit")}
    m = snap.metrics
    cad = m.cadence_days[rows]
    ben = snap.benefits
    for cadence in np.unique(cad):
        sel = np.flatnonzero(cad == cadence)
        c = int(max(int(cadence), 1))
        steps_back = max(int(YEARS_OF_HISTORY * 365 // c), 8)
        lens = hi[sel] - lo[sel]
        sub_off = np.zeros(sel.size + 1, dtype=np.int64)
        np.cumsum(lens, out=sub_off[1:])
        idx = concat_ranges(lo[sel], hi[sel])
        grid = resample_ragged(values[idx], days[idx], sub_off, c, as_of, steps_back)
        r = rows[sel]
        if m.key_result is not None:
            _period_only(grid, m.key_result[r], m.baseline_day[r], as_of, c)
        step = steps_until(as_of, m.target_day[r], c)
        h = int(min(max(int(step.max()) if step.size else 1, 1), MAX_HORIZON))
        fc = forecast(grid, season_length=_season(c), horizon=h, workers=workers,
                      holdout=HOLDOUT_BY_CADENCE.get(c, max(1, 91 // c)))
        if ben.metric.size:
            # Planned benefits still to come shift the forecast from their arrival on;
            # only those arriving by the metric's own target date can move its outcome.
            pos = np.full(m.n, -1, dtype=np.int64)
            pos[r] = np.arange(r.size)
            b = (pos[ben.metric] >= 0) & (ben.day > as_of)
            b[b] &= ben.day[b] <= m.target_day[ben.metric[b]]
            if b.any():
                fc = add_contributions(fc, pos[ben.metric[b]],
                                       steps_until(as_of, ben.day[b], c), ben.amount[b])
        step_c = np.clip(step, 1, h)
        out["forecast"][sel] = value_at(fc.mean, step_c)
        out["lower80"][sel] = value_at(fc.lower80, step_c)
        out["upper80"][sel] = value_at(fc.upper80, step_c)
        out["lower95"][sel] = value_at(fc.lower95, step_c)
        out["upper95"][sel] = value_at(fc.upper95, step_c)
        out["p_hit"][sel] = p_hit_at(fc, step_c, m.target_value[r], m.direction[r])
    return out


def _period_only(grid: FloatArray, key_result: npt.NDArray[np.bool_], baseline_day: IntArray,
                 as_of: int, cadence: int) -> None:
    """Blank a key result's history before its period once the period has evidence.

    A key result is a commitment for its period (baseline → target date): the owner's
    check-ins since the baseline say how the period is going, while years of history
    before it describe the metric before anyone committed to moving it. So a key result
    with at least MIN_PERIOD_STEPS observed steps in its period is forecast from those
    alone (as OKR tools forecast from the period's check-ins); with fewer, the whole
    history is all the evidence there is. Standing KPIs always use their whole history.
    Changes `grid` in place.
    """
    n_steps = grid.shape[1]
    # Column of the step that contains the baseline day (the last column ends on as_of).
    first = n_steps - 1 - (as_of - baseline_day) // cadence
    inside = (first > 0) & (first < n_steps) & key_result
    if not inside.any():
        return
    cols = np.arange(n_steps)[None, :]
    in_period = cols >= first[:, None]
    enough = np.sum(in_period & ~np.isnan(grid), axis=1) >= MIN_PERIOD_STEPS
    blank = (inside & enough)[:, None] & ~in_period
    grid[blank] = np.nan


def evaluate_rows(snap: Snapshot, rows: IntArray, as_of: int,
                  settings: StatusSettings = StatusSettings(),
                  histories: tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray]
                  | None = None, workers: int = 1) -> MetricResults:
    """Evaluate the given snapshot rows at `as_of` (see `evaluate`).

    `histories` = (lo, hi, days, values, confidence) overrides where each row's evidence
    is read from (the check-in path passes one merged history); by default it is the
    snapshot's ragged arrays.
    """
    m = snap.metrics
    rows = np.asarray(rows, dtype=np.int64)
    if histories is None:
        h = snap.history
        lo, hi = h.offsets[rows], h.offsets[rows + 1]
        days, values, conf = h.days, h.values, h.confidence
    else:
        lo, hi, days, values, conf = histories
    n = rows.shape[0]
    # Latest evidence on or before as_of (histories are sorted by day).
    last_value = np.full(n, np.nan)
    last_day = np.full(n, NO_DAY, dtype=np.int64)
    confidence = np.full(n, np.nan)
    cut = _last_at_or_before(lo, hi, days, as_of)
    ok = cut >= 0
    last_value[ok], last_day[ok], confidence[ok] = values[cut[ok]], days[cut[ok]], conf[cut[ok]]
    fc = _forecast_rows(snap, rows, lo, hi, days, values, as_of, workers)
    plan_v = plan_values(snap.plans, rows, np.where(last_day == NO_DAY, as_of, last_day))
    band = tolerance_band(m.tolerance_kind[rows], m.tolerance[rows], plan_v)
    prog = progress(m.direction[rows], m.baseline_value[rows], m.target_value[rows],
                    last_value, band)
    inputs = StatusInputs.of(
        m.direction[rows], m.target_value[rows], target_day=m.target_day[rows],
        last_value=last_value, last_day=last_day, cadence_days=m.cadence_days[rows],
        p_hit=fc["p_hit"], plan_value=plan_v, band=band, owner_confidence=confidence,
        forecast_value=fc["forecast"])
    status = metric_status(inputs, as_of, settings)
    return MetricResults(last_value, last_day, confidence, fc["forecast"], fc["lower80"],
                         fc["upper80"], fc["lower95"], fc["upper95"], fc["p_hit"], plan_v,
                         prog, status)


def _last_at_or_before(lo: IntArray, hi: IntArray, days: IntArray,
                       as_of: int | IntArray) -> IntArray:
    """Index of each row's last entry dated on or before as_of (-1 when none).

    `as_of` is one day for all rows or one per row.
    """
    cut = np.broadcast_to(np.asarray(as_of, dtype=np.int64), lo.shape)
    out: IntArray = np.where(hi > lo, hi - 1, -1).astype(np.int64)
    has = out >= 0
    if not has.any():
        return out
    late = np.flatnonzero(has & (days[np.maximum(out, 0)] > cut))
    if late.size:
        # Rows with evidence after their as_of: one binary search over a (row, day)
        # composite key finds each row's last entry on or before it.
        idx, pos = ranges_with_owner(lo[late], hi[late])
        key = (pos << 32) | (days[idx] + 2**31)
        q = (np.arange(late.size, dtype=np.int64) << 32) | (cut[late] + 2**31)
        at = np.searchsorted(key, q, side="right") - 1
        found = (at >= 0) & (pos[np.maximum(at, 0)] == np.arange(late.size))
        out[late] = np.where(found, idx[np.maximum(at, 0)], -1)
    return out


def actual_at(snap: Snapshot, rows: npt.ArrayLike, day: npt.ArrayLike,
              max_age: npt.ArrayLike) -> FloatArray:
    """The value each metric row had on `day`: its last evidence on or before that day,
    if not older than `max_age` days (NaN otherwise) — the actual a forecast is judged by.
    """
    snap.compact()
    r = np.asarray(rows, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    h = snap.history
    at = _last_at_or_before(h.offsets[r], h.offsets[r + 1], h.days, d)
    ok = at >= 0
    ok[ok] = (d[ok] - h.days[at[ok]]) <= np.broadcast_to(np.asarray(max_age), d.shape)[ok]
    out = np.full(r.shape[0], np.nan)
    out[ok] = h.values[at[ok]]
    return out


def evaluate(snap: Snapshot, as_of: int, settings: StatusSettings = StatusSettings(),
             rollup_settings: RollupSettings = RollupSettings(),
             workers: int = 1) -> Evaluation:
    """Evaluate every metric at `as_of` and roll the results up to every objective.

    Contract: `as_of` is a day number; evidence dated after it is ignored. Metrics with no
    evidence are `no_data`; each metric's forecast is taken at its target date (through
    the planned benefits still to come) and P(hit) from the forecast's law there.
    `workers` threads share the forecasting (numpy releases the GIL); results do not
    depend on it.
    """
    snap.compact()
    rows = np.arange(snap.metrics.n, dtype=np.int64)
    res = evaluate_rows(snap, rows, as_of, settings, workers=workers)
    state = rollup(snap.graph, res.progress, res.status.status, res.status.deciding,
                   rollup_settings)
    return Evaluation(as_of=as_of, metrics=res, objectives=state)


def checkin(snap: Snapshot, ev: Evaluation, row: int, day: int, value: float,
            confidence: float, key: int,
            settings: StatusSettings = StatusSettings()) -> set[int]:
    """Add one measurement, re-evaluate its metric and patch its ancestor objectives.

    Mutates `snap` (overlay) and `ev` in place; returns the objective rows that changed.
    """
    snap.add_measurement(row, day, value, confidence, key)
    return checkin_reevaluate(snap, ev, row, settings)


_METRIC_FIELDS = ("last_value", "last_day", "confidence", "forecast", "lower80", "upper80",
                  "lower95", "upper95", "p_hit", "plan_value", "progress")
_STATUS_FIELDS = ("status", "reasons", "deciding", "age_days", "variance_abs",
                  "variance_rel", "tolerance")


def _patch(snap: Snapshot, ev: Evaluation, row: int, one: MetricResults) -> set[int]:
    """Write one re-evaluated metric into `ev` and roll it up to its ancestors."""
    mr = ev.metrics
    for name in _METRIC_FIELDS:
        getattr(mr, name)[row] = getattr(one, name)[0]
    for name in _STATUS_FIELDS:
        getattr(mr.status, name)[row] = getattr(one.status, name)[0]
    return update_metric(snap.graph, ev.objectives, row, float(one.progress[0]),
                         int(one.status.status[0]), int(one.status.deciding[0]))


def checkin_reevaluate(snap: Snapshot, ev: Evaluation, row: int,
                       settings: StatusSettings = StatusSettings()) -> set[int]:
    """Re-evaluate one metric from its current history (after a correction) and patch."""
    d, v, c = snap.history_of(row)
    one = evaluate_rows(snap, np.array([row]), ev.as_of, settings,
                        histories=(np.array([0]), np.array([d.shape[0]]), d, v, c))
    return _patch(snap, ev, row, one)


def reevaluate_rows(snap: Snapshot, ev: Evaluation, rows: npt.ArrayLike,
                    settings: StatusSettings = StatusSettings()) -> None:
    """Re-evaluate some metrics (after their definition, plan or benefits changed) from
    their current histories, overlays included, into `ev` in place. The objectives are
    left as they were: `reroll` them once all rows are in."""
    r = np.unique(np.asarray(rows, dtype=np.int64))
    if r.size == 0:
        return
    parts = [snap.history_of(int(i)) for i in r]
    lens = np.array([p[0].shape[0] for p in parts], dtype=np.int64)
    hi = np.cumsum(lens)
    lo = hi - lens
    days = np.concatenate([p[0] for p in parts]).astype(np.int64)
    values = np.concatenate([p[1] for p in parts]).astype(np.float64)
    conf = np.concatenate([p[2] for p in parts]).astype(np.float64)
    res = evaluate_rows(snap, r, ev.as_of, settings, histories=(lo, hi, days, values, conf))
    mr = ev.metrics
    for name in _METRIC_FIELDS:
        getattr(mr, name)[r] = getattr(res, name)
    for name in _STATUS_FIELDS:
        getattr(mr.status, name)[r] = getattr(res.status, name)


def reroll(snap: Snapshot, ev: Evaluation, rows: npt.ArrayLike | None = None,
           rollup_settings: RollupSettings = RollupSettings()) -> None:
    """Roll objectives up again from `ev`'s metric results over `snap.graph` (after
    metrics were re-evaluated or the graph changed): what `evaluate` would roll up.

    With `rows` (metric rows, on the graph `ev` was rolled up over), only their
    ancestors are recomputed, through the same per-level code as the full roll-up.
    """
    mr, s = ev.metrics, ev.metrics.status
    if rows is None:
        ev.objectives = rollup(snap.graph, mr.progress, s.status, s.deciding,
                               rollup_settings)
        return
    for row in np.asarray(rows, dtype=np.int64).tolist():
        update_metric(snap.graph, ev.objectives, row, float(mr.progress[row]),
                      int(s.status[row]), int(s.deciding[row]))

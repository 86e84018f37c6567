"""Plan value, progress, variance vs plan and tolerance bands, vectorised over metrics.

A *plan* is the value a metric is expected to have on each day. Plans of all metrics are
held together as one ragged (CSR) structure, `PlanSet`: for metric ``i`` its points are
``days[offsets[i]:offsets[i+1]]`` / ``values[...]``, sorted by day. Between points the plan
is linear; before the first point and after the last it is flat; a metric with no points
has no plan (NaN). Days are int day numbers (see `steerco.kit.dates`).

Every function here is pure and total: NaN, missing baselines and empty plans give NaN or
a documented state, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from steerco.core.directions import Direction
from steerco.kit.dates import NO_DAY

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]

# Days are shifted into [0, 2**32) and the metric index is put above them, so one global
# searchsorted over a single sorted int64 key finds each metric's segment at once.
_DAY_SHIFT = np.int64(2**31)
_METRIC_SHIFT = np.int64(2**32)


@dataclass(frozen=True, slots=True)
class PlanSet:
    """Plans of ``n`` metrics as CSR arrays (see the module docstring).

    Invariants (guaranteed by the constructors, assumed by the functions): ``offsets`` is
    non-decreasing with ``offsets[0] == 0`` and ``offsets[-1] == len(days) == len(values)``;
    within a metric the days are sorted ascending (equal days allowed: a step); every day
    is a valid day number and every value is finite.
    """

    offsets: IntArray
    days: IntArray
    values: FloatArray

    @property
    def n(self) -> int:
        """Return the number of metrics."""
        return int(self.offsets.shape[0] - 1)

    @property
    def counts(self) -> IntArray:
        """Return the number of plan points of each metric."""
        return np.diff(self.offsets)

    @staticmethod
    def from_points(metric: npt.ArrayLike, day: npt.ArrayLike, value: npt.ArrayLike,
                    n: int) -> PlanSet:
        """Build the plans of ``n`` metrics from flat (metric, day, value) point arrays.

        Points may come in any order. Points whose metric is outside ``[0, n)``, whose day
        is `NO_DAY` or whose value is not finite are dropped, so a metric may end up with
        zero points (no plan). Points on the same day keep their input order (a step).
        """
        m = np.asarray(metric, dtype=np.int64).ravel()
        d = np.asarray(day, dtype=np.int64).ravel()
        v = np.asarray(value, dtype=np.float64).ravel()
        size = min(m.shape[0], d.shape[0], v.shape[0])
        m, d, v = m[:size], d[:size], v[:size]
        ok = (m >= 0) & (m < n) & (d != NO_DAY) & np.isfinite(v)
        m, d, v = m[ok], d[ok], v[ok]
        order = np.lexsort((d, m))  # stable: ties keep input order
        m, d, v = m[order], d[order], v[order]
        offsets = np.zeros(max(n, 0) + 1, dtype=np.int64)
        np.cumsum(np.bincount(m, minlength=max(n, 0)), out=offsets[1:])
        return PlanSet(offsets=offsets, days=d, values=v)

    @staticmethod
    def from_ragged(offsets: npt.ArrayLike, days: npt.ArrayLike,
                    values: npt.ArrayLike) -> PlanSet:
        """Build plans from caller CSR arrays, sorting and dropping bad points as needed.

        Malformed offsets (decreasing, or beyond the flat arrays) are clipped to the flat
        arrays' length, so a bad row just loses points.
        """
        off = np.asarray(offsets, dtype=np.int64).ravel()
        if off.shape[0] == 0:
            off = np.zeros(1, dtype=np.int64)
        d = np.asarray(days, dtype=np.int64).ravel()
        v = np.asarray(values, dtype=np.float64).ravel()
        size = min(d.shape[0], v.shape[0])
        off = np.maximum.accumulate(np.clip(off, 0, size))
        n = off.shape[0] - 1
        counts = np.diff(off)
        metric = np.repeat(np.arange(n, dtype=np.int64), counts)
        idx = np.arange(off[0], off[-1], dtype=np.int64)
        return PlanSet.from_points(metric, d[idx], v[idx], n)


def default_plans(direction: npt.ArrayLike, baseline_value: npt.ArrayLike,
                  baseline_day: npt.ArrayLike, target_value: npt.ArrayLike,
                  target_day: npt.ArrayLike) -> PlanSet:
    """Build the default plan of every metric: linear from baseline to target.

    For ``increase_to`` / ``decrease_to`` the plan has the points (baseline_day,
    baseline_value) and (target_day, target_value). For ``stay_at_or_above`` /
    ``stay_at_or_below`` the plan is the threshold itself: one point (target_day or, if
    that is missing, baseline_day, target_value), i.e. flat at the target.

    Edge cases: a missing baseline (NaN value or `NO_DAY`) leaves only the target point,
    so the plan is flat at the target; a missing target leaves only the baseline point;
    with neither the metric has no plan (NaN everywhere).
    """
    dr = np.asarray(direction, dtype=np.int64).ravel()
    n = dr.shape[0]
    bv = np.broadcast_to(np.asarray(baseline_value, dtype=np.float64), (n,))
    bd = np.broadcast_to(np.asarray(baseline_day, dtype=np.int64), (n,))
    tv = np.broadcast_to(np.asarray(target_value, dtype=np.float64), (n,))
    td = np.broadcast_to(np.asarray(target_day, dtype=np.int64), (n,))
    ranged = (dr == Direction.INCREASE_TO) | (dr == Direction.DECREASE_TO)
    idx = np.arange(n, dtype=np.int64)
    stay_day = np.where(td != NO_DAY, td, bd)
    # A baseline after the target is a broken plan: keep only the target.
    base_ok = ranged & ((td == NO_DAY) | (bd <= td))
    metric = np.concatenate([idx[base_ok], idx[ranged], idx[~ranged]])
    day = np.concatenate([bd[base_ok], td[ranged], stay_day[~ranged]])
    value = np.concatenate([bv[base_ok], tv[ranged], tv[~ranged]])
    return PlanSet.from_points(metric, day, value, n)


def plan_values(plans: PlanSet, metric: npt.ArrayLike, day: npt.ArrayLike) -> FloatArray:
    """Return the plan value of ``metric[j]`` on ``day[j]`` for every query ``j``.

    ``metric`` and ``day`` broadcast together. Queries with a metric outside the plan set,
    a day of `NO_DAY`, or a metric without plan points give NaN. Before the first point
    and after the last the plan is flat; on a day shared by several points the last one
    counts (a step).
    """
    m_in, d_in = np.broadcast_arrays(np.asarray(metric, dtype=np.int64),
                                     np.asarray(day, dtype=np.int64))
    m = m_in.ravel()
    d = d_in.ravel()
    out = np.full(m.shape[0], np.nan, dtype=np.float64)
    n = plans.n
    valid = (m >= 0) & (m < n) & (d != NO_DAY)
    m_safe = np.where(valid, m, 0)
    if n == 0 or plans.days.shape[0] == 0:
        return out.reshape(m_in.shape)
    start = plans.offsets[m_safe]
    stop = plans.offsets[m_safe + 1]
    valid &= stop > start
    point_metric = np.repeat(np.arange(n, dtype=np.int64), plans.counts)
    key = point_metric * _METRIC_SHIFT + (plans.days + _DAY_SHIFT)
    q = m_safe * _METRIC_SHIFT + (np.clip(d, -_DAY_SHIFT, _DAY_SHIFT - 1) + _DAY_SHIFT)
    pos = np.searchsorted(key, q, side="right")  # points of this metric on or before day
    before = pos <= start
    after = pos >= stop
    lo = np.clip(pos - 1, 0, plans.days.shape[0] - 1)
    hi = np.clip(pos, 0, plans.days.shape[0] - 1)
    d0 = plans.days[lo].astype(np.float64)
    d1 = plans.days[hi].astype(np.float64)
    v0 = plans.values[lo]
    v1 = plans.values[hi]
    inner = valid & ~before & ~after
    span = np.where(inner, d1 - d0, 1.0)  # > 0 for inner queries: day[hi] > day >= day[lo]
    frac = np.where(inner, (d.astype(np.float64) - d0) / span, 0.0)
    out = np.where(inner, v0 + frac * (v1 - v0), out)
    first = plans.values[np.clip(start, 0, plans.days.shape[0] - 1)]
    out = np.where(valid & before, first, out)
    out = np.where(valid & after & ~before, v0, out)
    return out.reshape(m_in.shape)


def plan_value_at(plans: PlanSet, day: npt.ArrayLike) -> FloatArray:
    """Return every metric's plan value on ``day`` (a scalar or one day per metric)."""
    return plan_values(plans, np.arange(plans.n, dtype=np.int64),
                       np.broadcast_to(np.asarray(day, dtype=np.int64), (plans.n,)))


def _sign(direction: npt.ArrayLike) -> FloatArray:
    """Return +1 where higher is better (increase_to, stay_at_or_above), -1 otherwise."""
    dr = np.asarray(direction, dtype=np.int64)
    up = (dr == Direction.INCREASE_TO) | (dr == Direction.STAY_AT_OR_ABOVE)
    down = (dr == Direction.DECREASE_TO) | (dr == Direction.STAY_AT_OR_BELOW)
    return np.where(up, 1.0, np.where(down, -1.0, np.nan))


def meets_target(direction: npt.ArrayLike, target: npt.ArrayLike,
                 actual: npt.ArrayLike) -> BoolArray:
    """Return whether ``actual`` meets ``target`` for its direction (False on NaN).

    increase_to / stay_at_or_above: actual >= target; decrease_to / stay_at_or_below:
    actual <= target. An unknown direction code never meets its target.
    """
    s = _sign(direction)
    gap = (np.asarray(actual, dtype=np.float64) - np.asarray(target, dtype=np.float64)) * s
    with np.errstate(invalid="ignore"):
        return np.asarray(gap >= 0.0, dtype=np.bool_)


def progress(direction: npt.ArrayLike, baseline: npt.ArrayLike, target: npt.ArrayLike,
             actual: npt.ArrayLike, band: npt.ArrayLike | None = None) -> FloatArray:
    """Return direction-aware progress towards the target, per metric.

    - increase_to / decrease_to: ``(actual - baseline) / (target - baseline)``; 0 at the
      baseline, 1 at the target, not clipped (over-achievement > 1, going backwards < 0).
      When the target is not beyond the baseline in the metric's direction (equal, or on
      the wrong side) the ratio is meaningless, so progress is attainment: 1.0 if the
      actual meets the target, else 0.0.
    - stay_at_or_above / stay_at_or_below: attainment with partial credit. 1.0 while the
      threshold (``target``) holds; beyond it, progress falls linearly from 1 to 0 over
      one tolerance band (``band``, the absolute half-width, e.g. from `tolerance_band`),
      and is 0 further out. Without a band (None, NaN or <= 0) it is strictly 1/0. The
      baseline is not used.

    Progress is non-decreasing in the actual for increase_to / stay_at_or_above and
    non-increasing for the other two. NaN actual or target, a NaN baseline for the ranged
    directions, or an unknown direction code give NaN.
    """
    dr = np.asarray(direction, dtype=np.int64)
    b = np.asarray(baseline, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    bw = np.asarray(np.nan if band is None else band, dtype=np.float64)
    dr, b, t, a, bw = np.broadcast_arrays(dr, b, t, a, bw)
    s = _sign(dr)
    ranged = (dr == Direction.INCREASE_TO) | (dr == Direction.DECREASE_TO)
    met = meets_target(dr, t, a)
    attain = np.where(met, 1.0, 0.0)
    span = t - b
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        proper = ranged & (span * s > 0.0)
        ratio = np.where(proper, (a - b) / np.where(proper, span, 1.0), np.nan)
        shortfall = (t - a) * s  # > 0 when the threshold is broken
        has_band = np.isfinite(bw) & (bw > 0.0)
        partial = np.clip(1.0 - shortfall / np.where(has_band, bw, 1.0), 0.0, 1.0)
        stay = np.where(met, 1.0, np.where(has_band, partial, 0.0))
    out = np.where(ranged, np.where(proper, ratio, attain), stay)
    bad = ~np.isfinite(a) | ~np.isfinite(t) | np.isnan(s) | (ranged & ~np.isfinite(b))
    return np.asarray(np.where(bad, np.nan, out), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Variance:
    """Variance of actuals vs plan, signed so that positive is better for the direction.

    ``absolute`` is ``(actual - plan)`` for higher-is-better directions and
    ``(plan - actual)`` otherwise; ``relative`` is ``absolute / |plan|`` (NaN when the
    plan is 0). Either is NaN where the actual, the plan or the direction is unknown.
    """

    absolute: FloatArray
    relative: FloatArray


def variance(direction: npt.ArrayLike, plan: npt.ArrayLike, actual: npt.ArrayLike) -> Variance:
    """Return the signed variance of ``actual`` vs ``plan`` (positive = better)."""
    p = np.asarray(plan, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    absolute = (a - p) * _sign(direction)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        relative = np.where(p != 0.0, absolute / np.abs(np.where(p != 0.0, p, 1.0)), np.nan)
    return Variance(absolute=np.asarray(absolute, dtype=np.float64),
                    relative=np.asarray(relative, dtype=np.float64))


class ToleranceKind(IntEnum):
    """How a metric's tolerance is expressed."""

    NONE = 0  #: no tolerance set
    RELATIVE = 1  #: a fraction of the plan value (0.05 = ±5 % of plan)
    ABSOLUTE = 2  #: in the metric's unit


class ToleranceState(IntEnum):
    """Where the actual lies relative to plan and its tolerance band."""

    UNKNOWN = -1  #: no actual, no plan or no band: cannot tell
    ON_PLAN = 0  #: at plan or better
    WITHIN = 1  #: worse than plan but inside the band (still OK)
    BREACH = 2  #: worse than plan by more than the band


def tolerance_band(kind: npt.ArrayLike, amount: npt.ArrayLike, plan: npt.ArrayLike,
                   default_relative: float = float("nan")) -> FloatArray:
    """Return the absolute half-width of each metric's tolerance band around ``plan``.

    RELATIVE: ``amount * |plan|``; ABSOLUTE: ``amount``. A metric with kind NONE (or an
    unknown kind, or a NaN / negative amount) gets ``default_relative * |plan|``, which is
    NaN unless a default is given. A NaN plan with a relative band gives NaN.
    """
    k = np.asarray(kind, dtype=np.int64)
    amt = np.asarray(amount, dtype=np.float64)
    p = np.abs(np.asarray(plan, dtype=np.float64))
    with np.errstate(invalid="ignore"):
        ok_amt = np.isfinite(amt) & (amt >= 0.0)
    rel = (k == ToleranceKind.RELATIVE) & ok_amt
    ab = (k == ToleranceKind.ABSOLUTE) & ok_amt
    out = np.where(rel, amt * p, np.where(ab, amt, default_relative * p))
    return np.asarray(out, dtype=np.float64)


def tolerance_state(variance_abs: npt.ArrayLike, band: npt.ArrayLike) -> Int8Array:
    """Classify each signed variance against its band (see `ToleranceState`).

    The band is one-sided: doing better than plan is never a breach. A NaN variance is
    UNKNOWN; a NaN band counts as zero width (any shortfall is a breach).
    """
    v = np.asarray(variance_abs, dtype=np.float64)
    bw = np.asarray(band, dtype=np.float64)
    bw = np.where(np.isfinite(bw) & (bw > 0.0), bw, 0.0)
    with np.errstate(invalid="ignore"):
        state = np.where(v >= 0.0, ToleranceState.ON_PLAN,
                         np.where(v >= -bw, ToleranceState.WITHIN, ToleranceState.BREACH))
    state = np.where(np.isfinite(v), state, ToleranceState.UNKNOWN)
    return np.asarray(state, dtype=np.int8)

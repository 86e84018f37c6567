"""The workspace as columnar arrays: the frozen input of every engine computation.

Rows are dense indices 0..n-1; `*_ids` map them back to database keys (sorted, so a key
finds its row by binary search). Measurement histories are ragged (CSR) arrays with
superseded rows already removed. The snapshot is derived state: the database is the
source of truth and the snapshot can be rebuilt from it at any time.

New check-ins do not rebuild the ragged arrays (10M rows): they go into a small per-row
overlay (`extra`) that `history_of` merges, and `compact` folds the overlay in when a full
recompute runs anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from steerco.core.arrays import ranges_with_owner
from steerco.core.directions import Direction
from steerco.core.plan import PlanSet, default_plans
from steerco.core.rollup import RollupGraph, build_graph
from steerco.kit.dates import NO_DAY

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]

#: Season length (steps per year) by cadence in days: yearly seasonality is what
#: business KPIs have (a December peak), so a weekly metric's season is 52 steps.
SEASON_BY_CADENCE = {7: 52, 30: 12, 91: 4}


def rows_of(ids: IntArray, keys: npt.ArrayLike) -> IntArray:
    """Row index of each key in the sorted `ids` (-1 for unknown keys)."""
    k = np.asarray(keys, dtype=np.int64).ravel()
    if ids.size == 0:
        return np.full(k.shape, -1, dtype=np.int64)
    pos = np.clip(np.searchsorted(ids, k), 0, ids.size - 1)
    return np.where(ids[pos] == k, pos, -1).astype(np.int64)


@dataclass(frozen=True)
class Metrics:
    """One entry per metric, in `ids` order."""

    ids: IntArray
    direction: Int8Array
    baseline_value: FloatArray
    baseline_day: IntArray
    target_value: FloatArray
    target_day: IntArray
    tolerance: FloatArray  # NaN: none set
    tolerance_kind: Int8Array  # core.plan.ToleranceKind
    cadence_days: IntArray
    owner: IntArray  # person key
    #: True for key results (time-bound, forecast from their period's evidence), False
    #: for standing KPIs (forecast from their whole history, seasonality included).
    key_result: npt.NDArray[np.bool_] | None = None

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class History:
    """Measurement histories: row i is `days/values/confidence[offsets[i]:offsets[i+1]]`,
    sorted by day (then by insertion)."""

    offsets: IntArray
    days: IntArray
    values: FloatArray
    confidence: FloatArray

    @staticmethod
    def build(row: npt.ArrayLike, day: npt.ArrayLike, value: npt.ArrayLike,
              confidence: npt.ArrayLike, n: int) -> History:
        """Group flat (row, day, value, confidence) arrays into CSR, dropping bad rows."""
        r = np.asarray(row, dtype=np.int64)
        d = np.asarray(day, dtype=np.int64)
        v = np.asarray(value, dtype=np.float64)
        c = np.asarray(confidence, dtype=np.float64)
        ok = (r >= 0) & (r < n) & (d != NO_DAY) & np.isfinite(v)
        if not ok.all():
            r, d, v, c = r[ok], d[ok], v[ok], c[ok]
        # Rows arrive sorted by (metric, day) from the database: skip the sort then.
        if r.size > 1 and not (np.all(np.diff(r) >= 0) and _days_sorted(r, d)):
            order = np.lexsort((d, r))
            r, d, v, c = r[order], d[order], v[order], c[order]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=offsets[1:])
        return History(offsets, d, v, c)


def _days_sorted(r: IntArray, d: IntArray) -> bool:
    same = r[1:] == r[:-1]
    return bool(np.all(d[1:][same] >= d[:-1][same]))


@dataclass(frozen=True)
class Benefits:
    """Planned metric impacts of initiatives: `amount` lands on `metric` row at `day`."""

    metric: IntArray
    day: IntArray
    amount: FloatArray
    initiative: IntArray  # initiative key

    @staticmethod
    def empty() -> Benefits:
        e = np.zeros(0, dtype=np.int64)
        return Benefits(e, e.copy(), np.zeros(0), e.copy())


@dataclass
class Snapshot:
    """A workspace's metrics, evidence, plans, objective graph and planned benefits."""

    metrics: Metrics
    history: History
    plans: PlanSet
    objective_ids: IntArray
    graph: RollupGraph
    benefits: Benefits
    #: Largest measurement key included; newer rows are patched in by the caller.
    high_water: int = 0
    #: Check-ins since the build, per row: (day, value, confidence).
    extra: dict[int, list[tuple[int, float, float]]] = field(default_factory=dict)
    #: Rows whose whole history was reloaded since the build (after a correction).
    override: dict[int, tuple[IntArray, FloatArray, FloatArray]] = field(default_factory=dict)
    #: The explicit plan points the plans were built from, (metric key, day, value): a
    #: metric edit rebuilds the plans (defaults follow baseline and target) from these.
    plan_points: tuple[IntArray, IntArray, FloatArray] | None = None

    def history_of(self, row: int) -> tuple[IntArray, FloatArray, FloatArray]:
        """Days, values and confidences of one row, overlay included, sorted by day."""
        if row in self.override:
            d, v, c = self.override[row]
        else:
            lo, hi = self.history.offsets[row], self.history.offsets[row + 1]
            d, v, c = (self.history.days[lo:hi], self.history.values[lo:hi],
                       self.history.confidence[lo:hi])
        more = self.extra.get(row)
        if more:
            d = np.concatenate([d, np.array([m[0] for m in more], dtype=np.int64)])
            v = np.concatenate([v, np.array([m[1] for m in more])])
            c = np.concatenate([c, np.array([m[2] for m in more])])
            order = np.argsort(d, kind="stable")
            d, v, c = d[order], v[order], c[order]
        return d, v, c

    def add_measurement(self, row: int, day: int, value: float, confidence: float,
                        key: int) -> None:
        """Record a new check-in of `row` (key = its measurement key)."""
        self.extra.setdefault(row, []).append((int(day), float(value), float(confidence)))
        self.high_water = max(self.high_water, int(key))

    def replace_history(self, row: int, days: IntArray, values: FloatArray,
                        confidence: FloatArray) -> None:
        """Replace one row's whole history (e.g. reloaded after a correction)."""
        self.override[row] = (days, values, confidence)
        self.extra.pop(row, None)

    def compact(self) -> None:
        """Fold the overlays into the ragged arrays (done before a full recompute)."""
        if not self.extra and not self.override:
            return
        h = self.history
        rows = np.repeat(np.arange(self.metrics.n), np.diff(h.offsets))
        if self.override:
            keep = ~np.isin(rows, np.fromiter(self.override, dtype=np.int64))
            rows = rows[keep]
            h = History(h.offsets, h.days[keep], h.values[keep], h.confidence[keep])
        add = [(r, *m) for r, ms in self.extra.items() for m in ms]
        add += [(r, int(d[i]), float(v[i]), float(c[i]))
                for r, (d, v, c) in self.override.items() for i in range(d.shape[0])]
        r2 = np.array([a[0] for a in add], dtype=np.int64)
        d2 = np.array([a[1] for a in add], dtype=np.int64)
        v2 = np.array([a[2] for a in add])
        c2 = np.array([a[3] for a in add])
        self.history = History.build(np.concatenate([rows, r2]), np.concatenate([h.days, d2]),
                                     np.concatenate([h.values, v2]),
                                     np.concatenate([h.confidence, c2]), self.metrics.n)
        self.extra = {}
        self.override = {}


def _differs(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> npt.NDArray[np.bool_]:
    """Elementwise a != b, NaN equal to NaN."""
    out: npt.NDArray[np.bool_] = a != b
    if a.dtype.kind == "f":
        out &= ~(np.isnan(a) & np.isnan(b))
    return out


def changed_metric_rows(old: Metrics, new: Metrics) -> IntArray:
    """Rows whose engine inputs differ between two `Metrics` of the same ids (the owner
    is not one: nothing the engine computes depends on it)."""
    if not np.array_equal(old.ids, new.ids):
        raise ValueError("changed_metric_rows compares the same metrics")
    diff = np.zeros(new.n, dtype=bool)
    for name in ("direction", "baseline_value", "baseline_day", "target_value", "target_day",
                 "tolerance", "tolerance_kind", "cadence_days", "key_result"):
        a, b = getattr(old, name), getattr(new, name)
        if a is None or b is None:
            if (a is None) != (b is None):
                diff[:] = True
            continue
        diff |= _differs(a, b)
    return np.flatnonzero(diff).astype(np.int64)


def changed_plan_rows(old: PlanSet, new: PlanSet) -> IntArray:
    """Rows whose plans differ (same number of rows)."""
    diff = old.counts != new.counts
    same = np.flatnonzero(~diff)
    ia, owner = ranges_with_owner(old.offsets[same], old.offsets[same + 1])
    ib, _ = ranges_with_owner(new.offsets[same], new.offsets[same + 1])
    bad = _differs(old.days[ia], new.days[ib]) | _differs(old.values[ia], new.values[ib])
    diff[same[owner[bad]]] = True
    return np.flatnonzero(diff).astype(np.int64)


def changed_benefit_rows(old: Benefits, new: Benefits, n: int) -> IntArray:
    """Metric rows (of `n`) whose planned benefits, as (day, amount) multisets, differ."""
    def ordered(b: Benefits) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
        o = np.lexsort((b.amount, b.day, b.metric))
        return b.metric[o], b.day[o], b.amount[o], np.bincount(b.metric, minlength=n)

    ma, da, aa, ca = ordered(old)
    mb, db, ab, cb = ordered(new)
    diff = ca != cb
    keep_a, keep_b = ~diff[ma], ~diff[mb]  # rows with as many benefits before as after
    bad = _differs(da[keep_a], db[keep_b]) | _differs(aa[keep_a], ab[keep_b])
    diff[ma[keep_a][bad]] = True
    return np.flatnonzero(diff).astype(np.int64)


def submission_order(keys: npt.ArrayLike, supersedes: npt.ArrayLike) -> IntArray:
    """Each measurement's place among the rows of its day: the key of the first row of its
    correction chain.

    The *current* value of a metric is its latest-dated row that is not superseded, and
    among several rows of that day the one submitted last — where a correction takes the
    place of the row it corrects. So with 40 and then 45 on one day, correcting the 40 to
    41 leaves 45 current; correcting the 45 to 46 makes 46 current. Keys grow with
    submission, so a row's key is its submission order; a correction (key k, supersedes
    j) is ordered by the root of j's chain. `supersedes` is -1 for "none"; a key that
    names no row of `keys` counts as a root.
    """
    k = np.asarray(keys, dtype=np.int64)
    sup = np.asarray(supersedes, dtype=np.int64)
    if k.size == 0 or not (sup >= 0).any():
        return k.copy()
    srt = np.argsort(k, kind="stable")
    ks = k[srt]
    pos = np.clip(np.searchsorted(ks, sup), 0, ks.size - 1)
    parent = np.where((sup >= 0) & (ks[pos] == sup), srt[pos], -1)
    root = np.arange(k.size)
    for _ in range(64):  # chains are short; the bound guards against a loop in bad data
        up = parent[root]
        if not (up >= 0).any():
            break
        root = np.where(up >= 0, up, root)
    out: IntArray = k[root]
    return out


def live_in_order(keys: npt.ArrayLike, supersedes: npt.ArrayLike,
                  days: npt.ArrayLike) -> IntArray:
    """Indices of one metric's rows that are not superseded, in (day, submission order):
    the last index is the current value (see `submission_order`)."""
    k = np.asarray(keys, dtype=np.int64)
    sup = np.asarray(supersedes, dtype=np.int64)
    live = np.flatnonzero(~np.isin(k, sup[sup >= 0]))
    order = submission_order(k, sup)[live]
    out: IntArray = live[np.lexsort((order, np.asarray(days, dtype=np.int64)[live]))]
    return out


def voided(keys: npt.ArrayLike, supersedes: npt.ArrayLike,
           void: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Which rows leave the evidence: each void row and every row of the correction chain
    it ends (a void supersedes the newest row of a chain; the rows before it go too).

    `supersedes` is -1 for "none". Returns a boolean mask over the rows.
    """
    k = np.asarray(keys, dtype=np.int64)
    sup = np.asarray(supersedes, dtype=np.int64)
    out = np.asarray(void, dtype=bool).copy()
    if not out.any():
        return out
    for _ in range(64):  # chains are short; the bound guards against a loop in bad data
        gone = sup[out]
        more = np.isin(k, gone[gone >= 0]) & ~out
        if not more.any():
            break
        out |= more
    return out


def _in_order(r: IntArray, d: IntArray, o: IntArray) -> bool:
    """Whether rows are sorted by (metric row, day, submission order)."""
    if r.size < 2:
        return True
    dr, dd, do = np.diff(r), np.diff(d), np.diff(o)
    return bool(np.all((dr > 0) | ((dr == 0) & ((dd > 0) | ((dd == 0) & (do >= 0))))))


def build_snapshot(metrics: Metrics, measurement_metric: npt.ArrayLike,
                   measurement_day: npt.ArrayLike, measurement_value: npt.ArrayLike,
                   measurement_confidence: npt.ArrayLike, measurement_key: npt.ArrayLike,
                   measurement_supersedes: npt.ArrayLike,
                   plan_metric: npt.ArrayLike, plan_day: npt.ArrayLike,
                   plan_value: npt.ArrayLike, objective_ids: npt.ArrayLike,
                   align_child: npt.ArrayLike, align_parent: npt.ArrayLike,
                   align_weight: npt.ArrayLike, contrib_metric: npt.ArrayLike,
                   contrib_objective: npt.ArrayLike, contrib_weight: npt.ArrayLike,
                   benefits: Benefits | None = None) -> Snapshot:
    """Assemble a snapshot from flat arrays of database keys.

    Contract: metric, objective and measurement references are database keys (mapped to
    rows here; unknown keys are dropped). A measurement named by another's `supersedes`
    (key, -1 = none) is left out: the correction replaces it, in its place among the
    day's rows (`submission_order`). Metrics with explicit plan
    points use them, phased from the baseline: a rising or falling metric whose baseline
    lies before its first point starts there (a phased plan ramps from where the metric
    stood, it is not flat at its first milestone value); the others get the default
    linear plan from baseline to target.
    """
    mkey = np.asarray(measurement_key, dtype=np.int64)
    sup = np.asarray(measurement_supersedes, dtype=np.int64)
    keep = np.ones(mkey.shape[0], dtype=bool)
    superseded = sup[sup >= 0]
    if superseded.size:
        keep = ~np.isin(mkey, superseded)
    mrow = rows_of(metrics.ids, np.asarray(measurement_metric)[keep])
    mday = np.asarray(measurement_day, dtype=np.int64)[keep]
    mval = np.asarray(measurement_value, dtype=np.float64)[keep]
    mconf = np.asarray(measurement_confidence, dtype=np.float64)[keep]
    okey = submission_order(mkey, sup)[keep] if superseded.size else mkey[keep]
    if not _in_order(mrow, mday, okey):
        # Rows come ordered by (metric, day, key); only a correction of an earlier row of
        # a day with several rows (or an unordered input) needs this sort.
        o = np.lexsort((okey, mday, mrow))
        mrow, mday, mval, mconf = mrow[o], mday[o], mval[o], mconf[o]
    history = History.build(mrow, mday, mval, mconf, metrics.n)
    plans = build_plans(metrics, plan_metric, plan_day, plan_value)
    oids = np.asarray(objective_ids, dtype=np.int64)
    order = np.argsort(oids)
    oids = oids[order]
    graph = build_graph(oids.shape[0], metrics.n, rows_of(oids, align_child),
                        rows_of(oids, align_parent), align_weight,
                        rows_of(metrics.ids, contrib_metric),
                        rows_of(oids, contrib_objective), contrib_weight)
    return Snapshot(metrics=metrics, history=history, plans=plans, objective_ids=oids,
                    graph=graph, benefits=benefits or Benefits.empty(),
                    high_water=int(mkey.max()) if mkey.size else 0,
                    plan_points=(np.asarray(plan_metric, dtype=np.int64),
                                 np.asarray(plan_day, dtype=np.int64),
                                 np.asarray(plan_value, dtype=np.float64)))


def build_plans(metrics: Metrics, plan_metric: npt.ArrayLike, plan_day: npt.ArrayLike,
                plan_value: npt.ArrayLike) -> PlanSet:
    """Every metric's plan: its explicit points (metric keys), phased from the baseline,
    or the default linear plan from baseline to target (see `build_snapshot`)."""
    prow = rows_of(metrics.ids, plan_metric)
    explicit = np.zeros(metrics.n, dtype=bool)
    explicit[prow[prow >= 0]] = True
    dflt = default_plans(metrics.direction, metrics.baseline_value, metrics.baseline_day,
                         metrics.target_value, metrics.target_day)
    drow = np.repeat(np.arange(metrics.n), dflt.counts)
    use = ~explicit[drow]
    pday = np.asarray(plan_day, dtype=np.int64)
    first = np.full(metrics.n, np.iinfo(np.int64).max)
    np.minimum.at(first, prow[prow >= 0], pday[prow >= 0])
    bday = np.asarray(metrics.baseline_day, dtype=np.int64)
    bval = np.asarray(metrics.baseline_value, dtype=np.float64)
    ranged = np.isin(metrics.direction, (Direction.INCREASE_TO, Direction.DECREASE_TO))
    lead = np.flatnonzero(explicit & ranged & (bday != NO_DAY) & np.isfinite(bval)
                          & (bday < first))
    return PlanSet.from_points(np.concatenate([prow, drow[use], lead]),
                                np.concatenate([pday, dflt.days[use], bday[lead]]),
                                np.concatenate([np.asarray(plan_value, dtype=np.float64),
                                                dflt.values[use], bval[lead]]), metrics.n)


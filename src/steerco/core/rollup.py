"""Weighted roll-up of metric progress and status over the multi-parent objective DAG.

Objectives and metrics are dense ids ``0..n-1``. An objective's *children* are the
metrics that contribute to it and the objectives that align to it, each with a weight.
`build_graph` turns the edge arrays into CSR structures and height levels once; `rollup`
then computes every objective level by level from the leaves up (reverse topological
order), vectorised within each level; `update_metric` patches one metric and recomputes
only its ancestors, through the same per-level code path, so both always agree.

Rules (per objective, over its children with weight > 0):

- *Evidence*: a metric has evidence unless its status is ``no_data``; a child objective
  has evidence unless its rolled-up status is ``no_data``. Nothing below with evidence →
  ``no_data`` (reason NO_EVIDENCE): an objective without evidence never looks green.
- *Progress*: weighted mean of the children's progress, weights renormalised over the
  children whose progress is known. Progress is clipped to [0, 1] first (setting), so one
  over-achieving metric cannot hide a failing one.
- *Coverage*: ``sum(w * coverage_child) / sum(w)``; a metric's coverage is 1 with evidence
  and 0 without, so coverage is the share of weight, recursively, that has evidence.
- *Severity*: weighted mean over the children with evidence of a score per status
  (on_track and achieved 0, at_risk and stale 0.5, off_track and missed 1; a child
  objective contributes its own severity).
- *Status*, first rule that applies: no evidence → ``no_data``; all evidenced weight
  achieved / missed / stale → that status; off_track/missed children hold at least
  ``red_share`` of the evidenced weight, or severity >= ``off_track_severity`` →
  ``off_track``; severity >= ``at_risk_severity`` → ``at_risk``; else ``on_track``.
  Finally an ``on_track`` or ``achieved`` objective whose coverage is below
  ``min_coverage`` is downgraded to ``at_risk`` (reason LOW_COVERAGE). The default is
  0.8: green says "this is on track", and about weight nobody has measured no one can say
  that — one key result at 80 % and one never checked in is not on track, it is unknown.
  Not 1, because coverage is recursive: at 1, one metric without data anywhere below
  would keep every ancestor up to the company objective amber for good, and a large
  company always has a few new metrics without their first check-in. A fifth of the
  weight unknown is the most a green may hide. Red stays red (the measured part alone
  already proves a problem). Pages show
  the coverage next to the status ("1 of 2 measured", `measured_counts`), so an at-risk
  objective says whether it is the numbers or the missing ones.
- *Carried reasons*: each objective keeps the ``top_k`` worst metrics below it, ranked
  by status (missed > off_track > stale > at_risk > no_data; on_track and achieved are
  not carried), then by the metric's share of the objective's weight (the product of the
  normalised weights along the path; over several paths the largest counts), then id.

Objectives on or above a cycle cannot be ordered: they get ``no_data`` with reason CYCLE.
Edges with an unknown id, a self loop, or a weight that is NaN or <= 0 are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

import numpy as np
import numpy.typing as npt

from steerco.core.arrays import ranges_with_owner
from steerco.core.status import Reason, Status

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]
UInt32Array = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]

_N_STATUS = len(Status)
# Plain ints: enum attribute lookups cost microseconds in the incremental hot path.
_ON, _RISK, _OFF = int(Status.ON_TRACK), int(Status.AT_RISK), int(Status.OFF_TRACK)
_STALE, _NO_DATA = int(Status.STALE), int(Status.NO_DATA)
_ACH, _MISS = int(Status.ACHIEVED), int(Status.MISSED)
# Indexed by Status code.
_SEVERITY = np.full(_N_STATUS, np.nan)
_SEVERITY[[Status.ON_TRACK, Status.ACHIEVED]] = 0.0
_SEVERITY[[Status.AT_RISK, Status.STALE]] = 0.5
_SEVERITY[[Status.OFF_TRACK, Status.MISSED]] = 1.0
_CARRY_RANK = np.zeros(_N_STATUS, dtype=np.int8)
_CARRY_RANK[[Status.MISSED, Status.OFF_TRACK, Status.STALE, Status.AT_RISK,
             Status.NO_DATA]] = [5, 4, 3, 2, 1]


class ObjectiveReason(IntFlag):
    """Why an objective has its status; an objective's reasons are a bitmask."""

    NO_EVIDENCE = 1 << 0  #: nothing below has evidence
    NO_CHILDREN = 1 << 1  #: no metric or objective contributes to it
    CYCLE = 1 << 2  #: on or above a cycle of the alignment graph
    PARTIAL_COVERAGE = 1 << 3  #: some weight below has no evidence
    LOW_COVERAGE = 1 << 4  #: coverage below min_coverage
    ALL_ACHIEVED = 1 << 5
    ALL_MISSED = 1 << 6
    ALL_STALE = 1 << 7
    RED_SHARE = 1 << 8  #: off_track/missed children hold >= red_share of the weight
    HIGH_SEVERITY = 1 << 9  #: severity >= off_track_severity
    MEDIUM_SEVERITY = 1 << 10  #: at_risk_severity <= severity < off_track_severity


_R_NO_EVIDENCE = np.uint32(ObjectiveReason.NO_EVIDENCE.value)
_R_NO_CHILDREN = np.uint32(ObjectiveReason.NO_CHILDREN.value)
_R_PARTIAL = np.uint32(ObjectiveReason.PARTIAL_COVERAGE.value)
_R_LOW = np.uint32(ObjectiveReason.LOW_COVERAGE.value)
_R_ALL_ACH = np.uint32(ObjectiveReason.ALL_ACHIEVED.value)
_R_ALL_MISS = np.uint32(ObjectiveReason.ALL_MISSED.value)
_R_ALL_STALE = np.uint32(ObjectiveReason.ALL_STALE.value)
_R_RED = np.uint32(ObjectiveReason.RED_SHARE.value)
_R_HIGH = np.uint32(ObjectiveReason.HIGH_SEVERITY.value)
_R_MEDIUM = np.uint32(ObjectiveReason.MEDIUM_SEVERITY.value)


@dataclass(frozen=True, slots=True)
class RollupSettings:
    """Thresholds of the roll-up rules (see the module docstring)."""

    at_risk_severity: float = 0.25
    off_track_severity: float = 0.75
    red_share: float = 0.5
    min_coverage: float = 0.8
    top_k: int = 3
    clip_progress: bool = True


@dataclass(frozen=True, slots=True)
class RollupGraph:
    """The objective DAG in CSR form with height levels; build it with `build_graph`.

    ``height[o]`` is the longest path from ``o`` down to an objective without child
    objectives (0), or -1 on or above a cycle. ``order[level_ptr[h]:level_ptr[h+1]]`` are
    the objectives of height ``h``. ``in_obj_*`` / ``in_met_*``: per objective, its child
    objectives / metrics and their weights. ``up_obj_*`` / ``up_met_*``: per objective /
    metric, the objectives it contributes to. ``total_w``: per objective, its children's
    total weight.
    """

    n_objectives: int
    n_metrics: int
    height: IntArray
    order: IntArray
    level_ptr: IntArray
    in_obj_ptr: IntArray
    in_obj_child: IntArray
    in_obj_w: FloatArray
    in_met_ptr: IntArray
    in_met_metric: IntArray
    in_met_w: FloatArray
    up_obj_ptr: IntArray
    up_obj_parent: IntArray
    up_met_ptr: IntArray
    up_met_obj: IntArray
    total_w: FloatArray


@dataclass(frozen=True, slots=True)
class RollupState:
    """Roll-up results per objective, plus the metric inputs they were computed from.

    ``progress`` (NaN: unknown), ``status`` (`Status` codes), ``severity`` (0–1, NaN when
    no_data), ``coverage`` (0–1), ``reasons`` (`ObjectiveReason` bitmask); ``top_metric``
    / ``top_rank`` / ``top_share`` are ``(n_objectives, top_k)``: the carried worst metrics
    (-1 / 0 / 0 in unused slots). The arrays are owned by the state: `update_metric`
    patches them in place (the only mutation in the engine, so a snapshot stays cheap to
    keep current).
    """

    settings: RollupSettings
    progress: FloatArray
    status: Int8Array
    severity: FloatArray
    coverage: FloatArray
    reasons: UInt32Array
    top_metric: IntArray
    top_rank: Int8Array
    top_share: FloatArray
    metric_progress: FloatArray
    metric_status: Int8Array
    metric_reason: UInt32Array


def _csr(key: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Return (order, ptr): a stable sort of ``key`` and the CSR row pointers."""
    order = np.argsort(key, kind="stable").astype(np.int64)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n), out=ptr[1:])
    return order, ptr


def build_graph(n_objectives: int, n_metrics: int, edge_child: npt.ArrayLike,
                edge_parent: npt.ArrayLike, edge_weight: npt.ArrayLike,
                contrib_metric: npt.ArrayLike, contrib_objective: npt.ArrayLike,
                contrib_weight: npt.ArrayLike) -> RollupGraph:
    """Build the roll-up graph from edge arrays.

    ``edge_child[j]`` aligns to ``edge_parent[j]`` with ``edge_weight[j]`` (objective ids);
    ``contrib_metric[j]`` contributes to ``contrib_objective[j]`` with
    ``contrib_weight[j]``. A child may have many parents. Invalid edges (unknown ids, self
    loops, weight NaN or <= 0) are dropped; duplicate edges count separately. Cycles are
    tolerated: their objectives and everything above them get height -1.
    """
    n_o, n_m = max(int(n_objectives), 0), max(int(n_metrics), 0)
    ec = np.asarray(edge_child, dtype=np.int64).ravel()
    ep = np.asarray(edge_parent, dtype=np.int64).ravel()
    ew = np.asarray(edge_weight, dtype=np.float64).ravel()
    size = min(ec.shape[0], ep.shape[0], ew.shape[0])
    ec, ep, ew = ec[:size], ep[:size], ew[:size]
    with np.errstate(invalid="ignore"):
        ok = (ec >= 0) & (ec < n_o) & (ep >= 0) & (ep < n_o) & (ec != ep) & (ew > 0)
    ok &= np.isfinite(ew)
    ec, ep, ew = ec[ok], ep[ok], ew[ok]

    cm = np.asarray(contrib_metric, dtype=np.int64).ravel()
    co = np.asarray(contrib_objective, dtype=np.int64).ravel()
    cw = np.asarray(contrib_weight, dtype=np.float64).ravel()
    size = min(cm.shape[0], co.shape[0], cw.shape[0])
    cm, co, cw = cm[:size], co[:size], cw[:size]
    with np.errstate(invalid="ignore"):
        ok = (cm >= 0) & (cm < n_m) & (co >= 0) & (co < n_o) & (cw > 0)
    ok &= np.isfinite(cw)
    cm, co, cw = cm[ok], co[ok], cw[ok]

    o_in, in_obj_ptr = _csr(ep, n_o)
    m_in, in_met_ptr = _csr(co, n_o)
    o_up, up_obj_ptr = _csr(ec, n_o)
    m_up, up_met_ptr = _csr(cm, n_m)
    up_obj_parent = ep[o_up]

    # Heights by peeling from the leaves: an objective is released once all its child
    # objectives are, one level per round, so its round is its longest path to a leaf.
    height = np.full(n_o, -1, dtype=np.int64)
    pending = np.diff(in_obj_ptr)
    frontier = np.flatnonzero(pending == 0).astype(np.int64)
    h = 0
    while frontier.shape[0]:
        height[frontier] = h
        idx, _ = ranges_with_owner(up_obj_ptr[frontier], up_obj_ptr[frontier + 1])
        parents = up_obj_parent[idx]
        if parents.shape[0] == 0:
            break
        uniq, dec = np.unique(parents, return_counts=True)
        pending[uniq] -= dec
        frontier = uniq[pending[uniq] == 0]
        h += 1
    ordered = height >= 0
    order = np.argsort(np.where(ordered, height, np.iinfo(np.int64).max),
                       kind="stable").astype(np.int64)[: int(ordered.sum())]
    n_levels = int(height.max(initial=-1)) + 1
    level_ptr = np.zeros(n_levels + 1, dtype=np.int64)
    np.cumsum(np.bincount(height[ordered], minlength=n_levels), out=level_ptr[1:])

    total_w = np.bincount(ep, ew, minlength=n_o) + np.bincount(co, cw, minlength=n_o)
    return RollupGraph(
        n_objectives=n_o, n_metrics=n_m, height=height, order=order, level_ptr=level_ptr,
        in_obj_ptr=in_obj_ptr, in_obj_child=ec[o_in], in_obj_w=ew[o_in],
        in_met_ptr=in_met_ptr, in_met_metric=cm[m_in], in_met_w=cw[m_in],
        up_obj_ptr=up_obj_ptr, up_obj_parent=up_obj_parent,
        up_met_ptr=up_met_ptr, up_met_obj=co[m_up],
        total_w=np.asarray(total_w, dtype=np.float64),
    )


def _metric_arrays(graph: RollupGraph, progress: npt.ArrayLike, status: npt.ArrayLike,
                   reason: npt.ArrayLike | None) -> tuple[FloatArray, Int8Array, UInt32Array]:
    n = graph.n_metrics
    p = np.full(n, np.nan)
    s = np.full(n, int(Status.NO_DATA), dtype=np.int8)
    r = np.zeros(n, dtype=np.uint32)
    pin = np.asarray(progress, dtype=np.float64).ravel()[:n]
    sin = np.asarray(status, dtype=np.int64).ravel()[:n]
    p[: pin.shape[0]] = pin
    # Unknown status codes count as no_data.
    s[: sin.shape[0]] = np.where((sin >= 0) & (sin < _N_STATUS), sin, int(Status.NO_DATA))
    if reason is not None:
        rin = np.asarray(reason, dtype=np.int64).ravel()[:n]
        r[: rin.shape[0]] = np.clip(rin, 0, np.iinfo(np.uint32).max)
    return p, s, r


def rollup(graph: RollupGraph, metric_progress: npt.ArrayLike, metric_status: npt.ArrayLike,
           metric_reason: npt.ArrayLike | None = None,
           settings: RollupSettings = RollupSettings()) -> RollupState:
    """Roll metric progress and status up to every objective (see the module docstring).

    ``metric_progress`` (NaN: unknown) and ``metric_status`` (`Status` codes; unknown codes
    count as no_data) have one entry per metric (shorter arrays are padded with NaN /
    no_data); ``metric_reason`` is each metric's deciding `Reason` value (e.g.
    `StatusResult.deciding`), carried up with the worst metrics.
    """
    p, s, r = _metric_arrays(graph, metric_progress, metric_status, metric_reason)
    n, k = graph.n_objectives, max(int(settings.top_k), 0)
    state = RollupState(
        settings=settings,
        progress=np.full(n, np.nan), status=np.full(n, int(Status.NO_DATA), dtype=np.int8),
        severity=np.full(n, np.nan), coverage=np.zeros(n),
        reasons=np.full(n, int(ObjectiveReason.CYCLE | ObjectiveReason.NO_EVIDENCE),
                        dtype=np.uint32),
        top_metric=np.full((n, k), -1, dtype=np.int64), top_rank=np.zeros((n, k), np.int8),
        top_share=np.zeros((n, k)), metric_progress=p, metric_status=s, metric_reason=r,
    )
    for h in range(graph.level_ptr.shape[0] - 1):
        _compute(graph, state, graph.order[graph.level_ptr[h]:graph.level_ptr[h + 1]])
    return state


def _compute(graph: RollupGraph, state: RollupState, objs: IntArray) -> BoolArray:
    """Recompute ``objs`` (whose children are up to date) in place; return which changed."""
    st = state.settings
    m = objs.shape[0]
    # Children: metric edges then child-objective edges, as flat per-edge arrays.
    mi, m_loc = ranges_with_owner(graph.in_met_ptr[objs], graph.in_met_ptr[objs + 1])
    oi, o_loc = ranges_with_owner(graph.in_obj_ptr[objs], graph.in_obj_ptr[objs + 1])
    met = graph.in_met_metric[mi]
    chi = graph.in_obj_child[oi]
    m_status = state.metric_status[met].astype(np.int64)
    o_status = state.status[chi].astype(np.int64)
    loc = np.concatenate([m_loc, o_loc])
    w = np.concatenate([graph.in_met_w[mi], graph.in_obj_w[oi]])
    status = np.concatenate([m_status, o_status])
    sev = np.concatenate([_SEVERITY[m_status], state.severity[chi]])
    prog = np.concatenate([state.metric_progress[met], state.progress[chi]])
    cov = np.concatenate([(m_status != _NO_DATA).astype(np.float64),
                          state.coverage[chi]])
    if st.clip_progress:
        prog = np.clip(prog, 0.0, 1.0)

    ev = status != _NO_DATA
    known = np.isfinite(prog)

    def total(x: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(loc, x, minlength=m), dtype=np.float64)

    w_all = total(w)
    w_ev = total(w * ev)
    w_sev = total(np.where(ev & np.isfinite(sev), w * sev, 0.0))
    w_prog = total(w * known)
    s_prog = total(np.where(known, w * prog, 0.0))
    s_cov = total(np.where(np.isfinite(cov), w * cov, 0.0))
    w_red = total(w * ((status == _OFF) | (status == _MISS)))
    w_ach = total(w * (status == _ACH))
    w_miss = total(w * (status == _MISS))
    w_stale = total(w * (status == _STALE))

    with np.errstate(invalid="ignore", divide="ignore"):
        has_ev = w_ev > 0
        progress = np.where(w_prog > 0, s_prog / np.where(w_prog > 0, w_prog, 1.0), np.nan)
        coverage = np.minimum(np.where(w_all > 0, s_cov / np.where(w_all > 0, w_all, 1.0),
                                       0.0), 1.0)
        den = np.where(has_ev, w_ev, 1.0)
        severity = np.where(has_ev, w_sev / den, np.nan)
        near_all = w_ev * (1 - 1e-12)
        all_ach = has_ev & (w_ach >= near_all)
        all_miss = has_ev & (w_miss >= near_all)
        all_stale = has_ev & (w_stale >= near_all)
        red = has_ev & (w_red / den >= st.red_share)
        high = has_ev & (severity >= st.off_track_severity)
        medium = has_ev & ~high & (severity >= st.at_risk_severity)
    status_o = np.where(medium, _RISK, _ON)
    status_o = np.where(red | high, _OFF, status_o)
    status_o = np.where(all_stale, _STALE, status_o)
    status_o = np.where(all_miss, _MISS, status_o)
    status_o = np.where(all_ach, _ACH, status_o)
    status_o = np.where(has_ev, status_o, _NO_DATA)
    low_cov = has_ev & (coverage < st.min_coverage - 1e-9)
    greenish = (status_o == _ON) | (status_o == _ACH)
    status_o = np.where(low_cov & greenish, _RISK, status_o)

    reasons = np.zeros(m, dtype=np.uint32)
    for mask, flag in ((~has_ev, _R_NO_EVIDENCE), (w_all <= 0, _R_NO_CHILDREN),
                       (has_ev & (coverage < 1 - 1e-9), _R_PARTIAL),
                       (low_cov, _R_LOW), (all_ach, _R_ALL_ACH),
                       (all_miss, _R_ALL_MISS), (all_stale, _R_ALL_STALE),
                       (red, _R_RED), (high, _R_HIGH), (medium, _R_MEDIUM)):
        reasons |= np.where(mask, flag, np.uint32(0))

    top_m, top_r, top_s = _top_k(graph, state, objs, met, m_loc, graph.in_met_w[mi],
                                 m_status, chi, o_loc, graph.in_obj_w[oi], w_all)

    changed = ~(_same(state.progress[objs], progress) & _same(state.severity[objs], severity)
                & _same(state.coverage[objs], coverage)
                & (state.status[objs] == status_o) & (state.reasons[objs] == reasons)
                & np.all(state.top_metric[objs] == top_m, axis=1)
                & np.all(state.top_rank[objs] == top_r, axis=1)
                & np.all(np.abs(state.top_share[objs] - top_s) <= 1e-12 * np.abs(top_s), axis=1))
    state.progress[objs] = progress
    state.status[objs] = status_o
    state.severity[objs] = severity
    state.coverage[objs] = coverage
    state.reasons[objs] = reasons
    state.top_metric[objs] = top_m
    state.top_rank[objs] = top_r
    state.top_share[objs] = top_s
    return np.asarray(changed, dtype=np.bool_)


def _same(a: FloatArray, b: FloatArray) -> BoolArray:
    both_nan = np.isnan(a) & np.isnan(b)
    return np.asarray(both_nan | (a == b), dtype=np.bool_)


def _top_k(graph: RollupGraph, state: RollupState, objs: IntArray, met: IntArray,
           m_loc: IntArray, m_w: FloatArray, m_status: IntArray, chi: IntArray,
           o_loc: IntArray, o_w: FloatArray,
           w_all: FloatArray) -> tuple[IntArray, Int8Array, FloatArray]:
    """Select each objective's k worst metrics among its metrics and its children's."""
    k = state.top_metric.shape[1]
    m = objs.shape[0]
    out_m = np.full((m, k), -1, dtype=np.int64)
    out_r = np.zeros((m, k), dtype=np.int8)
    out_s = np.zeros((m, k))
    if k == 0:
        return out_m, out_r, out_s
    den = np.where(w_all > 0, w_all, 1.0)
    # Direct metrics.
    rank_m = _CARRY_RANK[m_status]
    keep = rank_m > 0
    c_loc = [m_loc[keep]]
    c_met = [met[keep]]
    c_rank = [rank_m[keep].astype(np.int64)]
    c_share = [m_w[keep] / den[m_loc[keep]]]
    # The k carried metrics of each child objective, scaled by the child's share.
    if chi.shape[0]:
        sub_m = state.top_metric[chi]
        valid = sub_m >= 0
        rows = np.nonzero(valid)[0]
        c_loc.append(o_loc[rows])
        c_met.append(sub_m[valid])
        c_rank.append(state.top_rank[chi][valid].astype(np.int64))
        c_share.append(state.top_share[chi][valid] * (o_w / den[o_loc])[rows])
    loc = np.concatenate(c_loc)
    cm = np.concatenate(c_met)
    rank = np.concatenate(c_rank)
    share = np.concatenate(c_share)
    if loc.shape[0] == 0:
        return out_m, out_r, out_s
    # One candidate per (objective, metric): the path with the largest share.
    o1 = np.lexsort((-share, cm, loc))
    loc, cm, rank, share = loc[o1], cm[o1], rank[o1], share[o1]
    first = np.ones(loc.shape[0], dtype=np.bool_)
    first[1:] = (loc[1:] != loc[:-1]) | (cm[1:] != cm[:-1])
    loc, cm, rank, share = loc[first], cm[first], rank[first], share[first]
    o2 = np.lexsort((cm, -share, -rank, loc))
    loc, cm, rank, share = loc[o2], cm[o2], rank[o2], share[o2]
    pos = np.arange(loc.shape[0]) - np.searchsorted(loc, loc, side="left")
    sel = pos < k
    out_m[loc[sel], pos[sel]] = cm[sel]
    out_r[loc[sel], pos[sel]] = rank[sel]
    out_s[loc[sel], pos[sel]] = share[sel]
    return out_m, out_r, out_s


def update_metric(graph: RollupGraph, state: RollupState, metric: int, progress: float,
                  status: int, reason: int = 0) -> set[int]:
    """Patch one metric's progress/status/reason and recompute only its ancestors.

    Mutates ``state`` in place and returns the ids of the objectives whose results
    changed. Ancestors are recomputed in increasing height, and propagation stops along
    paths where nothing changed. An unknown metric id changes nothing. The result equals a
    full `rollup` on the patched inputs.
    """
    if not 0 <= metric < graph.n_metrics:
        return set()
    ok_status = 0 <= status < _N_STATUS
    state.metric_progress[metric] = progress
    state.metric_status[metric] = status if ok_status else int(Status.NO_DATA)
    state.metric_reason[metric] = max(0, min(int(reason), int(np.iinfo(np.uint32).max)))
    dirty: dict[int, set[int]] = {}

    def mark(objs: IntArray) -> None:
        for o in objs.tolist():
            h = int(graph.height[o])
            if h >= 0:  # objectives on a cycle stay no_data
                dirty.setdefault(h, set()).add(o)

    mark(graph.up_met_obj[graph.up_met_ptr[metric]:graph.up_met_ptr[metric + 1]])
    changed: set[int] = set()
    while dirty:
        h = min(dirty)
        objs = np.fromiter(sorted(dirty.pop(h)), dtype=np.int64)
        moved = objs[_compute(graph, state, objs)]
        changed.update(moved.tolist())
        if moved.shape[0]:
            idx, _ = ranges_with_owner(graph.up_obj_ptr[moved], graph.up_obj_ptr[moved + 1])
            mark(graph.up_obj_parent[idx])
    return changed


def measured_counts(graph: RollupGraph, metric_status: npt.ArrayLike,
                    objective: int) -> tuple[int, int]:
    """(measured, total): the distinct metrics below an objective (directly or through
    the objectives aligned to it, each metric once however many paths reach it) and how
    many of them have evidence (status other than no_data)."""
    if not 0 <= objective < graph.n_objectives:
        return 0, 0
    seen = np.zeros(graph.n_objectives, dtype=bool)
    seen[objective] = True
    frontier = np.array([objective], dtype=np.int64)
    parts = []
    while frontier.size:
        idx, _ = ranges_with_owner(graph.in_met_ptr[frontier], graph.in_met_ptr[frontier + 1])
        parts.append(graph.in_met_metric[idx])
        idx, _ = ranges_with_owner(graph.in_obj_ptr[frontier], graph.in_obj_ptr[frontier + 1])
        kids = np.unique(graph.in_obj_child[idx])
        frontier = kids[~seen[kids]]
        seen[frontier] = True
    mets = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    status = np.asarray(metric_status)[mets]
    return int(np.count_nonzero(status != _NO_DATA)), int(mets.size)


def worst_reasons(state: RollupState, objective: int) -> list[tuple[str, int]]:
    """Return the carried (reason name, metric id) pairs of one objective, worst first.

    The reason is the metric's deciding `Reason` (lower-case name), or its status name
    when no reason was given.
    """
    if not 0 <= objective < state.status.shape[0]:
        return []
    out: list[tuple[str, int]] = []
    for mid in state.top_metric[objective].tolist():
        if mid < 0:
            continue
        code = int(state.metric_reason[mid])
        known = [r for r in Reason if r.value == code]
        name = known[0].name if known and known[0].name else Status(
            int(state.metric_status[mid])).name
        out.append((name.lower(), int(mid)))
    return out

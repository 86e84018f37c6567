"""Critical path over cross-team dependencies: forward/backward pass, slack, broken links.

A `Network` is frozen arrays: nodes (milestones and initiatives, dense ids ``0..n-1``)
with a duration, an own earliest start and an own forecast finish (int day numbers,
`NO_DAY` when missing), and edges ``src -> dst`` (provider → consumer) with a `DepType`,
a lag (negative = lead), the consumer's need day and the provider's committed day.
Edge ids are the input positions and never change.

Forward pass (per node, in topological order, all four types, lags in days):

- FS: start(s) ≥ finish(p) + lag      SS: start(s) ≥ start(p) + lag
- FF: finish(s) ≥ finish(p) + lag     SF: finish(s) ≥ start(p) + lag

A *summary* edge (an FF edge flagged in ``summary``: a milestone → its initiative) makes
the consumer finish no earlier than the provider but leaves its start alone: an
initiative is the summary of its milestones, so a late last milestone stretches the
initiative (its finish moves, its start stays with its own plan and earlier milestones).

``early_start = max(base start, what the predecessors force)`` where the base start is
the own start, else ``own finish − duration``, else ``origin``; ``early_finish =
max(early_start + duration, own forecast finish, what summary edges force)`` — the
forecast finish of a node is the later of its own forecast and what its predecessors
force. A *stopped* node starts but
never finishes (`NEVER`); whatever waits on its finish never finishes either.

A dependency is BROKEN when the provider's forecast (finish for FS/FF, start for SS/SF)
plus the lag is later than the consumer's need day, or when the provider never finishes.
It is OVER COMMITMENT when that forecast date is later than the provider's committed day.

Cycles (real data has them): every strongly connected component of more than one node,
and every self loop, is reported with its members. Members are UNSCHEDULED (all their
dates `NO_DAY`, never critical) and every edge touching them is left out of both passes;
what is downstream of a cycle is still scheduled from its other predecessors and its
own dates, and flagged ``downstream_of_cycle`` because those dates are a lower bound.
We chose this over guessing an order inside the cycle: a cycle has no consistent
schedule, and the rest of the workspace must keep its dates.

Backward pass: the late finish of a node is the earliest of its deadline, the end of its
weakly connected component (latest early finish in it; or one workspace-wide end, or an
explicit ``project_end``) and what its successors require; ``total_slack = late_finish −
early_finish``. The critical nodes of a component are those with its minimum slack (0
without deadlines; the most negative chain when deadlines are missed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from steerco.core.graph import (
    BoolArray,
    Csr,
    Cycles,
    IntArray,
    TopoOrder,
    as_index,
    csr,
    find_cycles,
    reachable,
    topological_levels,
    valid_edges,
    weak_components,
)
from steerco.kit.dates import NO_DAY

#: The finish of something that never finishes (a stopped initiative and what waits on it).
NEVER = int(np.iinfo(np.int32).max)


class DepType(IntEnum):
    """Dependency type (provider → consumer). Codes are stable: stored in int8 arrays."""

    FS = 0  #: finish-to-start: the consumer starts after the provider finishes
    SS = 1  #: start-to-start
    FF = 2  #: finish-to-finish
    SF = 3  #: start-to-finish


@dataclass(frozen=True, slots=True)
class Network:
    """A schedule network; build it with `network`, which validates and derives the CSR.

    Node arrays (length n): ``duration`` (days, ≥ 0), ``own_start``, ``own_finish``,
    ``deadline`` (day numbers or `NO_DAY`), ``group`` (initiative id, -1 for none).
    Edge arrays (length m): ``src``, ``dst``, ``dep_type`` (`DepType` codes), ``lag``,
    ``need_day``, ``committed_day`` (`NO_DAY` when missing), ``valid`` (endpoints in range
    and a known type; invalid edges are ignored, never raised on). ``out``/``inc``: CSR of
    the valid edges by provider / by consumer, holding the original edge ids.
    """

    duration: IntArray
    own_start: IntArray
    own_finish: IntArray
    deadline: IntArray
    group: IntArray
    src: IntArray
    dst: IntArray
    dep_type: IntArray
    lag: IntArray
    need_day: IntArray
    committed_day: IntArray
    valid: BoolArray
    out: Csr
    inc: Csr
    #: Per edge: a summary edge (see the module docstring); all False by default.
    summary: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    @property
    def n(self) -> int:
        """Number of nodes."""
        return int(self.duration.size)

    @property
    def m(self) -> int:
        """Number of edges (valid or not)."""
        return int(self.src.size)


def _node_array(values: npt.ArrayLike | None, n: int, fill: int) -> IntArray:
    if values is None:
        return np.full(n, fill, dtype=np.int64)
    return as_index(values).copy()


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def network(duration: npt.ArrayLike, src: npt.ArrayLike, dst: npt.ArrayLike, *,
            own_start: npt.ArrayLike | None = None,
            own_finish: npt.ArrayLike | None = None,
            deadline: npt.ArrayLike | None = None,
            group: npt.ArrayLike | None = None,
            dep_type: npt.ArrayLike | None = None,
            lag: npt.ArrayLike | None = None,
            need_day: npt.ArrayLike | None = None,
            committed_day: npt.ArrayLike | None = None,
            summary: npt.ArrayLike | None = None) -> Network:
    """Build a frozen `Network` from per-node and per-edge arrays.

    Contract: n = len(duration), m = len(src) = len(dst); omitted arrays default to
    missing (`NO_DAY`), FS, lag 0 and group -1. Negative durations count as 0. Edges with
    an endpoint outside ``0..n-1`` or an unknown type code are kept (their ids stay
    stable) but marked invalid and ignored by every pass. Never raises on bad values;
    raises ValueError only when array lengths disagree (a programming error).
    """
    dur = np.maximum(as_index(duration), 0)
    n = int(dur.size)
    s = as_index(src).copy()
    d = as_index(dst).copy()
    m = int(s.size)
    if d.size != m:
        raise ValueError("src and dst must have the same length")
    typ = np.zeros(m, dtype=np.int64) if dep_type is None else as_index(dep_type).copy()
    edge_arrays = {
        "dep_type": typ,
        "lag": _node_array(lag, m, 0),
        "need_day": _node_array(need_day, m, NO_DAY),
        "committed_day": _node_array(committed_day, m, NO_DAY),
    }
    node_arrays = {
        "own_start": _node_array(own_start, n, NO_DAY),
        "own_finish": _node_array(own_finish, n, NO_DAY),
        "deadline": _node_array(deadline, n, NO_DAY),
        "group": _node_array(group, n, -1),
    }
    for name, arr in edge_arrays.items():
        if arr.size != m:
            raise ValueError(f"{name} must have one entry per edge")
    for name, arr in node_arrays.items():
        if arr.size != n:
            raise ValueError(f"{name} must have one entry per node")
    summ = (np.zeros(m, dtype=np.bool_) if summary is None
            else np.asarray(summary, dtype=np.bool_).copy())
    if summ.size != m:
        raise ValueError("summary must have one entry per edge")
    summ &= typ == DepType.FF
    ok = valid_edges(n, s, d) & (typ >= 0) & (typ <= 3)
    ids = np.flatnonzero(ok)
    out = csr(n, s[ids], d[ids])
    inc = csr(n, d[ids], s[ids])
    out = Csr(out.indptr, ids[out.edge], out.other)
    inc = Csr(inc.indptr, ids[inc.edge], inc.other)
    for a in (*edge_arrays.values(), *node_arrays.values(), dur, s, d, ok, summ,
              out.indptr, out.edge, out.other, inc.indptr, inc.edge, inc.other):
        _frozen(a)
    return Network(duration=dur, src=s, dst=d, valid=ok, out=out, inc=inc, summary=summ,
                   **node_arrays, **edge_arrays)


def with_own_finish(net: Network, changes: Mapping[int, int]) -> Network:
    """Return a copy of ``net`` whose own forecast finish is replaced for some nodes."""
    own = net.own_finish.copy()
    for node, day in changes.items():
        own[int(node)] = int(day)
    return replace(net, own_finish=_frozen(own))


@dataclass(frozen=True)
class Schedule:
    """The result of `schedule`: dates per node, health per edge, and the cycles.

    Node arrays: ``early_start``/``early_finish`` (`NO_DAY` for cycle members, `NEVER`
    finish for what never finishes), ``late_start``/``late_finish``/``total_slack``
    (`NO_DAY` where undefined: cycle members and never-finishing nodes), ``critical``,
    ``component`` (weakly connected component label), ``downstream_of_cycle``.
    Edge arrays: ``active`` (valid and not touching a cycle), ``broken``,
    ``over_commitment``, ``driving`` (the edge sets its consumer's early start).
    ``topo`` orders the scheduled nodes; ``stopped``/``own_finish``/``origin`` are the
    inputs the pass used, kept so a what-if can patch them (see ripple.py).
    """

    network: Network
    origin: int
    own_finish: IntArray
    stopped: BoolArray
    early_start: IntArray
    early_finish: IntArray
    late_start: IntArray
    late_finish: IntArray
    total_slack: IntArray
    critical: BoolArray
    component: IntArray
    downstream_of_cycle: BoolArray
    active: BoolArray
    broken: BoolArray
    over_commitment: BoolArray
    driving: BoolArray
    cycles: Cycles
    topo: TopoOrder
    #: derived per-edge and per-node lists memoised by ripple.py (not part of the result)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def base_start(net: Network, own_finish: IntArray, origin: int) -> IntArray:
    """Return each node's start before predecessors: own start, own finish − duration, origin."""
    from_finish = np.where(own_finish != NO_DAY, own_finish - net.duration, origin)
    return np.where(net.own_start != NO_DAY, net.own_start, from_finish)


def uses_provider_finish(dep_type: IntArray) -> BoolArray:
    """FS and FF depend on the provider's finish; SS and SF on its start."""
    out: BoolArray = (dep_type == DepType.FS) | (dep_type == DepType.FF)
    return out


def binds_consumer_finish(dep_type: IntArray) -> BoolArray:
    """FF and SF constrain the consumer's finish; FS and SS its start."""
    out: BoolArray = (dep_type == DepType.FF) | (dep_type == DepType.SF)
    return out


def summary_of(net: Network) -> BoolArray:
    """The summary mask of every edge (a network built without one has none)."""
    if net.summary.size == net.m:
        return net.summary
    return np.zeros(net.m, dtype=np.bool_)


def _level_slices(levels: IntArray, count: int) -> IntArray:
    return np.searchsorted(levels, np.arange(count + 1), side="left").astype(np.int64)


def _segments(keys: IntArray) -> IntArray:
    """Start index of each run of equal values in a sorted key array."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(np.diff(keys)) + 1)).astype(np.int64)


def _forward(net: Network, topo: TopoOrder, active_ids: IntArray, own_finish: IntArray,
             stopped: BoolArray, origin: int) -> tuple[IntArray, IntArray, IntArray]:
    """Early start/finish and, per active edge, the start it forces on its consumer."""
    dur = net.duration
    es = base_start(net, own_finish, origin).astype(np.int64)
    ef = np.zeros(net.n, dtype=np.int64)
    nlev = int(topo.level.max()) + 1 if topo.order.size else 0
    node_cut = _level_slices(topo.level[topo.order], nlev)
    p_all = net.src[active_ids]
    s_all = net.dst[active_ids]
    e_order = np.lexsort((s_all, topo.level[s_all]))
    ee_all = active_ids[e_order]
    p_all, s_all = p_all[e_order], s_all[e_order]
    edge_cut = _level_slices(topo.level[s_all], nlev)
    fin_all = uses_provider_finish(net.dep_type[ee_all])
    summ_all = summary_of(net)[ee_all]
    back_all = np.where(binds_consumer_finish(net.dep_type[ee_all]) & ~summ_all,
                        dur[s_all], 0)
    lag_all = net.lag[ee_all]
    forced = np.zeros(net.m, dtype=np.int64)
    # What summary edges force on their consumer's finish (its start stays).
    floor = np.full(net.n, np.iinfo(np.int64).min, dtype=np.int64)
    low = np.iinfo(np.int64).min
    for k in range(nlev):
        nodes = topo.order[node_cut[k]:node_cut[k + 1]]
        a, b = edge_cut[k], edge_cut[k + 1]
        if b > a:
            p = p_all[a:b]
            pv = np.where(fin_all[a:b], ef[p], es[p])
            c = np.where(pv >= NEVER, NEVER, pv + lag_all[a:b] - back_all[a:b])
            forced[ee_all[a:b]] = c
            sm = summ_all[a:b]
            starts = _segments(s_all[a:b])
            us = s_all[a:b][starts]
            es[us] = np.maximum(es[us], np.maximum.reduceat(np.where(sm, low, c), starts))
            if sm.any():
                floor[us] = np.maximum(floor[us],
                                       np.maximum.reduceat(np.where(sm, c, low), starts))
        f = np.maximum(np.maximum(es[nodes] + dur[nodes], own_finish[nodes]), floor[nodes])
        f[(es[nodes] >= NEVER) | stopped[nodes]] = NEVER
        ef[nodes] = f
    np.minimum(es, NEVER, out=es)
    return es, ef, forced


def _backward(net: Network, topo: TopoOrder, active_ids: IntArray, es: IntArray,
              ef: IntArray, end: IntArray) -> tuple[IntArray, IntArray]:
    """Late start/finish of every scheduled, finishing node (others keep NO_DAY)."""
    finite = (topo.position >= 0) & (ef < NEVER)
    eff = np.where(finite, ef - es, 0)
    lf = np.full(net.n, NO_DAY, dtype=np.int64)
    lf[finite] = end[finite]
    has_deadline = finite & (net.deadline != NO_DAY)
    lf[has_deadline] = np.minimum(lf[has_deadline], net.deadline[has_deadline])
    ls = np.where(finite, lf - eff, NO_DAY)
    keep = finite[net.src[active_ids]] & finite[net.dst[active_ids]]
    ids = active_ids[keep]
    p_all, s_all = net.src[ids], net.dst[ids]
    order = np.lexsort((p_all, topo.level[p_all]))
    ids, p_all, s_all = ids[order], p_all[order], s_all[order]
    nlev = int(topo.level.max()) + 1 if topo.order.size else 0
    node_cut = _level_slices(topo.level[topo.order], nlev)
    edge_cut = _level_slices(topo.level[p_all], nlev)
    to_fin = binds_consumer_finish(net.dep_type[ids])
    from_start = ~uses_provider_finish(net.dep_type[ids])
    lag = net.lag[ids]
    for k in range(nlev - 1, -1, -1):
        a, b = edge_cut[k], edge_cut[k + 1]
        if b > a:
            p, s = p_all[a:b], s_all[a:b]
            req = np.where(to_fin[a:b], lf[s], ls[s]) - lag[a:b]
            req = req + np.where(from_start[a:b], eff[p], 0)
            starts = _segments(p)
            up = p[starts]
            lf[up] = np.minimum(lf[up], np.minimum.reduceat(req, starts))
        nodes = topo.order[node_cut[k]:node_cut[k + 1]]
        nodes = nodes[finite[nodes]]
        ls[nodes] = lf[nodes] - eff[nodes]
    return ls, lf


def edge_health(net: Network, es: IntArray, ef: IntArray, stopped: BoolArray,
                edges: IntArray) -> tuple[BoolArray, BoolArray]:
    """Return (broken, over_commitment) for the given active edge ids (see module doc)."""
    p = net.src[edges]
    prov = np.where(uses_provider_finish(net.dep_type[edges]), ef[p], es[p])
    never = (prov >= NEVER) | stopped[p]
    need = net.need_day[edges]
    broken = never | ((need != NO_DAY) & (prov + net.lag[edges] > need))
    com = net.committed_day[edges]
    over = never | ((com != NO_DAY) & (prov > com))
    return broken, over


def schedule(net: Network, *, origin: int = 0, project_end: int | None = None,
             per_component: bool = True, stopped: npt.ArrayLike | None = None) -> Schedule:
    """Run the forward and backward pass over ``net`` and judge every dependency.

    Contract: pure and total — cycles, invalid edges and missing dates yield findings,
    never exceptions. ``origin`` is the start of nodes with no own date and no
    predecessor. The late dates run against ``project_end`` when given, else against the
    latest early finish of each weakly connected component (``per_component``) or of
    the whole workspace. ``stopped``: node ids that start but never finish (a stopped
    initiative). Every output array is read-only.
    """
    n = net.n
    stop = np.zeros(n, dtype=np.bool_)
    if stopped is not None:
        ids = as_index(stopped)
        stop[ids[(ids >= 0) & (ids < n)]] = True
    vs, vd = net.src[net.valid], net.dst[net.valid]
    cyc_sub = find_cycles(n, vs, vd)
    cycle_edge = np.zeros(net.m, dtype=np.bool_)
    cycle_edge[net.valid] = cyc_sub.cycle_edge
    cycles = Cycles(cyc_sub.components, cyc_sub.in_cycle, cycle_edge)
    active = net.valid & ~cycle_edge
    active_ids = np.flatnonzero(active).astype(np.int64)
    topo = _without(topological_levels(n, net.src[active_ids], net.dst[active_ids]),
                    cycles.in_cycle)
    own_finish = net.own_finish.copy()
    es, ef, forced = _forward(net, topo, active_ids, own_finish, stop, origin)
    component = weak_components(n, vs, vd)
    finite = ~cycles.in_cycle & (ef < NEVER)
    if project_end is not None:
        end = np.full(n, int(project_end), dtype=np.int64)
    else:
        fin = np.where(finite, ef, np.iinfo(np.int64).min)
        if per_component:
            comp_end = np.full(int(component.max()) + 1 if n else 0,
                               np.iinfo(np.int64).min, dtype=np.int64)
            np.maximum.at(comp_end, component, fin)
            end = comp_end[component]
        else:
            end = np.full(n, fin.max() if n else 0, dtype=np.int64)
    ls, lf = _backward(net, topo, active_ids, es, ef, end)
    slack = np.where(finite, lf - ef, NO_DAY)
    critical = _critical(slack, finite, component, per_component and project_end is None)
    es[cycles.in_cycle] = NO_DAY
    ef[cycles.in_cycle] = NO_DAY
    broken = np.zeros(net.m, dtype=np.bool_)
    over = np.zeros(net.m, dtype=np.bool_)
    broken[active_ids], over[active_ids] = edge_health(net, es, ef, stop, active_ids)
    driving = np.zeros(net.m, dtype=np.bool_)
    d_act = net.dst[active_ids]
    sets = np.where(summary_of(net)[active_ids], ef[d_act], es[d_act])
    driving[active_ids] = (forced[active_ids] == sets) & (sets < NEVER)
    downstream = reachable(net.out, np.flatnonzero(cycles.in_cycle), n) & ~cycles.in_cycle
    arrays = (own_finish, stop, es, ef, ls, lf, slack, critical, component, downstream,
              active, broken, over, driving, topo.order, topo.position, topo.level)
    for a in arrays:
        _frozen(a)
    return Schedule(network=net, origin=origin, own_finish=own_finish, stopped=stop,
                    early_start=es, early_finish=ef, late_start=ls, late_finish=lf,
                    total_slack=slack, critical=critical, component=component,
                    downstream_of_cycle=downstream, active=active, broken=broken,
                    over_commitment=over, driving=driving, cycles=cycles, topo=topo)


def _without(topo: TopoOrder, drop: BoolArray) -> TopoOrder:
    """Remove cycle members from the order: with their edges dropped they sit at level 0."""
    order = topo.order[~drop[topo.order]]
    position = np.full(drop.size, -1, dtype=np.int64)
    position[order] = np.arange(order.size, dtype=np.int64)
    level = np.where(drop, -1, topo.level)
    return TopoOrder(order=order, position=position, level=level)


def _critical(slack: IntArray, finite: BoolArray, component: IntArray,
              per_component: bool) -> BoolArray:
    """Nodes holding the minimum slack of their component (or of the workspace)."""
    big = np.iinfo(np.int64).max
    s = np.where(finite, slack, big)
    crit: BoolArray
    if not per_component:
        crit = finite & (s == (s.min() if s.size else 0))
        return crit
    low = np.full(int(component.max()) + 1 if component.size else 0, big, dtype=np.int64)
    np.minimum.at(low, component, s)
    crit = finite & (s == low[component])
    return crit


def critical_path(result: Schedule, end: int | None = None) -> list[int]:
    """Return one critical chain of node ids, first to last, ending at ``end``.

    Contract: ``end`` defaults to the critical node with the latest early finish (ties:
    the one latest in topological order). Walks back over driving edges between
    critical nodes; returns [] when ``end`` is not a scheduled critical node.
    """
    crit = result.critical
    if end is None:
        cand = np.flatnonzero(crit)
        if cand.size == 0:
            return []
        # ties on the latest finish go to the node latest in topological order, so a
        # zero-duration sink (PSPLIB's dummy end) ends the chain rather than its feeder
        ef = result.early_finish[cand]
        cand = cand[ef == ef.max()]
        end = int(cand[np.argmax(result.topo.position[cand])])
    if not (0 <= end < crit.size) or not crit[end]:
        return []
    net = result.network
    chain = [end]
    seen = {end}
    node = end
    while True:
        lo, hi = net.inc.indptr[node], net.inc.indptr[node + 1]
        nxt = -1
        for e, p in zip(net.inc.edge[lo:hi], net.inc.other[lo:hi], strict=True):
            if result.driving[e] and crit[p] and int(p) not in seen:
                nxt = int(p)
                break
        if nxt < 0:
            break
        chain.append(nxt)
        seen.add(nxt)
        node = nxt
    return chain[::-1]

"""What-if on a computed schedule: "X slips N days", "initiative Y is stopped".

A what-if never recomputes the workspace. It starts at the patched nodes and walks
downstream in topological order (a heap keyed by the baseline's topological position,
precomputed once), recomputing each reached node from *all* its predecessors and pushing
its successors only when its dates changed. The cost is O(affected nodes and their
edges · log), not O(graph): a slip absorbed by slack stops at the first node that does
not move. The result equals a full forward pass on the patched input (property-tested).

Semantics:
- ``slip(X, N)``: X's forecast finish moves to its baseline forecast finish + N (its own
  forecast finish is replaced by that day; N may be negative, a pull-in, which moves
  only what X itself determined). A node without an own start is anchored on its own
  finish (see schedule.py), so its start moves with it.
- ``stop(nodes)`` / ``stop_initiative(Y)``: the nodes start but never finish (`NEVER`);
  every dependency they provide breaks, and whatever waits on their finish never
  finishes (and so breaks what it provides).
- Cycle members are unscheduled in the baseline; asking to patch one is ignored and
  reported in ``ignored``.

The delta covers forward dates and dependency health. Slack and the critical path
depend on the end of the whole component, so they need a full `schedule` on the patched
input (`patched_network` gives it).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from steerco.core.graph import IntArray, as_index
from steerco.core.schedule import (
    NEVER,
    Network,
    Schedule,
    binds_consumer_finish,
    summary_of,
    uses_provider_finish,
    with_own_finish,
)
from steerco.kit.dates import NO_DAY


@dataclass(frozen=True, slots=True)
class RippleDelta:
    """What a what-if changes, relative to the baseline (the baseline is untouched).

    ``nodes``: every node whose early start or finish changed, in topological order, with
    ``old_start``/``new_start``/``old_finish``/``new_finish`` (`NEVER` = never finishes).
    ``newly_broken``: edge ids broken now and not in the baseline; ``resolved``: edge ids
    broken in the baseline and not now (a pull-in). ``ignored``: requested nodes that
    could not be patched (cycle members, unknown ids). ``visited``: nodes recomputed,
    the cost of the what-if. ``finish``/``stopped``: the patch that was applied.
    """

    nodes: IntArray
    old_start: IntArray
    new_start: IntArray
    old_finish: IntArray
    new_finish: IntArray
    newly_broken: IntArray
    resolved: IntArray
    ignored: IntArray
    visited: int
    finish: Mapping[int, int]
    stopped: IntArray


class _Index:
    """Python lists of the baseline, built once per baseline: the walk reads single
    elements, and list indexing is several times cheaper than numpy scalar indexing."""

    def __init__(self, base: Schedule) -> None:
        net = base.network
        act = base.active
        inc_keep = act[net.inc.edge]
        inc_edge = net.inc.edge[inc_keep]
        self.inc_ptr: list[int] = _ptr(net.inc.indptr, inc_keep)
        self.inc_src: list[int] = net.src[inc_edge].tolist()
        self.inc_fin: list[bool] = uses_provider_finish(net.dep_type[inc_edge]).tolist()
        summ = summary_of(net)[inc_edge]
        back = np.where(binds_consumer_finish(net.dep_type[inc_edge]) & ~summ,
                        net.duration[net.dst[inc_edge]], 0)
        self.inc_shift: list[int] = (net.lag[inc_edge] - back).tolist()
        #: a summary edge moves its consumer's finish, not its start (see schedule.py)
        self.inc_summary: list[bool] = summ.tolist()
        out_keep = act[net.out.edge]
        out_edge = net.out.edge[out_keep]
        self.out_ptr: list[int] = _ptr(net.out.indptr, out_keep)
        self.out_dst: list[int] = net.dst[out_edge].tolist()
        self.out_edge: list[int] = out_edge.tolist()
        self.out_fin: list[bool] = uses_provider_finish(net.dep_type[out_edge]).tolist()
        self.out_lag: list[int] = net.lag[out_edge].tolist()
        self.out_need: list[int] = net.need_day[out_edge].tolist()
        self.out_broken: list[bool] = base.broken[out_edge].tolist()
        self.pos: list[int] = base.topo.position.tolist()
        self.es: list[int] = base.early_start.tolist()
        self.ef: list[int] = base.early_finish.tolist()
        self.dur: list[int] = net.duration.tolist()
        self.own_start: list[int] = net.own_start.tolist()
        self.own_finish: list[int] = base.own_finish.tolist()
        self.stopped: list[bool] = base.stopped.tolist()


def _ptr(indptr: IntArray, keep: Any) -> list[int]:
    """Row pointers of a CSR after dropping the positions where ``keep`` is False."""
    kept = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    out: list[int] = kept[indptr].tolist()
    return out


def _index(base: Schedule) -> _Index:
    idx = base.cache.get("ripple_index")
    if not isinstance(idx, _Index):
        idx = _Index(base)
        base.cache["ripple_index"] = idx
    return idx


def what_if(base: Schedule, *, finish: Mapping[int, int] | None = None,
            stop: Iterable[int] = ()) -> RippleDelta:
    """Return the delta of replacing own forecast finishes and stopping nodes.

    Contract: ``finish`` maps node id → new own forecast finish day; ``stop`` lists nodes
    that never finish. Unknown ids and cycle members are ignored (listed in
    ``ignored``). Pure: ``base`` is not modified (a derived index is memoised on it).
    Cost O(affected · log affected) after the first call on a baseline.
    """
    idx = _index(base)
    n = base.network.n
    pos = idx.pos
    ignored: list[int] = []
    fin: dict[int, int] = {}
    for node, day in (finish or {}).items():
        u = int(node)
        if 0 <= u < n and pos[u] >= 0:
            fin[u] = int(day)
        else:
            ignored.append(u)
    stops: set[int] = set()
    for node in stop:
        u = int(node)
        if 0 <= u < n and pos[u] >= 0:
            stops.add(u)
        else:
            ignored.append(u)
    es0, ef0, dur, own_start, stopped = idx.es, idx.ef, idx.dur, idx.own_start, idx.stopped
    new_es: dict[int, int] = {}
    new_ef: dict[int, int] = {}
    heap = [(pos[u], u) for u in set(fin) | stops]
    heapq.heapify(heap)
    queued = {u for _, u in heap}
    inc_ptr, inc_src, inc_fin, inc_shift = idx.inc_ptr, idx.inc_src, idx.inc_fin, idx.inc_shift
    inc_summary = idx.inc_summary
    out_ptr, out_dst = idx.out_ptr, idx.out_dst
    origin = base.origin
    changed: list[int] = []
    visited = 0
    while heap:
        _, u = heapq.heappop(heap)
        visited += 1
        own_f = fin.get(u, idx.own_finish[u])
        if own_start[u] != NO_DAY:
            s = own_start[u]
        elif own_f != NO_DAY:
            s = own_f - dur[u]
        else:
            s = origin
        floor = own_f
        for j in range(inc_ptr[u], inc_ptr[u + 1]):
            p = inc_src[j]
            pv = new_ef.get(p, ef0[p]) if inc_fin[j] else new_es.get(p, es0[p])
            c = NEVER if pv >= NEVER else pv + inc_shift[j]
            if inc_summary[j]:
                if c > floor:
                    floor = c
            elif c > s:
                s = c
        if s >= NEVER:
            s, f = NEVER, NEVER
        elif stopped[u] or u in stops:
            f = NEVER
        else:
            f = max(s + dur[u], floor)
        if s == es0[u] and f == ef0[u]:
            continue
        new_es[u] = s
        new_ef[u] = f
        changed.append(u)
        for j in range(out_ptr[u], out_ptr[u + 1]):
            v = out_dst[j]
            if v not in queued:
                queued.add(v)
                heapq.heappush(heap, (pos[v], v))
    newly, resolved = _edge_changes(idx, set(changed) | stops, new_es, new_ef, stops)
    nodes = np.array(sorted(changed, key=pos.__getitem__), dtype=np.int64)
    return RippleDelta(
        nodes=nodes,
        old_start=np.array([es0[u] for u in nodes.tolist()], dtype=np.int64),
        new_start=np.array([new_es[u] for u in nodes.tolist()], dtype=np.int64),
        old_finish=np.array([ef0[u] for u in nodes.tolist()], dtype=np.int64),
        new_finish=np.array([new_ef[u] for u in nodes.tolist()], dtype=np.int64),
        newly_broken=np.array(sorted(newly), dtype=np.int64),
        resolved=np.array(sorted(resolved), dtype=np.int64),
        ignored=np.array(sorted(set(ignored)), dtype=np.int64),
        visited=visited, finish=dict(fin),
        stopped=np.array(sorted(stops), dtype=np.int64))


def _edge_changes(idx: _Index, providers: set[int], new_es: dict[int, int],
                  new_ef: dict[int, int], stops: set[int]) -> tuple[list[int], list[int]]:
    """Only edges out of a changed (or newly stopped) provider can change their health:
    the consumer's need day is an input, not a date the what-if moves."""
    newly: list[int] = []
    resolved: list[int] = []
    for u in providers:
        s = new_es.get(u, idx.es[u])
        f = new_ef.get(u, idx.ef[u])
        dead = u in stops or idx.stopped[u]
        for j in range(idx.out_ptr[u], idx.out_ptr[u + 1]):
            prov = f if idx.out_fin[j] else s
            need = idx.out_need[j]
            now = dead or prov >= NEVER or (need != NO_DAY and prov + idx.out_lag[j] > need)
            if now and not idx.out_broken[j]:
                newly.append(idx.out_edge[j])
            elif idx.out_broken[j] and not now:
                resolved.append(idx.out_edge[j])
    return newly, resolved


def slip(base: Schedule, node: int, days: int) -> RippleDelta:
    """Return the delta of node ``node``'s forecast finish moving ``days`` later.

    Contract: the new own forecast finish is the baseline forecast finish + ``days``
    (negative: a pull-in). A node that never finishes, is unknown or is a cycle member
    is ignored (listed in ``ignored``).
    """
    n = base.network.n
    u = int(node)
    if not 0 <= u < n or base.topo.position[u] < 0 or base.early_finish[u] >= NEVER:
        return _ignored(u)
    return what_if(base, finish={u: int(base.early_finish[u]) + int(days)})


def _ignored(node: int) -> RippleDelta:
    empty = np.zeros(0, dtype=np.int64)
    return RippleDelta(nodes=empty, old_start=empty, new_start=empty, old_finish=empty,
                       new_finish=empty, newly_broken=empty, resolved=empty,
                       ignored=np.array([node], dtype=np.int64), visited=0, finish={},
                       stopped=empty)


def stop_nodes(base: Schedule, nodes: Iterable[int]) -> RippleDelta:
    """Return the delta of the given nodes never finishing."""
    return what_if(base, stop=nodes)


def stop_initiative(base: Schedule, initiative: int) -> RippleDelta:
    """Return the delta of stopping initiative ``initiative`` (all nodes of that group).

    Contract: the initiative's nodes are those with ``network.group == initiative``; an
    initiative without nodes yields an empty delta.
    """
    members = np.flatnonzero(base.network.group == int(initiative))
    return what_if(base, stop=members.tolist())


def apply(base: Schedule, delta: RippleDelta) -> tuple[IntArray, IntArray]:
    """Return new (early_start, early_finish) arrays: the baseline with the delta applied."""
    es = base.early_start.copy()
    ef = base.early_finish.copy()
    es[delta.nodes] = delta.new_start
    ef[delta.nodes] = delta.new_finish
    return es, ef


def patched_network(base: Schedule, delta: RippleDelta) -> tuple[Network, IntArray]:
    """Return the patched input of a what-if: (network, stopped node ids).

    ``schedule(network, origin=base.origin, stopped=ids)`` recomputes the same what-if in
    full, with slack and critical path.
    """
    net = with_own_finish(base.network, delta.finish)
    stopped = np.union1d(np.flatnonzero(base.stopped), as_index(delta.stopped))
    return net, stopped.astype(np.int64)

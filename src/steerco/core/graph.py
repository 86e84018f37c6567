"""Directed graphs as numpy arrays: CSR adjacency, cycles, topological order, reachability.

A graph is ``n`` dense node ids ``0..n-1`` and parallel edge arrays ``src``/``dst``; edge id
``e`` is the position in those arrays and stays stable through every helper here (CSR
stores edge ids, not copies of the edges), so results can always be reported per input
edge. Nothing here raises on bad data: self loops and cycles are findings, returned.

Why numpy/scipy and not rustworkx: strong components come from
``scipy.sparse.csgraph`` (C code, no per-node Python objects) and the level-by-level Kahn
sort below is a handful of vectorised calls per level, whose levels are exactly what the
forward pass vectorises on. rustworkx would need a ``PyDiGraph`` built from the arrays
first and would not give the levels; nothing here measured a need for it (not
benchmarked head to head: on the 250k-node graph of bench/ripple_graph.py the full
schedule's time goes to per-level numpy calls, which rustworkx would not remove).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Csr:
    """Adjacency in CSR form: the edges of node ``v`` are ``edge[indptr[v]:indptr[v+1]]``.

    ``other`` holds the node at the far end of each of those edges (the successor for an
    outgoing CSR, the predecessor for an incoming one), in the same order as ``edge``.
    """

    indptr: IntArray
    edge: IntArray
    other: IntArray


def as_index(values: npt.ArrayLike) -> IntArray:
    """Return ``values`` as a 1-d int64 array (node or edge ids)."""
    return np.asarray(values, dtype=np.int64).reshape(-1)


def csr(n: int, src: npt.ArrayLike, dst: npt.ArrayLike) -> Csr:
    """Return the outgoing CSR of edges ``src[e] -> dst[e]`` over ``n`` nodes.

    Edges keep their input order within a node (stable sort). For the incoming CSR call
    ``csr(n, dst, src)``. Edges with an endpoint outside ``0..n-1`` must be filtered by the
    caller (`valid_edges`).
    """
    s = as_index(src)
    d = as_index(dst)
    order = np.argsort(s, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=n), out=indptr[1:])
    return Csr(indptr=indptr, edge=order.astype(np.int64), other=d[order])


def valid_edges(n: int, src: npt.ArrayLike, dst: npt.ArrayLike) -> BoolArray:
    """Return the mask of edges whose both endpoints are node ids in ``0..n-1``."""
    s = as_index(src)
    d = as_index(dst)
    return (s >= 0) & (s < n) & (d >= 0) & (d < n)


def gather(indptr: IntArray, nodes: IntArray) -> IntArray:
    """Return the CSR positions of all edges of ``nodes``, node after node.

    The concatenation of ``range(indptr[v], indptr[v+1])`` for every ``v`` in ``nodes``,
    without a Python loop (the offsets trick: repeat each range start, add a running index).
    """
    starts = indptr[nodes]
    lens = indptr[nodes + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Cycles:
    """The cyclic part of a graph.

    ``components``: each strongly connected component with more than one node, or a single
    node with a self loop, as a sorted array of member ids (ordered by smallest member).
    ``in_cycle``: node mask of all members. ``cycle_edge``: edge mask of every edge that
    touches a member (inside the cycle, into it or out of it).
    """

    components: tuple[IntArray, ...]
    in_cycle: BoolArray
    cycle_edge: BoolArray


def find_cycles(n: int, src: npt.ArrayLike, dst: npt.ArrayLike) -> Cycles:
    """Return the strongly connected components that are cycles, and what they touch.

    Contract: ``src``/``dst`` are valid node ids (see `valid_edges`); parallel edges are
    fine. A self loop makes its node a one-member cycle. O(n + m) in scipy's C code.
    """
    s = as_index(src)
    d = as_index(dst)
    in_cycle = np.zeros(n, dtype=np.bool_)
    if n == 0 or s.size == 0:
        return Cycles((), in_cycle, np.zeros(s.size, dtype=np.bool_))
    adj = csr_matrix((np.ones(s.size, dtype=np.int8), (s, d)), shape=(n, n))
    _, labels = connected_components(adj, directed=True, connection="strong")
    sizes = np.bincount(labels)
    in_cycle = sizes[labels] > 1
    in_cycle[s[s == d]] = True
    members = np.flatnonzero(in_cycle)
    comps: tuple[IntArray, ...] = ()
    if members.size:
        lab = labels[members]
        order = np.lexsort((members, lab))
        members, lab = members[order], lab[order]
        cuts = np.flatnonzero(np.diff(lab)) + 1
        groups = [g.astype(np.int64) for g in np.split(members, cuts)]
        comps = tuple(sorted(groups, key=lambda g: int(g[0])))
    cycle_edge = in_cycle[s] | in_cycle[d]
    return Cycles(comps, in_cycle, cycle_edge)


@dataclass(frozen=True, slots=True)
class TopoOrder:
    """A topological order of the acyclic part of a graph.

    ``order``: the ordered node ids (nodes left out are absent). ``position[v]``: index of
    ``v`` in ``order`` or -1. ``level[v]``: longest number of edges from a source to ``v``
    (sources are level 0), -1 when left out; every edge goes to a strictly higher level,
    so nodes of one level can be computed together.
    """

    order: IntArray
    position: IntArray
    level: IntArray


def topological_levels(n: int, src: npt.ArrayLike, dst: npt.ArrayLike,
                       active: BoolArray | None = None) -> TopoOrder:
    """Return a topological order and levels of the graph restricted to ``active`` edges.

    Contract: Kahn's algorithm, one vectorised step per level (O(n + m) work, a few numpy
    calls per level). Nodes still holding an unprocessed incoming edge at the end lie on
    or behind a cycle among the active edges; they are left out (position and level -1).
    Callers drop cycle edges first (`find_cycles`) so that only cycle members are left out.
    """
    s = as_index(src)
    d = as_index(dst)
    if active is not None:
        s, d = s[active], d[active]
    out = csr(n, s, d)
    indeg = np.bincount(d, minlength=n).astype(np.int64)
    level = np.full(n, -1, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    chunks: list[IntArray] = []
    k = 0
    while frontier.size:
        level[frontier] = k
        chunks.append(frontier)
        succ = out.other[gather(out.indptr, frontier)]
        if succ.size == 0:
            break
        uniq, counts = np.unique(succ, return_counts=True)
        indeg[uniq] -= counts
        frontier = uniq[indeg[uniq] == 0]
        k += 1
    order = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    position = np.full(n, -1, dtype=np.int64)
    position[order] = np.arange(order.size, dtype=np.int64)
    return TopoOrder(order=order, position=position, level=level)


def weak_components(n: int, src: npt.ArrayLike, dst: npt.ArrayLike) -> IntArray:
    """Return a component label per node, edges taken as undirected (labels 0..k-1)."""
    s = as_index(src)
    d = as_index(dst)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    adj = csr_matrix((np.ones(s.size, dtype=np.int8), (s, d)), shape=(n, n))
    _, labels = connected_components(adj, directed=True, connection="weak")
    out: IntArray = np.asarray(labels, dtype=np.int64)
    return out


def reachable(out: Csr, seeds: npt.ArrayLike, n: int) -> BoolArray:
    """Return the mask of nodes reachable from ``seeds`` (the seeds included).

    Breadth-first, one vectorised frontier expansion per step; safe on cycles.
    """
    seen = np.zeros(n, dtype=np.bool_)
    frontier = np.unique(as_index(seeds))
    frontier = frontier[(frontier >= 0) & (frontier < n)]
    seen[frontier] = True
    while frontier.size:
        nxt = np.unique(out.other[gather(out.indptr, frontier)])
        frontier = nxt[~seen[nxt]]
        seen[frontier] = True
    return seen

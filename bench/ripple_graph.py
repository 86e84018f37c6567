"""Incremental what-if ("X slips N days") on a 250k-node, 300k-edge dependency DAG.

The graph is seeded and shaped like a large workspace: many small team plans (random
recursive trees with local parents, so mostly chains) of geometric size (mean 50),
grouped into programs of 20 plans; cross-team edges go from a plan to one of the next 5
plans of its program, and 5% of them to a plan of one of the next 3 programs (so a slip
can cross teams and programs, and the graph stays acyclic). The inter-program edges make
the downstream closure long-tailed: a few slips move tens of thousands of nodes, which
is why p99 and max are reported beside p95. 80% FS, 10% SS, 7% FF, 3% SF; lags 0–5
days, 10% leads of 1–3 days; durations 1–30 days; 70% of nodes carry an own forecast
finish with 0–20 days of buffer over what their predecessors force; every edge carries a
need day 0–15 days after its baseline provider date.

Measured, on the same slips: `steerco.core.ripple.slip` (incremental) over 1,000 random
slips of 1–30 days, and a full forward pass in networkx on the patched input (graph
built once outside the timing, a fresh topological sort per what-if, as a recompute
must) over a sample of the same slips — networkx takes about a second per what-if, so
all 1,000 would take a quarter of an hour. Both p95 in ms; `speedup_vs_networkx` is the
ratio of the p95s. Also: one full `schedule` of the graph and the affected-set sizes.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import networkx as nx
import numpy as np

from bench._common import peak_rss_mb, run
from steerco.core.ripple import slip
from steerco.core.schedule import DepType, Network, network, schedule
from steerco.kit.dates import NO_DAY

NODES = 250_000
EDGES = 300_000
T0 = 20_000  # a day number in 2024


def synthetic(nodes: int = NODES, edges: int = EDGES, seed: int = 7) -> Network:
    """Build the seeded synthetic workspace network described in the module docstring."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < nodes:
        sizes.append(int(rng.geometric(1 / 50)))
    sizes[-1] -= sum(sizes) - nodes
    sizes = [s for s in sizes if s > 0]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    comp = np.repeat(np.arange(len(sizes)), sizes)
    local = np.arange(nodes) - starts[comp]
    child = np.flatnonzero(local > 0)
    back = np.minimum(rng.integers(1, 6, child.size), local[child])
    src = [child - back]
    dst = [child]
    extra = edges - child.size
    a = rng.integers(0, nodes, extra * 2)
    # a cross-team edge goes to one of the next 5 plans of the same program (20 plans);
    # 5% cross programs, to a plan in one of the next 3 programs
    plan = comp[a]
    step = rng.integers(1, 6, a.size)
    within = (plan // 20 == (plan + step) // 20) & (rng.random(a.size) >= 0.05)
    step = np.where(within, step, 20 * rng.integers(1, 4, a.size) + rng.integers(-19, 1, a.size))
    target_comp = np.minimum(plan + np.maximum(step, 1), len(sizes) - 1)
    b = starts[target_comp] + rng.integers(0, 1 << 30, a.size) % np.asarray(sizes)[target_comp]
    keep = comp[b] > comp[a]
    src.append(a[keep][:extra])
    dst.append(b[keep][:extra])
    s = np.concatenate(src)
    d = np.concatenate(dst)
    m = s.size
    typ = rng.choice(4, m, p=[0.8, 0.1, 0.07, 0.03])
    lag = np.where(rng.random(m) < 0.1, -rng.integers(1, 4, m), rng.integers(0, 6, m))
    dur = rng.integers(1, 31, nodes)
    own_start = np.where(local == 0, T0 + rng.integers(0, 365, nodes), NO_DAY)
    plain = network(dur, s, d, own_start=own_start, dep_type=typ, lag=lag)
    base = schedule(plain, origin=T0)
    has = rng.random(nodes) < 0.7
    own_finish = np.where(has, base.early_finish + rng.integers(0, 21, nodes), NO_DAY)
    prov = np.where((typ == DepType.FS) | (typ == DepType.FF), base.early_finish[s],
                    base.early_start[s])
    need = prov + lag + rng.integers(0, 16, m)
    return network(dur, s, d, own_start=own_start, own_finish=own_finish, dep_type=typ,
                   lag=lag, need_day=need)


def nx_forward(g: nx.MultiDiGraph, net: Network, own_finish: dict[int, int], origin: int
               ) -> dict[int, int]:
    """Full forward pass in networkx: topological sort, then every node from its preds."""
    dur = net.duration
    own_start = net.own_start
    es: dict[int, int] = {}
    ef: dict[int, int] = {}
    for u in nx.topological_sort(g):
        of = own_finish.get(u, int(net.own_finish[u]))
        if own_start[u] != NO_DAY:
            s = int(own_start[u])
        elif of != NO_DAY:
            s = of - int(dur[u])
        else:
            s = origin
        for p, _, data in g.in_edges(u, data=True):
            t = data["t"]
            pv = ef[p] if t in (0, 2) else es[p]
            c = pv + data["lag"] - (int(dur[u]) if t in (2, 3) else 0)
            s = max(s, c)
        es[u] = s
        ef[u] = max(s + int(dur[u]), of)
    return ef


def body(args: argparse.Namespace) -> dict[str, Any]:
    slips = 200 if args.quick else 1000
    nx_slips = 5 if args.quick else 20
    t = time.perf_counter()
    net = synthetic()
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    base = schedule(net, origin=T0)
    full_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    slip(base, 0, 0)  # builds the per-baseline index once
    index_ms = (time.perf_counter() - t) * 1000
    rng = np.random.default_rng(11)
    nodes = rng.integers(0, net.n, slips)
    days = rng.integers(1, 31, slips)
    times = np.zeros(slips)
    affected = np.zeros(slips, dtype=np.int64)
    broken = np.zeros(slips, dtype=np.int64)
    for i in range(slips):
        t = time.perf_counter()
        delta = slip(base, int(nodes[i]), int(days[i]))
        times[i] = (time.perf_counter() - t) * 1000
        affected[i] = delta.nodes.size
        broken[i] = delta.newly_broken.size
    g = nx.MultiDiGraph()  # parallel edges of different types between one pair are real
    g.add_nodes_from(range(net.n))
    g.add_edges_from((int(a), int(b), {"t": int(ty), "lag": int(lg)}) for a, b, ty, lg in
                     zip(net.src, net.dst, net.dep_type, net.lag, strict=True))
    nx_times = np.zeros(nx_slips)
    mismatches = 0
    for i in range(nx_slips):
        u, n_days = int(nodes[i]), int(days[i])
        t = time.perf_counter()
        ef = nx_forward(g, net, {u: int(base.early_finish[u]) + n_days}, T0)
        nx_times[i] = (time.perf_counter() - t) * 1000
        delta = slip(base, u, n_days)
        moved = {int(v): int(f) for v, f in zip(delta.nodes, delta.new_finish, strict=True)}
        mismatches += sum(1 for v in range(net.n)
                          if ef[v] != moved.get(v, int(base.early_finish[v])))
    p95 = float(np.percentile(times, 95))
    nx_p95 = float(np.percentile(nx_times, 95))
    return {
        "nodes": net.n,
        "edges": net.m,
        "slips": slips,
        "whatif_p50_ms": round(float(np.percentile(times, 50)), 3),
        "whatif_p95_ms": round(p95, 3),
        "whatif_p99_ms": round(float(np.percentile(times, 99)), 3),
        "whatif_max_ms": round(float(times.max()), 3),
        "networkx_slips": nx_slips,
        "networkx_p95_ms": round(nx_p95, 1),
        "speedup_vs_networkx": round(nx_p95 / p95, 1),
        "networkx_mismatched_dates": mismatches,
        "affected_p50": int(np.percentile(affected, 50)),
        "affected_p95": int(np.percentile(affected, 95)),
        "affected_p99": int(np.percentile(affected, 99)),
        "affected_max": int(affected.max()),
        "newly_broken_mean": round(float(broken.mean()), 2),
        "full_schedule_ms": round(full_ms, 1),
        "ripple_index_build_ms": round(index_ms, 1),
        "generate_s": round(gen_s, 2),
        "cycles": len(base.cycles.components),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


if __name__ == "__main__":
    run("ripple_graph", body, __doc__.splitlines()[0] if __doc__ else "ripple_graph")

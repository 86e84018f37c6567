"""What-if ripple into outcomes, and all signals + hygiene, on the demo company.

    python -m bench.ripple [--quick] [--json] [--size xl] [--database-url URL]

On the demo (xl: 50,000 initiatives, ~200,000 milestones, ~300,000 dependencies,
100,000 metrics, 20,000 objectives; --quick: size m), from one SQLite database
(bench/.data/demo_<size>.db, written once by bench.demo_db, or --database-url):

- ``signals_s``: every signal and hygiene rule over the whole workspace — building the
  schedule network, the CPM passes, and all finding batches (``materialize_s``: turning
  them into `Finding` objects, reported apart). The database reads and the evidence
  engine's evaluation are measured apart (``load_s``, ``evaluation_s``).
- ``whatif_p95_ms``: one random slip (a random milestone, 1–30 days) through
  `steerco.core.impact.run` — moved dates, newly broken dependencies, moved benefits, the
  changed metric forecasts / P(hit) / status and the changed objective statuses — p95
  over 1,000 slips (200 with --quick) on a baseline prepared once (``prepare_s``).
- Peer, same run, same slips: the same what-if by full recompute with networkx — a
  topological sort and forward pass of the whole patched graph in networkx (graph built
  once, outside the timing), the moved initiatives' benefits shifted, the affected
  metrics re-forecast with `evaluate_rows` (each on its own) and the whole objective
  roll-up recomputed —
  over a sample (20 slips; 5 with --quick: each takes seconds). ``speedup_vs_networkx``
  = networkx p95 / incremental p95. ``networkx_mismatched_*`` count disagreements
  (dates of every node, metric statuses and objective statuses): they must be 0.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

import networkx as nx
import numpy as np
from sqlalchemy.orm import Session

from bench._common import peak_rss_mb, run
from bench.demo_db import AS_OF, sqlite_demo
from steerco.core.evidence import evaluate_rows
from steerco.core.finding import count
from steerco.core.forecast import steps_until
from steerco.core.impact import ImpactBase, prepare
from steerco.core.impact import run as run_impact
from steerco.core.rollup import rollup
from steerco.core.schedule import NEVER
from steerco.core.snapshot import Benefits
from steerco.core.workgraph import INITIATIVE, MILESTONE
from steerco.db.engine import make_engine
from steerco.evidence.service import CACHE
from steerco.findings.service import load_model, run_findings
from steerco.kit.dates import NO_DAY


def _engine(args: argparse.Namespace) -> tuple[Any, int]:
    if args.database_url:
        from steerco.org.repository import WorkspaceRepository

        engine = make_engine(args.database_url)
        with Session(engine) as s:
            ws = WorkspaceRepository(s).by_slug("demo")
            if ws is None:
                raise SystemExit(f"no workspace 'demo' in {args.database_url}")
            return engine, ws.id
    engine, wid, _ = sqlite_demo(args.size)
    return engine, wid


def nx_graph(base: ImpactBase) -> nx.MultiDiGraph:
    """The active edges of the baseline (cycle members out) as a networkx graph."""
    net, sched = base.wg.net, base.schedule
    g = nx.MultiDiGraph()
    g.add_nodes_from(np.flatnonzero(sched.topo.position >= 0).tolist())
    ids = np.flatnonzero(sched.active)
    g.add_edges_from((int(a), int(b), {"t": int(t), "lag": int(lg)}) for a, b, t, lg in
                     zip(net.src[ids], net.dst[ids], net.dep_type[ids], net.lag[ids],
                         strict=True))
    return g


def horizon_anchors(base: ImpactBase) -> dict[int, int]:
    """Per cadence, the metric with the longest target step (it sets the horizon)."""
    m, as_of = base.snapshot.metrics, base.evaluation.as_of
    step = steps_until(as_of, m.target_day, m.cadence_days)
    out: dict[int, int] = {}
    for c in np.unique(m.cadence_days).tolist():
        rows = np.flatnonzero(m.cadence_days == c)
        out[int(c)] = int(rows[np.argmax(step[rows])])
    return out


def nx_whatif(g: nx.MultiDiGraph, base: ImpactBase, anchor: dict[int, int], node: int,
              days: int) -> tuple[dict[int, int], np.ndarray, np.ndarray]:
    """The what-if by full recompute: all dates, then outcomes, nothing incremental.

    Returns (node → early finish, metric statuses, objective statuses)."""
    net, sched, snap, ev = base.wg.net, base.schedule, base.snapshot, base.evaluation
    own_finish = sched.own_finish.tolist()
    own_finish[node] = int(sched.early_finish[node]) + days
    dur, own_start, stopped = net.duration.tolist(), net.own_start.tolist(), sched.stopped
    es: dict[int, int] = {}
    ef: dict[int, int] = {}
    for u in nx.topological_sort(g):
        of = own_finish[u]
        s = own_start[u] if own_start[u] != NO_DAY else (of - dur[u] if of != NO_DAY
                                                         else sched.origin)
        for p, _, data in g.in_edges(u, data=True):
            t = data["t"]
            pv = ef[p] if t in (0, 2) else es[p]
            c = NEVER if pv >= NEVER else pv + data["lag"] - (dur[u] if t in (2, 3) else 0)
            s = max(s, c)
        if s >= NEVER:
            es[u], ef[u] = NEVER, NEVER
            continue
        es[u] = s
        ef[u] = NEVER if stopped[u] else max(s + dur[u], of)
    # Outcomes: shift the benefits of every initiative whose finish moved, re-forecast
    # the metrics they feed, recompute the whole roll-up.
    wg = base.wg
    ben = snap.benefits
    day = ben.day.copy()
    for r in range(wg.initiatives.n):
        u = r + wg.n_ms
        if u in ef and ef[u] != int(sched.early_finish[u]):
            p = base.ben_ini[base.ben_ptr[r]:base.ben_ptr[r + 1]]
            p = p[ben.day[p] > ev.as_of]
            day[p] = NO_DAY if ef[u] >= NEVER else ben.day[p] + ef[u] - int(sched.early_finish[u])
    moved = np.flatnonzero(day != ben.day)
    status = ev.metrics.status.status.copy()
    if moved.size:
        rows = np.unique(ben.metric[moved])
        keep = day != NO_DAY
        # Forecast them with the horizon the full evaluation used (per cadence, the
        # longest target step in the workspace: the forecaster's law at a step depends on
        # the horizon it was fitted for), with the benefits that arrive by each metric's
        # own target step (a later one cannot move the value at the target; the
        # incremental path ignores it too — see the final note in bench/README.md).
        m = snap.metrics
        anchors = np.array([anchor[int(c)] for c in np.unique(m.cadence_days[rows])])
        b_rows = ben.metric[keep]
        step_b = steps_until(ev.as_of, day[keep], m.cadence_days[b_rows])
        step_t = np.maximum(steps_until(ev.as_of, m.target_day[b_rows],
                                        m.cadence_days[b_rows]), 1)
        by_target = step_b <= step_t
        patched = dataclasses.replace(snap, benefits=Benefits(
            b_rows[by_target], day[keep][by_target], ben.amount[keep][by_target],
            ben.initiative[keep][by_target]))
        all_rows = np.union1d(rows, anchors)
        res = evaluate_rows(patched, all_rows, ev.as_of, base.settings)
        pos = np.searchsorted(all_rows, rows)
        status[rows] = res.status.status[pos]
    state = rollup(snap.graph, ev.metrics.progress, status, ev.metrics.status.deciding,
                   ev.objectives.settings)
    return ef, status, state.status


def body(args: argparse.Namespace) -> dict[str, Any]:
    if args.quick and args.size == "xl":
        args.size = "m"
    slips = 200 if args.quick else 1000
    nx_slips = 5 if args.quick else 20
    engine, wid = _engine(args)
    CACHE.clear()
    with Session(engine) as s:
        model = load_model(s, wid, AS_OF)
    t = time.perf_counter()
    batches = run_findings(model)
    signals_s = time.perf_counter() - t
    t = time.perf_counter()
    n_findings = sum(1 for b in batches for _ in b.rows())
    materialize_s = time.perf_counter() - t
    t = time.perf_counter()
    base = prepare(model.wg, model.schedule, model.snap, model.ev)
    prepare_s = time.perf_counter() - t
    wg, sched = base.wg, base.schedule
    rng = np.random.default_rng(11)
    cand = np.flatnonzero((wg.kind == MILESTONE) & (sched.topo.position >= 0)
                          & (sched.early_finish < NEVER))
    nodes = rng.choice(cand, slips)
    days = rng.integers(1, 31, slips)
    times = np.zeros(slips)
    moved = np.zeros(slips, dtype=np.int64)
    metrics = np.zeros(slips, dtype=np.int64)
    objectives = np.zeros(slips, dtype=np.int64)
    broken = np.zeros(slips, dtype=np.int64)
    impacts = []
    for i in range(slips):
        t = time.perf_counter()
        imp = run_impact(base, slips={int(nodes[i]): int(days[i])})
        times[i] = (time.perf_counter() - t) * 1000
        moved[i], metrics[i] = imp.delta.nodes.size, imp.metrics.size
        objectives[i], broken[i] = imp.objectives.size, imp.newly_broken.size
        impacts.append(imp)
    # The networkx sample: the first slips plus the ones that changed outcomes most.
    sample = list(dict.fromkeys([*range(nx_slips // 2),
                                 *np.argsort(-(metrics + objectives))[:nx_slips - nx_slips // 2]
                                 .tolist()]))
    g = nx_graph(base)
    anchor = horizon_anchors(base)
    nx_times = []
    bad_dates = bad_metrics = bad_objectives = 0
    ev = base.evaluation
    for i in sample:
        u, n_days = int(nodes[i]), int(days[i])
        t = time.perf_counter()
        ef, status, o_status = nx_whatif(g, base, anchor, u, n_days)
        nx_times.append((time.perf_counter() - t) * 1000)
        imp = impacts[i]
        new_ef = dict(zip(imp.delta.nodes.tolist(), imp.delta.new_finish.tolist(), strict=True))
        bad_dates += sum(1 for v, f in ef.items()
                         if f != new_ef.get(v, int(sched.early_finish[v])))
        want = ev.metrics.status.status.copy()
        want[imp.metrics] = imp.new_status
        bad_metrics += int((status != want).sum())
        want_o = ev.objectives.status.copy()
        want_o[imp.objectives] = imp.new_objective_status
        bad_objectives += int((o_status != want_o).sum())
    p95 = float(np.percentile(times, 95))
    nx_p95 = float(np.percentile(nx_times, 95))
    return {
        "demo_size": args.size,
        "initiatives": wg.initiatives.n, "milestones": wg.n_ms,
        "dependencies": wg.n_dep, "metrics": model.snap.metrics.n,
        "objectives": int(model.snap.objective_ids.shape[0]),
        "evaluation_s": model.timings.get("evaluation_s"),
        "load_s": model.timings.get("load_s"),
        "signals_s": round(signals_s, 3),
        "schedule_s": model.timings.get("schedule_s"),
        "materialize_s": round(materialize_s, 3),
        "findings": n_findings,
        "findings_by_kind": count(batches),
        "prepare_s": round(prepare_s, 3),
        "slips": slips,
        "whatif_p50_ms": round(float(np.percentile(times, 50)), 3),
        "whatif_p95_ms": round(p95, 3),
        "whatif_p99_ms": round(float(np.percentile(times, 99)), 3),
        "whatif_max_ms": round(float(times.max()), 3),
        "slips_moving_outcomes": int(((metrics + objectives) > 0).sum()),
        "moved_nodes_p95": int(np.percentile(moved, 95)),
        "newly_broken_mean": round(float(broken.mean()), 3),
        "changed_metrics_max": int(metrics.max()),
        "changed_objectives_max": int(objectives.max()),
        "networkx_slips": len(sample),
        "networkx_p95_ms": round(nx_p95, 1),
        "speedup_vs_networkx": round(nx_p95 / p95, 1),
        "networkx_mismatched_dates": bad_dates,
        "networkx_mismatched_metric_status": bad_metrics,
        "networkx_mismatched_objective_status": bad_objectives,
        "initiative_nodes_moved_max": int(max(
            (int((wg.kind[imp.delta.nodes] == INITIATIVE).sum()) for imp in impacts),
            default=0)),
        "targets": {"whatif_p95_ms": 20.0, "speedup_vs_networkx": 10.0, "signals_s": 5.0},
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="xl", choices=["s", "m", "l", "xl"])
    p.add_argument("--database-url", default=None,
                   help="use this database's 'demo' workspace instead of bench/.data")


if __name__ == "__main__":
    run("ripple", body, __doc__.splitlines()[0] if __doc__ else "ripple", _args)

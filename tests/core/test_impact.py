"""Hand-built work graphs and snapshots for the interdependency engine's core tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from steerco.core.evidence import evaluate
from steerco.core.snapshot import Benefits, Metrics, Snapshot, build_snapshot
from steerco.core.workgraph import Dependencies, Initiatives, Milestones, WorkGraph, build
from steerco.kit.dates import NO_DAY

T0 = 20_000  # as_of in every test


def milestones(ids: list[int], initiative: list[int], due: list[int], *,
               owner: list[int] | None = None, forecast: list[int] | None = None,
               completed: list[int] | None = None, duration: list[int] | None = None,
               updated: list[int] | None = None) -> Milestones:
    n = len(ids)

    def a(x: list[int] | None, fill: int) -> np.ndarray:
        return np.array(x if x is not None else [fill] * n, dtype=np.int64)

    return Milestones(a(ids, 0), a(initiative, -1), a(owner, -1), a(due, NO_DAY),
                      a(forecast, NO_DAY), a(completed, NO_DAY), a(duration, 1),
                      a(updated, T0))


def initiatives(ids: list[int], *, owner: list[int] | None = None,
                start: list[int] | None = None, due: list[int] | None = None,
                **kw: Any) -> Initiatives:
    n = len(ids)
    i64 = np.int64

    def a(x: Any, fill: Any, dtype: Any = i64) -> np.ndarray:
        return np.array(x if x is not None else [fill] * n, dtype=dtype)

    return Initiatives(
        a(ids, 0), a(owner, -1), a(kw.get("sponsor"), -1), a(kw.get("controller"), -1),
        a(kw.get("org_unit"), -1), a(start, NO_DAY), a(due, NO_DAY),
        a(kw.get("percent"), 0.0, np.float64), a(kw.get("declared"), True, bool),
        a(kw.get("stopped"), False, bool), a(kw.get("closed"), False, bool),
        a(kw.get("kind"), 1), a(kw.get("updated"), T0))


def dependencies(pairs: list[tuple[tuple[int, int], tuple[int, int]]], *,
                 dep_type: list[int] | None = None, lag: list[int] | None = None,
                 need: list[int] | None = None) -> Dependencies:
    """pairs: ((provider kind, key), (consumer kind, key)); kinds 0 milestone, 1 initiative."""
    n = len(pairs)
    return Dependencies(
        ids=np.arange(1, n + 1, dtype=np.int64),
        provider_kind=np.array([p[0][0] for p in pairs], dtype=np.int64),
        provider=np.array([p[0][1] for p in pairs], dtype=np.int64),
        consumer_kind=np.array([p[1][0] for p in pairs], dtype=np.int64),
        consumer=np.array([p[1][1] for p in pairs], dtype=np.int64),
        dep_type=np.array(dep_type or [0] * n, dtype=np.int64),
        lag=np.array(lag or [0] * n, dtype=np.int64),
        need_day=np.array(need or [NO_DAY] * n, dtype=np.int64),
        committed_day=np.full(n, NO_DAY, dtype=np.int64))


def graph(ms: Milestones, ini: Initiatives, deps: Dependencies | None = None) -> WorkGraph:
    return build(ms, ini, deps or dependencies([]), T0)


def metrics(n: int, *, target: float = 200.0, baseline: float = 100.0, cadence: int = 7,
            target_day: int = T0 + 70, direction: int = 0, owner: list[int] | None = None,
            tolerance: float = np.nan) -> Metrics:
    return Metrics(
        ids=np.arange(1, n + 1, dtype=np.int64), direction=np.full(n, direction, np.int8),
        baseline_value=np.full(n, baseline), baseline_day=np.full(n, T0 - 400, np.int64),
        target_value=np.full(n, target), target_day=np.full(n, target_day, np.int64),
        tolerance=np.full(n, tolerance), tolerance_kind=np.full(n, 0 if np.isnan(tolerance)
                                                                 else 1, np.int8),
        cadence_days=np.full(n, cadence, np.int64),
        owner=np.array(owner or list(range(100, 100 + n)), dtype=np.int64))


def snapshot(m: Metrics, history: dict[int, list[tuple[int, float]]], *,
             objectives: int = 0, contrib: list[tuple[int, int]] = (),  # type: ignore[assignment]
             benefits: Benefits | None = None,
             confidence: dict[int, float] | None = None,
             plan: dict[int, list[tuple[int, float]]] | None = None,
             align: list[tuple[int, int]] = ()) -> Snapshot:  # type: ignore[assignment]
    """history: metric key → [(day, value)]; contrib: (metric key, objective key);
    plan: metric key → explicit plan points (default: linear baseline → target);
    align: (child objective key, parent objective key)."""
    mm, md, mv, mc = [], [], [], []
    for key, pts in history.items():
        for d, v in pts:
            mm.append(key)
            md.append(d)
            mv.append(v)
            mc.append((confidence or {}).get(key, np.nan))
    k = np.arange(1, len(mm) + 1)
    oids = np.arange(1, objectives + 1)
    cm = [c[0] for c in contrib]
    co = [c[1] for c in contrib]
    pm = [key for key, pts in (plan or {}).items() for _ in pts]
    pd = [d for pts in (plan or {}).values() for d, _ in pts]
    pv = [v for pts in (plan or {}).values() for _, v in pts]
    ac = [a[0] for a in align]
    ap = [a[1] for a in align]
    return build_snapshot(m, mm, md, mv, mc, k, np.full(len(mm), -1), pm, pd, pv, oids, ac,
                          ap, [1.0] * len(ac), cm, co, [1.0] * len(cm), benefits)


def weekly(start: int, values: list[float]) -> list[tuple[int, float]]:
    """Weekly points ending on ``start + 7 * (len - 1)``."""
    return [(start + 7 * i, v) for i, v in enumerate(values)]


def flat(level: float, weeks: int = 40, end: int = T0, noise: float = 0.5,
         seed: int = 1) -> list[tuple[int, float]]:
    """A noisy flat weekly history ending on ``end``."""
    rng = np.random.default_rng(seed)
    return weekly(end - 7 * (weeks - 1), list(level + noise * rng.standard_normal(weeks)))


def evaluated(snap: Snapshot) -> Any:
    return evaluate(snap, T0)


# --- the chain: slip → broken dependency → delayed benefit → lower P(hit) → objective ---

def chain_world(benefit_amount: float = 80.0) -> tuple[WorkGraph, Snapshot]:
    """Team A's milestone 1 (initiative 10) feeds team B's milestone 2 (initiative 20),
    FS, needed by T0+20. Initiative 20's benefit (+80 on metric 1, due T0+40) lifts the
    metric from a flat 150 to its target 200 by T0+70; metric 1 measures objective 1."""
    ms = milestones([1, 2], [10, 20], [T0 + 10, T0 + 30], owner=[501, 502],
                    duration=[5, 5])
    ini = initiatives([10, 20], owner=[601, 602], start=[T0 - 30, T0 - 30],
                      due=[T0 + 10, T0 + 30])
    deps = dependencies([((0, 1), (0, 2))], need=[T0 + 20])
    wg = graph(ms, ini, deps)
    m = metrics(1)
    ben = Benefits(np.array([0]), np.array([T0 + 40]), np.array([benefit_amount]),
                   np.array([20]))
    # the plan counts on the benefit: flat at 150, then 200 once it has landed
    plan = {1: [(T0 - 400, 150.0), (T0 + 39, 150.0), (T0 + 41, 200.0), (T0 + 70, 200.0)]}
    snap = snapshot(m, {1: flat(150.0)}, objectives=1, contrib=[(1, 1)], benefits=ben,
                    plan=plan)
    return wg, snap


def test_a_slip_breaks_a_dependency_delays_a_benefit_and_puts_the_objective_at_risk() -> None:
    from steerco.core.impact import prepare, run
    from steerco.core.status import Status
    from steerco.core.workgraph import run as schedule

    wg, snap = chain_world()
    ev = evaluate(snap, T0)
    assert ev.metrics.status.status[0] == Status.ON_TRACK
    assert ev.objectives.status[0] == Status.ON_TRACK
    base = prepare(wg, schedule(wg), snap, ev)
    imp = run(base, slips={0: 60})  # milestone 1 slips 60 days
    assert imp.newly_broken.tolist() == [0]
    moved = dict(zip(wg.key[imp.delta.nodes].tolist(), imp.delta.new_finish.tolist(),
                     strict=True))
    assert moved[1] == T0 + 70 and moved[2] > T0 + 70 and moved[20] > T0 + 70
    assert imp.benefit_new_day.tolist() == [T0 + 40 + moved[20] - (T0 + 30)]
    assert imp.metrics.tolist() == [0]
    assert imp.new_p_hit[0] < 0.3 < 0.7 <= imp.old_p_hit[0]
    # Still at its plan today (150) while the forecast no longer reaches the target: the
    # status rule calls that disagreement at risk (steerco.core.status), not off track.
    assert imp.new_status[0] == Status.AT_RISK
    assert imp.objectives.tolist() == [0]
    assert imp.new_objective_status[0] == Status.AT_RISK
    # the baseline is untouched
    assert ev.objectives.status[0] == Status.ON_TRACK


def test_a_slip_absorbed_by_slack_changes_nothing_downstream() -> None:
    from steerco.core.impact import prepare, run
    from steerco.core.workgraph import run as schedule

    wg, snap = chain_world()
    base = prepare(wg, schedule(wg), snap, evaluate(snap, T0))
    imp = run(base, slips={0: 2})
    assert imp.newly_broken.size == 0 and imp.metrics.size == 0 and imp.objectives.size == 0


def test_stopping_the_providing_initiative_means_the_benefit_never_arrives() -> None:
    from steerco.core.impact import prepare, run
    from steerco.core.status import Status
    from steerco.core.workgraph import run as schedule

    wg, snap = chain_world()
    base = prepare(wg, schedule(wg), snap, evaluate(snap, T0))
    imp = run(base, stop_initiatives=[0])
    assert imp.newly_broken.tolist() == [0]
    assert imp.benefit_new_day.tolist() == [NO_DAY]
    assert imp.new_p_hit[0] < 0.2
    assert imp.new_status[0] == Status.AT_RISK  # at plan today, the forecast disagrees


def test_the_incremental_forecast_equals_evaluate_rows_on_the_shifted_snapshot() -> None:
    import dataclasses

    from steerco.core.evidence import evaluate_rows
    from steerco.core.impact import prepare, with_benefits
    from steerco.core.workgraph import run as schedule

    wg, snap = chain_world()
    base = prepare(wg, schedule(wg), snap, evaluate(snap, T0))
    for day in (T0 + 5, T0 + 40, T0 + 66, T0 + 69, T0 + 71, T0 + 400):
        ben = Benefits(np.array([0]), np.array([day]), np.array([80.0]), np.array([20]))
        want = evaluate_rows(dataclasses.replace(snap, benefits=ben), np.array([0]), T0)
        got = with_benefits(base, np.array([0]), ben.metric, ben.day, ben.amount)
        assert np.allclose(got.forecast, want.forecast)
        assert np.allclose(got.p_hit, want.p_hit)
        assert got.status.status.tolist() == want.status.status.tolist()


def test_the_work_graph_pins_completed_milestones_and_never_finishes_stopped_work() -> None:
    from steerco.core.schedule import NEVER
    from steerco.core.workgraph import run as schedule

    ms = milestones([1, 2, 3], [10, 10, 20], [T0 - 5, T0 + 10, T0 + 10],
                    completed=[T0 - 8, NO_DAY, NO_DAY], duration=[2, 3, 3])
    ini = initiatives([10, 20], start=[T0 - 30, T0 - 30], due=[T0 + 10, T0 + 10],
                      stopped=[False, True])
    deps = dependencies([((0, 3), (0, 1)), ((0, 3), (0, 2))], need=[T0, T0 + 5])
    wg = graph(ms, ini, deps)
    s = schedule(wg)
    assert s.early_finish[0] == T0 - 8  # completed: its incoming dependency is history
    assert not s.active[0] and s.active[1]
    assert s.early_finish[2] == NEVER and s.early_finish[4] == NEVER
    assert s.broken[1]
    # milestone 2 waits on the stopped milestone 3, so initiative 10 never ends either
    assert s.early_finish[1] == NEVER and s.early_finish[3] == NEVER

"""Every hygiene rule fires on its hand-built case and stays silent on the near miss."""

from __future__ import annotations

import numpy as np

from steerco.core import hygiene as hy
from steerco.core.orgtree import Org
from steerco.core.snapshot import Snapshot
from tests.core.test_impact import T0, initiatives, metrics, milestones, snapshot

E = np.zeros(0, dtype=np.int64)
ORG = Org(unit_ids=np.array([1, 2]), unit_parent=np.array([-1, 1]), unit_head=np.array([50, 51]),
          person_ids=np.array([50, 51, 100, 101, 102, 103, 104, 105]),
          person_unit=np.array([1, 2, 2, 2, 2, 2, 2, 2]),
          person_manager=np.array([-1, 50, 51, 51, 51, 51, 51, 51]),
          person_active=np.array([True, True, True, False, True, True, True, True]))


def strategy(n_metrics: int = 6, key_results: int = 6, themes: int = 5,
             contrib: list[tuple[int, int]] | None = None, objectives: int = 1,
             tolerance: float = 0.05, align: list[tuple[int, int]] = ()  # type: ignore
             ) -> tuple[hy.Strategy, Snapshot]:
    m = metrics(n_metrics, tolerance=tolerance)
    snap = snapshot(m, {}, objectives=objectives, align=align,
                    contrib=contrib if contrib is not None else
                    [(k, 1) for k in range(1, n_metrics + 1)])
    kr = np.arange(n_metrics) < key_results
    st = hy.Strategy(np.arange(1, themes + 1), np.ones(themes, bool), np.full(themes, 50),
                     snap.objective_ids, np.full(objectives, 100), snap.graph, m.ids,
                     m.owner, kr, m.tolerance, ORG.unit_of(m.owner))
    return st, snap


def test_six_active_themes_are_no_focus_five_are() -> None:
    st, _ = strategy(themes=6)
    assert len(hy.focus(st, ORG, 1)[0]) == 1
    st, _ = strategy(themes=5)
    assert len(hy.focus(st, ORG, 1)[0]) == 0


def test_an_objective_with_six_key_results_is_flagged_five_plus_a_kpi_is_not() -> None:
    st, _ = strategy(key_results=6)
    b = hy.focus(st, ORG, 1)[1]
    assert b.subject.tolist() == [1] and b.evidence["key_results"].tolist() == [6]
    st, _ = strategy(key_results=5)
    assert len(hy.focus(st, ORG, 1)[1]) == 0


def test_owners_that_left_or_are_missing_break_ownership() -> None:
    st, _ = strategy(n_metrics=3)  # metric 2 is owned by 101, who is inactive
    ini = initiatives([10, 20], owner=[101, 100])
    ms = milestones([1, 2], [10, 20], [T0, T0], owner=[-1, 102])
    found = {(b.subject_kind, k) for b in hy.ownership(st, ini, ms, ORG)
             for k in b.subject.tolist()}
    assert found == {("metric", 2), ("initiative", 10), ("milestone", 1)}


def test_an_initiative_missing_its_trackability_lists_what_is_missing() -> None:
    ini = initiatives([10, 20, 30], owner=[-1, 100, 100], due=[-2**31, T0, T0],
                      declared=[False, True, True], closed=[False, False, True])
    links = hy.Links(np.array([20, 30]), np.array([1, 1]), np.array([20]), np.array([1]),
                     E, np.array([20, 30]))
    untrack, no_metric = hy.trackability(ini, links, np.array([3, 3, 5]))
    assert untrack.subject.tolist() == [10]
    assert untrack.evidence["missing"].tolist() == [
        "owner, due date, linked metric, budget line, dependency declaration"]
    assert no_metric.subject.tolist() == [10]  # 20 plans an impact; 30 is closed


def test_a_cost_measure_that_claims_savings_need_not_move_a_metric() -> None:
    ini = initiatives([10], owner=[100], kind=[2])
    links = hy.Links(E, E, E, E, np.array([10]), E)
    assert len(hy.trackability(ini, links, np.array([3]))[1]) == 0


def _rules(kind: str, metric: int = -1, objective: int = -1, unit: int = -1) -> hy.Rules:
    return hy.Rules(np.array([kind]), np.array([metric]), np.array([objective]),
                    np.array([unit]), np.array([True]))


def test_a_metric_no_rule_acts_on_is_noise() -> None:
    st, _ = strategy(n_metrics=2, tolerance=np.nan)
    tol, noise = hy.metric_hygiene(st, _rules("broken_dependency"), ORG)
    assert tol.subject.tolist() == [1, 2]
    assert noise.subject.tolist() == [1, 2]  # a dependency rule does not act on metrics


def test_rules_scoped_on_the_metric_its_objective_or_an_ancestor_unit_act_on_it() -> None:
    st, _ = strategy(n_metrics=2)
    assert hy.metric_hygiene(st, _rules("off_track", metric=1), ORG)[1].subject.tolist() == [2]
    assert len(hy.metric_hygiene(st, _rules("off_track", objective=1), ORG)[1]) == 0
    assert len(hy.metric_hygiene(st, _rules("stale", unit=1), ORG)[1]) == 0  # the company
    assert len(hy.metric_hygiene(st, _rules("stale"), ORG)[1]) == 0  # workspace-wide
    assert len(hy.metric_hygiene(st, _rules("off_track"), ORG)[0]) == 0  # all have bands


def test_an_objective_is_covered_through_its_metrics_or_its_child_objectives() -> None:
    # objective 1 ← metric 1; objective 2 ← metric 2; objective 3 ← metric 3;
    # objective 4 has no metric, objective 2 aligns under it
    st, snap = strategy(n_metrics=3, objectives=4, contrib=[(1, 1), (2, 2), (3, 3)],
                        align=[(2, 4)])
    ini = initiatives([10], owner=[100])
    links = hy.Links(np.array([10]), np.array([1]), E, E, E, E)
    b = hy.objectives_without_initiatives(st, ini, links)
    assert b.subject.tolist() == [2, 3, 4]
    links = hy.Links(E, E, np.array([10]), np.array([2]), E, E)  # a planned impact counts
    assert hy.objectives_without_initiatives(st, ini, links).subject.tolist() == [1, 3]
    closed = initiatives([10], owner=[100], closed=[True])
    assert hy.objectives_without_initiatives(st, closed, links).subject.tolist() == [1, 2, 3,
                                                                                    4]


def test_a_target_not_beyond_its_baseline_in_its_direction_is_a_finding() -> None:
    # increase_to 10 → 5 and decrease_to 60 → 80 point the wrong way; 10 → 10 nowhere;
    # a stay_at_or_above threshold may equal its baseline.
    batch = hy.target_direction(
        np.array([1, 2, 3, 4, 5]), np.array([7, 7, 8, 8, 9]),
        np.array([0, 1, 0, 2, 1], dtype=np.int8), np.array([10.0, 60, 10, 38, 60]),
        np.array([5.0, 80, 10, 38, 40]))
    assert batch.kind == "target_not_beyond_baseline"
    assert batch.subject.tolist() == [1, 2, 3]
    assert batch.severity.tolist() == [2, 2, 2]
    texts = [r.explanation for r in batch.rows()]
    assert texts[0] == ('increase_to needs a target above the baseline: target 5 vs baseline '
                        '10 reads "target met" from day one')
    assert "decrease_to needs a target below" in texts[1]

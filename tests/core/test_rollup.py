"""Weighted roll-up over the multi-parent objective DAG, full and incremental."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steerco.core.rollup import (
    ObjectiveReason,
    RollupSettings,
    build_graph,
    rollup,
    update_metric,
    worst_reasons,
)
from steerco.core.status import Reason, Status

ON, RISK, OFF, STALE, NO_DATA, ACH, MISS = (int(s) for s in Status)
nan = math.nan
R = ObjectiveReason


def star(statuses, progress, weights=None, settings=RollupSettings()):
    """One objective (id 0) fed directly by len(statuses) metrics."""
    n = len(statuses)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    graph = build_graph(1, n, [], [], [], np.arange(n), np.zeros(n, int), w)
    return rollup(graph, progress, statuses, settings=settings)


def test_progress_is_the_weighted_mean_of_the_metrics():
    state = star([ON, OFF], [1.0, 0.0], weights=[3.0, 1.0])
    assert state.progress[0] == 0.75
    assert state.coverage[0] == 1.0


def test_weights_are_renormalised_over_the_children_that_have_evidence():
    state = star([ON, NO_DATA, ON], [0.2, nan, 0.6], weights=[1.0, 2.0, 1.0])
    assert state.progress[0] == pytest.approx(0.4)
    assert state.coverage[0] == 0.5
    assert state.reasons[0] & R.PARTIAL_COVERAGE


def test_progress_is_clipped_so_over_achievement_cannot_hide_a_failure():
    assert star([ON, ON], [3.0, 0.0]).progress[0] == 0.5
    loose = star([ON, ON], [3.0, 0.0], settings=RollupSettings(clip_progress=False))
    assert loose.progress[0] == 1.5


def test_an_objective_with_no_evidence_below_it_is_no_data_never_green():
    state = star([NO_DATA, NO_DATA], [nan, nan])
    assert state.status[0] == NO_DATA
    assert math.isnan(state.progress[0])
    assert state.coverage[0] == 0.0
    assert state.reasons[0] & R.NO_EVIDENCE


def test_an_objective_without_children_is_no_data():
    graph = build_graph(2, 0, [], [], [], [], [], [])
    state = rollup(graph, [], [])
    assert state.status.tolist() == [NO_DATA, NO_DATA]
    assert state.reasons[0] & R.NO_CHILDREN


def test_one_red_metric_among_four_makes_the_objective_at_risk():
    state = star([ON, ON, ON, OFF], [1.0] * 4)
    assert state.status[0] == RISK
    assert state.severity[0] == 0.25
    assert state.reasons[0] & R.MEDIUM_SEVERITY


def test_red_metrics_holding_half_the_weight_make_the_objective_off_track():
    assert star([ON, ON, OFF, MISS], [1.0] * 4).status[0] == OFF
    assert star([ON, OFF], [1.0] * 2, weights=[3.0, 1.0]).status[0] == RISK


def test_a_few_amber_metrics_keep_the_objective_on_track():
    assert star([ON, ON, ON, RISK], [1.0] * 4).status[0] == ON  # severity 0.125


def test_an_objective_whose_metrics_are_all_achieved_is_achieved():
    state = star([ACH, ACH], [1.0, 1.2])
    assert state.status[0] == ACH
    assert state.reasons[0] & R.ALL_ACHIEVED


def test_an_objective_whose_evidence_is_all_stale_is_stale():
    assert star([STALE, STALE, NO_DATA], [0.5, 0.5, nan]).status[0] == STALE


def test_low_coverage_stops_an_objective_from_looking_green():
    state = star([ON, NO_DATA, NO_DATA], [1.0, nan, nan])
    assert state.status[0] == RISK
    assert state.reasons[0] & R.LOW_COVERAGE


def test_unknown_status_codes_and_short_inputs_count_as_no_data():
    graph = build_graph(1, 3, [], [], [], [0, 1, 2], [0, 0, 0], [1, 1, 1])
    state = rollup(graph, [0.5], [42])
    assert state.status[0] == NO_DATA


def test_invalid_edges_are_ignored():
    graph = build_graph(2, 2, [0, 1, 5, 1], [1, 1, 0, 0], [1.0, 1.0, 1.0, nan],
                        [0, 1, 9, 1], [0, 0, 0, 1], [1.0, -1.0, 1.0, 0.0])
    assert graph.in_met_metric.tolist() == [0]
    assert graph.in_obj_child.tolist() == [0]
    state = rollup(graph, [0.4, 0.9], [ON, ON])
    assert state.progress.tolist() == [0.4, 0.4]


def diamond():
    """Objectives 0 (top) <- 1, 2 <- 3 (shared child, weights 1 and 3); metrics:
    m0 -> 1, m1 -> 2, m2 -> 3, m3 -> 3."""
    return build_graph(4, 4, [1, 2, 3, 3], [0, 0, 1, 2], [1.0, 1.0, 1.0, 3.0],
                       [0, 1, 2, 3], [1, 2, 3, 3], [1.0, 1.0, 1.0, 1.0])


def test_a_multi_parent_objective_contributes_to_each_parent_with_its_own_weight():
    progress = [1.0, 0.0, 0.5, 0.5]
    state = rollup(diamond(), progress, [ON, OFF, RISK, RISK],
                   [Reason.P_HIT_HIGH, Reason.P_HIT_LOW, Reason.STALE, Reason.BEHIND_PLAN])
    assert state.progress[3] == 0.5
    assert state.progress[1] == pytest.approx((1.0 + 0.5 * 1) / 2)
    assert state.progress[2] == pytest.approx((0.0 + 0.5 * 3) / 4)
    assert state.progress[0] == pytest.approx((0.75 + 0.375) / 2)
    assert state.status[3] == RISK


def test_the_worst_metrics_are_carried_up_with_their_reasons_once_each():
    reasons = [Reason.P_HIT_HIGH, Reason.P_HIT_LOW, Reason.STALE, Reason.TOLERANCE_BREACH]
    state = rollup(diamond(), [1.0, 0.0, 0.5, 0.5], [ON, OFF, STALE, RISK], reasons)
    assert worst_reasons(state, 0) == [("p_hit_low", 1), ("stale", 2), ("tolerance_breach", 3)]
    # m2 reaches the top through two paths; the larger share (via objective 2) counts.
    assert state.top_share[0, 1] == pytest.approx(0.5 * 0.75 * 0.5)
    assert worst_reasons(state, 1) == [("stale", 2), ("tolerance_breach", 3)]
    assert worst_reasons(state, 99) == []


def test_carried_reasons_are_limited_to_top_k_and_rank_by_status_then_share():
    state = star([RISK, OFF, RISK, ON], [0.5] * 4, weights=[1.0, 1.0, 5.0, 1.0],
                 settings=RollupSettings(top_k=2))
    assert state.top_metric[0].tolist() == [1, 2]
    assert worst_reasons(state, 0) == [("off_track", 1), ("at_risk", 2)]


def test_an_objective_on_a_cycle_is_no_data_and_the_rest_of_the_graph_still_rolls_up():
    # 0 <-> 1 is a cycle; 2 feeds 0 and is fine; 3 is unrelated.
    graph = build_graph(4, 2, [0, 1, 2], [1, 0, 0], [1.0, 1.0, 1.0],
                        [0, 1], [2, 3], [1.0, 1.0])
    state = rollup(graph, [0.5, 0.7], [ON, ON])
    assert state.status[[0, 1]].tolist() == [NO_DATA, NO_DATA]
    assert state.reasons[0] & R.CYCLE
    assert state.progress[2] == 0.5
    assert state.progress[3] == 0.7
    assert update_metric(graph, state, 0, 0.1, OFF) == {2}


children = st.tuples(st.sampled_from([ON, RISK, OFF, STALE, ACH, MISS]), st.floats(0, 1))


@settings(max_examples=100, deadline=None)
@given(child=children, n=st.integers(1, 6), weights=st.lists(st.floats(0.01, 100), min_size=6,
                                                               max_size=6))
def test_the_roll_up_of_identical_children_equals_the_child(child, n, weights):
    status, progress = child
    state = star([status] * n, [progress] * n, weights=weights[:n])
    assert state.progress[0] == pytest.approx(progress)
    assert state.status[0] == status
    # And one level higher, over identical child objectives.
    graph = build_graph(n + 1, n, np.arange(1, n + 1), np.zeros(n, int), weights[:n],
                        np.arange(n), np.arange(1, n + 1), np.ones(n))
    state = rollup(graph, [progress] * n, [status] * n)
    assert state.progress[0] == pytest.approx(progress)
    assert state.status[0] == status


def random_dag(rng: np.random.Generator, n_obj: int, n_met: int, extra: float = 0.3):
    """A layered DAG where objective i may only align to objectives with smaller ids."""
    child = np.arange(1, n_obj)
    parent = np.array([rng.integers(0, c) for c in child], dtype=int)
    more = rng.integers(1, n_obj, int(n_obj * extra)) if n_obj > 1 else np.zeros(0, int)
    child = np.concatenate([child, more])
    parent = np.concatenate([parent, [rng.integers(0, c) for c in more]]).astype(int)
    w = rng.uniform(0.1, 3.0, child.size)
    mo = rng.integers(0, n_obj, n_met)
    return build_graph(n_obj, n_met, child, parent, w, np.arange(n_met), mo,
                       rng.uniform(0.1, 3.0, n_met))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_obj=st.integers(1, 25), n_met=st.integers(0, 40))
def test_an_objective_with_no_evidence_below_it_is_no_data(seed, n_obj, n_met):
    rng = np.random.default_rng(seed)
    graph = random_dag(rng, n_obj, n_met)
    status = rng.choice([ON, RISK, OFF, STALE, NO_DATA, ACH, MISS], n_met)
    progress = np.where(status == NO_DATA, nan, rng.random(n_met))
    state = rollup(graph, progress, status)
    # Evidence below an objective, computed naively by walking the graph.
    evidenced = np.zeros(n_obj, dtype=bool)
    for _ in range(n_obj + 1):
        for o in range(n_obj):
            mets = graph.in_met_metric[graph.in_met_ptr[o]:graph.in_met_ptr[o + 1]]
            kids = graph.in_obj_child[graph.in_obj_ptr[o]:graph.in_obj_ptr[o + 1]]
            evidenced[o] = (status[mets] != NO_DATA).any() or evidenced[kids].any()
    assert ((state.status == NO_DATA) == ~evidenced).all()
    assert ((state.coverage > 0) == evidenced).all()
    assert np.isnan(state.progress[~evidenced]).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_obj=st.integers(1, 30), n_met=st.integers(1, 50),
       updates=st.integers(1, 8))
def test_incremental_updates_equal_a_full_roll_up(seed, n_obj, n_met, updates):
    rng = np.random.default_rng(seed)
    graph = random_dag(rng, n_obj, n_met)
    statuses = [ON, RISK, OFF, STALE, NO_DATA, ACH, MISS]
    status = rng.choice(statuses, n_met)
    state = rollup(graph, rng.random(n_met), status, rng.integers(0, 1 << 16, n_met))
    for _ in range(updates):
        m = int(rng.integers(n_met))
        before = state.progress.copy(), state.status.copy(), state.top_metric.copy()
        changed = update_metric(graph, state, m, float(rng.random()), int(rng.choice(statuses)),
                                int(rng.integers(0, 1 << 16)))
        full = rollup(graph, state.metric_progress, state.metric_status, state.metric_reason)
        for field in ("progress", "severity", "coverage", "status", "reasons", "top_metric",
                      "top_rank", "top_share"):
            assert np.allclose(getattr(state, field), getattr(full, field), equal_nan=True,
                               rtol=1e-12, atol=1e-15), field
        moved = ((~np.isclose(before[0], state.progress, equal_nan=True))
                 | (before[1] != state.status) | (before[2] != state.top_metric).any(axis=1))
        assert set(np.flatnonzero(moved).tolist()) <= changed


def test_updating_an_unknown_metric_changes_nothing():
    state = star([ON], [0.5])
    graph = build_graph(1, 1, [], [], [], [0], [0], [1.0])
    assert update_metric(graph, state, 5, 0.0, OFF) == set()


def test_an_update_returns_exactly_the_ancestors_that_changed():
    graph = diamond()
    state = rollup(graph, [1.0, 0.0, 0.5, 0.5], [ON, OFF, RISK, RISK])
    assert update_metric(graph, state, 0, 0.2, ON) == {1, 0}
    assert update_metric(graph, state, 2, 0.9, ON) == {3, 1, 2, 0}
    assert update_metric(graph, state, 2, 0.9, ON) == set()


def big_tree(rng: np.random.Generator):
    sizes = [20, 400, 4_000, 15_580]
    starts = np.cumsum([0, *sizes])
    child, parent = [], []
    for level in range(1, 4):
        c = np.arange(starts[level], starts[level + 1])
        child += [c, c[: c.size // 10]]  # every tenth objective also has a second parent
        parent += [rng.integers(starts[level - 1], starts[level], c.size),
                   rng.integers(starts[level - 1], starts[level], c.size // 10)]
    n_met = 100_000
    ch, pa = np.concatenate(child), np.concatenate(parent)
    return build_graph(int(starts[-1]), n_met, ch, pa, rng.uniform(0.5, 2, ch.size),
                       np.arange(n_met), rng.integers(starts[2], starts[-1], n_met),
                       rng.uniform(0.5, 2, n_met))


def test_on_a_company_sized_tree_incremental_updates_match_a_full_rollup():
    # Speed is measured in bench.engine_scale, not here; this pins correctness at scale.
    rng = np.random.default_rng(11)
    graph = big_tree(rng)
    n_met = graph.n_metrics
    progress, status = rng.random(n_met), rng.integers(0, 7, n_met)
    state = rollup(graph, progress, status)
    assert (state.status[:20] != NO_DATA).all()
    for m in rng.integers(0, n_met, 20).tolist():
        p, s = float(rng.random()), int(rng.integers(0, 7))
        update_metric(graph, state, m, p, s)
        progress[m], status[m] = p, s
    full = rollup(graph, progress, status)
    np.testing.assert_allclose(state.progress, full.progress)
    np.testing.assert_array_equal(state.status, full.status)


def test_an_objective_with_half_its_weight_unmeasured_is_not_green():
    # Issue 11: one key result at 80 %, the other never checked in, equal weights.
    state = star([ON, NO_DATA], [0.8, nan])
    assert state.status[0] == RISK
    assert state.coverage[0] == 0.5
    assert state.reasons[0] & R.PARTIAL_COVERAGE and state.reasons[0] & R.LOW_COVERAGE


def test_more_than_a_fifth_unmeasured_keeps_an_objective_from_green_but_not_from_red():
    # 3 of 4 measured: a quarter of the weight is unknown, more than a fifth.
    assert star([ON] * 3 + [NO_DATA], [1.0] * 3 + [nan]).status[0] == RISK
    # 9 of 10 measured: one new metric without its first check-in does not turn the
    # objective (and every ancestor above it) amber.
    assert star([ON] * 9 + [NO_DATA], [1.0] * 9 + [nan]).status[0] == ON
    assert star([OFF, NO_DATA], [0.1, nan]).status[0] == OFF
    assert star([ON, ON], [0.8, 0.9]).status[0] == ON


def test_measured_counts_metrics_below_an_objective_once_each():
    from steerco.core.rollup import measured_counts

    # Objective 0 is fed by metric 0 and by child objective 1 (metrics 0 and 1): metric 0
    # reaches it on two paths but is one metric.
    graph = build_graph(2, 3, [1], [0], [1.0], [0, 0, 1, 2], [0, 1, 1, 1], [1, 1, 1, 1])
    status = np.array([ON, NO_DATA, OFF], dtype=np.int8)
    assert measured_counts(graph, status, 0) == (2, 3)
    assert measured_counts(graph, status, 1) == (2, 3)
    lone = build_graph(1, 2, [], [], [], [0, 1], [0, 0], [1, 1])
    assert measured_counts(lone, np.array([ON, NO_DATA], dtype=np.int8), 0) == (1, 2)

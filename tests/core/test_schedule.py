"""Forward/backward pass, slack, critical path, broken dependencies and cycles."""

from __future__ import annotations

import numpy as np
import pytest

from steerco.core.schedule import (
    NEVER,
    DepType,
    Network,
    critical_path,
    network,
    schedule,
)
from steerco.kit.dates import NO_DAY


def pair(dep: DepType, lag: int, **kw: object) -> Network:
    """A (5 days, starts day 0) → B (3 days, no dates of its own)."""
    return network([5, 3], [0], [1], own_start=[0, NO_DAY], dep_type=[int(dep)], lag=[lag],
                   **kw)  # type: ignore[arg-type]


def dates(net: Network, **kw: object) -> tuple[list[int], list[int]]:
    r = schedule(net, **kw)  # type: ignore[arg-type]
    return r.early_start.tolist(), r.early_finish.tolist()


def test_a_finish_to_start_lag_delays_the_successor() -> None:
    assert dates(pair(DepType.FS, 2)) == ([0, 7], [5, 10])


def test_a_start_to_start_lag_ties_the_starts() -> None:
    assert dates(pair(DepType.SS, 2)) == ([0, 2], [5, 5])


def test_a_finish_to_finish_lag_ties_the_finishes() -> None:
    assert dates(pair(DepType.FF, 2)) == ([0, 4], [5, 7])


def test_a_start_to_finish_lag_ties_the_successor_finish_to_the_start() -> None:
    assert dates(pair(DepType.SF, 6)) == ([0, 3], [5, 6])


def test_a_negative_lag_is_a_lead_that_starts_the_successor_early() -> None:
    assert dates(pair(DepType.FS, -2)) == ([0, 3], [5, 6])


def test_a_node_without_predecessors_or_dates_starts_at_the_origin() -> None:
    assert dates(network([4], [], []), origin=100) == ([100], [104])


def test_a_node_with_only_an_own_forecast_finish_is_anchored_on_it() -> None:
    net = network([5, 3], [0], [1], own_start=[0, NO_DAY], own_finish=[NO_DAY, 20])
    assert dates(net) == ([0, 17], [5, 20])


def test_the_forecast_finish_is_the_later_of_own_forecast_and_what_predecessors_force() -> None:
    net = network([5, 3, 3], [0, 0], [1, 2], own_start=[0, 0, 0], own_finish=[NO_DAY, 6, 12])
    assert dates(net) == ([0, 5, 5], [5, 8, 12])


def test_the_latest_predecessor_wins() -> None:
    net = network([2, 9, 1], [0, 1], [2, 2], own_start=[0, 0, NO_DAY])
    assert dates(net) == ([0, 0, 9], [2, 9, 10])


def test_a_dependency_is_broken_when_the_provider_finishes_after_the_need_day() -> None:
    net = network([5, 3, 3, 3, 3], [0, 0, 0, 0], [1, 2, 3, 4], own_start=[0, 9, 9, 9, 9],
                  need_day=[4, 5, NO_DAY, 5], lag=[0, 0, 0, 1])
    assert schedule(net).broken.tolist() == [True, False, False, True]


def test_a_start_to_start_dependency_is_judged_on_the_provider_start() -> None:
    net = network([5, 3], [0], [1], own_start=[2, 9], dep_type=[DepType.SS], need_day=[2])
    assert not schedule(net).broken[0]
    net = network([5, 3], [0], [1], own_start=[3, 9], dep_type=[DepType.SS], need_day=[2])
    assert schedule(net).broken[0]


def test_a_provider_late_against_its_commitment_is_flagged() -> None:
    net = network([5, 3], [0], [1], own_start=[0, 9], committed_day=[4])
    r = schedule(net)
    assert r.over_commitment.tolist() == [True]
    assert r.broken.tolist() == [False]


def classic() -> Network:
    # A(3) -> C(2), B(5) -> C, C -> D(4), A -> E(1); everything may start on day 0
    return network([3, 5, 2, 4, 1], [0, 1, 2, 0], [2, 2, 3, 4], own_start=[0, 0, 0, 0, 0])


def test_slack_and_the_critical_path_of_a_hand_built_network() -> None:
    r = schedule(classic())
    assert r.early_finish.tolist() == [3, 5, 7, 11, 4]
    assert r.late_finish.tolist() == [5, 5, 7, 11, 11]
    assert r.late_start.tolist() == [2, 0, 5, 7, 10]
    assert r.total_slack.tolist() == [2, 0, 0, 0, 7]
    assert r.critical.tolist() == [False, True, True, True, False]
    assert critical_path(r) == [1, 2, 3]


def test_a_missed_deadline_gives_negative_slack_on_the_critical_chain() -> None:
    base = classic()
    deadline = np.array([NO_DAY, NO_DAY, NO_DAY, 9, NO_DAY])
    net = network(base.duration, base.src, base.dst, own_start=base.own_start,
                  deadline=deadline)
    r = schedule(net)
    assert r.total_slack.tolist() == [0, -2, -2, -2, 7]
    assert critical_path(r) == [1, 2, 3]


def test_each_connected_component_has_its_own_critical_path() -> None:
    # 0 -> 1 (ends day 4) and 2 -> 3 (ends day 20)
    net = network([2, 2, 10, 10], [0, 2], [1, 3], own_start=[0, 0, 0, 0])
    r = schedule(net)
    assert r.critical.all()
    assert not schedule(net, per_component=False).critical[:2].any()


def test_backward_pass_honours_every_dependency_type() -> None:
    for dep, lag in [(DepType.SS, 2), (DepType.FF, 2), (DepType.SF, 6), (DepType.FS, -2)]:
        net = pair(dep, lag)
        r = schedule(net, project_end=30)
        assert r.late_finish[1] == 30
        # moving the provider to its late dates keeps the successor's late dates feasible
        moved = network([5, 3], [0], [1], own_start=[int(r.late_start[0]), NO_DAY],
                        dep_type=[int(dep)], lag=[lag])
        assert schedule(moved).early_finish[1] <= 30, dep


def test_a_cycle_is_reported_and_the_rest_is_scheduled() -> None:
    # 0 -> 1 -> 2 -> 1 (cycle), 2 -> 3, 5 -> 3, 0 -> 4
    net = network([1, 1, 1, 2, 3, 4], [0, 1, 2, 2, 5, 0], [1, 2, 1, 3, 3, 4],
                  own_start=[0, NO_DAY, NO_DAY, NO_DAY, NO_DAY, 0], need_day=[0] * 6)
    r = schedule(net)
    assert [c.tolist() for c in r.cycles.components] == [[1, 2]]
    assert r.early_start[1] == NO_DAY and r.early_finish[2] == NO_DAY
    assert r.early_finish.tolist()[3:] == [6, 4, 4]
    assert r.downstream_of_cycle.tolist() == [False, False, False, True, False, False]
    assert r.active.tolist() == [False, False, False, False, True, True]
    assert not r.broken[:4].any()
    assert not r.critical[[1, 2]].any()


def test_a_self_loop_is_a_cycle_of_one() -> None:
    r = schedule(network([1, 1], [0, 0], [0, 1], own_start=[0, 0]))
    assert [c.tolist() for c in r.cycles.components] == [[0]]
    assert r.early_finish.tolist() == [NO_DAY, 1]


def test_bad_edges_are_ignored_not_raised() -> None:
    net = network([1, 1], [0, 0, 7], [1, -1, 0], dep_type=[9, 0, 0], own_start=[0, 0])
    assert net.valid.tolist() == [False, False, False]
    assert dates(net) == ([0, 0], [1, 1])


def test_a_stopped_node_never_finishes_and_breaks_what_it_provides() -> None:
    net = network([5, 3, 3, 1], [0, 0, 1], [1, 2, 3], own_start=[0, NO_DAY, NO_DAY, NO_DAY],
                  dep_type=[DepType.FS, DepType.SS, DepType.FS])
    r = schedule(net, stopped=[0])
    assert r.early_finish.tolist() == [NEVER, NEVER, 3, NEVER]
    assert r.early_start[2] == 0
    assert r.broken.tolist() == [True, True, True]


def test_outputs_are_read_only() -> None:
    r = schedule(classic())
    with pytest.raises(ValueError):
        r.early_finish[0] = 1


def test_mismatched_array_lengths_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        network([1, 1], [0], [1, 0])

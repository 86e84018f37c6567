"""What-if: slips and stopped initiatives, incremental and equal to a full recompute."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from steerco.core.ripple import apply, patched_network, slip, stop_initiative, stop_nodes, what_if
from steerco.core.schedule import NEVER, DepType, Network, network, schedule
from steerco.kit.dates import NO_DAY


def chain() -> Network:
    # team A: 0 -> 1 ; team B: 2 ; 1 -> 2 (FS, needed day 12), 1 -> 3 (FS, needed day 30)
    # 0 and 1 belong to initiative 7
    return network([5, 5, 3, 2], [0, 1, 1], [1, 2, 3], own_start=[0, NO_DAY, NO_DAY, 20],
                   need_day=[NO_DAY, 12, 30], group=[7, 7, -1, -1])


def test_a_slip_moves_everything_downstream_and_reports_old_and_new_dates() -> None:
    base = schedule(chain())
    delta = slip(base, 0, 4)
    assert delta.nodes.tolist() == [0, 1, 2]
    assert delta.old_finish.tolist() == [5, 10, 13]
    assert delta.new_finish.tolist() == [9, 14, 17]
    assert delta.new_start.tolist() == [0, 9, 14]  # 0 keeps its own start, takes longer


def test_a_slip_absorbed_by_slack_stops_where_nothing_moves() -> None:
    base = schedule(chain())
    delta = slip(base, 0, 4)
    assert 3 not in delta.nodes.tolist()  # starts day 20 on its own: 14 + 0 still fits
    assert delta.visited == 4


def test_a_slip_reports_the_newly_broken_dependencies_only() -> None:
    base = schedule(chain())
    assert base.broken.tolist() == [False, False, False]
    assert slip(base, 0, 1).newly_broken.tolist() == []
    assert slip(base, 0, 3).newly_broken.tolist() == [1]
    assert slip(base, 0, 30).newly_broken.tolist() == [1, 2]


def test_a_pull_in_resolves_a_broken_dependency() -> None:
    base = schedule(network([5, 1], [0], [1], own_start=[0, NO_DAY], own_finish=[8, NO_DAY],
                            need_day=[6]))
    assert base.broken.tolist() == [True]
    delta = slip(base, 0, -3)
    assert delta.resolved.tolist() == [0]
    assert delta.new_finish.tolist() == [5, 6]


def test_the_baseline_is_not_mutated() -> None:
    base = schedule(chain())
    before = base.early_finish.copy()
    slip(base, 0, 10)
    stop_initiative(base, 7)
    assert (base.early_finish == before).all()


def test_a_stopped_initiative_breaks_every_dependency_it_provides() -> None:
    net = network([5, 5, 3, 2], [0, 1, 1, 0], [1, 2, 3, 3], own_start=[0, 0, 0, 20],
                  dep_type=[DepType.FS, DepType.FS, DepType.FS, DepType.SS],
                  group=[7, 7, -1, -1])
    base = schedule(net)
    delta = stop_initiative(base, 7)
    assert delta.newly_broken.tolist() == [0, 1, 2, 3]  # need days missing: still broken
    assert set(delta.nodes.tolist()) == {0, 1, 2, 3}
    assert (delta.new_finish == NEVER).all()


def test_stopping_a_node_leaves_start_to_start_successors_started() -> None:
    net = network([5, 3], [0], [1], own_start=[0, NO_DAY], dep_type=[DepType.SS])
    delta = stop_nodes(schedule(net), [0])
    assert delta.nodes.tolist() == [0]
    assert delta.newly_broken.tolist() == [0]


def test_a_cycle_member_cannot_slip_and_is_reported_as_ignored() -> None:
    base = schedule(network([1, 1, 1], [0, 1], [1, 0], own_start=[0, 0, 0]))
    delta = slip(base, 0, 5)
    assert delta.ignored.tolist() == [0]
    assert delta.nodes.size == 0
    assert what_if(base, finish={99: 3}).ignored.tolist() == [99]


@st.composite
def networks(draw: Any) -> tuple[Network, int, int, list[int]]:
    n = draw(st.integers(1, 18))
    m = draw(st.integers(0, 40))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          min_size=m, max_size=m))
    cyclic = draw(st.booleans())
    src = [min(a, b) if not cyclic else a for a, b in pairs]
    dst = [max(a, b) if not cyclic else b for a, b in pairs]
    keep = [i for i in range(m) if cyclic or src[i] != dst[i]]
    src, dst = [src[i] for i in keep], [dst[i] for i in keep]
    k = len(src)
    day = st.one_of(st.just(NO_DAY), st.integers(-5, 40))
    net = network(
        draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), src, dst,
        own_start=draw(st.lists(day, min_size=n, max_size=n)),
        own_finish=draw(st.lists(day, min_size=n, max_size=n)),
        dep_type=draw(st.lists(st.integers(0, 3), min_size=k, max_size=k)),
        lag=draw(st.lists(st.integers(-4, 6), min_size=k, max_size=k)),
        need_day=draw(st.lists(day, min_size=k, max_size=k)),
        group=draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    stops = draw(st.lists(st.integers(0, n - 1), max_size=2))
    return net, draw(st.integers(0, n - 1)), draw(st.integers(-6, 25)), stops


def reference_forward(net: Network, stopped: set[int], origin: int = 0
                      ) -> tuple[list[int], list[int]]:
    """Plain relaxation until nothing moves: the forward pass by its definition."""
    n = net.n
    es = [0] * n
    ef = [0] * n
    for _ in range(n + 1):
        for u in range(n):
            of = int(net.own_finish[u])
            if net.own_start[u] != NO_DAY:
                s = int(net.own_start[u])
            else:
                s = of - int(net.duration[u]) if of != NO_DAY else origin
            for e in np.flatnonzero(net.dst == u):
                p, t = int(net.src[e]), int(net.dep_type[e])
                pv = ef[p] if t in (DepType.FS, DepType.FF) else es[p]
                back = int(net.duration[u]) if t in (DepType.FF, DepType.SF) else 0
                s = max(s, NEVER if pv >= NEVER else pv + int(net.lag[e]) - back)
            s = min(s, NEVER)
            es[u] = s
            ef[u] = NEVER if s >= NEVER or u in stopped else max(s + int(net.duration[u]), of)
    return es, ef


@settings(max_examples=200, deadline=None)
@given(networks())
def test_a_what_if_equals_a_full_forward_pass_on_the_patched_input(
        case: tuple[Network, int, int, list[int]]) -> None:
    net, node, days, stops = case
    base = schedule(net)
    finish = {} if base.topo.position[node] < 0 or base.early_finish[node] >= NEVER else {
        node: int(base.early_finish[node]) + days}
    delta = what_if(base, finish=finish, stop=stops)
    patched, stopped = patched_network(base, delta)
    full = schedule(patched, stopped=stopped)
    es, ef = apply(base, delta)
    assert es.tolist() == full.early_start.tolist()
    assert ef.tolist() == full.early_finish.tolist()
    now = base.broken.copy()
    now[delta.newly_broken] = True
    now[delta.resolved] = False
    assert now.tolist() == full.broken.tolist()
    moved = np.flatnonzero((es != base.early_start) | (ef != base.early_finish))
    assert sorted(moved.tolist()) == sorted(delta.nodes.tolist())


@settings(max_examples=150, deadline=None)
@given(networks())
def test_the_vectorised_forward_pass_equals_plain_relaxation_on_acyclic_networks(
        case: tuple[Network, int, int, list[int]]) -> None:
    net, _, _, stops = case
    r = schedule(net, stopped=stops)
    if r.cycles.components:
        return
    es, ef = reference_forward(net, set(stops))
    assert r.early_start.tolist() == es
    assert r.early_finish.tolist() == ef

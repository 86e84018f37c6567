"""CSR, cycles, topological levels and reachability on small hand-built graphs."""

from __future__ import annotations

import numpy as np

from steerco.core.graph import (
    csr,
    find_cycles,
    gather,
    reachable,
    topological_levels,
    valid_edges,
    weak_components,
)


def test_csr_keeps_input_edge_ids_per_node() -> None:
    g = csr(3, [2, 0, 0, 1], [0, 1, 2, 2])
    assert g.indptr.tolist() == [0, 2, 3, 4]
    assert g.edge.tolist() == [1, 2, 3, 0]
    assert g.other.tolist() == [1, 2, 2, 0]


def test_gather_concatenates_the_edge_ranges_of_several_nodes() -> None:
    indptr = np.array([0, 2, 2, 5], dtype=np.int64)
    assert gather(indptr, np.array([2, 0, 1])).tolist() == [2, 3, 4, 0, 1]
    assert gather(indptr, np.array([1])).tolist() == []


def test_a_two_node_cycle_and_a_self_loop_are_reported_with_their_members() -> None:
    # 0 -> 1 -> 2 -> 1 ; 3 -> 3 ; 4 isolated ; 2 -> 5
    cyc = find_cycles(6, [0, 1, 2, 3, 2], [1, 2, 1, 3, 5])
    assert [c.tolist() for c in cyc.components] == [[1, 2], [3]]
    assert cyc.in_cycle.tolist() == [False, True, True, True, False, False]
    assert cyc.cycle_edge.tolist() == [True, True, True, True, True]


def test_an_acyclic_graph_has_no_cycles() -> None:
    cyc = find_cycles(3, [0, 1], [1, 2])
    assert cyc.components == ()
    assert not cyc.in_cycle.any()


def test_topological_levels_put_every_edge_upwards() -> None:
    src, dst = [0, 0, 1, 2, 3], [1, 2, 3, 3, 4]
    topo = topological_levels(5, src, dst)
    assert topo.level.tolist() == [0, 1, 1, 2, 3]
    assert all(topo.position[s] < topo.position[d] for s, d in zip(src, dst, strict=True))


def test_nodes_on_a_cycle_are_left_out_of_the_order() -> None:
    topo = topological_levels(4, [0, 1, 2, 2], [1, 2, 1, 3])
    assert topo.order.tolist() == [0]
    assert topo.level.tolist() == [0, -1, -1, -1]


def test_reachable_follows_edges_and_survives_cycles() -> None:
    g = csr(5, [0, 1, 2, 3], [1, 2, 1, 4])
    assert reachable(g, [0], 5).tolist() == [True, True, True, False, False]


def test_edges_outside_the_node_range_are_invalid() -> None:
    assert valid_edges(3, [0, -1, 2], [1, 0, 3]).tolist() == [True, False, False]


def test_weak_components_ignore_direction() -> None:
    labels = weak_components(5, [1, 3], [0, 4])
    assert labels[0] == labels[1] and labels[3] == labels[4]
    assert len({int(labels[0]), int(labels[2]), int(labels[3])}) == 3

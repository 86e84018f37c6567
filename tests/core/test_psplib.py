"""PSPLIB J30: every critical path reproduced exactly, none above the published optimum."""

from __future__ import annotations

from pathlib import Path

from bench.psplib import cpm_length, feasible
from bench.psplib_data import load_j30, load_j30_optima

from steerco.core.rcpsp import serial_sgs


def test_all_480_critical_paths_reproduce_the_header_and_none_exceeds_the_optimum(
        shared_data: Path) -> None:
    instances = load_j30(shared_data)
    optima = load_j30_optima(shared_data)
    assert len(instances) == 480 and len(optima) == 480
    wrong = [i.name for i in instances if cpm_length(i) != i.mpm_time]
    assert wrong == []
    above = [i.name for i in instances if cpm_length(i) > optima[i.name]]
    assert above == []


def test_the_serial_sgs_is_feasible_and_never_beats_the_optimum(shared_data: Path) -> None:
    instances = load_j30(shared_data)[::4]
    optima = load_j30_optima(shared_data)
    for inst in instances:
        start = serial_sgs(inst.duration, inst.src, inst.dst, inst.demand, inst.capacity)
        assert feasible(inst, start), inst.name
        assert int((start + inst.duration).max()) >= optima[inst.name], inst.name


def test_the_serial_sgs_waits_for_a_busy_resource() -> None:
    # 0 and 1 both need the whole single resource: they cannot overlap
    start = serial_sgs([3, 2], [], [], [[1], [1]], [1])
    first, second = (0, 1) if start[0] <= start[1] else (1, 0)
    assert start[first] == 0
    assert start[second] == [3, 2][first]

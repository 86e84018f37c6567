"""The real Apache Jira blocking links: the cycle is found and the rest is scheduled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from bench.issuelinks import cycles_by_key, load

from steerco.core.schedule import schedule
from steerco.kit.dates import NO_DAY


def test_the_apache_blocking_links_form_380_edges_over_521_issues(shared_data: Path) -> None:
    g = load(shared_data)
    assert (g.net.n, g.net.m) == (521, 380)


def test_the_usergrid_cycle_is_found_by_its_members_and_the_rest_is_scheduled(
        shared_data: Path) -> None:
    g = load(shared_data)
    r = schedule(g.net, origin=g.origin)
    assert cycles_by_key(g, r) == [["USERGRID-536", "USERGRID-541"]]
    members = [g.keys.index("USERGRID-536"), g.keys.index("USERGRID-541")]
    assert (r.early_finish[members] == NO_DAY).all()
    others = np.ones(g.net.n, dtype=bool)
    others[members] = False
    assert (r.topo.position[others] >= 0).all()
    assert (r.early_finish[others] != NO_DAY).all()
    src, dst = g.net.src[r.active], g.net.dst[r.active]
    assert (r.early_start[dst] >= r.early_finish[src]).all()


def test_broken_dependencies_are_judged_only_where_a_need_day_exists(shared_data: Path) -> None:
    g = load(shared_data)
    r = schedule(g.net, origin=g.origin)
    assert r.broken.any()
    assert not (r.broken & (g.net.need_day == NO_DAY)).any()

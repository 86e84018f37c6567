"""Every signal fires on its hand-built case and stays silent on the near miss."""

from __future__ import annotations

import numpy as np
import pytest

from steerco.core import signals as sg
from steerco.core.causal import CausalLinks
from steerco.core.evidence import evaluate
from steerco.core.finding import FindingBatch
from steerco.core.orgtree import Org
from steerco.core.outcome_signals import InitiativeLinks, cross_team_conflicts, green_dashboard
from steerco.core.schedule import DepType
from steerco.core.workgraph import run as schedule
from steerco.kit.dates import NO_DAY
from tests.core.test_impact import (
    T0,
    dependencies,
    flat,
    graph,
    initiatives,
    metrics,
    milestones,
    snapshot,
    weekly,
)


def subjects(b: FindingBatch) -> list[int]:
    return b.subject.tolist()


def test_a_metric_without_evidence_for_two_cadences_is_stale_and_a_fresh_one_is_not() -> None:
    m = metrics(2)
    snap = snapshot(m, {1: flat(150.0, end=T0 - 20), 2: flat(150.0, end=T0 - 3)})
    b = sg.stale_metrics(snap, evaluate(snap, T0))
    assert subjects(b) == [1]
    f = next(b.rows())
    assert f.person == 100 and f.evidence["age_days"] == 20.0
    assert "20 days" in f.explanation


def test_a_milestone_past_due_beyond_grace_is_stale_within_grace_or_done_it_is_not() -> None:
    ms = milestones([1, 2, 3, 4], [10] * 4, [T0 - 10, T0 - 3, T0 - 40, T0 + 30],
                    completed=[NO_DAY, NO_DAY, T0 - 41, NO_DAY],
                    forecast=[NO_DAY, NO_DAY, NO_DAY, T0 + 45], owner=[7, 7, 7, -1])
    wg = graph(ms, initiatives([10], owner=[9], start=[T0 - 90], due=[T0 + 60]))
    b = sg.stale_milestones(wg)
    assert subjects(b) == [1, 4]  # 4: its forecast moved past its due day
    assert b.person.tolist() == [7, 9]  # no owner: the initiative's owner acts
    assert b.evidence["reason"].tolist() == ["past due", "forecast moved past its due day"]


def test_a_dependency_needed_weeks_ago_from_an_open_provider_is_stale() -> None:
    ms = milestones([1, 2, 3], [10, 20, 20], [T0 + 5, T0 + 30, T0 + 30],
                    completed=[NO_DAY, NO_DAY, T0 - 30], owner=[5, 6, 6])
    deps = dependencies([((0, 1), (0, 2)), ((0, 3), (0, 2)), ((0, 1), (0, 3))],
                        need=[T0 - 10, T0 - 10, T0 - 3])
    wg = graph(ms, initiatives([10, 20], start=[T0 - 50] * 2, due=[T0 + 40] * 2), deps)
    b = sg.stale_dependencies(wg)
    assert subjects(b) == [1]  # provider done (2) or still within grace (3): silent
    f = next(b.rows())
    assert f.person == 5 and f.evidence["consumer_owner"] == 6


def test_an_initiative_without_any_update_for_two_months_is_stale() -> None:
    ms = milestones([1, 2], [10, 20], [T0 + 10, T0 + 10], updated=[T0 - 90, T0 - 5])
    ini = initiatives([10, 20, 30], owner=[1, 2, 3], start=[T0 - 100] * 3,
                      due=[T0 + 50] * 3, updated=[T0 - 90, T0 - 90, T0 - 10])
    b = sg.stale_initiatives(graph(ms, ini))
    assert subjects(b) == [10]  # 20 has a fresh milestone update, 30 a fresh own update


def test_an_owner_confident_about_a_failing_metric_is_a_reality_gap() -> None:
    m = metrics(2)
    snap = snapshot(m, {1: flat(120.0), 2: flat(120.0)}, confidence={1: 0.95, 2: 0.05})
    b = sg.reality_gaps(snap, evaluate(snap, T0))
    assert subjects(b) == [1]
    assert b.severity.tolist() == [3]


@pytest.mark.parametrize(("dep_type", "lag", "need", "broken"), [
    (DepType.FS, 0, T0 + 20, False), (DepType.FS, 5, T0 + 19, True),
    (DepType.SS, 0, T0 + 5, True), (DepType.SS, 0, T0 + 10, False),
    (DepType.FF, -3, T0 + 12, False), (DepType.FF, 0, T0 + 12, True),
    (DepType.SF, 2, T0 + 11, False), (DepType.SF, 4, T0 + 11, True),
])
def test_a_dependency_breaks_when_its_provider_plus_lag_passes_the_need_date(
        dep_type: DepType, lag: int, need: int, broken: bool) -> None:
    # provider milestone 1: starts T0+8, finishes T0+15 (duration 7)
    ms = milestones([1, 2], [10, 20], [T0 + 15, T0 + 40], duration=[7, 2], owner=[3, 4])
    ini = initiatives([10, 20], start=[T0] * 2, due=[T0 + 50] * 2)
    deps = dependencies([((0, 1), (0, 2))], dep_type=[int(dep_type)], lag=[lag], need=[need])
    wg = graph(ms, ini, deps)
    b = sg.broken_dependencies(wg, schedule(wg))
    assert (subjects(b) == [1]) is broken
    if broken:
        f = next(b.rows())
        assert f.person == 3 and f.evidence["consumer_owner"] == 4


def test_a_late_milestone_on_the_critical_path_is_a_critical_slip_one_with_slack_is_not() -> None:
    ms = milestones([1, 2], [10, 10], [T0 + 10, T0 + 10], forecast=[T0 + 25, T0 + 12],
                    owner=[1, 2])
    wg = graph(ms, initiatives([10], start=[T0 - 10], due=[T0 + 20]))
    b = sg.critical_slips(wg, schedule(wg))
    # milestone 1 drives its initiative's end 5 days past due; milestone 2 has slack
    assert subjects(b) == [1, 10]
    assert [f.subject_kind for f in b.rows()] == ["milestone", "initiative"]
    assert b.evidence["slip_days"].tolist() == [15, 5]


def test_a_cycle_is_reported_with_its_members() -> None:
    ms = milestones([1, 2, 3], [10, 20, 30], [T0 + 10] * 3)
    deps = dependencies([((0, 1), (0, 2)), ((0, 2), (0, 1)), ((0, 2), (0, 3))])
    wg = graph(ms, initiatives([10, 20, 30], start=[T0] * 3, due=[T0 + 30] * 3), deps)
    b = sg.cycles(wg, schedule(wg))
    assert subjects(b) == [1]
    assert b.evidence["members"].tolist() == ["milestone:1,milestone:2"]


def _paradox(driver_values: list[float]) -> FindingBatch:
    m = metrics(2, target=200.0, baseline=100.0, target_day=T0 + 200)
    # the lagging outcome (metric 1) stays at 100 far below its plan; its driver (2)
    hist = {1: flat(100.0), 2: weekly(T0 - 7 * (len(driver_values) - 1), driver_values)}
    snap = snapshot(m, hist)
    ev = evaluate(snap, T0)
    links = CausalLinks(np.array([1]), np.array([1]), np.array([0]), np.array([1]),
                        np.array([0]))
    none = InitiativeLinks(np.zeros(0, np.int64), np.zeros(0, np.int64),
                           np.zeros(0, bool), np.zeros(0, bool))
    leading = np.array([False, True])
    return green_dashboard(snap, ev, leading, links, none)


def test_an_outcome_off_track_while_its_driver_is_green_is_a_green_dashboard() -> None:
    on_plan = list(np.linspace(100, 180, 40))  # the driver tracks its own plan
    b = _paradox(on_plan)
    assert subjects(b) == [1]
    assert b.evidence["green_drivers"].tolist() == [1]


def test_an_outcome_off_track_with_a_failing_driver_is_no_paradox() -> None:
    assert subjects(_paradox([100.0] * 40)) == []


def _conflict(driven_values: list[float], units: tuple[int, int]) -> FindingBatch:
    m = metrics(2, owner=[11, 12])
    hist = {1: weekly(T0 - 7 * 9, list(np.linspace(100, 150, 10))),
            2: weekly(T0 - 7 * 9, driven_values)}
    snap = snapshot(m, hist)
    links = CausalLinks(np.array([7]), np.array([0]), np.array([1]), np.array([-1]),
                        np.array([0]))
    org = Org(np.array([1, 2, 3]), np.array([-1, 1, 1]), np.array([90, 91, 92]),
              np.array([11, 12]), np.array(units), np.array([-1, -1]), np.array([True, True]))
    return cross_team_conflicts(snap, T0, links, np.array(units), org)


def test_a_negative_link_across_teams_where_one_improves_and_the_other_degrades_fires() -> None:
    b = _conflict(list(np.linspace(150, 110, 10)), (2, 3))
    assert subjects(b) == [7]
    assert b.person.tolist() == [90]  # the head of the company, common to both teams


def test_the_same_conflict_inside_one_team_or_with_both_improving_is_silent() -> None:
    assert subjects(_conflict(list(np.linspace(150, 110, 10)), (2, 2))) == []
    assert subjects(_conflict(list(np.linspace(110, 150, 10)), (2, 3))) == []

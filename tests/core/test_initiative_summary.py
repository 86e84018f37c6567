"""An initiative is the summary of its milestones: a late last milestone moves the
initiative's finish, never its start (so start-to-start dependants stay put)."""

from __future__ import annotations

from steerco.core.ripple import slip
from steerco.core.schedule import DepType
from steerco.core.workgraph import INITIATIVE, MILESTONE, run
from tests.core.test_impact import T0, dependencies, graph, initiatives, milestones


def _world(last_due: int = T0 + 90):
    """Initiative 1 (T0+10 → T0+100) with milestones at T0+30 and `last_due`; initiative
    2 starts when initiative 1 starts (SS)."""
    ms = milestones([1, 2], [1, 1], [T0 + 30, last_due], duration=[5, 5])
    ini = initiatives([1, 2], start=[T0 + 10, T0 + 20], due=[T0 + 100, T0 + 150])
    deps = dependencies([((INITIATIVE, 1), (INITIATIVE, 2))], dep_type=[int(DepType.SS)])
    return graph(ms, ini, deps)


def test_a_late_last_milestone_moves_the_initiatives_finish_not_its_start() -> None:
    wg = graph(milestones([1, 2], [1, 1], [T0 + 30, T0 + 220], duration=[5, 5]),
               initiatives([1], start=[T0 + 10], due=[T0 + 100]))
    sched = run(wg)
    ini = int(wg.node_of(INITIATIVE, [1])[0])
    assert int(sched.early_start[ini]) == T0 + 10  # its own start, before its milestones
    assert int(sched.early_finish[ini]) == T0 + 220  # stretched to its last milestone


def test_slipping_the_last_milestone_120_days_moves_no_start_and_no_ss_dependant() -> None:
    wg = _world()
    base = run(wg)
    ini1, ini2 = (int(x) for x in wg.node_of(INITIATIVE, [1, 2]))
    last = int(wg.node_of(MILESTONE, [2])[0])
    delta = slip(base, last, 120)
    moved = {int(u): (int(s0), int(s1), int(f0), int(f1)) for u, s0, s1, f0, f1 in zip(
        delta.nodes, delta.old_start, delta.new_start, delta.old_finish, delta.new_finish,
        strict=True)}
    assert ini1 in moved
    s0, s1, f0, f1 = moved[ini1]
    assert s1 == s0 == T0 + 10, "the initiative's start moved with its last milestone"
    assert f1 == T0 + 90 + 120
    assert ini2 not in moved, "a start-to-start dependant moved although the start did not"

    # The full pass on the slipped input agrees with the what-if.
    wg_late = _world(T0 + 90 + 120)
    full = run(wg_late)
    assert int(full.early_start[ini1]) == T0 + 10
    assert int(full.early_finish[ini1]) == T0 + 210
    assert int(full.early_start[ini2]) == int(base.early_start[ini2])

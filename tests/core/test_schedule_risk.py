"""Schedule risk on hand-computed cases: slips through the graph, P(on time), criticality."""

from __future__ import annotations

import itertools

import numpy as np
from scipy import stats

from steerco.core.schedule import DepType, network
from steerco.core.schedule_risk import blend_p_hit, fit_slips, sample_slips, simulate
from steerco.kit.dates import NO_DAY


def every_combination(*laws: list[int]) -> np.ndarray:
    """All joint outcomes of independent equally likely slips, one sample each (n × S)."""
    return np.array(list(itertools.product(*laws))).T


def test_two_milestones_in_series_land_on_time_with_the_product_of_their_chances() -> None:
    """A (own finish day 10) → B (5 days, due day 20). Each slips 0 or 10 days, 50/50:
    B finishes on 15 + slip A + slip B, on time only if neither slips: P = 0.25."""
    net = network([0, 5], [0], [1], own_finish=[10, NO_DAY], deadline=[12, 20])
    risk = simulate(net, every_combination([0, 10], [0, 10]))
    assert risk.samples == 4
    assert risk.p_on_time.tolist() == [0.5, 0.25]
    # finishes of B over the four futures: 15, 25, 25, 35
    assert risk.finish_q[1].tolist() == [25, 35, 35]


def test_two_slips_in_series_add_like_the_convolution_of_their_laws() -> None:
    """Slips uniform on 0…4 days each; B is due 4 days after its slip-free finish, so
    P(on time) = P(a + b ≤ 4) = 15/25."""
    net = network([0, 5], [0], [1], own_finish=[10, NO_DAY], deadline=[NO_DAY, 19])
    risk = simulate(net, every_combination(list(range(5)), list(range(5))))
    assert risk.p_on_time[1] == 15 / 25
    assert np.isnan(risk.p_on_time[0])  # no deadline: no probability


def test_a_lag_and_a_start_to_start_link_carry_the_slip_as_the_cpm_does() -> None:
    """SS with lag 2: B starts 2 days after A starts; A's slip is in its finish only."""
    net = network([5, 3], [0], [1], own_start=[0, NO_DAY], dep_type=[int(DepType.SS)],
                  lag=[2], deadline=[NO_DAY, 5], need_day=[2])
    risk = simulate(net, every_combination([0, 7], [0, 1]))
    # B finishes 2 + 3 + slip B: on time unless B itself slips
    assert risk.p_on_time[1] == 0.5
    assert risk.edge_p_on_time[0] == 1.0  # A's start never moves


def test_the_milestone_that_makes_the_finish_late_is_the_critical_one() -> None:
    """A and C both feed D; only A can slip, so A and its link carry all the lateness."""
    net = network([0, 0, 0], [0, 1], [2, 2], own_finish=[10, 10, 10], deadline=[NO_DAY,
                  NO_DAY, 10])
    risk = simulate(net, every_combination([0, 5], [0], [0]))
    assert risk.p_on_time[2] == 0.5
    assert risk.criticality.tolist() == [0.5, 0.0, 0.5]
    assert risk.edge_criticality.tolist() == [0.5, 0.0]


def test_an_initiative_finishes_with_its_last_milestone() -> None:
    net = network([0, 0], [], [], own_finish=[10, 12], group=[0, 0])
    risk = simulate(net, every_combination([0, 4], [0, 1]), group_deadline=[13])
    # initiative finish = max(10 + a, 12 + b): 12, 14, 13, 14 → on time in 2 of 4
    assert risk.group_p_on_time.tolist() == [0.5]


def test_cycle_members_get_no_probability_and_the_rest_is_still_simulated() -> None:
    net = network([1, 1, 1], [0, 1], [1, 0], own_finish=[5, 5, 5], deadline=[9, 9, 9])
    risk = simulate(net, np.zeros((3, 2), dtype=np.int32))
    assert np.isnan(risk.p_on_time[:2]).all() and risk.p_on_time[2] == 1.0


def test_slip_laws_shrink_a_unit_with_little_history_toward_the_prior() -> None:
    days = np.r_[np.zeros(80), np.full(20, 8.0), [30.0, 30.0]]
    unit = np.r_[np.zeros(100, dtype=int), [1, 1]]
    prior, law = fit_slips(days, unit)
    assert abs(prior.p_late[0] - 22 / 102) < 1e-12
    assert law.p_late[0] < law.p_late[1] < 1.0  # two late out of two is not certainty
    assert abs(law.p_late[1] - (2 + 20 * 22 / 102) / (2 + 20)) < 1e-12


def test_sampled_slips_follow_the_law() -> None:
    _, law = fit_slips(np.r_[np.zeros(50), np.exp(np.linspace(0.5, 3.5, 50))])
    s = sample_slips(law, np.zeros(1, dtype=int), 20_000, seed=3)
    assert abs(np.mean(s > 0) - law.p_late[0]) < 0.02
    late = s[s > 0]
    # ceil(exp(N(mu, sigma))): the median of the late days is about exp(mu)
    assert abs(np.log(np.median(late)) - law.mu[0]) < 0.15
    assert stats.kstest(np.log(late) - 0.5 / late, "norm", args=(law.mu[0],
                        law.sigma[0])).statistic < 0.1


def test_a_benefit_that_may_arrive_late_lowers_p_hit_by_its_chance_of_missing() -> None:
    assert blend_p_hit(0.9, 0.2, 0.75) == 0.9 * 0.75 + 0.2 * 0.25
    assert blend_p_hit(0.9, 0.2, 1.0) == 0.9


def test_a_what_if_slip_lowers_the_chance_downstream_by_the_futures_it_tips_over() -> None:
    """A → B as in the first case; A slips 5 more days: B (due 20) now needs both slips
    to be 0 AND 15 + 5 ≤ 20 — still 0.25; a 6-day slip makes it impossible."""
    from steerco.core.schedule_risk import what_if_slip

    net = network([0, 5], [0], [1], own_finish=[10, NO_DAY], deadline=[12, 20])
    s = every_combination([0, 10], [0, 10])
    before, after = what_if_slip(net, s, 0, 5)
    assert before.p_on_time[1] == after.p_on_time[1] == 0.25
    assert after.p_on_time[0] == 0.0  # A itself now misses day 12 in every future
    _, worse = what_if_slip(net, s, 0, 6)
    assert worse.p_on_time[1] == 0.0


def _random_plan(seed: int, n: int = 60, m: int = 90):
    """A random acyclic plan: 6 initiatives of 10 milestones, links of every type."""
    from steerco.core.schedule import network

    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keep = lo != hi
    own = 100 + np.arange(n) * 2 + rng.integers(0, 10, n)
    return network(rng.integers(0, 8, n), lo[keep], hi[keep], own_finish=own,
                   deadline=own + rng.integers(0, 25, n), group=np.arange(n) // 10,
                   dep_type=rng.integers(0, 4, int(keep.sum())),
                   lag=rng.integers(-2, 4, int(keep.sum())))


def test_one_initiative_updated_from_the_kept_samples_equals_a_full_rerun() -> None:
    """After a check-in moves one milestone, re-simulating only its initiative (the
    boundary's sampled dates kept) gives exactly what a full run gives."""
    from steerco.core.schedule import schedule, with_own_finish
    from steerco.core.schedule_risk import APACHE_PRIOR, update_group

    for seed in range(4):
        net = _random_plan(seed)
        slips = sample_slips(APACHE_PRIOR, np.zeros(net.n, dtype=int), 300, seed=seed)
        gdl = np.array([150, 160, 170, 180, 190, 200]) + 10
        det = schedule(net, origin=90)
        full = simulate(net, slips, base=det, group_deadline=gdl, keep=True)
        assert full.kept is not None
        members = np.arange(30, 40)  # initiative 3
        same = update_group(net, det, full.kept, members, int(gdl[3]))
        assert same.p_on_time == full.group_p_on_time[3]
        assert same.finish_q.tolist() == full.group_finish_q[3].tolist()
        assert np.array_equal(same.member_p_on_time, full.p_on_time[same.members],
                              equal_nan=True)
        # Milestone 34 reports a forecast 12 days later than planned.
        day = int(net.own_finish[34]) + 12
        moved = update_group(net, det, full.kept, members, int(gdl[3]), {34: day})
        net2 = with_own_finish(net, {34: day})
        rerun = simulate(net2, slips, origin=90, group_deadline=gdl)
        assert moved.p_on_time == rerun.group_p_on_time[3]
        assert moved.finish_q.tolist() == rerun.group_finish_q[3].tolist()
        assert np.array_equal(moved.member_p_on_time, rerun.p_on_time[moved.members],
                              equal_nan=True)


def _reference(net, slips, stopped=()):
    """Per sample, the plain CPM relaxation in topological order (Python loops, one
    sample at a time) and the backward walk of driving links into late nodes: the
    definitions of the module docstring, written without any vectorisation."""
    from steerco.core.schedule import NEVER, DepType, schedule

    det = schedule(net, origin=90, stopped=list(stopped))
    order = [int(v) for v in det.topo.order]
    act = [e for e in range(net.m) if det.active[e]]
    fin_types = (int(DepType.FS), int(DepType.FF))
    back_types = (int(DepType.FF), int(DepType.SF))
    n, s_tot = net.n, slips.shape[1]
    on = np.zeros(n)
    crit = np.zeros(n)
    e_crit = np.zeros(net.m)
    finishes = np.zeros((n, s_tot), dtype=np.int64)
    for k in range(s_tot):
        es, ef = {}, {}
        for v in order:
            own_s, own_f, d = int(net.own_start[v]), int(net.own_finish[v]), int(net.duration[v])
            s = own_s if own_s != NO_DAY else (own_f - d if own_f != NO_DAY else 90)
            for e in act:
                if int(net.dst[e]) == v:
                    p = int(net.src[e])
                    pv = ef[p] if int(net.dep_type[e]) in fin_types else es[p]
                    back = d if int(net.dep_type[e]) in back_types else 0
                    s = max(s, NEVER if pv >= NEVER else pv + int(net.lag[e]) - back)
            es[v] = s
            f = max(s + d, own_f) + int(slips[v, k])
            ef[v] = NEVER if (s >= NEVER or det.stopped[v]) else f
            finishes[v, k] = ef[v]
        late = {v: net.deadline[v] != NO_DAY and ef[v] > net.deadline[v] for v in order}
        path = dict(late)
        for v in reversed(order):
            for e in act:
                if int(net.src[e]) == v:
                    c_ = int(net.dst[e])
                    pv = ef[v] if int(net.dep_type[e]) in fin_types else es[v]
                    back = int(net.duration[c_]) if int(net.dep_type[e]) in back_types else 0
                    c = NEVER if pv >= NEVER else pv + int(net.lag[e]) - back
                    if c == es[c_] and path[c_]:
                        path[v] = True
                        e_crit[e] += 1
        for v in order:
            on[v] += net.deadline[v] != NO_DAY and not late[v]
            crit[v] += path[v]
    return on / s_tot, crit / s_tot, e_crit / s_tot, finishes


def test_the_simulation_equals_a_plain_per_sample_relaxation_on_random_plans() -> None:
    """Random plans with every link type, lags, leads and a stopped milestone: P(on
    time), criticality of nodes and links and the sampled finishes agree exactly with
    the one-sample-at-a-time oracle."""
    from steerco.core.schedule import NEVER, schedule
    from steerco.core.schedule_risk import APACHE_PRIOR

    for seed in range(3):
        net = _random_plan(seed, n=40, m=70)
        slips = sample_slips(APACHE_PRIOR, np.zeros(net.n, dtype=int), 37, seed=seed)
        stopped = [7] if seed == 2 else []
        det = schedule(net, origin=90, stopped=stopped)
        risk = simulate(net, slips, base=det, keep=True)
        on, crit, e_crit, fin = _reference(net, slips, stopped)
        has = net.deadline != NO_DAY
        assert np.allclose(risk.p_on_time[has], on[has])
        assert np.allclose(risk.criticality, crit)
        assert np.allclose(risk.edge_criticality, e_crit)
        assert risk.kept is not None
        got = risk.kept.finishes(np.arange(net.n))
        assert np.array_equal(np.where(fin >= NEVER, NEVER, got), fin)


def test_slips_drawn_inside_the_simulation_equal_the_materialised_draws() -> None:
    """`Draws` are drawn in the compiled pass, chunk by chunk and thread by thread; the
    result is exactly that of passing the same draws as a matrix, with any threads."""
    from steerco.core.schedule import schedule
    from steerco.core.schedule_risk import APACHE_PRIOR, draws

    net = _random_plan(5, n=60, m=90)
    rows = np.where(np.arange(net.n) % 7 == 3, -1, 0)  # some cannot slip
    d = draws(APACHE_PRIOR, rows, 301, seed=11)
    det = schedule(net, origin=90, stopped=[4])
    gdl = np.array([150, 160, 170, 180, 190, 200])
    ref = simulate(net, d.matrix(), base=det, group_deadline=gdl, keep=True)
    assert ref.kept is not None and not d.matrix()[rows < 0].any()
    for threads in (1, 2, 3):
        got = simulate(net, d, base=det, group_deadline=gdl, keep=True, threads=threads)
        assert got.kept is not None
        for f in ("p_on_time", "finish_q", "criticality", "edge_p_on_time",
                  "edge_criticality", "group_p_on_time", "group_finish_q"):
            assert np.array_equal(getattr(got, f), getattr(ref, f), equal_nan=True), f
        assert np.array_equal(got.kept.finish, ref.kept.finish)
        assert np.array_equal(got.kept.start, ref.kept.start)


def test_the_days_late_follow_the_exact_law_of_the_ceiled_lognormal() -> None:
    """Given late, P(days ≤ d) = Φ((ln d − mu) / sigma) for every whole d (the cap at
    e⁹ aside): checked at several d on 200,000 draws of a wide law."""
    from steerco.core.schedule_risk import SlipLaw

    law = SlipLaw(np.array([0.6]), np.array([np.log(20.0)]), np.array([1.5]), np.zeros(1))
    s = sample_slips(law, np.zeros(1, dtype=int), 200_000, seed=9)[0].astype(np.int64)
    assert abs(np.mean(s > 0) - 0.6) < 0.005
    late = s[s > 0]
    for d in (1, 2, 5, 20, 100, 1000):
        want = stats.norm.cdf((np.log(d) - law.mu[0]) / law.sigma[0])
        assert abs(np.mean(late <= d) - want) < 0.006, d
    assert late.max() <= 8104

"""Schedule risk: how likely each milestone, initiative and dependency lands on time.

The critical path (`steerco.core.schedule`) says when things finish if nothing slips.
Here every open milestone gets a *slip*: days late against its own forecast, drawn from
a distribution learned from completed milestones (`fit_slips`), and the slips travel
through the same graph — the same four dependency types, lags, cycle handling and
stopped nodes — in a forward pass that carries S samples at once (an n × S array per
pass instead of S passes). From the sampled finishes:

- P(on time): the share of samples finishing by the node's deadline; per dependency,
  the share in which the provider's date plus the lag meets the need date;
- the 50/80/95 % finish dates (empirical quantiles of the samples);
- the criticality index: the share of samples in which a node (or an edge) lies on the
  driving chain of a late finish — the items that most often make something late.

The slip of a node lands on top of whatever its predecessors force:
``finish = max(early start + duration, own forecast) + slip``; a completed milestone
(slip 0, own forecast = its actual date) passes its real date on. No I/O (numpy and
the compiled kernels of `schedule_mc`).

Slip law: late with probability ``p_late``; when late, ``ceil(exp(N(mu, sigma²)))``
days. Per org unit it is shrunk toward a prior (empirical Bayes: a unit with few
completed milestones says little, so its rate and log-delay are pulled toward the
prior in proportion `PRIOR_WEIGHT` / (its count + `PRIOR_WEIGHT`)); the prior is fitted
on real delivery data (bench/schedule_risk.py: Apache Jira due dates).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from steerco.core import schedule_mc as mc
from steerco.core.graph import BoolArray, IntArray, as_index, reachable
from steerco.core.schedule import (
    NEVER,
    Network,
    Schedule,
    base_start,
    binds_consumer_finish,
    network,
    schedule,
    uses_provider_finish,
    with_own_finish,
)
from steerco.kit.dates import NO_DAY

FloatArray = npt.NDArray[np.float64]

#: How many completed milestones the prior counts as (see the module docstring).
PRIOR_WEIGHT = 20.0
#: Samples simulated together: bounds the working memory (n × CHUNK int32 arrays).
CHUNK = 125
QUANTILES = (0.5, 0.8, 0.95)


@dataclass(frozen=True)
class SlipLaw:
    """Per-row slip distribution: P(late), and the normal law of log(days late)."""

    p_late: FloatArray
    mu: FloatArray
    sigma: FloatArray
    count: FloatArray  # completed milestones behind each row (0 for the prior alone)


def fit_slips(days_late: npt.ArrayLike, unit: npt.ArrayLike | None = None,
              n_units: int = 0, prior: SlipLaw | None = None,
              weight: float = PRIOR_WEIGHT) -> tuple[SlipLaw, SlipLaw]:
    """Fit (prior, per-unit law) from completed milestones' days late (≤ 0 = on time).

    Contract: `unit` (same length, ints 0 … n_units−1) groups the history; without it
    there is one unit. The prior is `prior` when given, else fitted on all rows (p_late
    = share late; mu, sigma of log days over the late ones; with no late history a
    lognormal around one day). Units are shrunk toward the prior with `weight` pseudo
    observations; a unit without history gets the prior. NaN rows are ignored.
    """
    d = np.asarray(days_late, dtype=np.float64).ravel()
    u = np.zeros(d.size, dtype=np.int64) if unit is None else as_index(unit).ravel()
    ok = ~np.isnan(d) & (u >= 0)
    d, u = d[ok], u[ok]
    k = max(int(n_units), int(u.max()) + 1 if u.size else 1)
    late = d > 0
    logd = np.log(np.where(late, d, 1.0))
    if prior is None:
        late_count = int(late.sum())
        p0 = float(late.mean()) if d.size else 0.0
        mu0 = float(logd[late].mean()) if late_count else 0.0
        s0 = float(logd[late].std()) if late_count > 1 else 1.0
        prior = SlipLaw(np.array([p0]), np.array([mu0]), np.array([max(s0, 0.1)]),
                        np.array([float(d.size)]))
    p0, mu0, s0 = float(prior.p_late[0]), float(prior.mu[0]), float(prior.sigma[0])
    cnt = np.bincount(u, minlength=k).astype(np.float64)
    n_late = np.bincount(u, weights=late.astype(np.float64), minlength=k)
    s1 = np.bincount(u, weights=np.where(late, logd, 0.0), minlength=k)
    s2 = np.bincount(u, weights=np.where(late, logd * logd, 0.0), minlength=k)
    p = (n_late + weight * p0) / (cnt + weight)
    mu = (s1 + weight * mu0) / (n_late + weight)
    second = (s2 + weight * (s0 * s0 + mu0 * mu0)) / (n_late + weight)
    sigma = np.asarray(np.sqrt(np.maximum(second - mu * mu, 0.01)), dtype=np.float64)
    return prior, SlipLaw(p, mu, sigma, cnt)


@dataclass(frozen=True)
class Draws:
    """Slips to be drawn inside the Monte Carlo (`simulate`) rather than passed in.

    Node v takes law row ``rows[v]`` (< 0: cannot slip, 0 days) in each of ``samples``
    futures; the draw of (v, sample k) is a pure function of (`seed`, v, k) (see
    `steerco.core.schedule_mc`), so `matrix` gives exactly the slips `simulate` draws.
    """

    law: SlipLaw
    rows: IntArray
    samples: int
    seed: int = 0

    def tables(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
        """(p_late, cdf, guide) of the law rows for the compiled draw."""
        cdf, guide = mc.slip_tables(self.law.p_late, self.law.mu, self.law.sigma)
        return np.ascontiguousarray(self.law.p_late, dtype=np.float64), cdf, guide

    def matrix(self) -> npt.NDArray[np.int16]:
        """The n × samples days late, materialised."""
        p, cdf, guide = self.tables()
        out = np.empty((self.rows.size, self.samples), dtype=np.int16)
        with _KERNEL:
            mc.fill_slips(_i64(self.rows), p, cdf, guide, int(self.seed), out)
        return out


def draws(law: SlipLaw, rows: npt.ArrayLike, samples: int, seed: int = 0) -> Draws:
    """`Draws` of `law` for nodes taking law rows `rows` (< 0: no slip)."""
    return Draws(law, as_index(rows).ravel(), int(samples), int(seed))


def sample_slips(law: SlipLaw, rows: npt.ArrayLike, samples: int,
                 seed: int = 0) -> npt.NDArray[np.int16]:
    """Days late (≥ 0) of each node × sample; `rows` picks the law row of each node.

    Contract: `rows` < 0 means "cannot slip" (done, or no forecast to slip): 0 days.
    Seeded: the same inputs give the same samples, and the same as `simulate` draws
    itself from `draws(law, rows, samples, seed)`. Days late are capped at
    ceil(e⁹) = 8,104 (int16).
    """
    return draws(law, rows, samples, seed).matrix()


@dataclass(frozen=True)
class Risk:
    """Sampled schedule risk (see the module docstring); NaN where undefined.

    Node arrays (n): ``p_on_time`` (finish ≤ deadline; NaN without a deadline and for
    unscheduled cycle members; 0 for what never finishes), ``finish_q`` (n × 3: the
    50/80/95 % finish days, `NO_DAY` for cycle members, `NEVER` for stopped work),
    ``criticality``.
    Edge arrays (m): ``p_on_time`` (provider date + lag ≤ need day; NaN without one),
    ``criticality``. Group arrays (g): ``group_p_on_time`` against ``group_deadline``,
    ``group_finish_q`` (g × 3).
    """

    samples: int
    p_on_time: FloatArray
    finish_q: npt.NDArray[np.int64]
    criticality: FloatArray
    edge_p_on_time: FloatArray
    edge_criticality: FloatArray
    group_p_on_time: FloatArray
    group_finish_q: npt.NDArray[np.int64]
    #: With ``keep=True``: every node's sampled dates, for `update_group` (else None).
    kept: Samples | None = None


@dataclass(frozen=True)
class Samples:
    """Sampled early starts and finishes of every node (n × S), kept from a full run.

    Stored as int16 days past the deterministic early start / finish (``start_ref``,
    ``finish_ref``): slips only add days, so 2 bytes per node and sample suffice. Node v's
    samples are row ``row[v]`` of ``start`` and ``finish`` (the simulation's order).
    ``never`` marks what never finishes (stopped work and what waits on it) and
    ``unscheduled`` cycle members; their samples are meaningless.
    """

    start: npt.NDArray[np.int16]
    finish: npt.NDArray[np.int16]
    row: IntArray
    start_ref: npt.NDArray[np.int64]
    finish_ref: npt.NDArray[np.int64]
    start_never: BoolArray
    never: BoolArray
    unscheduled: BoolArray

    def starts(self, nodes: IntArray) -> npt.NDArray[np.int64]:
        """Sampled early starts of `nodes` as day numbers (`NEVER` where never)."""
        v = self.start[self.row[nodes]].astype(np.int64) + self.start_ref[nodes, None]
        return np.where(self.start_never[nodes, None], NEVER, v)

    def finishes(self, nodes: IntArray) -> npt.NDArray[np.int64]:
        """Sampled early finishes of `nodes` as day numbers (`NEVER` where never)."""
        v = self.finish[self.row[nodes]].astype(np.int64) + self.finish_ref[nodes, None]
        return np.where(self.never[nodes, None], NEVER, v)


def _i64(x: npt.ArrayLike) -> npt.NDArray[np.int64]:
    return np.ascontiguousarray(x, dtype=np.int64)


def simulate(net: Network, slips: npt.ArrayLike | Draws, *, origin: int = 0,
             stopped: npt.ArrayLike | None = None,
             group_deadline: npt.ArrayLike | None = None,
             base: Schedule | None = None, keep: bool = False,
             threads: int | None = None) -> Risk:
    """Propagate sampled slips through `net`: an n × S matrix of days (see
    `sample_slips`), or `Draws` drawn inside the compiled pass (no matrix in memory;
    the same result as passing `Draws.matrix()`).

    Contract: the deterministic `schedule` (given as `base` or computed) supplies the
    topological levels, the cycle members (unscheduled: no dates, never on time) and the
    active edges; samples are simulated `CHUNK` at a time per thread (`threads`, default
    numba's) so memory stays bounded; the result does not depend on `threads`.
    Deadlines: a node's `deadline`, an edge's `need_day`, a group's `group_deadline`
    (one per group id of `net.group`; `NO_DAY` = none). With `keep`, the sampled starts
    and finishes are returned too (`Risk.kept`, 4 bytes per node and sample) so that one
    initiative can be updated after a check-in without a full run (`update_group`).
    Pure; results are read-only.
    """
    det = base if base is not None else schedule(net, origin=origin, stopped=stopped)
    n, m = net.n, net.m
    if isinstance(slips, Draws):
        if slips.rows.size != n:
            raise ValueError("one law row per node expected")
        s_tot, draw = slips.samples, True
        sl = np.zeros((0, 0), dtype=np.int16)
        p, cdf, guide = slips.tables()
        rows = _i64(slips.rows)
        seed = int(slips.seed)
    else:
        sl = np.asarray(slips)
        if not np.issubdtype(sl.dtype, np.integer):
            sl = sl.astype(np.int32)
        if sl.dtype != np.int16:  # slips past 32,767 days (90 years) are capped there
            sl = np.clip(sl, -32767, 32767).astype(np.int16)
        sl = np.ascontiguousarray(sl)
        s_tot, draw, seed = int(sl.shape[1]), False, 0
        p, cdf, guide = np.zeros(1), np.zeros((1, 1)), np.zeros((1, 1), dtype=np.int64)
        rows = np.zeros(0, dtype=np.int64)
    n_groups = int(net.group.max()) + 1 if n and net.group.max() >= 0 else 0
    gdl = (np.full(n_groups, NO_DAY, dtype=np.int64) if group_deadline is None
           else as_index(group_deadline))
    dl = _i64(net.deadline)
    scheduled = det.topo.position >= 0
    has_dl = (dl != NO_DAY) & scheduled
    never = det.early_finish >= NEVER
    # Finishes are kept as int16 days past the deterministic finish (slips only add
    # days, capped at ~90 years): 2 bytes per node and sample instead of 8.
    ref = _i64(np.where(scheduled & ~never, det.early_finish, 0))
    start_ref = _i64(np.where(scheduled & (det.early_start < NEVER), det.early_start, 0))
    offs = np.empty((n, s_tot), dtype=np.int16)
    soffs = np.empty((n, s_tot) if keep else (0, 0), dtype=np.int16)
    gmember = np.flatnonzero((net.group >= 0) & scheduled)
    gorder = _i64(gmember[np.argsort(net.group[gmember], kind="stable")])
    gstarts = _i64(np.r_[np.flatnonzero(np.diff(net.group[gorder], prepend=-2)), gorder.size])
    gids = net.group[gorder][gstarts[:-1]]
    gfin = np.empty((gids.size, s_tot), dtype=np.int64)
    width = max(1, min(CHUNK, s_tot))
    chunks = -(-s_tot // width)
    t_n = max(1, min(int(threads or numba.get_num_threads()), chunks))
    counts = {k: np.zeros((t_n, size), dtype=np.int64) for k, size in (
        ("on", n), ("crit", n), ("e_on", m), ("e_crit", m), ("g_on", gids.size))}
    back = np.where(binds_consumer_finish(net.dep_type),
                    net.duration[np.clip(net.dst, 0, max(n - 1, 0))], 0)
    # Rows renumbered: position i holds node perm[i], the scheduled nodes first in
    # topological order, so that the passes walk the n × w scratch in memory order.
    perm = _i64(np.r_[det.topo.order, np.flatnonzero(~scheduled)])
    pos = np.empty(n, dtype=np.int64)
    pos[perm] = np.arange(n)
    k_sched = int(det.topo.order.size)

    def node(a: npt.ArrayLike) -> IntArray:  # a node array by position
        return _i64(np.asarray(a)[perm])

    graph = (np.arange(k_sched, dtype=np.int64), *_csr_at(net.inc.indptr, net.inc.edge, perm),
             *_csr_at(net.out.indptr, net.out.edge, perm),
             np.ascontiguousarray(det.active, dtype=np.bool_),
             _i64(pos[np.clip(net.src, 0, max(n - 1, 0))]),
             _i64(pos[np.clip(net.dst, 0, max(n - 1, 0))]),
             np.ascontiguousarray(uses_provider_finish(net.dep_type)), _i64(net.lag - back),
             _i64(net.lag), _i64(net.need_day), node(net.duration), node(det.own_finish),
             np.ascontiguousarray(det.stopped[perm], dtype=np.bool_),
             node(base_start(net, det.own_finish, det.origin)),
             np.ascontiguousarray(has_dl[perm]), node(dl), node(ref), node(start_ref),
             _i64(pos[gorder]), gstarts, _i64(gdl[gids]), NEVER, int(NO_DAY),
             np.arange(k_sched, n, dtype=np.int64), perm)
    # Day numbers fit int32 (`NEVER` is its maximum): half the memory traffic of int64.
    es = np.empty((t_n, n, width), dtype=np.int32)
    ef = np.empty((t_n, n, width), dtype=np.int32)
    path = np.empty((t_n, n, width), dtype=np.bool_)
    with _KERNEL:
        mc.run(*graph, draw, sl, rows[perm] if draw else rows, p, cdf, guide, seed, width,
               es, ef, path, counts["on"], counts["crit"], counts["e_on"], counts["e_crit"],
               counts["g_on"], offs, soffs, keep, gfin)
        del es, ef, path
        fq = _quantiles(offs)[pos] + ref[:, None]
        g_fq = _quantiles(gfin) if gids.size else None
    for k in ("on", "crit"):
        counts[k] = counts[k][:, pos]
    c = {k: v.sum(axis=0) for k, v in counts.items()}
    fq = np.where(never[:, None], NEVER, fq)
    fq = np.where(scheduled[:, None], fq, NO_DAY)
    p_on = np.where(has_dl, c["on"] / s_tot, np.nan)
    e_p = np.full(m, np.nan)
    has_need = np.flatnonzero(det.active & (net.need_day != NO_DAY))
    e_p[has_need] = c["e_on"][has_need] / s_tot
    g_p = np.full(n_groups, np.nan)
    g_q = np.full((n_groups, len(QUANTILES)), NO_DAY, dtype=np.int64)
    if g_fq is not None:
        g_q[gids] = g_fq
        with_dl = gdl[gids] != NO_DAY
        g_p[gids[with_dl]] = c["g_on"][with_dl] / s_tot
    kept = None if not keep else Samples(
        start=soffs, finish=offs, row=pos, start_ref=start_ref, finish_ref=ref,
        start_never=~scheduled | (det.early_start >= NEVER),
        never=never | ~scheduled, unscheduled=~scheduled)
    return Risk(samples=s_tot, p_on_time=p_on, finish_q=fq,
                criticality=c["crit"] / s_tot, edge_p_on_time=e_p,
                edge_criticality=c["e_crit"] / s_tot,
                group_p_on_time=g_p, group_finish_q=g_q, kept=kept)


#: numba's default (workqueue) threading layer must not run two parallel kernels at
#: once: concurrent callers (request threads, the background run) take turns.
_KERNEL = threading.Lock()


def _csr_at(indptr: IntArray, edge: IntArray,
            perm: IntArray) -> tuple[IntArray, IntArray]:
    """The adjacency (indptr, edge ids) with node perm[i] as row i."""
    deg = np.diff(indptr)[perm]
    ptr = np.zeros(perm.size + 1, dtype=np.int64)
    np.cumsum(deg, out=ptr[1:])
    at = np.repeat(indptr[perm] - ptr[:-1], deg) + np.arange(int(ptr[-1]))
    return ptr, _i64(edge[at])


def _quantiles(x: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """The QUANTILES of each row (the sample at rank ceil(q·S)): a compiled radix
    select for the int16 kept finishes (linear per row), a partition otherwise."""
    s_tot = x.shape[1]
    ks = [min(max(int(np.ceil(q * s_tot)) - 1, 0), s_tot - 1) for q in QUANTILES]
    out = np.empty((x.shape[0], len(ks)), dtype=np.int64)
    if x.dtype == np.int16:
        mc.row_ranks(x, np.array(ks, dtype=np.int64), out, numba.get_num_threads())
        return out
    for lo in range(0, x.shape[0], 16384):
        part = np.partition(x[lo:lo + 16384], ks, axis=1)
        out[lo:lo + 16384] = part[:, ks]
    return out


def upstream(net: Network, nodes: npt.ArrayLike) -> IntArray:
    """The nodes whose slips can move `nodes` (they and everything they depend on)."""
    return np.flatnonzero(reachable(net.inc, nodes, net.n)).astype(np.int64)


def blend_p_hit(p_with: npt.ArrayLike, p_without: npt.ArrayLike,
                p_arrives: npt.ArrayLike) -> FloatArray:
    """P(hit) of a metric whose planned benefit arrives in time with probability p.

    The target is met either with the benefit (it landed by the target date) or without
    it: P = p·P(hit | benefit) + (1 − p)·P(hit | no benefit). A late initiative thus
    lowers the metric's P(hit) by exactly the share of futures in which it misses.
    """
    pw = np.asarray(p_with, dtype=np.float64)
    po = np.asarray(p_without, dtype=np.float64)
    pa = np.clip(np.asarray(p_arrives, dtype=np.float64), 0.0, 1.0)
    return np.asarray(pa * pw + (1.0 - pa) * po, dtype=np.float64)


def restrict(net: Network, nodes: npt.ArrayLike) -> Network:
    """The sub-network on `nodes` (in that order) with the valid edges between them.

    With `nodes` = `upstream(net, some)` the sub-network decides the dates of `some`
    exactly: nothing outside it can move them. Edge order follows the original ids.
    """
    keep = as_index(nodes)
    new_id = np.full(net.n, -1, dtype=np.int64)
    new_id[keep] = np.arange(keep.size)
    e = np.flatnonzero(net.valid & (new_id[np.clip(net.src, 0, net.n - 1)] >= 0)
                       & (new_id[np.clip(net.dst, 0, net.n - 1)] >= 0))
    groups = net.group[keep]
    return network(net.duration[keep], new_id[net.src[e]], new_id[net.dst[e]],
                   own_start=net.own_start[keep], own_finish=net.own_finish[keep],
                   deadline=net.deadline[keep], group=groups, dep_type=net.dep_type[e],
                   lag=net.lag[e], need_day=net.need_day[e],
                   committed_day=net.committed_day[e], summary=net.summary[e])


def what_if_slip(net: Network, slips: npt.ArrayLike, node: int, days: int, *,
                 origin: int = 0, group_deadline: npt.ArrayLike | None = None,
                 stopped: npt.ArrayLike | None = None) -> tuple[Risk, Risk]:
    """(before, after) risk when `node`'s forecast finish moves `days` later.

    The same samples drive both runs (common random numbers), so the difference in
    P(on time) is the slip's effect alone, not sampling noise.
    """
    before = schedule(net, origin=origin, stopped=stopped)
    own = net.own_finish[node]
    base_finish = own if own != NO_DAY else before.early_finish[node]
    moved = with_own_finish(net, {int(node): int(base_finish) + int(days)})
    return (simulate(net, slips, base=before, group_deadline=group_deadline),
            simulate(moved, slips, origin=origin, stopped=stopped,
                     group_deadline=group_deadline))


#: The slip law fitted on real delivery data (bench/schedule_risk.py: the earlier half
#: of 6,289 Apache Jira issues with due dates): 47 % finish late, the late ones a median
#: 32 days, σ(log days) 1.97. A workspace without completed milestones gets this law;
#: one with history is shrunk toward it (`fit_slips`).
APACHE_PRIOR = SlipLaw(p_late=np.array([0.4695]), mu=np.log(np.array([32.3])),
                       sigma=np.array([1.97]), count=np.zeros(1))


@dataclass(frozen=True)
class GroupRisk:
    """One group's (initiative's) risk from `update_group`.

    ``p_on_time`` against its deadline (NaN without one), ``finish_q`` the 50/80/95 %
    finish days; per member (``members``: the scheduled ones, in topological level
    order): ``member_p_on_time`` (NaN without a deadline) and ``member_finish_q`` (k × 3).
    """

    members: IntArray
    p_on_time: float
    finish_q: npt.NDArray[np.int64]
    member_p_on_time: FloatArray
    member_finish_q: npt.NDArray[np.int64]


def update_group(net: Network, det: Schedule, kept: Samples, members: npt.ArrayLike,
                 group_deadline: int = NO_DAY,
                 own_finish: dict[int, int] | None = None) -> GroupRisk:
    """One initiative's risk after a check-in, from a full run's kept samples.

    Contract: `members` are the group's nodes; `own_finish` the check-in's new forecast
    finishes (node → day) on some of them; `net`, `det` and `kept` are those of the full
    run (`simulate(..., keep=True)`). Only the members are re-simulated: their
    predecessors outside the group (the boundary) keep their sampled dates, and each
    member keeps its own sampled slip (recovered from its kept dates: common random
    numbers, so the difference to the full run is the check-in's effect alone).
    Exact unless a member's move travels out of the group and back in through another
    one (that path's boundary dates are the old ones). Cost: O(members × samples).
    """
    a = np.unique(as_index(members))
    a = a[det.topo.position[a] >= 0]  # cycle members have no dates
    s_tot = kept.finish.shape[1]
    if a.size == 0:
        nan_q = np.full(len(QUANTILES), NO_DAY, dtype=np.int64)
        return GroupRisk(a, float("nan"), nan_q, np.zeros(0),
                         np.zeros((0, len(QUANTILES)), dtype=np.int64))
    a = a[np.argsort(det.topo.level[a], kind="stable")]
    own = det.own_finish[a].copy()
    dur = net.duration[a][:, None]
    # Each member's own slip in every sample: what its kept finish adds on top of what
    # its kept start and own forecast force.
    es_old, ef_old = kept.starts(a), kept.finishes(a)
    forced = np.maximum(es_old + dur, own[:, None])
    slip = np.where(kept.never[a, None], 0, np.maximum(ef_old - forced, 0))
    for node, day in (own_finish or {}).items():
        own[a == int(node)] = int(day)
    # Edges into the members: the active ones (the full run's), grouped by consumer.
    starts, ends = net.inc.indptr[a], net.inc.indptr[a + 1]
    cnt = ends - starts
    pos = np.repeat(starts, cnt) + np.arange(int(cnt.sum())) - np.repeat(
        np.cumsum(cnt) - cnt, cnt)
    eids = net.inc.edge[pos]
    cons = np.repeat(np.arange(a.size), cnt)
    ok = det.active[eids]
    eids, cons = eids[ok], cons[ok]
    prov = net.src[eids]
    local = np.full(net.n, -1, dtype=np.int64)
    local[a] = np.arange(a.size)
    inside = local[prov]
    fin = uses_provider_finish(net.dep_type[eids])
    back = np.where(binds_consumer_finish(net.dep_type[eids]), net.duration[a][cons], 0)
    lag = net.lag[eids] - back
    out_idx = np.flatnonzero(inside < 0)
    outside_val = np.where(fin[out_idx, None], kept.finishes(prov[out_idx]),
                           kept.starts(prov[out_idx]))
    own_start = net.own_start[a]
    from_finish = np.where(det.own_finish[a] != NO_DAY, det.own_finish[a] - net.duration[a],
                           det.origin)
    es = np.repeat(np.where(own_start != NO_DAY, own_start, from_finish)[:, None], s_tot,
                   axis=1)
    ef = np.zeros_like(es)
    stopped = det.stopped[a]
    val = np.zeros((eids.size, s_tot), dtype=np.int64)
    val[out_idx] = outside_val
    # Members level by level (a member's providers inside the group sit on lower
    # levels); edges are grouped by consumer, consumers are in level order.
    lev = det.topo.level[a]
    cuts = np.flatnonzero(np.r_[True, np.diff(lev) != 0, True])
    e_cut = np.searchsorted(cons, cuts)
    for lo, hi, ea, eb in zip(cuts[:-1], cuts[1:], e_cut[:-1], e_cut[1:], strict=True):
        if eb > ea:
            mine = np.arange(ea, eb)[inside[ea:eb] >= 0]
            if mine.size:
                j = inside[mine]
                val[mine] = np.where(fin[mine, None], ef[j], es[j])
            c = np.where(val[ea:eb] >= NEVER, NEVER, val[ea:eb] + lag[ea:eb, None])
            heads = np.r_[0, np.flatnonzero(np.diff(cons[ea:eb])) + 1]
            to = cons[ea:eb][heads]
            es[to] = np.maximum(es[to], np.maximum.reduceat(c, heads, axis=0))
        f = np.maximum(es[lo:hi] + dur[lo:hi], own[lo:hi, None]) + slip[lo:hi]
        ef[lo:hi] = np.where(stopped[lo:hi, None] | (es[lo:hi] >= NEVER), NEVER, f)
    gf = ef.max(axis=0)
    ks = [min(max(int(np.ceil(q * s_tot)) - 1, 0), s_tot - 1) for q in QUANTILES]
    g_q = np.partition(gf, ks)[ks].astype(np.int64)
    m_q = np.partition(ef, ks, axis=1)[:, ks].astype(np.int64)
    dl = net.deadline[a]
    m_p = np.where(dl != NO_DAY, np.mean(ef <= dl[:, None], axis=1), np.nan)
    g_p = float(np.mean(gf <= group_deadline)) if group_deadline != NO_DAY else float("nan")
    return GroupRisk(a, g_p, g_q, m_p, m_q)

"""Compiled kernels of the schedule Monte Carlo (`steerco.core.schedule_risk.simulate`).

Why compiled code here, when the rest of core is numpy: the Monte Carlo walks the graph
in topological order, and a level-synchronous numpy pass pays ~15 array calls per level
and per pass. Real dependency graphs are deep (the `xl` benchmark graph has 23,890
levels for 200,000 milestones), so the numpy version spent its time in call overhead:
1,000 samples over `xl` took minutes. These numba kernels do the same relaxation node by
node, with each node's samples contiguous (an n × w row-major block per chunk of w
samples), which is one tight loop per edge: measured in bench/schedule_risk.py. numba is
the well-kept library for exactly this (LLVM-compiled loops over numpy arrays); the
kernels are cached on disk after the first compilation.

Slips are drawn inside the forward pass (`slip_at`) from a counter-based generator: the
uniform of node v in sample k is a SplitMix64 hash of (seed, v, k), so a draw does not
depend on the chunking, the number of threads or the order of the walk, and no n × S
slip matrix is ever materialised. One uniform u per cell: late when u < p; then u / p is
uniform on [0, 1) and the days late are its inverse-CDF transform through the law's
exact distribution of ceil(exp(min(N(mu, sigma²), 9))) (a table per law row with a guide
table, `slip_tables`): the same law as drawing a normal for the late cells.

Semantics are those of the module docstring of `schedule_risk`, pinned by
tests/core/test_schedule_risk.py against a one-sample-at-a-time Python oracle.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

Arr = npt.NDArray[Any]

#: Days late are ceil(exp(x)) with x capped at 9: at most ceil(e⁹) = 8,104 days.
MAX_DAYS = 8104
#: Guide-table buckets per law row: about one threshold per bucket, so the inverse
#: transform looks at 1–2 table entries per late draw.
GUIDE = 16384
_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def slip_tables(p_late: Arr, mu: Arr, sigma: Arr) -> tuple[Arr, Arr]:
    """Per law row, (cdf, guide): cdf[r, d] = P(days late ≤ d | late) for d = 0 …
    MAX_DAYS (cdf[r, 0] = 0, cdf[r, MAX_DAYS] = 1), and guide[r, i] the least d with
    cdf[r, d] ≥ i / GUIDE."""
    d = np.arange(MAX_DAYS + 1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        logd = np.log(d)
    mu2 = np.asarray(mu, dtype=np.float64)[:, None]
    sg = np.maximum(np.asarray(sigma, dtype=np.float64), 1e-12)[:, None]
    cdf = np.asarray(ndtr((logd[None, :] - mu2) / sg), dtype=np.float64)
    cdf[:, 0] = 0.0
    cdf[:, MAX_DAYS] = 1.0
    cdf = np.ascontiguousarray(np.maximum.accumulate(cdf, axis=1))
    levels = np.arange(GUIDE + 1, dtype=np.float64) / GUIDE
    guide = np.empty((cdf.shape[0], GUIDE + 1), dtype=np.int64)
    for r in range(cdf.shape[0]):
        guide[r] = np.minimum(np.searchsorted(cdf[r], levels, side="left"), MAX_DAYS)
    return cdf, guide


@numba.njit(cache=True, nogil=True, inline="always")
def node_key(seed: int, v: int) -> np.uint64:  # pragma: no cover - compiled
    """The generator state of node v (a SplitMix64 hash of seed and v)."""
    z = np.uint64(seed) * _GAMMA + np.uint64(v) * np.uint64(0xD1B54A32D192ED03)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, nogil=True, inline="always", boundscheck=False)
def slip_at(key: np.uint64, k: int, p: float, cdf: Arr, guide: Arr,
            r: int) -> int:  # pragma: no cover - compiled
    """Days late (≥ 0) in sample k of a node with generator state `key` and law row r."""
    z = key + np.uint64(k + 1) * _GAMMA
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    u = np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)
    if u >= p:
        return 0
    x = u / p
    d = guide[r, int(x * GUIDE)]
    while cdf[r, d] < x:
        d += 1
    return int(max(d, 1))


@numba.njit(cache=True, nogil=True, parallel=True, boundscheck=False)
def fill_slips(rows: Arr, p: Arr, cdf: Arr, guide: Arr, seed: int,
               out: Arr) -> None:  # pragma: no cover - compiled
    """The slips `run` draws, as an n × S int16 matrix (rows < 0: 0 days)."""
    n, s = out.shape
    for v in numba.prange(n):
        r = rows[v]
        if r < 0:
            for k in range(s):
                out[v, k] = 0
            continue
        key, pr = node_key(seed, v), p[r]
        for k in range(s):
            out[v, k] = slip_at(key, k, pr, cdf, guide, r)


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _chunk(order: Arr, inc_ptr: Arr, inc_edge: Arr, out_ptr: Arr, out_edge: Arr,
           active: Arr, src: Arr, dst: Arr, fin: Arr, shift: Arr, lag: Arr, need: Arr,
           dur: Arr, own: Arr, stopped: Arr, base: Arr, has_dl: Arr, dl: Arr, ref: Arr,
           start_ref: Arr, gorder: Arr, gstarts: Arr, gdl: Arr, never: int, no_day: int,
           unsched: Arr, node_id: Arr, draw: bool, slip: Arr, rows: Arr, p: Arr, cdf: Arr,
           guide: Arr, seed: int, lo: int, w: int, es: Arr, ef: Arr, path: Arr, on_time: Arr,
           crit: Arr, e_on: Arr, e_crit: Arr, g_on: Arr, offs: Arr, soffs: Arr,
           keep: bool, gfin: Arr) -> None:  # pragma: no cover - compiled
    """Samples lo … lo + w − 1 through the whole graph (see `run`)."""
    nv = np.int32(never)
    for i in range(order.size):
        v = order[i]
        row = es[v]
        b = base[v]
        for k in range(w):
            row[k] = b
        for j in range(inc_ptr[v], inc_ptr[v + 1]):
            e = inc_edge[j]
            if not active[e]:
                continue
            pv = ef[src[e]] if fin[e] else es[src[e]]
            sh = np.int32(shift[e])
            for k in range(w):  # int32 throughout: 8 lanes per AVX2 instruction
                x = pv[k]
                c = np.int32(x + sh)
                if x >= nv:
                    c = nv
                row[k] = max(row[k], c)
        out = ef[v]
        if stopped[v]:
            for k in range(w):
                out[k] = never
        else:
            d, o = np.int32(dur[v]), np.int32(own[v])
            for k in range(w):
                s = row[k]
                f = max(np.int32(s + d), o)
                if s >= nv:
                    f = nv
                out[k] = f
            if draw:
                r = rows[v]
                if r >= 0:
                    key, pr = node_key(seed, node_id[v]), p[r]
                    for k in range(w):
                        if out[k] < never:
                            out[k] += slip_at(key, lo + k, pr, cdf, guide, r)
            else:
                sl = slip[node_id[v]]
                for k in range(w):
                    if out[k] < never:
                        out[k] += sl[lo + k]
        mine = path[v]
        if has_dl[v]:
            lim, cnt = np.int32(dl[v]), 0
            for k in range(w):
                late = out[k] > lim
                mine[k] = late
                cnt += not late
            on_time[v] += cnt
        else:
            for k in range(w):
                mine[k] = False
    for i in range(order.size - 1, -1, -1):
        v = order[i]
        mine = path[v]
        for j in range(out_ptr[v], out_ptr[v + 1]):
            e = out_edge[j]
            if not active[e]:
                continue
            pv = ef[v] if fin[e] else es[v]
            d = dst[e]
            their, their_es = path[d], es[d]
            sh = np.int32(shift[e])
            n_crit = 0
            for k in range(w):
                x = pv[k]
                c = np.int32(x + sh)
                if x >= nv:
                    c = nv
                hit = (c == their_es[k]) & their[k]
                mine[k] |= hit
                n_crit += hit
            e_crit[e] += n_crit
            if need[e] != no_day:  # provider date + lag ≤ need day, as x ≤ need − lag
                lim = np.int32(min(max(need[e] - lag[e], -2147483647), 2147483646))
                n_on = 0
                for k in range(w):
                    x = pv[k]
                    n_on += (x < nv) & (x <= lim)
                e_on[e] += n_on
        cnt = 0
        for k in range(w):
            cnt += mine[k]
        crit[v] += cnt
    for i in range(order.size):  # in `order`: rows in memory order when it is 0 … k − 1
        v = order[i]
        r0, fv, dv = ref[v], ef[v], offs[v]
        for k in range(w):
            dv[lo + k] = min(max(fv[k] - r0, -32767), 32767)
        if keep:
            sr, sv, ds = start_ref[v], es[v], soffs[v]
            for k in range(w):
                ds[lo + k] = min(max(sv[k] - sr, -32767), 32767)
    for i in range(unsched.size):  # cycle members: no dates (kept as 0, never read)
        v = unsched[i]
        for k in range(w):
            offs[v, lo + k] = 0
            if keep:
                soffs[v, lo + k] = 0
    for gi in range(gstarts.size - 1):
        acc = gfin[gi]
        for k in range(w):
            acc[lo + k] = -(1 << 62)
        for t in range(gstarts[gi], gstarts[gi + 1]):
            fv = ef[gorder[t]]
            for k in range(w):
                acc[lo + k] = max(acc[lo + k], fv[k])
        if gdl[gi] != no_day:
            cnt = 0
            for k in range(w):
                cnt += acc[lo + k] <= gdl[gi]
            g_on[gi] += cnt


@numba.njit(cache=True, nogil=True, parallel=True, boundscheck=False)
def run(order: Arr, inc_ptr: Arr, inc_edge: Arr, out_ptr: Arr, out_edge: Arr,
        active: Arr, src: Arr, dst: Arr, fin: Arr, shift: Arr, lag: Arr, need: Arr,
        dur: Arr, own: Arr, stopped: Arr, base: Arr, has_dl: Arr, dl: Arr, ref: Arr,
        start_ref: Arr, gorder: Arr, gstarts: Arr, gdl: Arr, never: int, no_day: int,
        unsched: Arr, node_id: Arr, draw: bool, slip: Arr, rows: Arr, p: Arr, cdf: Arr,
        guide: Arr, seed: int, width: int, es: Arr, ef: Arr, path: Arr, on_time: Arr, crit: Arr,
        e_on: Arr, e_crit: Arr, g_on: Arr, offs: Arr, soffs: Arr, keep: bool,
        gfin: Arr) -> None:  # pragma: no cover - compiled
    """All samples through the graph, `width` at a time, one chunk per thread at once.

    Forward (per node in topological `order`): start = max(own start, each active
    incoming link's constraint: the provider's sampled finish (`fin`) or start plus
    `shift` = lag minus the consumer's duration when the link binds its finish), finish
    = max(start + duration, own forecast) + slip, `never` for stopped work and what
    waits on it; the slip is `slip[node_id[v], k]`, or with `draw` drawn here for node
    `node_id[v]` (`slip_at`, law row `rows[v]`, none when < 0): the caller may renumber
    the nodes (0 … k − 1 in topological order, the others after) so that every pass
    walks its rows in memory order. Late = finish > deadline (`on_time` counts the rest).
    Backward (reverse order): a link drives when its constraint equals its consumer's
    sampled start; a node lies on a driving chain into a late node (`path`, counted in
    `crit`) when it is late or drives a node on such a chain (`e_crit` counts those
    links); `e_on` counts provider date + lag ≤ need day. Groups: the sampled finish of
    each group (`gfin`, the latest member) and `g_on` against its deadline `gdl`.
    Kept dates: finishes (and with `keep` starts) as int16 days past `ref`/`start_ref`.
    Thread t uses scratch `es[t]`, `ef[t]` (n × width int32), `path[t]` and counts
    into row t of the count arrays (summed by the caller): the result does not depend
    on the number of threads (the leading dimension of the scratch arrays).
    """
    threads = es.shape[0]
    s_tot = offs.shape[1]
    chunks = (s_tot + width - 1) // width
    for t in numba.prange(threads):
        for c in range(t, chunks, threads):
            lo = c * width
            w = min(width, s_tot - lo)
            _chunk(order, inc_ptr, inc_edge, out_ptr, out_edge, active, src, dst, fin,
                   shift, lag, need, dur, own, stopped, base, has_dl, dl, ref, start_ref,
                   gorder, gstarts, gdl, never, no_day, unsched, node_id, draw, slip, rows,
                   p, cdf, guide, seed, lo, w, es[t], ef[t], path[t], on_time[t], crit[t],
                   e_on[t], e_crit[t], g_on[t], offs, soffs, keep, gfin)


@numba.njit(cache=True, nogil=True, parallel=True, boundscheck=False)
def row_ranks(x: Arr, ks: Arr, out: Arr,
              threads: int) -> None:  # pragma: no cover - compiled
    """Per row of int16 `x`, the values at 0-based ranks `ks` (as a sort would place
    them), into `out` (rows × len(ks)). A two-level radix select (high byte, then low
    byte): linear in the row, where a partition per rank re-walks it. Rows are split
    over `threads` threads."""
    rows, s = x.shape
    for t in numba.prange(threads):
        high = np.empty(256, dtype=np.int64)
        low = np.empty(256, dtype=np.int64)
        for r in range(t, rows, threads):
            row = x[r]
            high[:] = 0
            for k in range(s):
                high[(row[k] + 32768) >> 8] += 1
            last_hb = -1
            for q in range(ks.size):
                target = ks[q]
                acc, hb = 0, 0
                while acc + high[hb] <= target:
                    acc += high[hb]
                    hb += 1
                if hb != last_hb:
                    low[:] = 0
                    for k in range(s):
                        u = row[k] + 32768
                        if (u >> 8) == hb:
                            low[u & 255] += 1
                    last_hb = hb
                rest, lb = target - acc, 0
                while rest >= low[lb]:
                    rest -= low[lb]
                    lb += 1
                out[r, q] = ((hb << 8) | lb) - 32768

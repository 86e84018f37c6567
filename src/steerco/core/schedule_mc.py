"""Compiled kernels of the schedule Monte Carlo (`steerco.core.schedule_risk.simulate`).

Why compiled code here, when the rest of core is numpy: the Monte Carlo walks the graph
in topological order, and a level-synchronous numpy pass pays ~15 array calls per level
and per pass. Real dependency graphs are deep (the `xl` benchmark graph has 23,890
levels for 200,000 milestones), so the numpy version spent its time in call overhead:
1,000 samples over `xl` took minutes. These numba kernels do the same relaxation node by
node, with each node's samples contiguous (an n × S row-major block), which is one tight
loop per edge: measured in bench/schedule_risk.py. numba is the well-kept library for
exactly this (LLVM-compiled loops over numpy arrays); the kernels are cached on disk
after the first compilation.

Semantics are those of the module docstring of `schedule_risk`, pinned by
tests/core/test_schedule_risk.py against a one-sample-at-a-time Python oracle.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt

Arr = npt.NDArray[Any]


@numba.njit(cache=True, nogil=True, boundscheck=False)
def run_chunk(order: Arr, inc_ptr: Arr, inc_edge: Arr, out_ptr: Arr, out_edge: Arr,
              active: Arr, src: Arr, dst: Arr, fin: Arr, shift: Arr, lag: Arr, need: Arr,
              dur: Arr, own: Arr, stopped: Arr, base: Arr, has_dl: Arr, dl: Arr, ref: Arr,
              start_ref: Arr, gorder: Arr, gstarts: Arr, gdl: Arr, never: int, no_day: int,
              slip: Arr, es: Arr, ef: Arr, path: Arr, on_time: Arr, crit: Arr, e_on: Arr,
              e_crit: Arr, g_on: Arr, offs: Arr, soffs: Arr, keep: bool,
              gfin: Arr) -> None:  # pragma: no cover - compiled
    """One block of S samples through the whole graph, accumulating the counts.

    Forward (per node in topological `order`): start = max(own start, each active
    incoming link's constraint: the provider's sampled finish (`fin`) or start plus
    `shift` = lag minus the consumer's duration when the link binds its finish), finish
    = max(start + duration, own forecast) + slip, `never` for stopped work and what
    waits on it. Then per node: late = finish > deadline (`on_time` counts the rest).
    Backward (reverse order): a link drives when its constraint equals its consumer's
    sampled start; a node lies on a driving chain into a late node (`path`, counted in
    `crit`) when it is late or drives a node on such a chain (`e_crit` counts those
    links); `e_on` counts provider date + lag ≤ need day. Groups: the sampled finish of
    each group (`gfin`, the latest member) and `g_on` against its deadline `gdl`.
    Kept dates: finishes (and with `keep` starts) as int16 days past `ref`/`start_ref`.
    Buffers `es`, `ef` (int32 days) and `path` (bool) are n × S scratch, overwritten.
    """
    n, w = es.shape
    for v in range(n):
        b = base[v]
        for k in range(w):
            es[v, k] = b
            ef[v, k] = 0
            path[v, k] = False
    for i in range(order.size):
        v = order[i]
        row = es[v]
        for j in range(inc_ptr[v], inc_ptr[v + 1]):
            e = inc_edge[j]
            if not active[e]:
                continue
            pv = ef[src[e]] if fin[e] else es[src[e]]
            sh = shift[e]
            for k in range(w):
                x = pv[k]
                c = x + sh
                if x >= never:
                    c = never
                row[k] = max(row[k], c)
        out = ef[v]
        if stopped[v]:
            for k in range(w):
                out[k] = never
            continue
        d, o, sl = dur[v], own[v], slip[v]
        for k in range(w):
            s = row[k]
            f = max(s + d, o) + sl[k]
            out[k] = never if s >= never else f
    for i in range(order.size):
        v = order[i]
        if has_dl[v]:
            lim, cnt, mine, fv = dl[v], 0, path[v], ef[v]
            for k in range(w):
                late = fv[k] > lim
                mine[k] = late
                cnt += not late
            on_time[v] += cnt
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
            sh, lg, nd = shift[e], lag[e], need[e]
            n_crit = 0
            n_on = 0
            for k in range(w):
                x = pv[k]
                c = never if x >= never else x + sh
                if c == their_es[k] and their[k]:
                    mine[k] = True
                    n_crit += 1
                if nd != no_day and x < never and x + lg <= nd:
                    n_on += 1
            e_crit[e] += n_crit
            e_on[e] += n_on
        cnt = 0
        for k in range(w):
            cnt += mine[k]
        crit[v] += cnt
    for v in range(n):
        r, sr = ref[v], start_ref[v]
        for k in range(w):
            offs[v, k] = min(max(ef[v, k] - r, -32767), 32767)
            if keep:
                soffs[v, k] = min(max(es[v, k] - sr, -32767), 32767)
    for gi in range(gstarts.size - 1):
        acc = gfin[gi]
        for k in range(w):
            acc[k] = -(1 << 62)
        for t in range(gstarts[gi], gstarts[gi + 1]):
            fv = ef[gorder[t]]
            for k in range(w):
                acc[k] = max(acc[k], fv[k])
        if gdl[gi] != no_day:
            cnt = 0
            for k in range(w):
                cnt += acc[k] <= gdl[gi]
            g_on[gi] += cnt


@numba.njit(cache=True, nogil=True, boundscheck=False)
def row_ranks(x: Arr, ks: Arr, out: Arr) -> None:  # pragma: no cover - compiled
    """Per row of int16 `x`, the values at 0-based ranks `ks` (as a sort would place
    them), into `out` (rows × len(ks)). A two-level radix select (high byte, then low
    byte): linear in the row, where a partition per rank re-walks it."""
    rows, s = x.shape
    high = np.empty(256, dtype=np.int64)
    low = np.empty(256, dtype=np.int64)
    for r in range(rows):
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


@numba.njit(cache=True, nogil=True, boundscheck=False)
def late_days(u: Arr, p: Arr, mu: Arr, sigma: Arr, z: Arr,
              out: Arr) -> None:  # pragma: no cover - compiled
    """Days late per node × sample, in place: late when the uniform draw `u` < `p` of
    its row, then ceil(exp(min(mu + sigma·z, 9))) with the next standard normal of `z`
    (drawn by numpy, one per late cell, in row-major order); 0 otherwise."""
    t = 0
    rows, s = u.shape
    for r in range(rows):
        pr, m, sg = p[r], mu[r], sigma[r]
        ur, o = u[r], out[r]
        for k in range(s):
            if ur[k] < pr:
                o[k] = np.int16(np.ceil(np.exp(min(m + sg * z[t], np.float32(9.0)))))
                t += 1
            else:
                o[k] = 0

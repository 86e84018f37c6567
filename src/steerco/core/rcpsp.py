"""Resource-constrained scheduling: the serial schedule generation scheme (SGS).

The serial SGS (Kelley 1963; Kolisch 1996) schedules one activity at a time: among the
activities whose predecessors are all scheduled, take the one with the best priority
and start it at the earliest time at which its predecessors have finished and every
renewable resource has room for its whole duration. With priority = latest finish
(LFT, from the CPM backward pass) it is the classic single-pass heuristic: always
feasible, never better than the optimum, usually within a few percent of it.

Finish-to-start precedence without lags only (PSPLIB's model); activities are dense ids.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from steerco.core.schedule import network, schedule

IntArray = npt.NDArray[np.int64]


def serial_sgs(duration: npt.ArrayLike, src: npt.ArrayLike, dst: npt.ArrayLike,
               demand: npt.ArrayLike, capacity: npt.ArrayLike,
               priority: npt.ArrayLike | None = None) -> IntArray:
    """Return a feasible start day per activity (0-based) of a resource-constrained plan.

    Contract: ``demand`` is activities × resources, ``capacity`` per resource; edges are
    finish-to-start. ``priority``: lower is scheduled first among eligible activities
    (default: CPM latest finish, ties by id). An activity demanding more than a capacity
    is scheduled as if that resource were free (a finding for the caller, not a crash);
    activities on a precedence cycle are never eligible and get start -1.
    """
    dur = np.maximum(np.asarray(duration, dtype=np.int64), 0)
    n = int(dur.size)
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    req = np.asarray(demand, dtype=np.int64).reshape(n, -1)
    cap = np.asarray(capacity, dtype=np.int64)
    if priority is None:
        cpm = schedule(network(dur, s, d), project_end=int(dur.sum()))
        prio = np.where(cpm.late_finish == np.iinfo(np.int32).min, np.iinfo(np.int64).max,
                        cpm.late_finish)
    else:
        prio = np.asarray(priority, dtype=np.int64)
    req = np.where(req > cap[None, :], 0, req)
    horizon = int(dur.sum()) + 1
    free = np.tile(cap, (horizon, 1))
    preds: list[list[int]] = [[] for _ in range(n)]
    left = np.zeros(n, dtype=np.int64)
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(s.tolist(), d.tolist(), strict=True):
        preds[b].append(a)
        succs[a].append(b)
        left[b] += 1
    start = np.full(n, -1, dtype=np.int64)
    eligible = {i for i in range(n) if left[i] == 0}
    while eligible:
        j = min(eligible, key=lambda i: (int(prio[i]), i))
        eligible.remove(j)
        t = max((int(start[p] + dur[p]) for p in preds[j]), default=0)
        need = req[j]
        if dur[j] > 0 and need.any():
            # room for the whole duration: slide until no period of [t, t+dur) lacks it
            while True:
                short = np.flatnonzero((free[t:t + dur[j]] < need).any(axis=1))
                if short.size == 0:
                    break
                t += int(short[-1]) + 1
            free[t:t + dur[j]] -= need
        start[j] = t
        for k in succs[j]:
            left[k] -= 1
            if left[k] == 0:
                eligible.add(k)
    return start

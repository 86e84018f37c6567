"""Milestones, initiatives and their dependencies as one schedule network.

Node layout: milestones first (rows ``0..n_ms-1``, in key order), then initiatives
(rows ``n_ms..n_ms+n_ini-1``). Edge layout: edge ``e < n_dep`` is dependency row ``e``
(provider → consumer, its type, lag, need and committed day); then one structural
finish-to-finish *summary* edge from every milestone to its initiative (an initiative
cannot finish before its milestones; a late milestone stretches the initiative's finish
and leaves its start), without need day, so it never breaks.

Dates (all day numbers, ``as_of`` passed in):
- a completed milestone is pinned at its completion day: its incoming dependencies are
  history and are left out (marked invalid, their edge ids stay); an open one forecasts
  its forecast date, else its due date, and never earlier than ``as_of`` (what is not
  done cannot finish in the past); its start is that finish minus its duration.
- an initiative spans ``start → due`` (duration = due − start, 0 when either is
  missing); a closed one (closed stage or 100 % complete) is pinned like a completed
  milestone; an open one forecasts ``max(due, as_of)``.
- a stopped initiative and its open milestones are *stopped* nodes: they start but
  never finish, so what they provide breaks (see schedule.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.schedule import DepType, Network, Schedule, network, schedule
from steerco.core.snapshot import rows_of
from steerco.kit.dates import NO_DAY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Node kinds.
MILESTONE, INITIATIVE = 0, 1


@dataclass(frozen=True)
class Milestones:
    """One entry per milestone, sorted by ``ids``; -1 / `NO_DAY` when missing."""

    ids: IntArray
    initiative: IntArray  # initiative key
    owner: IntArray
    due_day: IntArray
    forecast_day: IntArray
    completed_day: IntArray
    duration: IntArray
    updated_day: IntArray


@dataclass(frozen=True)
class Initiatives:
    """One entry per initiative, sorted by ``ids``; -1 / `NO_DAY` / NaN when missing.

    ``kind``: 0 program, 1 project, 2 cost measure. ``closed``: closed stage or done.
    """

    ids: IntArray
    owner: IntArray
    sponsor: IntArray
    controller: IntArray
    org_unit: IntArray
    start_day: IntArray
    due_day: IntArray
    percent_complete: FloatArray
    declared: BoolArray
    stopped: BoolArray
    closed: BoolArray
    kind: IntArray
    updated_day: IntArray

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class Dependencies:
    """One entry per dependency; provider/consumer are (kind, key) with `MILESTONE` or
    `INITIATIVE` kinds; ``dep_type`` holds `DepType` codes."""

    ids: IntArray
    provider_kind: IntArray
    provider: IntArray
    consumer_kind: IntArray
    consumer: IntArray
    dep_type: IntArray
    lag: IntArray
    need_day: IntArray
    committed_day: IntArray

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class WorkGraph:
    """The network plus what maps its nodes and edges back to the workspace.

    Node arrays: ``kind`` (`MILESTONE`/`INITIATIVE`), ``key`` (database key), ``owner``
    (person key, -1), ``due`` (committed day), ``initiative`` (initiative row, -1),
    ``done`` (completed / closed), ``stopped``. ``n_dep``: the first ``n_dep`` edges are
    the dependency rows.
    """

    milestones: Milestones
    initiatives: Initiatives
    dependencies: Dependencies
    net: Network
    as_of: int
    kind: IntArray
    key: IntArray
    owner: IntArray
    due: IntArray
    initiative: IntArray
    done: BoolArray
    stopped: BoolArray
    n_dep: int

    @property
    def n_ms(self) -> int:
        return int(self.milestones.ids.shape[0])

    def node_of(self, kind: int, keys: npt.ArrayLike) -> IntArray:
        """Node row of each (kind, key); -1 for unknown keys."""
        if kind == MILESTONE:
            return rows_of(self.milestones.ids, keys)
        r = rows_of(self.initiatives.ids, keys)
        return np.where(r >= 0, r + self.n_ms, -1).astype(np.int64)

    def initiative_node(self, rows: npt.ArrayLike) -> IntArray:
        """Node row of initiative rows."""
        return np.asarray(rows, dtype=np.int64) + self.n_ms


def _nodes(kind: IntArray, key: IntArray, wg_ms: Milestones, ini: Initiatives) -> IntArray:
    ms_row = rows_of(wg_ms.ids, key)
    in_row = rows_of(ini.ids, key)
    n_ms = wg_ms.ids.shape[0]
    out = np.where(kind == MILESTONE, ms_row, np.where(in_row >= 0, in_row + n_ms, -1))
    return np.where((kind == MILESTONE) & (ms_row < 0), -1, out).astype(np.int64)


def build(ms: Milestones, ini: Initiatives, deps: Dependencies, as_of: int) -> WorkGraph:
    """Build the workspace's schedule network (see the module docstring).

    Contract: pure and total — unknown keys make the edge invalid, missing dates fall back
    as documented, never raises on data.
    """
    n_ms, n_in = ms.ids.shape[0], ini.n
    n = n_ms + n_in
    ms_ini = rows_of(ini.ids, ms.initiative)
    ms_done = ms.completed_day != NO_DAY
    open_fc = np.where(ms.forecast_day != NO_DAY, ms.forecast_day, ms.due_day)
    open_fc = np.where(open_fc != NO_DAY, np.maximum(open_fc, as_of), NO_DAY)
    ms_finish = np.where(ms_done, ms.completed_day, open_fc)
    has_span = (ini.start_day != NO_DAY) & (ini.due_day != NO_DAY)
    in_dur = np.where(has_span, np.maximum(ini.due_day - ini.start_day, 0), 0)
    in_finish = np.where(ini.closed, ini.due_day,
                         np.where(ini.due_day != NO_DAY, np.maximum(ini.due_day, as_of),
                                  NO_DAY))
    duration = np.concatenate([np.maximum(ms.duration, 0), in_dur]).astype(np.int64)
    own_start = np.concatenate([np.full(n_ms, NO_DAY), ini.start_day]).astype(np.int64)
    own_finish = np.concatenate([ms_finish, in_finish]).astype(np.int64)
    done = np.concatenate([ms_done, ini.closed])
    ini_stopped = ini.stopped & ~ini.closed
    stopped = np.concatenate([~ms_done & (ms_ini >= 0) & ini_stopped[np.maximum(ms_ini, 0)],
                              ini_stopped])

    src = _nodes(deps.provider_kind, deps.provider, ms, ini)
    dst = _nodes(deps.consumer_kind, deps.consumer, ms, ini)
    # What a completed node needed is history: drop those edges (ids stay stable).
    dst = np.where((dst >= 0) & done[np.maximum(dst, 0)], n, dst)
    dst = np.where(dst < 0, n, dst)
    src = np.where(src < 0, n, src)
    has_ini = ms_ini >= 0
    s_src = np.flatnonzero(has_ini)
    s_dst = ms_ini[has_ini] + n_ms
    s_dst = np.where(done[s_dst], n, s_dst)
    m_struct = s_src.shape[0]
    net = network(
        duration, np.concatenate([src, s_src]), np.concatenate([dst, s_dst]),
        own_start=own_start, own_finish=own_finish,
        group=np.concatenate([ms_ini, np.arange(n_in)]),
        dep_type=np.concatenate([deps.dep_type, np.full(m_struct, int(DepType.FF))]),
        lag=np.concatenate([deps.lag, np.zeros(m_struct, dtype=np.int64)]),
        need_day=np.concatenate([deps.need_day, np.full(m_struct, NO_DAY)]),
        committed_day=np.concatenate([deps.committed_day, np.full(m_struct, NO_DAY)]),
        # An initiative summarises its milestones: a late one stretches its finish only.
        summary=np.concatenate([np.zeros(deps.n, dtype=np.bool_),
                                np.ones(m_struct, dtype=np.bool_)]))
    return WorkGraph(
        milestones=ms, initiatives=ini, dependencies=deps, net=net, as_of=as_of,
        kind=np.concatenate([np.full(n_ms, MILESTONE), np.full(n_in, INITIATIVE)]
                            ).astype(np.int64),
        key=np.concatenate([ms.ids, ini.ids]).astype(np.int64),
        owner=np.concatenate([ms.owner, ini.owner]).astype(np.int64),
        due=np.concatenate([ms.due_day, ini.due_day]).astype(np.int64),
        initiative=np.concatenate([ms_ini, np.arange(n_in)]).astype(np.int64),
        done=done, stopped=stopped, n_dep=deps.n)


def run(wg: WorkGraph) -> Schedule:
    """Schedule the work graph from ``as_of`` (slack and critical path per component)."""
    return schedule(wg.net, origin=wg.as_of, stopped=np.flatnonzero(wg.stopped))

"""Build a workspace's snapshot, evaluate it, keep it current, and describe the results.

The evaluated snapshot of each workspace is cached per process (`EngineCache`). It is
derived state: it is rebuilt on first use, and before every read it catches up with
measurements committed since (by any process) through one indexed query on
`measurements.id > high_water`, so several app processes stay consistent without talking
to each other. Everything else the snapshot is built from (metrics, plans, objectives,
alignments, benefits) is checked on every read against the table generations of
db/generations.py, read in the reader's own transaction: when one moved, the tables that
moved are read again (measurements never are) and what changed is patched into a copy of
the state (`patch_state`: changed metrics re-evaluated, objectives rolled up again) before
the answer, so an edit is never answered from the old model and costs milliseconds, not
a rebuild (l: 5 s). Only a metric created or deleted rebuilds the workspace.

Evaluations at another day than today (`?as_of=`) live in a small separate cache, so
alternating them with plain reads never throws today's evaluation away.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from steerco.checkins.repository import MeasurementRepository
from steerco.core.evidence import (
    Evaluation,
    checkin,
    checkin_reevaluate,
    evaluate,
    reevaluate_rows,
    reroll,
)
from steerco.core.rollup import ObjectiveReason, build_graph, measured_counts, worst_reasons
from steerco.core.snapshot import (
    Benefits,
    Metrics,
    Snapshot,
    build_plans,
    build_snapshot,
    changed_benefit_rows,
    changed_metric_rows,
    changed_plan_rows,
    live_in_order,
    rows_of,
)
from steerco.core.status import (
    Status,
    StatusInputs,
    StatusResult,
    explain_metric,
    reason_names,
)
from steerco.db.models import Measurement
from steerco.db.repository import table_generations
from steerco.evidence.explain import Labels, carried_metric_keys, objective_explanation
from steerco.evidence.repository import SnapshotRepository
from steerco.kit import heap
from steerco.kit.dates import NO_DAY, from_day, to_day
from steerco.kit.ids import format_id
from steerco.org.service import workspace_today

log = logging.getLogger("steerco.evidence")

STATUS_NAMES = [s.name.lower() for s in Status]
#: Threads for a full recompute: the forecaster's numpy work releases the GIL.
WORKERS = max(1, min(4, os.cpu_count() or 1))
#: The tables a snapshot is built from (measurements aside: they are caught up one by
#: one). A write to any of them makes the cached evaluation of the workspace stale.
SNAPSHOT_TABLES = ("metrics", "metric_objectives", "plan_points", "objectives",
                   "alignments", "planned_benefits")
#: Everything the engine and its findings read besides measurements: a cache of findings
#: (or of a what-if baseline) is valid only while none of these moved.
ENGINE_TABLES = (*SNAPSHOT_TABLES, "causal_links", "themes", "initiatives",
                 "initiative_metrics", "milestones", "dependencies", "budget_lines",
                 "budget_plans", "ledger_entries", "people", "org_units", "rules")
#: Metrics re-evaluated by one edit up to which only their ancestors are rolled up again
#: (more, or a changed objective graph: every objective, ~30 ms on `l`).
PATCH_ANCESTORS_UP_TO = 16
#: Evaluations at other days than today kept per process (each is a whole workspace).
AS_OF_ENTRIES = 2


def load_snapshot(session: Session, workspace_id: int) -> Snapshot:
    """Read a workspace from the database into a fresh snapshot."""
    repo = SnapshotRepository(session, workspace_id)
    metrics = Metrics(**repo.metrics())
    mm, md, mv, mc, mk, ms = repo.measurements()
    pm, pd, pv = repo.plan_points()
    ac, ap, aw = repo.alignments()
    cm, co, cw = repo.contributions()
    bm, bd, ba, bi = repo.metric_benefits()
    brow = rows_of(metrics.ids, bm)
    ok = brow >= 0
    benefits = Benefits(brow[ok], bd[ok], ba[ok], bi[ok])
    return build_snapshot(metrics, mm, md, mv, mc, mk, ms, pm, pd, pv,
                          repo.objective_ids(), ac, ap, aw, cm, co, cw, benefits)


@dataclass
class EngineState:
    snapshot: Snapshot
    evaluation: Evaluation
    lock: threading.Lock
    #: time.monotonic() of the last catch-up with the database.
    checked_at: float = 0.0
    #: Generations of SNAPSHOT_TABLES the snapshot was read at.
    generations: tuple[int, ...] = ()
    #: Texts derived from this evaluation (objective explanations, measured counts),
    #: emptied whenever a catch-up applies a measurement: the strategy map asks for ~90
    #: explanations per view, which cost a third of the cockpit's time on `l`.
    memo: dict[Any, Any] = field(default_factory=dict)


class EngineCache:
    """Per-process evaluated snapshots, keyed by workspace (today's), plus a few of other
    days (`as_of` reads)."""

    def __init__(self) -> None:
        self._states: dict[tuple[str, int], EngineState] = {}
        self._other_days: OrderedDict[tuple[str, int, int], EngineState] = OrderedDict()
        self._lock = threading.Lock()
        #: One lock per workspace for (re)building it: a 30-second xl rebuild must not
        #: hold up reads of every other workspace, which `_lock` alone would.
        self._building: dict[tuple[str, int], threading.Lock] = {}

    def clear(self) -> None:
        with self._lock:
            self._states.clear()
            self._other_days.clear()

    def invalidate(self, session: Session, workspace_id: int) -> None:
        """Drop a workspace's evaluations so the next read rebuilds them (edits are
        noticed without this through the table generations; it stays for callers that
        know better, e.g. after a bulk load that bypassed the ORM)."""
        url = str(session.get_bind().engine.url)
        with self._lock:
            self._states.pop((url, workspace_id), None)
            for k in [k for k in self._other_days if k[:2] == (url, workspace_id)]:
                del self._other_days[k]

    def written(self, workspace_id: int) -> None:
        """Note that this process just committed evidence: the next read catches up."""
        with self._lock:
            for (_url, ws), st in self._states.items():
                if ws == workspace_id:
                    st.checked_at = 0.0
            for (_url, ws, _day), st in self._other_days.items():
                if ws == workspace_id:
                    st.checked_at = 0.0

    def state(self, session: Session, workspace_id: int,
              as_of: dt.date | None = None, fresh_within: float = 0.0) -> EngineState:
        """The workspace's evaluation, rebuilt when missing, on a new day or when anything
        it was built from changed (table generations), then caught up with check-ins.

        With `fresh_within` seconds, a state caught up with check-ins that recently is
        returned as it is: a busy API then pays the catch-up query at most a few times a
        second, while this process's own check-ins (see `written`) still show at once and
        other processes' within `fresh_within`. Edits to the model itself are checked on
        every read (one small query) and always show at once.
        """
        bind = session.get_bind()
        key = (str(bind.engine.url), workspace_id)
        today = to_day(workspace_today(session, workspace_id))  # in the workspace's zone
        day = today if as_of is None else to_day(as_of)
        generations = table_generations(session, workspace_id, SNAPSHOT_TABLES)
        if day != today:
            st = self._other_day(session, key, workspace_id, day, generations)
        else:
            st = self._today(session, key, workspace_id, day, generations, fresh_within)
        now = time.monotonic()
        if fresh_within > 0:
            if now - st.checked_at < fresh_within:
                return st
            # A reader that tolerates staleness never queues behind another thread's
            # catch-up (under load, 40 threads would otherwise run it one after another).
            if not st.lock.acquire(blocking=False):
                return st
            st.lock.release()
        catch_up(session, workspace_id, st)
        st.checked_at = now
        return st

    def _today(self, session: Session, key: tuple[str, int], workspace_id: int, day: int,
               generations: tuple[int, ...], fresh_within: float) -> EngineState:
        st = self._states.get(key)
        if (st is not None and fresh_within > 0 and st.evaluation.as_of == day - 1
                and st.generations == generations):
            # A new day for a reader that tolerates staleness: keep answering from
            # yesterday's evaluation (caught up by the caller) while one background
            # thread builds today's. A rebuild on the request path held every request
            # thread of the process for as long as it took (l: 5 s, xl: 23 s).
            self._rebuild_in_background(session.get_bind().engine, key, workspace_id, day)
            return st
        if st is None or st.evaluation.as_of != day or st.generations != generations:
            with self._building_lock(key):
                st = self._states.get(key)  # another thread may have built it meanwhile
                if st is None or st.evaluation.as_of != day:
                    st = self._build(session, key, workspace_id, day)
                elif st.generations != generations:
                    # An edit of the model: patch what changed into a copy of the state
                    # (readers holding the old one keep a consistent view), or rebuild.
                    patched = patch_state(session, workspace_id, st, generations)
                    if patched is None:
                        st = self._build(session, key, workspace_id, day)
                    else:
                        st = patched
                        with self._lock:
                            self._states[key] = st
        return st

    def _other_day(self, session: Session, key: tuple[str, int], workspace_id: int,
                   day: int, generations: tuple[int, ...]) -> EngineState:
        """An evaluation at another day, from (or into) the small `as_of` cache."""
        dkey = (*key, day)
        with self._lock:
            st = self._other_days.get(dkey)
            if st is not None:
                self._other_days.move_to_end(dkey)
        if st is not None and st.generations == generations:
            return st
        with self._building_lock(key):
            st = self._other_days.get(dkey)
            if st is None or st.generations != generations:
                patched = (None if st is None
                           else patch_state(session, workspace_id, st, generations))
                st = patched or self._evaluate(session, workspace_id, day,
                                               self._donor(key, generations))
                with self._lock:
                    self._other_days[dkey] = st
                    self._other_days.move_to_end(dkey)
                    while len(self._other_days) > AS_OF_ENTRIES:
                        self._other_days.popitem(last=False)
        return st

    def _building_lock(self, key: tuple[str, int]) -> threading.Lock:
        with self._lock:
            return self._building.setdefault(key, threading.Lock())

    def _donor(self, key: tuple[str, int], generations: tuple[int, ...]) -> EngineState | None:
        """A cached state of the workspace read at these `generations` (any day): its
        snapshot, caught up with check-ins, is what a fresh read would give."""
        with self._lock:
            found = [st for k, st in self._other_days.items() if k[:2] == key]
            today = self._states.get(key)
        for st in [*reversed(found), *([today] if today is not None else [])]:
            if st.generations == generations:
                return st
        return None

    def _evaluate(self, session: Session, workspace_id: int, day: int,
                  donor: EngineState | None = None) -> EngineState:
        if donor is not None:
            # Another day's evaluation of an unchanged model: copy its snapshot (the
            # caller catches the copy up with newer check-ins) instead of reading the
            # whole workspace again. Day after day of `as_of` reads (the jobs on a
            # simulated clock) spent half their time in that read.
            with donor.lock:
                snap = copy.deepcopy(donor.snapshot)
            return EngineState(snap, evaluate(snap, day, workers=WORKERS), threading.Lock(),
                               generations=donor.generations)
        # The generations first: the snapshot read after them is at least as new as they
        # say (a write in between only costs one more rebuild).
        generations = table_generations(session, workspace_id, SNAPSHOT_TABLES)
        snap = load_snapshot(session, workspace_id)
        return EngineState(snap, evaluate(snap, day, workers=WORKERS), threading.Lock(),
                           generations=generations)

    def _build(self, session: Session, key: tuple[str, int], workspace_id: int,
               day: int) -> EngineState:
        """Load, evaluate and keep today's state of a workspace (hold its building lock)."""
        st = self._evaluate(session, workspace_id, day)
        with self._lock:
            self._states[key] = st
        heap.settle()  # the state lives until tomorrow: keep GC off it
        return st

    def _rebuild_in_background(self, engine: Engine, key: tuple[str, int], workspace_id: int,
                               day: int) -> None:
        building = self._building_lock(key)
        if not building.acquire(blocking=False):
            return  # already being rebuilt

        def rebuild() -> None:
            try:
                with Session(engine) as s:
                    self._build(s, key, workspace_id, day)
            except Exception:  # the next reader tries again (or rebuilds in line)
                log.exception("rebuilding workspace %s for a new day failed", workspace_id)
            finally:
                building.release()

        threading.Thread(target=rebuild, name="steerco-engine-rebuild", daemon=True).start()


def patch_state(session: Session, workspace_id: int, st: EngineState,
                generations: tuple[int, ...]) -> EngineState | None:
    """`st` brought up to the model the database holds at `generations` (of
    SNAPSHOT_TABLES, read in this session's transaction), or None when the change is one
    only a rebuild applies.

    Only the tables whose generation moved are read again (never the measurements), and
    compared with the snapshot: metrics whose definition (direction, baseline, target,
    tolerance, cadence, kind), plan or planned benefits changed are re-evaluated, the
    objective graph is rebuilt when objectives, alignments or metric links changed, and
    every objective is rolled up again (a few ms even at xl). The result equals a fresh
    build at `generations` (tests/evidence/test_incremental_edits.py): unchanged metrics
    keep their evaluation, which depends on nothing but their own inputs.

    Rebuilt instead: a metric created or deleted (every metric row after it would move;
    the snapshot's ragged history is indexed by row).
    """
    moved = {t for t, a, b in zip(SNAPSHOT_TABLES, st.generations, generations, strict=True)
             if a != b}
    repo = SnapshotRepository(session, workspace_id)
    with st.lock:  # a consistent copy: catch_up mutates the overlays under this lock
        old = st.snapshot
        snap = dataclasses.replace(
            old, extra={r: list(v) for r, v in old.extra.items()},
            override=dict(old.override))
        ev = copy.deepcopy(st.evaluation)
    if old.plan_points is None:
        return None  # not built by build_snapshot
    rows: list[npt.NDArray[np.int64]] = []
    if "metrics" in moved:
        metrics = Metrics(**repo.metrics())
        if not np.array_equal(metrics.ids, old.metrics.ids):
            return None  # a metric created or deleted: rows move, rebuild
        rows.append(changed_metric_rows(old.metrics, metrics))
        snap.metrics = metrics
    if "metrics" in moved or "plan_points" in moved:
        if "plan_points" in moved:
            snap.plan_points = tuple(repo.plan_points())  # type: ignore[assignment]
        pm, pd, pv = snap.plan_points or old.plan_points
        snap.plans = build_plans(snap.metrics, pm, pd, pv)
        rows.append(changed_plan_rows(old.plans, snap.plans))
    if "planned_benefits" in moved:
        bm, bd, ba, bi = repo.metric_benefits()
        brow = rows_of(snap.metrics.ids, bm)
        ok = brow >= 0
        snap.benefits = Benefits(brow[ok], bd[ok], ba[ok], bi[ok])
        rows.append(changed_benefit_rows(old.benefits, snap.benefits, snap.metrics.n))
    graph = bool(moved & {"objectives", "alignments", "metric_objectives"})
    if graph:
        oids = np.sort(repo.objective_ids())
        ac, ap, aw = repo.alignments()
        cm, co, cw = repo.contributions()
        snap.objective_ids = oids
        snap.graph = build_graph(oids.shape[0], snap.metrics.n, rows_of(oids, ac),
                                 rows_of(oids, ap), aw, rows_of(snap.metrics.ids, cm),
                                 rows_of(oids, co), cw)
    changed = np.unique(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)
    reevaluate_rows(snap, ev, changed)
    if graph or changed.size > PATCH_ANCESTORS_UP_TO:
        reroll(snap, ev)
    else:
        reroll(snap, ev, changed)
    log.debug("workspace %s patched: %s moved, %d metrics re-evaluated", workspace_id,
              sorted(moved), changed.size)
    return EngineState(snap, ev, threading.Lock(), generations=generations)


def catch_up(session: Session, workspace_id: int, st: EngineState) -> set[int]:
    """Apply measurements committed since the snapshot; return changed objective rows."""
    repo = SnapshotRepository(session, workspace_id)
    with st.lock:
        mm, md, mv, mc, mk, ms = repo.measurements(after_key=st.snapshot.high_water)
        changed: set[int] = set()
        if len(mm):
            st.memo.clear()
        snap = st.snapshot
        for i in np.argsort(mk):
            row = int(rows_of(snap.metrics.ids, [mm[i]])[0])
            if row < 0:  # a metric created after the snapshot: its generation rebuilds it
                snap.high_water = max(snap.high_water, int(mk[i]))
                continue
            if ms[i] >= 0:
                # A correction: reload the metric's history (the superseded row goes).
                _reload_row(session, workspace_id, snap, row)
                snap.high_water = max(snap.high_water, int(mk[i]))
                changed |= checkin_reevaluate(snap, st.evaluation, row)
            else:
                changed |= checkin(snap, st.evaluation, row, int(md[i]), float(mv[i]),
                                   float(mc[i]), int(mk[i]))
        return changed


def _reload_row(session: Session, workspace_id: int, snap: Snapshot, row: int) -> None:
    hist = MeasurementRepository(session, workspace_id).history(int(snap.metrics.ids[row]))
    # Not superseded, in (day, submission order): a correction takes its original's place.
    order = live_in_order([h.id for h in hist],
                          [-1 if h.supersedes_id is None else h.supersedes_id for h in hist],
                          [to_day(h.as_of) for h in hist])
    # A void is the live end of its chain: it and the chain it ends leave the evidence.
    live = [hist[int(i)] for i in order if not hist[int(i)].void]
    snap.replace_history(row, np.array([to_day(h.as_of) for h in live], dtype=np.int64),
                         np.array([h.value for h in live], dtype=np.float64),
                         np.array([np.nan if h.confidence is None else h.confidence
                                   for h in live], dtype=np.float64))


CACHE = EngineCache()


# Any check-in, correction or void this process commits through the ORM (API, pages,
# CLI, jobs, feeds) shows in this process's next read, whatever `fresh_within` allows:
# the routes used to call CACHE.written themselves, and a writer that did not (a void
# made by a service call) was read stale for up to `fresh_within` seconds.
@event.listens_for(Session, "after_flush")
def _note_evidence(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Measurement):
            session.info.setdefault("evidence_written", set()).add(obj.workspace_id)


@event.listens_for(Session, "after_commit")
def _evidence_committed(session: Session) -> None:
    for ws in session.info.pop("evidence_written", ()):
        CACHE.written(ws)


@event.listens_for(Session, "after_rollback")
def _evidence_rolled_back(session: Session) -> None:
    session.info.pop("evidence_written", None)


def _day(n: int) -> str | None:
    return None if n == NO_DAY else from_day(int(n)).isoformat()


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


def metric_view(st: EngineState, row: int, unit: str = "") -> dict[str, Any]:
    """Everything the engine says about one metric, as plain JSON-able values."""
    snap, mr = st.snapshot, st.evaluation.metrics
    s = mr.status
    m = snap.metrics
    inputs = StatusInputs.of(
        m.direction[[row]], m.target_value[[row]], target_day=m.target_day[[row]],
        last_value=mr.last_value[[row]], last_day=mr.last_day[[row]],
        cadence_days=m.cadence_days[[row]], p_hit=mr.p_hit[[row]],
        plan_value=mr.plan_value[[row]], forecast_value=mr.forecast[[row]])
    one = StatusResult(s.status[[row]], s.reasons[[row]], s.deciding[[row]],
                       s.age_days[[row]], s.variance_abs[[row]], s.variance_rel[[row]],
                       s.tolerance[[row]])
    return {
        "id": format_id("metric", int(m.ids[row])),
        "status": STATUS_NAMES[int(s.status[row])],
        "reasons": reason_names(int(s.reasons[row])),
        "explanation": explain_metric(inputs, one, 0, unit),
        "last_value": _num(mr.last_value[row]), "last_as_of": _day(int(mr.last_day[row])),
        "forecast": _num(mr.forecast[row]),
        "interval80": [_num(mr.lower80[row]), _num(mr.upper80[row])],
        "interval95": [_num(mr.lower95[row]), _num(mr.upper95[row])],
        "p_hit": _num(mr.p_hit[row]), "plan_value": _num(mr.plan_value[row]),
        "progress": _num(mr.progress[row]), "owner_confidence": _num(mr.confidence[row]),
        "target_value": _num(m.target_value[row]), "target_date": _day(int(m.target_day[row])),
    }


def objective_view(st: EngineState, orow: int,
                   labels: Labels | None = None) -> dict[str, Any]:
    """The rolled-up status of one objective with its worst reasons and the sentence that
    explains it (`labels` name the carried metrics; see `objective_labels`)."""
    o = st.evaluation.objectives
    snap = st.snapshot
    m_status = st.evaluation.metrics.status.status
    worst = [{"reason": name, "metric_id": format_id("metric", int(snap.metrics.ids[m])),
              "status": STATUS_NAMES[int(m_status[m])]}
             for name, m in worst_reasons(o, orow) if m >= 0]
    flags = [str(f.name).lower() for f in ObjectiveReason
             if f.value and int(o.reasons[orow]) & f]
    measured, total = measured_of(st, orow)
    key = ("explanation", orow, bool(labels))  # labels always cover the row's metrics
    explanation = st.memo.get(key)
    if explanation is None:
        explanation = st.memo[key] = objective_explanation(st, orow, labels or {})
    return {
        "id": format_id("objective", int(snap.objective_ids[orow])),
        "status": STATUS_NAMES[int(o.status[orow])],
        "progress": _num(o.progress[orow]), "coverage": _num(o.coverage[orow]),
        "measured_metrics": measured, "total_metrics": total,
        "reasons": flags, "worst": worst,
        "explanation": explanation,
    }


def measured_of(st: EngineState, orow: int) -> tuple[int, int]:
    """(metrics measured, metrics carried) under objective row `orow`, memoised."""
    key = ("measured", orow)
    hit = st.memo.get(key)
    if hit is None:
        hit = st.memo[key] = measured_counts(st.snapshot.graph,
                                             st.evaluation.metrics.status.status, orow)
    return hit


def objective_labels(session: Session, workspace_id: int, st: EngineState,
                     orows: list[int]) -> Labels:
    """Names and units of the metrics the explanations of these objectives mention."""
    return SnapshotRepository(session, workspace_id).metric_labels(
        carried_metric_keys(st, orows))


def counts_by_status(st: EngineState) -> dict[str, dict[str, int]]:
    """How many metrics and objectives are in each status."""
    def count(a: np.ndarray[Any, Any]) -> dict[str, int]:
        c = np.bincount(a.astype(np.int64), minlength=len(Status))
        return {STATUS_NAMES[i]: int(c[i]) for i in range(len(Status))}
    return {"metrics": count(st.evaluation.metrics.status.status),
            "objectives": count(st.evaluation.objectives.status)}




def status_tree(session: Session, workspace_id: int, st: EngineState,
                objective: int | None = None, depth: int = 2,
                max_children: int = 50) -> list[dict[str, Any]]:
    """Objectives with their computed status, reasons, metrics and child objectives.

    Starts at `objective` (a key) or at every top objective (aligned to nothing) and goes
    `depth` levels down; each node lists at most `max_children` children, worst first.
    """
    snap, g = st.snapshot, st.snapshot.graph
    if objective is not None:
        start = rows_of(snap.objective_ids, [objective])
        roots = [int(r) for r in start if r >= 0]
    else:
        has_parent = np.diff(g.up_obj_ptr) > 0
        roots = [int(r) for r in np.flatnonzero(~has_parent)]
    severity = {int(Status.MISSED): 0, int(Status.OFF_TRACK): 1, int(Status.STALE): 2,
                int(Status.AT_RISK): 3, int(Status.NO_DATA): 4, int(Status.ON_TRACK): 5,
                int(Status.ACHIEVED): 6}
    o_status = st.evaluation.objectives.status
    m_status = st.evaluation.metrics.status.status

    def worst_first(rows: list[int], status: np.ndarray[Any, Any]) -> list[int]:
        return sorted(rows, key=lambda r: (severity.get(int(status[r]), 9), r))

    # Pass 1: which objectives and metrics the tree shows (so names load in 2 queries).
    shown: list[tuple[int, int]] = []

    def visit(orow: int, level: int) -> None:
        shown.append((orow, level))
        if level < depth:
            kids = g.in_obj_child[g.in_obj_ptr[orow]:g.in_obj_ptr[orow + 1]]
            for k in worst_first([int(k) for k in kids], o_status)[:max_children]:
                visit(k, level + 1)

    tops = worst_first(roots, o_status)[:max_children]
    for r in tops:
        visit(r, 0)
    repo = SnapshotRepository(session, workspace_id)
    orows = sorted({r for r, _ in shown})
    mrows = sorted({int(m) for r in orows
                    for m in g.in_met_metric[g.in_met_ptr[r]:g.in_met_ptr[r + 1]]})
    titles = repo.objective_titles([int(snap.objective_ids[r]) for r in orows])
    labels = repo.metric_labels(sorted({int(snap.metrics.ids[m]) for m in mrows}
                                       | set(carried_metric_keys(st, orows))))

    # Pass 2: build the nested views.
    def build(orow: int, level: int) -> dict[str, Any]:
        view = objective_view(st, orow, labels)
        view["title"] = titles.get(int(snap.objective_ids[orow]), "")
        mets = [int(m) for m in g.in_met_metric[g.in_met_ptr[orow]:g.in_met_ptr[orow + 1]]]
        view["metrics"] = []
        for m in worst_first(mets, m_status):
            name, unit = labels.get(int(snap.metrics.ids[m]), ("", ""))
            view["metrics"].append({"name": name, "unit": unit, **metric_view(st, m, unit)})
        kids = [int(k) for k in g.in_obj_child[g.in_obj_ptr[orow]:g.in_obj_ptr[orow + 1]]]
        view["child_count"] = len(kids)
        view["children"] = ([build(k, level + 1)
                             for k in worst_first(kids, o_status)[:max_children]]
                            if level < depth else [])
        return view

    return [build(r, 0) for r in tops]

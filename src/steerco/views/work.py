"""Findings, the schedule and earned value, computed once per workspace and day.

Findings and the schedule take seconds to compute for a large workspace, so pages read
them from `WorkCache`: one computed copy per workspace and day, refreshed in a background
thread when measurements arrive or it is older than `FRESH_S` (stale-while-revalidate),
so no page waits for a recompute after the first. An edit to anything else findings read
(the table generations of `ENGINE_TABLES` moved, on any process) is brought up to date in
line, so the next page shows it, and incrementally (`_update`): only the sources of the
work tables that moved are read again, and only the finding kinds and earned value that
read a source whose rows changed are recomputed (a rename recomputes nothing). An edit
to the snapshot's tables (metrics, plans, objectives, alignments, benefits), which the
engine patches into its evaluation, recomputes the kinds that read the snapshot, keeping
their findings whose inputs are unchanged; the order and page indexes are then patched
for just the findings removed and added (`_patched`). New measurements, metrics created
or deleted, or a new day are the full recompute.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.core import benefits as cb
from steerco.core.finding import FindingBatch
from steerco.db.models import Workspace
from steerco.db.repository import table_generations
from steerco.evidence.service import CACHE, ENGINE_TABLES
from steerco.findings import service as fs
from steerco.findings.repository import FindingsRepository
from steerco.kit.ids import parse_key
from steerco.org.service import workspace_today

log = logging.getLogger("steerco.web.pages")
FRESH_S = 120.0


def pid_key(public_id: str | None) -> int | None:
    """The key of a public id (`per_12` → 12), or None."""
    if not public_id:
        return None
    _, _, rest = public_id.partition("_")
    return parse_key(rest)


# --- findings, schedule and earned value, computed once per workspace and day ----------


@dataclass
class Work:
    """Findings (as JSON), the findings model (schedule inside) and earned value."""

    model: fs.Model
    findings: list[dict[str, Any]]
    earned: cb.EarnedValue
    made_at: float
    high_water: int
    #: Generations of everything findings read (ENGINE_TABLES) when this was computed.
    generations: tuple[int, ...] = ()
    by_subject: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    broken: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_initiative: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: Each finding by its stable key (kind:subject, `steerco.findings.service.finding_key`).
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Views derived from these findings and other small inputs (the triage state per
    #: finding, keyed by the triage table's generation and the day): a page over tens of
    #: thousands of findings then only filters what it shows.
    memo: dict[Any, Any] = field(default_factory=dict)
    #: The rated findings of each kind in the order `run_findings` made them, with their
    #: ranks: what `_update` keeps of the kinds whose inputs did not change.
    kinds: dict[str, tuple[list[dict[str, Any]], list[tuple[Any, ...]]]] = field(
        default_factory=dict)
    currency: str = ""
    #: What each finding of `kinds` is made from (`_row_keys`), in the same order.
    row_keys: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    #: The initiatives each finding concerns (`fs.initiatives_concerned`), by id().
    concerned: dict[int, set[int]] = field(default_factory=dict)
    #: The finding batches of `kinds`: a recomputed kind whose batches are equal keeps
    #: its findings without comparing them one by one.
    batches: dict[str, list[FindingBatch]] = field(default_factory=dict)

    def of(self, public_id: str) -> list[dict[str, Any]]:
        return self.by_subject.get(public_id, [])

    def of_initiative(self, key: int) -> list[dict[str, Any]]:
        """Findings about an initiative, its milestones and its dependencies, worst first
        (the same the cockpit shows about them)."""
        return self.by_initiative.get(key, [])


Row = tuple[Any, ...]


def _batches(m: fs.Model, kinds: list[str] | None = None) -> dict[str, list[FindingBatch]]:
    """The finding batches of `kinds` (all by default), per kind in run order."""
    out: dict[str, list[FindingBatch]] = {}
    for b in fs.run_findings(m, kinds):
        out.setdefault(b.kind, []).append(b)
    return out


def _row_keys(batches: list[FindingBatch]) -> list[Row]:
    """Each finding of `batches` as a tuple of everything its JSON is made from (equal
    tuples, equal JSON)."""
    out: list[Row] = []
    for b in batches:
        head = (b.subject_kind, b.template, tuple(b.evidence))
        cols = [b.subject.tolist(), b.person.tolist(), b.severity.tolist(),
                *(v.tolist() for v in b.evidence.values())]
        if b.subject_kinds is not None:
            cols.append(b.subject_kinds.tolist())
        out.extend((head, *t) for t in zip(*cols, strict=True))
    return out


def _same_array(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _columns(b: FindingBatch) -> list[np.ndarray[Any, Any]]:
    out: list[np.ndarray[Any, Any]] = [b.subject, b.person, b.severity, *b.evidence.values()]
    if b.subject_kinds is not None:
        out.append(b.subject_kinds)
    return out


def _same_batches(a: list[FindingBatch], b: list[FindingBatch]) -> bool:
    """Whether two runs of a kind made the same findings (equal batches, equal JSON)."""
    return len(a) == len(b) and all(
        x.kind == y.kind and x.subject_kind == y.subject_kind and x.template == y.template
        and list(x.evidence) == list(y.evidence)
        and (x.subject_kinds is None) == (y.subject_kinds is None)
        and all(_same_array(p, q) for p, q in zip(_columns(x), _columns(y), strict=True))
        for x, y in zip(a, b, strict=True))


def _json(batches: list[FindingBatch], only: list[int] | None = None
          ) -> list[dict[str, Any]]:
    """The findings of `batches` (those at the positions `only`, ascending) as JSON."""
    out: list[dict[str, Any]] = []
    at = 0
    for b in batches:
        n = len(b)
        if only is None:
            part = b
        else:
            idx = np.asarray([i - at for i in only if at <= i < at + n], dtype=np.int64)
            at += n
            if not idx.size:
                continue
            part = FindingBatch(b.kind, b.subject_kind, b.subject[idx], b.person[idx],
                                b.severity[idx], b.template,
                                {k: v[idx] for k, v in b.evidence.items()},
                                None if b.subject_kinds is None else b.subject_kinds[idx])
        out.extend(fs.finding_json(f) for f in part.rows())
    return out


def _work(m: fs.Model, kinds: dict[str, tuple[list[dict[str, Any]], list[tuple[Any, ...]]]],
          ev: cb.EarnedValue, generations: tuple[int, ...], currency: str,
          concerned: dict[int, set[int]]) -> Work:
    """A `Work` from rated findings per kind: all of them, most urgent first.
    `concerned` holds the initiatives of findings known already (by id())."""
    flat = [(r, f) for rows, ranks in kinds.values() for f, r in zip(rows, ranks, strict=True)]
    order = sorted(range(len(flat)), key=lambda i: flat[i][0], reverse=True)
    rows = [flat[i][1] for i in order]
    w = Work(m, rows, ev, time.monotonic(), m.snap.high_water, generations, kinds=kinds,
             currency=currency)
    for f in rows:
        w.by_key.setdefault(f["key"], f)
        w.by_subject.setdefault(f["subject"]["id"] or "", []).append(f)
        inis = concerned.get(id(f))
        if inis is None:
            inis = fs.initiatives_concerned(m, f)
        w.concerned[id(f)] = inis
        for ini in inis:
            w.by_initiative.setdefault(ini, []).append(f)
        if f["kind"] == "broken_dependency":
            k = pid_key(f["subject"]["id"])
            if k is not None:
                w.broken[k] = f
    return w


def _earned(m: fs.Model) -> cb.EarnedValue:
    return cb.earned_value(m.wg.initiatives, m.wg.milestones, m.budget, m.as_of)


Kinds = dict[str, tuple[list[dict[str, Any]], list[tuple[Any, ...]]]]


def _rated(m: fs.Model, rows: dict[str, list[dict[str, Any]]], currency: str,
           concerned: dict[int, set[int]]) -> Kinds:
    """`rows` per kind rated in place (one `rate_rows` over all), with their ranks; the
    initiatives each concerns go to `concerned`."""
    flat = [f for v in rows.values() for f in v]
    ranks = fs.rate_rows(m, flat, currency, concerned) if flat else []
    out: Kinds = {}
    at = 0
    for kind, v in rows.items():
        out[kind] = (v, ranks[at:at + len(v)])
        at += len(v)
    return out


def _compute(s: Session, ws: int, day: dt.date) -> Work:
    generations = table_generations(s, ws, ENGINE_TABLES)
    m = fs.load_model(s, ws, day)
    currency = FindingsRepository(s, ws).currency()
    concerned: dict[int, set[int]] = {}
    batches = _batches(m)
    kinds = _rated(m, {k: _json(v) for k, v in batches.items()}, currency, concerned)
    w = _work(m, kinds, _earned(m), generations, currency, concerned)
    w.row_keys = {k: _row_keys(v) for k, v in batches.items()}
    w.batches = batches
    return w


def _update(s: Session, ws: int, day: dt.date, old: Work) -> Work:
    """`old` brought up to date after edits: only the sources of the work tables that
    moved are read again, and only the finding kinds (and earned value) that read a
    source whose rows changed are recomputed; the rest is kept. An edit of the
    snapshot's tables is read from the engine's patched snapshot and evaluation (the
    source "snapshot", with the sources read beside it). The kept findings are rated
    again when what rating reads (`fs.rating_inputs`: the critical path, metric links,
    outcome weights, savings) or the currency changed. Anything else — measurements
    arrived, metrics created or deleted, another day — is a full `_compute`: the result
    is always what `_compute` gives now (tests/findings/test_work_incremental.py)."""
    generations = table_generations(s, ws, ENGINE_TABLES)
    st = CACHE.state(s, ws, day)
    m0 = old.model
    if len(old.generations) != len(generations):
        return _compute(s, ws, day)
    moved = {t for t, a, b in zip(ENGINE_TABLES, old.generations, generations, strict=True)
             if a != b}
    with st.lock:
        st.snapshot.compact()  # as `load_model` does
    # Measurements arrived (the engine caught up with them): the kinds reading the
    # evaluated snapshot are recomputed like after an edit of its tables.
    evidence = st.snapshot.high_water != old.high_water
    got = fs.update_model(s, m0, moved, (st.snapshot, st.evaluation), evidence)
    if got is None:
        return _compute(s, ws, day)
    m, changed = got
    currency = FindingsRepository(s, ws).currency()
    if m is m0 and currency == old.currency:  # nothing findings read changed (a rename)
        return replace(old, generations=generations, made_at=time.monotonic(), memo={})
    redo = [k for k in fs.KINDS if changed & set(fs.KIND_SOURCES[k])]
    fresh = _batches(m, redo) if redo else {}
    if not set(fresh) <= set(old.kinds):  # a kind that had no batch: its place is unknown
        return _compute(s, ws, day)
    rerate = currency != old.currency or (m is not m0 and not all(
        fs.same_source((a,), (b,)) for a, b in zip(fs.rating_inputs(m), fs.rating_inputs(m0),
                                                   strict=True)))
    # A recomputed kind keeps the findings whose every input is as before (rated as
    # before unless `rerate`); only the others are made (and rated) anew.
    row_keys = dict(old.row_keys)
    batches = {**old.batches, **fresh}
    slots: dict[str, list[tuple[dict[str, Any], Row] | None]] = {}
    todo: dict[str, list[dict[str, Any]]] = {}
    for kind, (rows, ranks) in old.kinds.items():
        if kind in redo and _same_batches(fresh.get(kind, []), old.batches.get(kind, [])):
            slots[kind] = list(zip(rows, ranks, strict=True))  # every finding as it was
            todo[kind] = [fs.unrated(f) for f in rows] if rerate else rows
        elif kind in redo:
            keys = row_keys[kind] = _row_keys(fresh.get(kind, []))
            was: dict[Row, list[tuple[dict[str, Any], Row]]] = {}
            try:
                for key, f, r in zip(old.row_keys[kind], rows, ranks, strict=True):
                    was.setdefault(key, []).append((f, r))
                got_rows = [was[key].pop(0) if was.get(key) else None for key in keys]
            except TypeError:  # evidence that cannot be compared so (unhashable)
                return _compute(s, ws, day)
            made = iter(_json(fresh.get(kind, []),
                              [i for i, x in enumerate(got_rows) if x is None]))
            todo[kind] = [next(made) if x is None else fs.unrated(x[0]) if rerate else x[0]
                          for x in got_rows]
            slots[kind] = got_rows
        elif rerate:
            todo[kind] = [fs.unrated(f) for f in rows]
    concerned: dict[int, set[int]] = {}
    same_parents = old.model.wg is m.wg or fs.same_source(
        (old.model.wg.milestones.ids, old.model.wg.milestones.initiative),
        (m.wg.milestones.ids, m.wg.milestones.initiative))
    if same_parents:
        concerned.update(old.concerned)  # by id(): `old` keeps its findings alive meanwhile
    kinds: Kinds = dict(old.kinds)
    if rerate:
        kinds.update(_rated(m, todo, currency, concerned))
    else:
        new = [f for k, v in slots.items() for f, x in zip(todo[k], v, strict=True)
               if x is None]
        new_ranks = iter(fs.rate_rows(m, new, currency, concerned) if new else [])
        for k, v in slots.items():
            kinds[k] = (todo[k], [next(new_ranks) if x is None else x[1] for x in v])
    ev = _earned(m) if changed & set(fs.EARNED_SOURCES) else old.earned
    if not rerate and same_parents and ev is old.earned and all(
            len(v) == len(old.kinds[k][0]) and all(
                x is not None and x[0] is f for x, f in zip(v, old.kinds[k][0], strict=True))
            for k, v in slots.items()):
        # Every finding kept as it was (say, the snapshot patched for a rename or an edit
        # no finding reads): the same findings in the same order, only the model is new.
        return replace(old, model=m, kinds=kinds, row_keys=row_keys, batches=batches,
                       generations=generations, made_at=time.monotonic(), memo={},
                       high_water=m.snap.high_water)
    w = None if rerate or not same_parents else _patched(
        old, m, kinds, ev, generations, currency, concerned)
    if w is None:
        w = _work(m, kinds, ev, generations, currency, concerned)
    w.row_keys = row_keys
    w.batches = batches
    return w


class _Before:
    """A finding's place in `_work`'s order as a key ascending in it: rank highest
    first, then the earlier in the kinds' run order (the sort is stable)."""

    __slots__ = ("at", "rank")

    def __init__(self, rank: tuple[Any, ...], at: int) -> None:
        self.rank, self.at = rank, at

    def __lt__(self, o: _Before) -> bool:
        return self.rank > o.rank or (self.rank == o.rank and self.at < o.at)


#: Past this many findings removed or added, `_patched` leaves it to a full `_work`.
PATCH_MAX = 2000


def _patched(old: Work, m: fs.Model, kinds: Kinds, ev: cb.EarnedValue,
             generations: tuple[int, ...], currency: str,
             concerned: dict[int, set[int]]) -> Work | None:
    """The `Work` that `_work` makes of `kinds`, made from `old`'s by patching its order
    and page indexes for only the findings removed and added (the kept ones are the same
    objects with the same ranks: the findings are not rated again, `concerned` holds
    `old`'s). None when it cannot be so (a kind's kept findings in another order, or
    many findings changed)."""
    removed: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for k, (rows, _) in kinds.items():
        was = old.kinds[k][0]
        if rows is was:
            continue
        now_ids = {id(f) for f in rows}
        was_ids = {id(f) for f in was}
        if [id(f) for f in rows if id(f) in was_ids] != [
                id(f) for f in was if id(f) in now_ids]:
            return None  # the kept findings of a kind in another order
        removed.extend(f for f in was if id(f) not in now_ids)
        added.extend(f for f in rows if id(f) not in was_ids)
        if len(removed) + len(added) > PATCH_MAX:
            return None
    gone = {id(f) for f in removed}
    # Each finding's rank and place in run order (no object made per finding: the
    # garbage collector would walk the whole heap for them).
    rank_of: dict[int, tuple[Any, ...]] = {}
    at_of: dict[int, int] = {}
    at = 0
    for rows, ranks in kinds.values():
        rank_of.update(zip(map(id, rows), ranks, strict=True))
        at_of.update(zip(map(id, rows), range(at, at + len(rows)), strict=True))
        at += len(rows)

    def place(f: dict[str, Any]) -> _Before:
        return _Before(rank_of[id(f)], at_of[id(f)])

    # The kept findings keep their order (ranks and run order as before); the new ones
    # go where the sort puts them.
    out = [f for f in old.findings if id(f) not in gone] if gone else list(old.findings)
    for f in sorted(added, key=place):
        out.insert(bisect.bisect_left(out, place(f), key=place), f)
    w = Work(m, out, ev, time.monotonic(), m.snap.high_water, generations, kinds=kinds,
             currency=currency)
    w.concerned = concerned
    for f in removed:
        concerned.pop(id(f), None)
    if not removed and not added:
        w.by_key, w.by_subject = old.by_key, old.by_subject
        w.by_initiative, w.broken = old.by_initiative, old.broken
        return w
    changed = removed + added

    def relist(index: dict[Any, list[dict[str, Any]]], keys: set[Any],
               new: dict[Any, list[dict[str, Any]]]) -> dict[Any, list[dict[str, Any]]]:
        out = dict(index)  # the lists of `old` are served meanwhile: never changed
        for key in keys:
            v = [f for f in index.get(key, ()) if id(f) not in gone] + new.get(key, [])
            if v:
                out[key] = sorted(v, key=place)
            else:
                out.pop(key, None)
        return out

    def subject(f: dict[str, Any]) -> str:
        return f["subject"]["id"] or ""

    new_of: dict[Any, list[dict[str, Any]]] = {}
    for f in added:
        new_of.setdefault(subject(f), []).append(f)
    w.by_subject = relist(old.by_subject, {subject(f) for f in changed}, new_of)
    new_of = {}
    for f in added:
        for ini in concerned[id(f)]:
            new_of.setdefault(ini, []).append(f)
    w.by_initiative = relist(old.by_initiative, {
        ini for f in changed for ini in (old.concerned if id(f) in gone else concerned)[id(f)]
    }, new_of)
    w.by_key = dict(old.by_key)
    for f in changed:  # the first of its key in order (all of a key share a subject)
        first = next((g for g in w.by_subject.get(subject(f), ()) if g["key"] == f["key"]),
                     None)
        if first is None:
            w.by_key.pop(f["key"], None)
        else:
            w.by_key[f["key"]] = first
    w.broken = dict(old.broken)
    deps = {d for f in changed if f["kind"] == "broken_dependency"
            and (d := pid_key(f["subject"]["id"])) is not None}
    if deps:
        brk = kinds.get("broken_dependency", ([], []))[0]
        for d in deps:  # the last of its key in order
            last = max((g for g in brk if pid_key(g["subject"]["id"]) == d), key=place,
                       default=None)
            if last is None:
                w.broken.pop(d, None)
            else:
                w.broken[d] = last
    return w


class WorkCache:
    """Per-process `Work` per (database, workspace, day), refreshed in the background."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, int, dt.date], Work] = {}
        self._busy: set[tuple[str, int, dt.date]] = set()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def get(self, s: Session, ws: int) -> Work:
        day = workspace_today(s, ws)  # the workspace's time zone
        engine = s.get_bind().engine
        key = (str(engine.url), ws, day)
        st = CACHE.state(s, ws, day)
        with self._lock:
            hit = self._items.get(key)
        # An edit to anything findings read (any process) is shown by the next page: the
        # findings are recomputed in line then, never mixed from old and new facts.
        if hit is None or hit.generations != table_generations(s, ws, ENGINE_TABLES):
            w = _compute(s, ws, day) if hit is None else _update(s, ws, day, hit)
            with self._lock:
                self._items[key] = w
            return w
        stale = (hit.high_water != st.snapshot.high_water
                 or time.monotonic() - hit.made_at > FRESH_S)
        if stale:
            self._refresh(engine, key)
        return hit

    def _refresh(self, engine: Engine, key: tuple[str, int, dt.date]) -> None:
        with self._lock:
            if key in self._busy:
                return
            self._busy.add(key)
            old = self._items.get(key)

        def run() -> None:
            try:
                with Session(engine) as s:
                    # Brought up to date like after an edit: only the kinds reading the
                    # evaluation are recomputed (a full compute held the GIL for seconds
                    # on a large workspace, slowing every request meanwhile).
                    w = _compute(s, key[1], key[2]) if old is None else _update(
                        s, key[1], key[2], old)
                with self._lock:
                    self._items[key] = w
            except Exception:  # a failed refresh keeps serving the last copy
                log.exception("refreshing findings failed")
            finally:
                with self._lock:
                    self._busy.discard(key)

        threading.Thread(target=run, name="steerco-findings-refresh", daemon=True).start()


WORK = WorkCache()


def warm(engine: Engine) -> None:
    """Compute every workspace's findings and schedule now (a server's first page view
    then does not wait for them)."""
    with Session(engine) as s:
        for ws in s.scalars(select(Workspace.id)).all():
            WORK.get(s, ws)

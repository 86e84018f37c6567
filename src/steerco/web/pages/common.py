"""What several pages share: ids in paths, pagination, names, and the engine's results.

Findings and the schedule take seconds to compute for a large workspace, so pages read
them from `WorkCache`: one computed copy per workspace and day, refreshed in a background
thread when measurements arrive or it is older than `FRESH_S` (stale-while-revalidate),
so no page waits for a recompute after the first.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.core import benefits as cb
from steerco.core.snapshot import rows_of
from steerco.db.models import OrgUnit, Person
from steerco.evidence.service import CACHE, EngineState
from steerco.findings import service as fs
from steerco.kit.errors import NotFound
from steerco.kit.ids import PREFIXES, format_id, parse_id
from steerco.org.service import workspace_today

log = logging.getLogger("steerco.web.pages")
T = TypeVar("T")
PER_PAGE = 25
FRESH_S = 120.0


def key_of(value: str, kind: str) -> int:
    """The key of a public id in a path (`met_12`); an id of another kind is not found."""
    try:
        return parse_id(value, kind, "id")
    except Exception:
        raise NotFound(kind, value) from None


def link(public_id: str | None) -> str:
    """The page of any public id (through /go/, which knows where each kind lives)."""
    if not public_id:
        return "#"
    prefix = public_id.split("_", 1)[0]
    direct = {PREFIXES["metric"]: "metrics", PREFIXES["objective"]: "objectives",
              PREFIXES["initiative"]: "initiatives", PREFIXES["org_unit"]: "units"}
    if prefix in direct:
        return f"/{direct[prefix]}/{public_id}"
    return f"/go/{public_id}"


@dataclass
class Pager:
    """One page of a list: 1-based `page` of `total` items, `per_page` per page."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.per_page)


def pager(page: int | None, total: int, per_page: int = PER_PAGE) -> Pager:
    p = Pager(1, per_page, total)
    p.page = min(max(1, page or 1), p.pages)
    return p


def page_of(items: Sequence[T], page: int | None,
            per_page: int = PER_PAGE) -> tuple[list[T], Pager]:
    p = pager(page, len(items), per_page)
    return list(items[p.offset:p.offset + p.per_page]), p


def today(s: Session, ws: int) -> dt.date:
    """Today in the workspace's time zone."""
    return workspace_today(s, ws)


def state(s: Session, ws: int) -> EngineState:
    """The workspace's evaluated snapshot (cached per process, caught up on read)."""
    return CACHE.state(s, ws, today(s, ws))


def metric_row(st: EngineState, key: int) -> int:
    return int(rows_of(st.snapshot.metrics.ids, [key])[0])


def objective_row(st: EngineState, key: int) -> int:
    return int(rows_of(st.snapshot.objective_ids, [key])[0])


def person_names(s: Session, ws: int, keys: Any) -> dict[int, str]:
    want = sorted({int(k) for k in keys if k is not None and int(k) >= 0})
    if not want:
        return {}
    out: dict[int, str] = {}
    for i in range(0, len(want), 900):
        out.update(s.execute(select(Person.id, Person.name).where(
            Person.workspace_id == ws, Person.id.in_(want[i:i + 900]))).all())
    return out


def unit_names(s: Session, ws: int, keys: Any) -> dict[int, str]:
    want = sorted({int(k) for k in keys if k is not None and int(k) >= 0})
    if not want:
        return {}
    return dict(s.execute(select(OrgUnit.id, OrgUnit.name).where(
        OrgUnit.workspace_id == ws, OrgUnit.id.in_(want))).all())


def pid_key(public_id: str | None) -> int | None:
    """The key of a public id (`per_12` → 12), or None."""
    if not public_id:
        return None
    _, _, rest = public_id.partition("_")
    return int(rest) if rest.isdigit() else None


# --- findings, schedule and earned value, computed once per workspace and day ----------


@dataclass
class Work:
    """Findings (as JSON), the findings model (schedule inside) and earned value."""

    model: fs.Model
    findings: list[dict[str, Any]]
    earned: cb.EarnedValue
    made_at: float
    high_water: int
    by_subject: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    broken: dict[int, dict[str, Any]] = field(default_factory=dict)

    def of(self, public_id: str) -> list[dict[str, Any]]:
        return self.by_subject.get(public_id, [])


def _compute(s: Session, ws: int, day: dt.date) -> Work:
    m = fs.load_model(s, ws, day)
    rows = [fs.finding_json(f) for b in fs.run_findings(m) for f in b.rows()]
    rows.sort(key=lambda f: (-f["severity"], fs.KINDS.index(f["kind"])))
    ev = cb.earned_value(m.wg.initiatives, m.wg.milestones, m.budget, m.as_of)
    w = Work(m, rows, ev, time.monotonic(), m.snap.high_water)
    for f in rows:
        w.by_subject.setdefault(f["subject"]["id"] or "", []).append(f)
        if f["kind"] == "broken_dependency":
            k = pid_key(f["subject"]["id"])
            if k is not None:
                w.broken[k] = f
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
        day = today(s, ws)
        engine = s.get_bind().engine
        key = (str(engine.url), ws, day)
        st = state(s, ws)
        with self._lock:
            hit = self._items.get(key)
        if hit is None:
            w = _compute(s, ws, day)
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

        def run() -> None:
            try:
                with Session(engine) as s:
                    w = _compute(s, key[1], key[2])
                with self._lock:
                    self._items[key] = w
            except Exception:  # a failed refresh keeps serving the last copy
                log.exception("refreshing findings failed")
            finally:
                with self._lock:
                    self._busy.discard(key)

        threading.Thread(target=run, name="steerco-findings-refresh", daemon=True).start()


WORK = WorkCache()


def finite(x: Any) -> float | None:
    """A float, or None for NaN/inf/None (JSON-safe)."""
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def status_name(code: int) -> str:
    from steerco.evidence.service import STATUS_NAMES

    return STATUS_NAMES[int(code)]


SEVERITY_ORDER = {"missed": 0, "off_track": 1, "stale": 2, "at_risk": 3, "no_data": 4,
                  "on_track": 5, "achieved": 6}


def worst_first(names: np.ndarray[Any, Any] | list[str]) -> list[int]:
    return sorted(range(len(names)), key=lambda i: SEVERITY_ORDER.get(str(names[i]), 9))


def pub(kind: str, key: int | None) -> str | None:
    return None if key is None else format_id(kind, int(key))

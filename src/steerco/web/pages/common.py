"""What several pages share: ids in paths, pagination, names, and the engine's results.

Names and the cached findings come from the read models (steerco.views); pages never
build a query of their own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from steerco.core.snapshot import rows_of
from steerco.evidence.service import CACHE, EngineState
from steerco.kit import clock
from steerco.kit.errors import NotFound
from steerco.kit.ids import PREFIXES, format_id, parse_id
from steerco.views import Session
from steerco.views.escalations import escalations_on
from steerco.views.names import person_names, unit_names
from steerco.views.work import FRESH_S, WORK, Work, WorkCache, pid_key

__all__ = ["FRESH_S", "WORK", "Work", "WorkCache", "escalations_on", "person_names", "pid_key",
           "unit_names"]
T = TypeVar("T")
PER_PAGE = 25


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


def today() -> dt.date:
    return clock.today()


def state(s: Session, ws: int) -> EngineState:
    """The workspace's evaluated snapshot (cached per process, caught up on read)."""
    return CACHE.state(s, ws, today())


def metric_row(st: EngineState, key: int) -> int:
    return int(rows_of(st.snapshot.metrics.ids, [key])[0])


def objective_row(st: EngineState, key: int) -> int:
    return int(rows_of(st.snapshot.objective_ids, [key])[0])








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

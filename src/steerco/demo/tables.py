"""Columnar tables of generated rows, and their conversion to DBAPI row tuples in chunks.

A generated table keeps numpy columns (not Python tuples) because the xl company has ten
million measurements: as tuples they would need several GB, as columns a few hundred MB.
Tuples are only built per chunk, right before they are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Null marker for Ref and Day columns (ids and day numbers are never this negative).
NULL = -(2**40)
_EPOCH = dt.date(1970, 1, 1)
#: Day strings are looked up in one table instead of formatted per row (measured ~10×).
_DAY0 = (dt.date(1990, 1, 1) - _EPOCH).days
_DAY1 = (dt.date(2100, 1, 1) - _EPOCH).days
_DAY_STR: npt.NDArray[np.object_] | None = None


def day(d: dt.date) -> int:
    """Return the day number (days since 1970-01-01) of a date."""
    return (d - _EPOCH).days


def from_day(n: int) -> dt.date:
    """Return the date of a day number."""
    return _EPOCH + dt.timedelta(days=int(n))


def _day_strings() -> npt.NDArray[np.object_]:
    global _DAY_STR
    if _DAY_STR is None:
        iso = np.arange(_DAY0, _DAY1).astype("datetime64[D]").astype(str)
        _DAY_STR = iso.astype(object)
    return _DAY_STR


@dataclass(frozen=True)
class Ref:
    """Foreign (or own) key: 0-based row numbers in `table`; NULL where absent."""

    table: str
    idx: IntArray


@dataclass(frozen=True)
class Day:
    """A DATE column as day numbers; NULL where absent."""

    days: IntArray


@dataclass(frozen=True)
class Stamp:
    """A timestamp column: a day number plus a minute of that day."""

    days: IntArray
    minutes: IntArray


@dataclass(frozen=True)
class Cat:
    """A categorical column: small integer codes into `values` (strings, numbers or None)."""

    codes: npt.NDArray[np.int8]
    values: Sequence[Any]


@dataclass(frozen=True)
class Const:
    """The same value in every row (resolved per load for the workspace and timestamps)."""

    value: Any


#: Placeholders that only the loader can resolve.
WORKSPACE = Const("$workspace")
NOW = Const("$now")

Column = Ref | Day | Stamp | Cat | Const | npt.NDArray[Any] | list[Any]


@dataclass
class Table:
    """One table's generated rows, column by column; row i has local id i + 1."""

    name: str
    n: int
    columns: dict[str, Column]
    #: Whether the table has an integer `id` primary key that the loader assigns.
    keyed: bool = True
    #: Columns written NULL first and set by an UPDATE once the referenced rows exist.
    deferred: tuple[str, ...] = ()

    def column_names(self) -> list[str]:
        """Return the names of the columns written, the id first for keyed tables."""
        return (["id"] if self.keyed else []) + list(self.columns)


@dataclass(frozen=True)
class Resolve:
    """What the loader knows and the generator does not: ids, workspace, timestamps."""

    id_base: dict[str, int]
    workspace_id: int
    now: str
    #: Suffix of timestamps: "" on SQLite (as SQLAlchemy stores them), "+00" for PostgreSQL.
    tz: str = ""
    bool_as_int: bool = True
    #: Write deferred columns NULL (the loader sets them later); False for local rows.
    defer: bool = True


def _minute_strings(tz: str) -> list[str]:
    return [f" {m // 60:02d}:{m % 60:02d}:00.000000{tz}" for m in range(1440)]


def _convert(col: Column, lo: int, hi: int, r: Resolve, minutes: list[str]) -> Any:
    """Return an iterable of Python values for rows lo:hi of one column."""
    if isinstance(col, Ref):
        part = col.idx[lo:hi]
        ids = part + (r.id_base[col.table] + 1)
        mask = part == NULL
        if not mask.any():
            return ids.tolist()
        obj = ids.astype(object)
        obj[mask] = None
        return obj.tolist()
    if isinstance(col, Day):
        part = col.days[lo:hi]
        mask = part == NULL
        out = _day_strings()[np.where(mask, _DAY0, part) - _DAY0]
        if mask.any():
            out[mask] = None
        return out.tolist()
    if isinstance(col, Stamp):
        ds = _day_strings()[col.days[lo:hi] - _DAY0].tolist()
        ms = col.minutes[lo:hi].tolist()
        return [d + minutes[m] for d, m in zip(ds, ms, strict=True)]
    if isinstance(col, Cat):
        vals = np.empty(len(col.values), dtype=object)
        vals[:] = list(col.values)
        return vals[col.codes[lo:hi]].tolist()
    if isinstance(col, Const):
        v = col.value
        if v == "$workspace":
            v = r.workspace_id
        elif v == "$now":
            v = r.now
        return repeat(v, hi - lo)
    if isinstance(col, np.ndarray):
        part = col[lo:hi]
        if part.dtype.kind == "f":
            nan = np.isnan(part)
            if nan.any():
                obj = part.astype(object)
                obj[nan] = None
                return obj.tolist()
        if part.dtype.kind == "b" and r.bool_as_int:
            return part.astype(np.int64).tolist()
        return part.tolist()
    return col[lo:hi]


def chunks(table: Table, r: Resolve, size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    """Yield the table's rows as DBAPI tuples, `size` rows at a time."""
    minutes = _minute_strings(r.tz)
    base = r.id_base.get(table.name, 0)
    for lo in range(0, table.n, size):
        hi = min(lo + size, table.n)
        cols: list[Any] = []
        if table.keyed:
            cols.append(range(base + 1 + lo, base + 1 + hi))
        for name, col in table.columns.items():
            if r.defer and name in table.deferred:
                cols.append(repeat(None, hi - lo))
            else:
                cols.append(_convert(col, lo, hi, r, minutes))
        yield list(zip(*cols, strict=False))


def local_rows(table: Table) -> list[tuple[Any, ...]]:
    """Return all rows with local ids (1-based) and no workspace: for tests and equality."""
    tables = {table.name}
    refs = {c.table for c in table.columns.values() if isinstance(c, Ref)} | tables
    r = Resolve(id_base=dict.fromkeys(refs, 0), workspace_id=0, now="now", defer=False)
    out: list[tuple[Any, ...]] = []
    for chunk in chunks(table, r, size=max(table.n, 1)):
        out.extend(chunk)
    return out

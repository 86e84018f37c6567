"""Measurements in bulk: the same rules as a check-in, checked in a tight loop, then one
executemany (SQLite) or one COPY (PostgreSQL) in the import's transaction.

The service path (one ORM object and flush per check-in) writes ~5,000 rows/s; a history
of 1,000,000 measurements needs the bulk path (bench/import_measurements.py).
"""

from __future__ import annotations

import datetime as dt
import math
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import and_

from steerco.checkins.schemas import MeasurementCreate
from steerco.db.audit import record_appended_series
from steerco.db.enums import Source
from steerco.db.models import Measurement
from steerco.kit.errors import SteercoError
from steerco.kit.validation import parse
from steerco.transfer.context import Ctx
from steerco.transfer.read import paused_gc
from steerco.transfer.report import Problem, Report
from steerco.transfer.values import CellError

#: A million bad rows are not a million lines of report: the first ones say enough.
MAX_PROBLEMS = 1000
COLUMNS = ["workspace_id", "metric_id", "value", "as_of", "note", "evidence_url", "source",
           "submitted_at", "confidence", "supersedes_id"]


def stage_measurements(ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                       report: Report) -> list[Problem]:
    with paused_gc():
        return _stage(ctx, title, rows, report)


def _stage(ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
           report: Report) -> list[Problem]:
    problems: list[Problem] = []
    metrics = ctx.keys["metric"]
    reader = ctx.reader
    latest = ctx.repo.latest_measurements() if ctx.repo.measurement_count() else {}
    columns = _clean_columns(ctx, rows, latest)
    if columns is not None:  # every row is clean and new: nothing to report row by row
        report.bulk["Measurements"] = {"create": len(rows), "update": 0, "unchanged": 0}
        _write_columns(ctx, *columns)
        return problems
    # No evidence from after today in the workspace's zone (as checkins.service).
    limit = ctx.today
    seen: dict[tuple[int, dt.date], int] = {}
    new: list[tuple[Any, ...]] = []
    unchanged = corrected = 0
    more = 0

    def refuse(number: int, column: str | None, value: Any, reason: str) -> None:
        nonlocal more
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(title, number, column, value, reason))
        else:
            more += 1

    for number, raw in rows:
        key = raw.get("metric")
        metric = metrics.get(key if isinstance(key, str) else reader.text(key)) \
            if key is not None else None
        if metric is None:
            refuse(number, "metric", key, "required: the cell is empty" if key is None else
                   f"no metric with key {key!r} in this workspace or this file")
            continue
        try:
            value = reader.number(raw["value"]) if "value" in raw else None
            as_of = reader.date(raw["as_of"]) if "as_of" in raw else None
        except CellError as exc:
            bad = "value" if "date" not in str(exc) else "as_of"
            refuse(number, bad, raw.get(bad), str(exc).removeprefix("is "))
            continue
        if value is None or as_of is None:
            col = "value" if value is None else "as_of"
            refuse(number, col, None, "required: the cell is empty")
            continue
        if as_of > limit:
            refuse(number, "as_of", as_of.isoformat(),
                   f"{as_of} is in the future (today is {ctx.today})")
            continue
        note = evidence = confidence = None
        if len(raw) > 3:  # the optional cells go through the check-in schema itself
            try:
                body = parse(MeasurementCreate, {
                    "metric_id": metric, "value": value, "as_of": as_of,
                    "note": _text(raw.get("note")), "evidence_url": _text(raw.get("evidence_url")),
                    "confidence": reader.number(raw["confidence"]) if "confidence" in raw
                    else None})
            except (SteercoError, CellError) as exc:
                errors = getattr(exc, "errors", None) or [None]
                for e in errors:
                    refuse(number, e.field if e else "confidence", e.value if e else
                           raw.get("confidence"), e.message if e else str(exc))
                continue
            note, evidence, confidence = body.note, body.evidence_url, body.confidence
        k = (metric, as_of)
        if k in seen:
            refuse(number, "as_of", as_of.isoformat(),
                   f"duplicate: row {seen[k]} has a value for this metric and date")
            continue
        seen[k] = number
        old = latest.get(k)
        if old is not None and old[1] == value:
            unchanged += 1
            continue
        if old is not None:
            corrected += 1
        new.append((ctx.workspace_id, metric, value, as_of, note, evidence, Source.IMPORT.value,
                    None, confidence, old[0] if old is not None else None))
    if more:
        problems.append(Problem(title, None, None, None, f"… and {more:,} more rows refused"))
    report.bulk["Measurements"] = {"create": len(new) - corrected, "update": corrected,
                          "unchanged": unchanged}
    if not problems and new:
        _write(ctx, new)
    return problems


def _clean_columns(ctx: Ctx, rows: list[tuple[int, dict[str, Any]]],
                   latest: dict[tuple[int, dt.date], tuple[int, float]],
                   ) -> tuple[list[int], list[float], list[str], list[dt.date]] | None:
    """The common case checked column-wise: (metric ids, values, ISO dates, dates) when
    every row has only metric, as_of and value as text, every key is known, every value
    a finite plain number, every date an ISO date not after today, no (metric, date)
    twice and none measured before; None sends the rows through the row-by-row checks
    below, which apply the same rules and name each refused row.

    A history of 1,000,000 rows costs ~2.3 s of CPU in the row loop and ~0.4 s here.
    """
    if not rows or len(rows) < 1000 or ctx.reader.decimal_comma:
        return None
    raws = [r for _, r in rows]
    if set(map(len, raws)) != {3}:
        return None
    try:
        keys = [r["metric"] for r in raws]
        texts = [r["value"] for r in raws]
        days = [r["as_of"] for r in raws]
    except KeyError:
        return None
    if {type(k) for k in keys} != {str} or {type(v) for v in texts} != {str} or \
            {type(d) for d in days} != {str} or set(map(len, days)) != {10}:
        return None
    found = list(map(ctx.keys["metric"].get, keys))
    joined = "".join(texts)
    # float() would read "1_000", "inf" and "nan"; the row path refuses them.
    if None in found or "_" in joined or "n" in joined.lower():
        return None
    ids: list[int] = found  # type: ignore[assignment]  # no None, tested just above
    try:
        values = np.array(texts, dtype=np.float64)
        stamps = np.array(days, dtype="datetime64[D]")
    except ValueError:
        return None
    if not np.isfinite(values).all() or (np.datetime_as_string(stamps) != np.array(days)).any():
        return None  # numpy reads "2026-1-05" leniently; the ISO text must read back as is
    if (stamps > np.datetime64(ctx.today, "D")).any():
        return None
    metric = np.array(ids, dtype=np.int64)
    pairs = metric * (1 << 32) + (stamps.astype(np.int64) + (1 << 31))
    if len(np.unique(pairs)) != len(pairs):
        return None
    if latest and np.isin(metric, np.fromiter({m for m, _ in latest}, np.int64)).any():
        return None  # corrections and unchanged rows: the row path tells them apart
    return ids, values.tolist(), days, stamps.tolist()


def _write_columns(ctx: Ctx, ids: list[int], values: list[float], days: list[str],
                   dates: list[dt.date]) -> None:
    """Insert new rows that carry only metric, value and date (see `_write`)."""
    conn = ctx.session.connection()
    if conn.dialect.name == "postgresql":
        n = len(ids)
        _write(ctx, list(zip(repeat(ctx.workspace_id, n), ids, values, dates, repeat(None, n),
                             repeat(None, n), repeat(Source.IMPORT.value, n), repeat(None, n),
                             repeat(None, n), repeat(None, n), strict=True)))
        return
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:  # a zip of columns: no Python frame per row between the list and SQLite
        cur.executemany(
            "INSERT INTO measurements (workspace_id, metric_id, value, as_of, source, "
            "submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
            zip(repeat(ctx.workspace_id), ids, values, days, repeat(Source.IMPORT.value),
                repeat(stamp)))
    finally:
        cur.close()


def _text(v: Any) -> str | None:
    return None if v is None else str(v).strip() or None


def _write(ctx: Ctx, rows: list[tuple[Any, ...]]) -> None:
    now = dt.datetime.now(dt.UTC)
    before = ctx.repo.max_id(Measurement)
    _copy_or_executemany(ctx, rows, now)
    # Audited in one INSERT … SELECT, one entry per metric (see record_appended_series):
    # the rows of this import are the workspace's new ones stamped with this `now`.
    m = Measurement
    record_appended_series(ctx.session, m, and_(m.workspace_id == ctx.workspace_id,
                                                m.id > before, m.submitted_at == now),
                           m.metric_id, m.as_of)


def _copy_or_executemany(ctx: Ctx, rows: list[tuple[Any, ...]], now: dt.datetime) -> None:
    conn = ctx.session.connection()
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cols = ", ".join(COLUMNS)
        with dbapi.cursor() as cur, cur.copy(  # type: ignore[union-attr]
                f"COPY measurements ({cols}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row((*r[:7], now, *r[8:]))
        return
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    sql = (f"INSERT INTO measurements ({', '.join(COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(COLUMNS))})")
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, ((r[0], r[1], r[2], r[3].isoformat(), r[4], r[5], r[6], stamp,
                               r[8], r[9]) for r in rows))
    finally:
        cur.close()


__all__ = ["math", "stage_measurements"]

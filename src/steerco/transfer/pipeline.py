"""The one import pipeline: convert → validate with the services → report → stage.

`stage` never commits: it checks every row with the domain services' rules inside the
caller's transaction — the batched sheets (every entity and link sheet, milestones,
dependencies) row by row without writing, with the services' check functions, then
written in bulk (entities.py; an existing row is updated by its service in a savepoint),
and the bulk ones (measurements, ledger) likewise; references further down the file and
stage gates are set at the end (`Ctx.deferred`, `Ctx.finish`) — collects every problem,
and leaves the decision to the boundary (`run.import_book`): commit when there is no
problem and it is not a dry run, roll back otherwise. The rules are the services' own,
so a row the API would refuse is refused here with the same reason, named by sheet, row
and column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steerco.kit.errors import FieldError, SteercoError, ValidationFailed
from steerco.org.service import workspace_today
from steerco.transfer.context import Ctx, Deferred, RowRefused
from steerco.transfer.handlers import HANDLERS, Handler
from steerco.transfer.read import Book
from steerco.transfer.report import Outcome, Problem, Report
from steerco.transfer.spec import SheetSpec
from steerco.transfer.values import CellError, Reader

Progress = Callable[[str, int, int], None]


def convert(spec: SheetSpec, raw: dict[str, Any], reader: Reader) -> dict[str, Any]:
    """Typed values of one row; every unreadable or missing required cell is refused."""
    values: dict[str, Any] = {}
    problems: list[tuple[str | None, Any, str]] = []
    for col in spec.columns:
        cell = raw.get(col.name)
        if cell is None:
            if col.required:
                problems.append((col.name, None, "required: the cell is empty"))
            values[col.name] = None
            continue
        try:
            if col.kind == "number":
                values[col.name] = reader.number(cell)
            elif col.kind == "integer":
                values[col.name] = reader.integer(cell)
            elif col.kind == "date":
                values[col.name] = reader.date(cell)
            elif col.kind == "bool":
                values[col.name] = reader.boolean(cell)
            elif col.kind == "list":
                values[col.name] = [p.strip() for p in reader.text(cell).split(";")
                                    if p.strip()]
            else:
                text = reader.text(cell)
                if col.kind == "enum":
                    text = text.lower().replace(" ", "_") if col.choices[0].islower() else \
                        text.upper()
                    if text not in col.choices:
                        raise CellError("is not one of: " + ", ".join(col.choices))
                values[col.name] = text
        except CellError as exc:
            problems.append((col.name, cell, str(exc).removeprefix("is ")))
    if problems:
        raise RowRefused(problems)
    return values


def problems_of(title: str, number: int, handler: Handler, exc: Exception,
                ctx: Ctx) -> list[Problem]:
    """The problems of a refused row, each naming its column and the file's keys."""
    if isinstance(exc, RowRefused):
        return [Problem(title, number, c, v, ctx.keys_for_ids(r)) for c, v, r in exc.problems]
    if isinstance(exc, ValidationFailed):
        return [Problem(title, number, handler.column_of(e), e.value,
                        ctx.keys_for_ids(e.message))
                for e in exc.errors] or [Problem(title, number, None, None, exc.detail)]
    if isinstance(exc, SteercoError):
        return [Problem(title, number, None, None, exc.detail)]
    if isinstance(exc, IntegrityError):
        reason = str(exc.orig).splitlines()[0] if exc.orig else "refused by the database"
        return [Problem(title, number, None, None, f"refused by the database: {reason}")]
    raise exc


def stage(session: Session, workspace_id: int, book: Book, *, today: dt.date | None = None,
          progress: Progress | None = None) -> Report:
    """Run every row of `book` through the services in `session`; never commits."""
    report = Report(problems=list(book.problems))
    # Today is the workspace's (its time zone), as for a check-in through the API.
    ctx = Ctx.load(session, workspace_id, today or workspace_today(session, workspace_id))
    handlers = [h for h in HANDLERS if h.spec.name in book.tables]
    for h in handlers:
        if h.bulk:  # nothing refers to a measurement or a ledger entry by key
            continue
        ctx.file_keys[h.spec.name] = {k for k in (h.raw_key(r) for _, r in book.rows(h.spec.name))
                                      if k is not None}
    total = sum(len(book.rows(h.spec.name)) for h in handlers)
    done = 0
    for h in handlers:
        title = book.title(h.spec.name)
        rows = book.rows(h.spec.name)
        if h.bulk or h.batched:
            if progress:
                ctx.checking = lambda i, t=title, d=done: progress(t, d + i, total)
            report.problems.extend(h.stage_bulk(ctx, title, rows, report))
            ctx.checking = None
            done += len(rows)
            if progress:
                progress(title, done, total)
            continue
        seen: dict[str, int] = {}
        for i, (number, raw) in enumerate(rows):
            try:
                values = convert(h.spec, raw, ctx.reader)
                key = h.key(values)
                if key in seen:
                    raise RowRefused([(h.key_column, key,
                                       f"duplicate key: row {seen[key]} has it too")])
                seen[key] = number
                with session.begin_nested():
                    action, changes = h.apply(ctx, number, values)
                report.outcomes.append(Outcome(h.spec.title, number, key, action, changes))
            except (RowRefused, SteercoError, IntegrityError) as exc:
                report.problems.extend(problems_of(title, number, h, exc, ctx))
            if progress and (i % 200 == 0 or i == len(rows) - 1):
                progress(title, done + i + 1, total)
        done += len(rows)
    for sheet, number, work in ctx.deferred:
        h = next(h for h in HANDLERS if h.spec.name == sheet)
        try:
            with session.begin_nested():
                work()
        except (RowRefused, SteercoError, IntegrityError, Deferred) as exc:
            if isinstance(exc, Deferred):
                exc = RowRefused([(None, None, "refers to a row that was refused")])
            report.problems.extend(problems_of(book.title(sheet), number, h, exc, ctx))
    for finish in ctx.finish:
        report.problems.extend(finish())
    session.flush()
    return report


__all__ = ["FieldError", "Progress", "convert", "stage"]

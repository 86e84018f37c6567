"""Entity sheets in bulk: every new row checked with its service's rules, then all of them
inserted in one executemany (and audited in one more).

A row whose key is already in the workspace goes through the service's update as before
(one savepoint each: an update of a few rows). A new row is built as the create service
builds it — the service's schema parsed, its rules applied as the pure check functions the
service itself calls (`org.check_active`, `metrics.shape_errors`, …) — and kept; after the
sheet, the new rows are written at once and their keys registered, so the later sheets
find them. A reference to a row further down the file (an org unit's parent, a person's
manager) is resolved once every sheet is in (`Ctx.finish`) with the update's rules
(`org.check_unit_parent`, `org.check_manager`) and written in one executemany per field
set; so are the stage gates of new initiatives (`initiatives.gaps_of`).

The row-by-row path cost ~1.7 ms of CPU per row (an ORM object, a flush, an audit row and
a savepoint each); this one a few tens of µs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from steerco.kit.errors import SteercoError
from steerco.transfer.context import Ctx, Deferred, RowRefused
from steerco.transfer.report import Problem, Report

if TYPE_CHECKING:
    from steerco.transfer.handlers import Applied, EntityHandler

#: A reference set after the sheet: (row number, index of the new row, service field,
#: kind it names, its column, the cell's value).
Later = tuple[int, int, str, str, str, str]


def stage_entities(h: EntityHandler, ctx: Ctx, title: str,
                   rows: list[tuple[int, dict[str, Any]]], report: Report) -> list[Problem]:
    new: list[dict[str, Any]] = []
    keys: list[str] = []
    numbers: list[int] = []
    later: list[Later] = []
    extra: list[Any] = []  # what the handler keeps per new row (see `EntityHandler.new_row`)

    def check(number: int, key: str, v: dict[str, Any]) -> Applied:
        if ctx.find(h.kind, key) is not None:  # an update: the service's path, as before
            with ctx.session.begin_nested():
                return h.apply(ctx, number, v)
        ctx.current_row = number
        body = h.payload(ctx, v)
        waits: dict[str, tuple[str, str]] = {}
        for field, (kind, column) in h.refs.items():
            try:
                body[field] = ctx.ref(kind, column, v[column], defer=field in h.deferrable)
            except Deferred:
                body[field] = None
                waits[field] = (kind, column)
        row, more = h.new_row(ctx, key, {k: x for k, x in body.items() if x is not None}, v)
        for field, (kind, column) in waits.items():
            later.append((number, len(new), field, kind, column, v[column]))
        new.append(row)
        keys.append(key)
        numbers.append(number)
        extra.append(more)
        h.checked(ctx, key, row)
        return "create", {}

    problems = h.each_row(ctx, title, rows, report, check)
    ids = ctx.repo.insert_audited(h.model, new)
    for key, row_id, row in zip(keys, ids, new, strict=True):
        ctx.register(h.kind, key, row_id)
        h.registered(ctx, row_id, row)
    h.inserted(ctx, title, list(zip(numbers, ids, new, extra, strict=True)))
    if later:
        ctx.finish.append(lambda: _set_later(h, ctx, title, ids, later))
    return problems


def _set_later(h: EntityHandler, ctx: Ctx, title: str, ids: list[int],
               later: list[Later]) -> list[Problem]:
    """The references to rows further down the file, checked with the update's rules and
    written in one executemany per set of fields."""
    from steerco.transfer.pipeline import problems_of

    problems: list[Problem] = []
    changes: dict[int, dict[str, tuple[Any, Any]]] = {}
    for number, index, field, kind, column, value in later:
        row_id = ids[index]
        try:
            ref = ctx.ref(kind, column, value)
            assert ref is not None  # a filled cell: the value is the key of a row
            h.check_later(ctx, row_id, field, ref, value)
        except (RowRefused, SteercoError, IntegrityError) as exc:
            problems.extend(problems_of(title, number, h, exc, ctx))
            continue
        changes.setdefault(row_id, {})[field] = (None, ref)
    ctx.repo.update_audited(h.model, changes)
    return problems

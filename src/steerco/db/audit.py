"""Record every insert, update and delete of an audited entity in the same transaction.

A `before_flush` listener sees each changed object with its attribute history, so no
service can forget to audit and the record commits (or rolls back) with the change
itself. The acting person or token is taken from `session.info["actor"]`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from steerco.db.base import Tenant
from steerco.db.enums import AuditAction
from steerco.db.models import AuditEntry

#: Columns that change on every write and say nothing a reader needs.
_SKIP = {"updated_at", "version", "created_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _redacted(obj: Any, key: str, value: Any) -> Any:
    """A secret column (a model's `AUDIT_REDACT`) is logged as set or not, never shown."""
    if key in getattr(obj, "AUDIT_REDACT", ()):
        return None if value is None else "(secret)"
    return _plain(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {a.key: _redacted(obj, a.key, getattr(obj, a.key))
            for a in state.mapper.column_attrs
            if a.key not in _SKIP and a.key != "workspace_id"}


def _diff(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _SKIP:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[attr.key] = [_redacted(obj, attr.key, before),
                                     _redacted(obj, attr.key, after)]
    return changes


def _entity_name(obj: Any) -> str:
    return str(obj.__tablename__)


def _record(session: Session, obj: Any, action: AuditAction, changes: dict[str, Any],
            pending: list[tuple[Any, AuditAction, dict[str, Any]]]) -> None:
    pending.append((obj, action, changes))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    pending: list[tuple[Any, AuditAction, dict[str, Any]]] = session.info.setdefault(
        "_audit_pending", [])
    for obj in session.dirty:
        if isinstance(obj, Tenant) and not isinstance(obj, AuditEntry):
            changes = _diff(obj)
            if changes:
                _record(session, obj, AuditAction.UPDATE, changes, pending)
    for obj in session.deleted:
        if isinstance(obj, Tenant) and not isinstance(obj, AuditEntry):
            _record(session, obj, AuditAction.DELETE, _snapshot(obj), pending)
    for obj in session.new:
        if isinstance(obj, Tenant) and not isinstance(obj, AuditEntry):
            _record(session, obj, AuditAction.CREATE, {}, pending)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    # Ids of new rows exist only after the flush, so entries are written here.
    pending: list[tuple[Any, AuditAction, dict[str, Any]]] = session.info.pop(
        "_audit_pending", [])
    if not pending:
        return
    actor = str(session.info.get("actor", "system"))
    now = dt.datetime.now(dt.UTC)
    rows = []
    for obj, action, changes in pending:
        if action is AuditAction.CREATE:
            changes = _snapshot(obj)
        key = getattr(obj, "id", None)
        if key is None:  # association rows: identify them by their composite key
            ident = inspect(obj).identity or ()
            key = ident[0] if ident else 0
            changes = {**changes, "key": [_plain(v) for v in ident]}
        rows.append({"workspace_id": obj.workspace_id, "entity": _entity_name(obj),
                     "entity_id": key, "action": action, "actor": actor, "at": now,
                     "changes": changes})
    session.connection().execute(insert(AuditEntry), rows)

"""Read model of the audit log: the last change to one entity (for "changed by NAME at
TIME" when a form's save loses a race)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import AuditEntry


def last_change(s: Session, ws: int, table: str, key: int) -> AuditEntry | None:
    return s.scalar(select(AuditEntry).where(
        AuditEntry.workspace_id == ws, AuditEntry.entity == table,
        AuditEntry.entity_id == key).order_by(AuditEntry.id.desc()).limit(1))

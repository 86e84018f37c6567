"""The audit log: every change, who made it, when, and the values before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Keyed, Tenant, str_enum, utcnow
from steerco.db.enums import AuditAction


class AuditEntry(Keyed, Tenant, Base):
    """One change to one entity; append-only."""

    __tablename__ = "audit_log"
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: {field: [before, after]} for updates; {field: value} for create/delete.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    __table_args__ = (
        Index("ix_audit_log_ws_entity", "workspace_id", "entity", "entity_id"),
        Index("ix_audit_log_ws_at", "workspace_id", "at"),
    )

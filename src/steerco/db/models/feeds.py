"""SQL feeds: a metric fed by a read-only query against another database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity


class MetricFeed(Entity, Base):
    """One metric's SQL feed (at most one per metric).

    `url` is a SQLAlchemy URL that may carry a password: it is written by the feeds
    service and read only to connect; pages, API answers, the CLI and logs show it masked
    (`postgresql://user:***@host/db`), the audit log never records it. `query` is one
    SELECT returning (as_of, value) rows. `last_*` say what the last run did: when, how
    many rows it read and stored, and why it failed (no secret in it).
    """

    __tablename__ = "metric_feeds"
    #: The audit log records that the URL changed, never its value (db/audit.py).
    AUDIT_REDACT = ("url",)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    rows_read: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_stored: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric_id", name="uq_metric_feeds_ws_metric"),
        Index("ix_metric_feeds_ws_last_run", "workspace_id", "last_run_at"),
    )


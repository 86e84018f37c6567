"""Background jobs and what leaves the building: job claims and status, reminder keys,
webhook subscriptions, deliveries (one row per message and channel target), notification
preferences and the in-app inbox.

The outbox (`outbox_messages`) stays the single source: a cause writes its message in its
own transaction; the delivery job fans each message out into `deliveries` and
`inbox_items` (idempotent: unique per message and target) and then sends each delivery,
claiming it first with a conditional update so two workers never send it at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, IdType, Keyed, utcnow


def _ws_fk() -> Mapped[int]:
    return mapped_column(IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)


class JobRun(Keyed, Base):
    """One periodic job's run for one workspace and period (its workspace-local day).

    The row is the claim: inserting it (unique per workspace, job and period) is what
    lets exactly one worker run the job for that period, as healthchecks' sendalerts
    claims a flip. A claim whose run never finished may be taken over after its lease.
    """

    __tablename__ = "job_runs"
    workspace_id: Mapped[int] = _ws_fk()
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    claimed_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (
        UniqueConstraint("workspace_id", "job", "period", name="uq_job_runs_ws_job_period"),
        Index("ix_job_runs_ws_job_started", "workspace_id", "job", "started_at"),
    )


class JobStatus(Base):
    """The last run of each job in each workspace (what `steerco jobs` lists)."""

    __tablename__ = "job_status"
    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_duration_ms: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReminderKey(Base):
    """A reminder already queued (e.g. `checkin_due:met_4:2026-12-01:per_7`): inserted in
    the same transaction as its outbox message, so a reminder is sent once."""

    __tablename__ = "reminder_keys"
    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookSubscription(Keyed, Base):
    """A workspace's outbound webhook: the event types it wants, its URL and secret."""

    __tablename__ = "webhook_subscriptions"
    workspace_id: Mapped[int] = _ws_fk()
    url: Mapped[str] = mapped_column(String(2000))
    #: The HMAC-SHA256 key of the signature (shown once, when it is created).
    secret: Mapped[str] = mapped_column(String(200))
    #: Event types (`escalation.opened`, …); an empty list means every type.
    events: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_webhook_subscriptions_ws", "workspace_id", "id"),)


class Delivery(Keyed, Base):
    """One outbox message to one target: an e-mail address or a webhook subscription.

    `state` is pending → sent, or failed after a day of retries (resend puts it back to
    pending). `claimed_by`/`claimed_until` are the lease of the worker sending it; a
    worker that dies between send and mark leaves the lease to expire, and the message is
    sent again with the same message id for the receiver to deduplicate.
    """

    __tablename__ = "deliveries"
    workspace_id: Mapped[int] = _ws_fk()
    message_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    #: 'email', 'webhook' or 'digest' (an e-mail held for the person's daily digest).
    channel: Mapped[str] = mapped_column(String(16))
    #: `email:ADDRESS` or `webhook:SUBSCRIPTION-KEY`: unique per message.
    target: Mapped[str] = mapped_column(String(400))
    subscription_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    #: The subject the message is about (e.g. `esc_4`); webhooks keep order per subject.
    subject: Mapped[str] = mapped_column(String(64), default="", server_default="")
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("workspace_id", "message_id", "target",
                         name="uq_deliveries_ws_message_target"),
        Index("ix_deliveries_ws_state_id", "workspace_id", "state", "id"),
    )


class NotificationPref(Base):
    """A person's notification preferences (no row: every event, e-mail immediately)."""

    __tablename__ = "notification_prefs"
    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    #: Event types this person is told about (None: all).
    events: Mapped[list[str] | None] = mapped_column(JSON)
    #: 'immediate', 'digest' (one e-mail a day) or 'off' (inbox only).
    email: Mapped[str] = mapped_column(String(16), default="immediate",
                                       server_default="immediate")
    #: Quiet hours in the workspace's time zone, [start, end) in hours 0–23 (None: none).
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)


class InboxItem(Keyed, Base):
    """One notification in a person's in-app inbox (unread until `read_at`)."""

    __tablename__ = "inbox_items"
    workspace_id: Mapped[int] = _ws_fk()
    person_id: Mapped[int] = mapped_column(IdType, ForeignKey("people.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("workspace_id", "person_id", "message_id",
                         name="uq_inbox_items_ws_person_message"),
        Index("ix_inbox_items_ws_person_read", "workspace_id", "person_id", "read_at"),
    )

"""Read models of the jobs admin page, `steerco jobs` and the inbox: job status rows,
failed deliveries, and a person's unread count and latest notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from steerco.db.models import Delivery, InboxItem, OutboxMessage, WebhookSubscription, Workspace
from steerco.jobs import repository as repo
from steerco.jobs.schedule import JOBS, next_run


@dataclass(frozen=True)
class JobRow:
    """One job as listed: what it is, its last run and its next."""

    name: str
    description: str
    every: str
    last_run: dt.datetime | None
    duration_ms: float | None
    runs: int
    last_error: str | None
    last_error_at: dt.datetime | None
    next_run: dt.datetime | None  # None: it runs when asked (an upload), not on a clock


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None or t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


#: Jobs that run when asked, listed once they ran: name → what they do.
ON_DEMAND = {"import": "Checks or imports a file uploaded on Admin → Import (rows read, "
                       "checked and written; all or nothing)"}


def job_rows(s: Session, now: dt.datetime, ws: int | None = None) -> list[JobRow]:
    """Every scheduled job with its last run (across workspaces) and next run (in the
    time zone of workspace `ws`, else UTC)."""
    tz = (s.scalar(select(Workspace.time_zone).where(Workspace.id == ws)) if ws else None) \
        or "UTC"
    st = repo.job_statuses(s, ws)
    out = []
    for job in JOBS:
        row = st.get(job.name)
        out.append(JobRow(job.name, job.description, job.every,
                          _aware(row.last_started_at) if row else None,
                          row.last_duration_ms if row else None, row.runs if row else 0,
                          row.last_error if row else None,
                          _aware(row.last_error_at) if row else None,
                          next_run(job, now, tz)))
    for name, description in ON_DEMAND.items():
        row = st.get(name)
        if row is not None:
            out.append(JobRow(name, description, "upload", _aware(row.last_started_at),
                              row.last_duration_ms, row.runs, row.last_error,
                              _aware(row.last_error_at), None))
    return out


def failed_deliveries(s: Session, ws: int, limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries of workspace `ws` that gave up, newest first, with their target."""
    rows = s.execute(select(Delivery, WebhookSubscription.url, OutboxMessage.kind).outerjoin(
        WebhookSubscription, WebhookSubscription.id == Delivery.subscription_id).join(
        OutboxMessage, OutboxMessage.id == Delivery.message_id).where(
        Delivery.workspace_id == ws, Delivery.state == "failed").order_by(
        Delivery.id.desc()).limit(limit)).all()
    return [{"id": int(d.id), "message": f"msg_{d.message_id}", "kind": kind,
             "channel": d.channel, "to": url or d.target.partition(":")[2],
             "subject": d.subject, "attempts": d.attempts, "error": d.last_error,
             "created_at": _aware(d.created_at)} for d, url, kind in rows]


def delivery_summary(s: Session, ws: int) -> dict[str, int]:
    """How many deliveries of workspace `ws` are pending, sent and failed."""
    return {str(k): int(n) for k, n in s.execute(
        select(Delivery.state, func.count()).where(Delivery.workspace_id == ws).group_by(
            Delivery.state))}


def webhook_subscriptions(s: Session, ws: int) -> list[WebhookSubscription]:
    """All webhook subscriptions of workspace `ws` (secrets included: admin only)."""
    return list(s.scalars(select(WebhookSubscription).where(
        WebhookSubscription.workspace_id == ws).order_by(WebhookSubscription.id)))


def unread_count(s: Session, ws: int, person: int) -> int:
    """How many inbox items of `person` are unread."""
    return int(s.scalar(select(func.count()).select_from(InboxItem).where(
        InboxItem.workspace_id == ws, InboxItem.person_id == person,
        InboxItem.read_at.is_(None))) or 0)


def inbox(s: Session, ws: int, person: int, limit: int = 10) -> list[InboxItem]:
    """The newest inbox items of `person`."""
    return list(s.scalars(select(InboxItem).where(
        InboxItem.workspace_id == ws, InboxItem.person_id == person).order_by(
        InboxItem.id.desc()).limit(limit)))


def mark_read(s: Session, ws: int, person: int, now: dt.datetime) -> int:
    """Mark every unread inbox item of `person` read; how many."""
    res = s.execute(update(InboxItem).where(
        InboxItem.workspace_id == ws, InboxItem.person_id == person,
        InboxItem.read_at.is_(None)).values(read_at=now).execution_options(
        synchronize_session=False))
    return int(getattr(res, "rowcount", 0) or 0)

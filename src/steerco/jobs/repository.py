"""Every query of the background jobs: claims, job status, reminder keys, the outbox
fan-out, deliveries, subscriptions, preferences and the inbox.

Claims are conditional updates (`… WHERE claimed_until IS NULL OR claimed_until < now`),
re-read by the claiming worker's token: whichever worker's update matched owns the row,
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steerco.db.models import (
    Delivery,
    InboxItem,
    JobRun,
    JobStatus,
    NotificationPref,
    OutboxMessage,
    Person,
    ReminderKey,
    WebhookSubscription,
    Workspace,
)
from steerco.db.repository import key_in


def workspaces(s: Session) -> list[tuple[int, str, str]]:
    """(key, slug, time zone) of every workspace, by key."""
    return [(int(k), str(slug), str(tz)) for k, slug, tz in s.execute(
        select(Workspace.id, Workspace.slug, Workspace.time_zone).order_by(Workspace.id))]


# --- periodic job claims and status ------------------------------------------------------


def claim_period(s: Session, ws: int, job: str, period: str, worker: str,
                 now: dt.datetime) -> JobRun | None:
    """Claim `job` for workspace `ws` and `period` in the caller's transaction, or None
    when it ran (or is running) already. The job's work shares the transaction, so a
    crash rolls the claim back with it and another worker runs the period."""
    run = JobRun(workspace_id=ws, job=job, period=period, claimed_by=worker, started_at=now)
    try:
        with s.begin_nested():
            s.add(run)
            s.flush()
    except IntegrityError:
        return None
    return run


def last_run(s: Session, ws: int, job: str, before_period: str) -> JobRun | None:
    """The latest finished run of `job` for a period before `before_period` (periods
    are ISO days, so they sort as text); None without one."""
    return s.scalars(select(JobRun).where(
        JobRun.workspace_id == ws, JobRun.job == job, JobRun.period < before_period,
        JobRun.finished_at.is_not(None)).order_by(JobRun.period.desc()).limit(1)).first()


def record_status(s: Session, ws: int, job: str, started: dt.datetime, duration_ms: float,
                  error: str | None) -> None:
    """Note one run of `job` in workspace `ws` for `steerco jobs` and the admin page."""
    row = s.get(JobStatus, (ws, job))
    if row is None:
        row = JobStatus(workspace_id=ws, job=job, runs=0)
        s.add(row)
    row.last_started_at = started
    row.last_finished_at = started + dt.timedelta(milliseconds=duration_ms)
    row.last_duration_ms = duration_ms
    row.runs = (row.runs or 0) + 1
    if error is not None:
        row.last_error, row.last_error_at = error[:4000], started


def job_statuses(s: Session, ws: int | None = None) -> dict[str, JobStatus]:
    """The latest status row of every job that ever ran (in workspace `ws`, or in any),
    by job name."""
    q = select(JobStatus).order_by(JobStatus.last_started_at)
    if ws is not None:
        q = q.where(JobStatus.workspace_id == ws)
    return {r.job: r for r in s.scalars(q)}


def add_reminder_key(s: Session, ws: int, key: str, now: dt.datetime) -> bool:
    """Record that reminder `key` was queued; False if it was queued before."""
    try:
        with s.begin_nested():
            s.add(ReminderKey(workspace_id=ws, key=key, created_at=now))
            s.flush()
    except IntegrityError:
        return False
    return True


def add_reminder_keys(s: Session, ws: int, keys: Sequence[str],
                      now: dt.datetime) -> set[str]:
    """Record the reminder `keys` not queued before, in one read and one insert; returns
    them. The daily job that calls it holds its period's claim, so no other run adds the
    same keys meanwhile; if one did anyway (a lost claim), the insert fails on the primary
    key and the whole transaction, claim included, rolls back: nothing is queued twice."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    have: set[str] = set()
    for i in range(0, len(wanted), 500):
        have.update(s.scalars(select(ReminderKey.key).where(
            ReminderKey.workspace_id == ws, ReminderKey.key.in_(wanted[i:i + 500]))))
    new = [k for k in wanted if k not in have]
    if new:
        s.execute(insert(ReminderKey), [{"workspace_id": ws, "key": k, "created_at": now}
                                        for k in new])
    return set(new)


def queue(s: Session, ws: int, kind: str, recipient: str, payload: dict[str, Any],
          now: dt.datetime) -> OutboxMessage:
    """Stage an outbox message in the caller's transaction."""
    msg = OutboxMessage(workspace_id=ws, kind=kind, recipient=recipient, payload=payload,
                        created_at=now)
    s.add(msg)
    return msg


# --- outbox fan-out -----------------------------------------------------------------------


def claim_outbox(s: Session, worker: str, now: dt.datetime, lease: dt.timedelta,
                 limit: int) -> list[Row[Any]]:
    """Claim up to `limit` messages not yet fanned out (oldest first) for `worker`; their
    (id, workspace_id, kind, recipient, payload) as plain rows."""
    free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
    ids = list(s.scalars(select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), free).order_by(OutboxMessage.id).limit(limit)))
    if not ids:
        return []
    s.execute(update(OutboxMessage).where(key_in(s, OutboxMessage.id, ids), free).values(
        claimed_by=worker, claimed_until=now + lease).execution_options(
        synchronize_session=False))
    return list(s.execute(select(
        OutboxMessage.id, OutboxMessage.workspace_id, OutboxMessage.kind,
        OutboxMessage.recipient, OutboxMessage.payload).where(
        key_in(s, OutboxMessage.id, ids), OutboxMessage.claimed_by == worker,
        OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)))


def mark_fanned_out(s: Session, ids: Sequence[int], now: dt.datetime) -> None:
    """Mark outbox messages fanned out (`sent_at`) and drop their lease, by key alone:
    their deliveries are written in this transaction, so a message left unmarked (say,
    re-claimed by another worker after the lease ran out) could never be fanned out."""
    for i in range(0, len(ids), 500):
        s.execute(update(OutboxMessage).where(
            key_in(s, OutboxMessage.id, list(ids[i:i + 500]))).values(
            sent_at=now, claimed_until=None).execution_options(synchronize_session=False))


def insert_rows(s: Session, table: type[Delivery] | type[InboxItem],
                rows: list[dict[str, Any]]) -> None:
    """Insert deliveries or inbox items in one statement (executemany; unique keys hold)."""
    if rows:
        s.execute(insert(table), rows)


def people_by_email(s: Session, ws: int, emails: Sequence[str]) -> dict[str, tuple[int, str]]:
    """E-mail → (person key, name) of these addresses in workspace `ws`."""
    if not emails:
        return {}
    return {str(e): (int(k), str(n)) for k, e, n in s.execute(
        select(Person.id, Person.email, Person.name).where(
            Person.workspace_id == ws, Person.email.in_(sorted(set(emails)))))}


def person_names(s: Session, ws: int, keys: Sequence[int]) -> dict[int, str]:
    """Person key → name."""
    if not keys:
        return {}
    return {int(k): str(n) for k, n in s.execute(select(Person.id, Person.name).where(
        Person.workspace_id == ws, key_in(s, Person.id, sorted(set(keys)))))}


def prefs(s: Session, ws: int, people: Sequence[int]) -> dict[int, NotificationPref]:
    """The preference rows of these people (absent: the defaults)."""
    if not people:
        return {}
    return {int(p.person_id): p for p in s.scalars(select(NotificationPref).where(
        NotificationPref.workspace_id == ws,
        key_in(s, NotificationPref.person_id, sorted(set(people)))))}


def subscriptions(s: Session, ws: int) -> list[WebhookSubscription]:
    """The active webhook subscriptions of workspace `ws`."""
    return list(s.scalars(select(WebhookSubscription).where(
        WebhookSubscription.workspace_id == ws, WebhookSubscription.active.is_(True)).order_by(
        WebhookSubscription.id)))


def subscription(s: Session, ws: int, key: int) -> WebhookSubscription | None:
    """One webhook subscription of workspace `ws` (active or paused), or None."""
    return s.scalars(select(WebhookSubscription).where(
        WebhookSubscription.workspace_id == ws, WebhookSubscription.id == key)).first()


def delete_subscription(s: Session, sub: WebhookSubscription) -> None:
    """Delete a subscription with its deliveries (explicitly: SQLite may not cascade)."""
    s.execute(delete(Delivery).where(Delivery.workspace_id == sub.workspace_id,
                                     Delivery.subscription_id == sub.id))
    s.delete(sub)
    s.flush()


def add_once(s: Session, row: Delivery | InboxItem) -> None:
    """Insert a delivery or inbox item unless its unique key exists (a re-run fan-out)."""
    try:
        with s.begin_nested():
            s.add(row)
            s.flush()
    except IntegrityError:
        pass


# --- deliveries ---------------------------------------------------------------------------


_HEAD = (Delivery.id, Delivery.channel, Delivery.target, Delivery.subject,
         Delivery.claimed_until, Delivery.next_attempt_at)
_CLAIMED = (Delivery.id, Delivery.workspace_id, Delivery.message_id, Delivery.channel,
            Delivery.target, Delivery.subject, Delivery.subscription_id, Delivery.attempts,
            Delivery.created_at)


def pending_head(s: Session, now: dt.datetime, limit: int) -> list[Row[Any]]:
    """The oldest pending deliveries (due or not, claimed or not), oldest first: (id,
    channel, target, subject, claimed_until, next_attempt_at)."""
    return list(s.execute(select(*_HEAD).where(Delivery.state == "pending").order_by(
        Delivery.id).limit(limit)))


def claim_deliveries(s: Session, ids: Sequence[int], worker: str, now: dt.datetime,
                     lease: dt.timedelta) -> list[Row[Any]]:
    """Claim these pending deliveries for `worker`; the ones it got, oldest first, as
    (id, workspace_id, message_id, channel, target, subject, subscription_id, attempts,
    created_at)."""
    if not ids:
        return []
    free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now)
    s.execute(update(Delivery).where(key_in(s, Delivery.id, list(ids)), Delivery.state ==
                                     "pending", free).values(
        claimed_by=worker, claimed_until=now + lease).execution_options(
        synchronize_session=False))
    return list(s.execute(select(*_CLAIMED).where(
        key_in(s, Delivery.id, list(ids)), Delivery.claimed_by == worker,
        Delivery.state == "pending").order_by(Delivery.id)))


def messages(s: Session, ids: Sequence[int]) -> dict[int, OutboxMessage]:
    """Outbox messages by key."""
    if not ids:
        return {}
    return {int(m.id): m for m in s.scalars(select(OutboxMessage).where(
        key_in(s, OutboxMessage.id, sorted(set(ids)))))}


def message_rows(s: Session, ids: Sequence[int]) -> dict[int, Row[Any]]:
    """(id, workspace_id, kind, payload, created_at) of outbox messages, by key."""
    out: dict[int, Row[Any]] = {}
    keys = sorted(set(ids))
    for i in range(0, len(keys), 500):
        for m in s.execute(select(OutboxMessage.id, OutboxMessage.workspace_id,
                                  OutboxMessage.kind, OutboxMessage.payload,
                                  OutboxMessage.created_at).where(
                key_in(s, OutboxMessage.id, keys[i:i + 500]))):
            out[int(m.id)] = m
    return out


def subscriptions_by_key(s: Session, ids: Sequence[int]) -> dict[int, WebhookSubscription]:
    """Webhook subscriptions by key."""
    if not ids:
        return {}
    return {int(w.id): w for w in s.scalars(select(WebhookSubscription).where(
        key_in(s, WebhookSubscription.id, sorted(set(ids)))))}


def mark_sent(s: Session, ids: Sequence[int], worker: str, now: dt.datetime) -> None:
    """Mark deliveries sent (only those `worker` still holds)."""
    for i in range(0, len(ids), 500):
        s.execute(update(Delivery).where(key_in(s, Delivery.id, list(ids[i:i + 500])),
                                         Delivery.claimed_by == worker,
                                         Delivery.state == "pending").values(
            state="sent", sent_at=now, attempts=Delivery.attempts + 1, claimed_until=None,
            last_error=None).execution_options(synchronize_session=False))


def mark_failed_attempt(s: Session, delivery_id: int, worker: str, error: str,
                        next_at: dt.datetime, give_up: bool) -> None:
    """Count a failed attempt: retry at `next_at`, or mark it failed with `give_up`."""
    s.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.claimed_by ==
                                     worker, Delivery.state == "pending").values(
        state="failed" if give_up else "pending", attempts=Delivery.attempts + 1,
        next_attempt_at=next_at, claimed_until=None, last_error=error[:2000])
        .execution_options(synchronize_session=False))


def release(s: Session, ids: Sequence[int], worker: str) -> None:
    """Give back claims not used (a group stopped at an earlier failure)."""
    if ids:
        s.execute(update(Delivery).where(key_in(s, Delivery.id, list(ids)),
                                         Delivery.claimed_by == worker).values(
            claimed_until=None).execution_options(synchronize_session=False))


def resend(s: Session, ws: int, delivery_id: int, now: dt.datetime) -> bool:
    """Put a failed delivery of workspace `ws` back in the queue; False if none."""
    res = s.execute(update(Delivery).where(
        Delivery.workspace_id == ws, Delivery.id == delivery_id,
        Delivery.state == "failed").values(
        state="pending", next_attempt_at=now, created_at=now, claimed_until=None)
        .execution_options(synchronize_session=False))
    return bool(getattr(res, "rowcount", 0))


def held_digest(s: Session, ws: int) -> list[Delivery]:
    """E-mail deliveries held for the daily digest in workspace `ws`, by target."""
    return list(s.scalars(select(Delivery).where(
        Delivery.workspace_id == ws, Delivery.channel == "digest",
        Delivery.state == "pending").order_by(Delivery.target, Delivery.id)))


def close_digest(s: Session, ids: Sequence[int], now: dt.datetime) -> None:
    """Mark held digest deliveries as sent (their digest message carries them on)."""
    if ids:
        s.execute(update(Delivery).where(key_in(s, Delivery.id, list(ids))).values(
            state="sent", sent_at=now).execution_options(synchronize_session=False))


def delivery_counts(s: Session) -> dict[str, int]:
    """How many deliveries are in each state (all workspaces)."""
    return {str(k): int(n) for k, n in s.execute(
        select(Delivery.state, func.count()).group_by(Delivery.state))}


def failed_exist(s: Session, ws: int) -> bool:
    """Whether workspace `ws` has failed deliveries."""
    return s.scalar(select(Delivery.id).where(and_(
        Delivery.workspace_id == ws, Delivery.state == "failed")).limit(1)) is not None

"""Delivery loses nothing: webhooks survive a receiver that is down for an hour (every
message once, in order per subject), a worker killed between send and mark (retried,
same message id), two workers at once, a day of failures (failed, then resent)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select

from steerco.db.engine import unit_of_work
from steerco.db.models import Delivery, InboxItem, OutboxMessage
from steerco.jobs import delivery
from steerco.jobs.delivery import Transport, deliver, message_id
from tests.jobs.conftest import Db, Receiver, SimClock, queue, subscribe


def _states(db: Db) -> dict[str, int]:
    with db.factory() as s:
        out: dict[str, int] = {}
        for d in s.scalars(select(Delivery)):
            out[d.state] = out.get(d.state, 0) + 1
        return out


def test_a_receiver_down_for_an_hour_gets_every_message_once_in_order_per_subject(
        db: Db, clock: SimClock, receiver: Receiver, transport: Transport) -> None:
    subscribe(db)
    keys = queue(db, 30, clock.now, subjects=3)
    receiver.up = False
    for _ in range(60):  # one tick a minute for an hour
        deliver(db.factory, transport, clock)
        clock.advance(minutes=1)
    assert receiver.received == []
    assert _states(db) == {"pending": 30}
    receiver.up = True
    for _ in range(70):
        deliver(db.factory, transport, clock)
        clock.advance(minutes=1)
    ids = receiver.ids()
    assert sorted(ids) == sorted(message_id(k) for k in keys)
    assert len(ids) == len(set(ids)) == 30
    for subject in ("met_1", "met_2", "met_3"):
        got = [int(r["id"][4:]) for r in receiver.received if r["subject"] == subject]
        assert got == sorted(got)
    assert _states(db) == {"sent": 30}
    first = receiver.received[0]
    assert first["type"] == "checkin.due" and first["url"].startswith("https://steerco.acme")
    assert "Check in on Revenue." in first["text"]


class Killed(BaseException):
    """The worker dies (not an error a send would catch)."""


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_worker_killed_between_send_and_mark_is_retried_with_the_same_message_id(
        db: Db, clock: SimClock, receiver: Receiver, transport: Transport,
        concurrency: int) -> None:
    subscribe(db)
    keys = queue(db, 3, clock.now, subjects=3)
    dying = Transport(base_url=transport.base_url, http=transport.http,
                      concurrency=concurrency)

    def die(_d: Delivery) -> None:
        raise Killed

    dying.after_send = die
    with contextlib.suppress(Killed):
        deliver(db.factory, dying, clock)
    # Sent, never marked: one at a time the first send dies; with a thread per subject
    # each subject's first send does.
    died = 1 if concurrency == 1 else 3
    assert len(receiver.received) == died
    assert _states(db) == {"pending": 3}
    deliver(db.factory, transport, clock)  # the dead worker's leases still hold
    assert len(receiver.received) == died
    clock.advance(seconds=delivery.LEASE.total_seconds() + 1)
    deliver(db.factory, transport, clock)
    ids = receiver.ids()
    assert len(ids) == 3 + died  # the ones retried: same ids
    assert all(ids.count(i) == 2 for i in ids[:died])
    assert set(ids) == {message_id(k) for k in keys}  # nothing lost; dedupe by id
    assert _states(db) == {"sent": 3}


def test_two_workers_at_once_send_each_message_exactly_once(
        db: Db, clock: SimClock, receiver: Receiver, transport: Transport) -> None:
    subscribe(db)
    keys = queue(db, 200, clock.now, subjects=20)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            deliver(db.factory, transport, clock)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    deliver(db.factory, transport, clock)
    assert errors == []
    ids = receiver.ids()
    assert sorted(ids) == sorted(message_id(k) for k in keys)
    assert len(ids) == len(set(ids))


def test_a_webhook_failing_for_a_day_is_marked_failed_and_resend_delivers_it(
        db: Db, clock: SimClock, receiver: Receiver, transport: Transport) -> None:
    from steerco.jobs import repository as repo

    subscribe(db)
    queue(db, 1, clock.now)
    receiver.up = False
    attempts = 0
    for _ in range(6 * 25):  # a tick every ten minutes for 25 hours
        attempts += deliver(db.factory, transport, clock)["failed"]
        clock.advance(minutes=10)
    assert _states(db) == {"failed": 1}
    assert 20 <= attempts <= 40  # backoff: 30 s doubling, at most an hour apart
    with db.factory() as s:
        d = s.scalars(select(Delivery)).one()
        assert "HTTP 503" in (d.last_error or "")
    receiver.up = True
    with unit_of_work(db.factory) as s:
        assert repo.resend(s, db.ws, int(d.id), clock.now)
    deliver(db.factory, transport, clock)
    assert _states(db) == {"sent": 1} and len(receiver.received) == 1


def test_subscriptions_get_only_their_event_types_and_the_inbox_names_the_person(
        db: Db, clock: SimClock, receiver: Receiver, transport: Transport) -> None:
    subscribe(db, ["escalation.opened"])
    queue(db, 2, clock.now, recipient="alice@acme.example")
    deliver(db.factory, transport, clock)
    assert receiver.received == []
    with db.factory() as s:
        items = list(s.scalars(select(InboxItem).order_by(InboxItem.id)))
        assert [(i.person_id, i.title) for i in items] == [
            (db.alice, "Check-in on Revenue 0 due today"),
            (db.alice, "Check-in on Revenue 1 due today")]
        assert all(m.sent_at is not None for m in s.scalars(select(OutboxMessage)))
    deliver(db.factory, transport, clock)  # a second run adds nothing
    with db.factory() as s:
        assert len(list(s.scalars(select(InboxItem)))) == 2


def test_a_password_reset_never_reaches_a_webhook_or_the_inbox(
        db: Db, clock: SimClock, receiver: Receiver, transport: Transport) -> None:
    subscribe(db)
    with unit_of_work(db.factory) as s:
        s.add(OutboxMessage(workspace_id=db.ws, kind="password_reset",
                            recipient="alice@acme.example", created_at=clock.now,
                            payload={"token": "secret-token"}))
    deliver(db.factory, transport, clock)
    assert receiver.received == []
    with db.factory() as s:
        assert list(s.scalars(select(InboxItem))) == []

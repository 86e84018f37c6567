"""Jobs tests run on their own migrated SQLite file per test (workers, claims and
commits across sessions need a real database, not the rolled-back test session), with a
simulated clock and in-process fake receivers."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import OutboxMessage, Person, WebhookSubscription, Workspace
from steerco.jobs.delivery import Transport

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
SECRET = "s3cret"


@dataclass
class SimClock:
    """A clock tests move by hand."""

    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


def verify(secret: str, headers: Any, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """The README's verification snippet, as a receiver runs it."""
    ts = headers["X-Steerco-Timestamp"]
    expected = "v1=" + hmac.new(secret.encode(), f"{ts}.".encode() + body,
                                hashlib.sha256).hexdigest()
    return (hmac.compare_digest(expected, headers["X-Steerco-Signature"])
            and abs(now - int(ts)) <= tolerance_s)


@dataclass
class Receiver:
    """A webhook receiver: records each accepted request; `up` False answers 503."""

    clock: SimClock
    up: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            return httpx.Response(503, text="down for maintenance")
        body = request.read()
        assert verify(SECRET, request.headers, body, int(self.clock.now.timestamp()))
        with self.lock:
            self.received.append(json.loads(body))
        return httpx.Response(200)

    def ids(self) -> list[str]:
        return [r["id"] for r in self.received]


@dataclass
class Db:
    engine: Engine
    factory: sessionmaker[Session]
    ws: int
    alice: int


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty migrated SQLite file, copied for each test (migrating costs seconds)."""
    path = tmp_path_factory.mktemp("jobs") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture()
def db(tmp_path: Path, migrated: Path) -> Iterator[Db]:
    shutil.copy(migrated, tmp_path / "jobs.db")
    eng = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    factory = make_sessionmaker(eng)
    with unit_of_work(factory) as s:
        ws = Workspace(slug="acme", name="Acme", time_zone="Europe/Berlin")
        s.add(ws)
        s.flush()
        alice = Person(workspace_id=ws.id, name="Alice Example", email="alice@acme.example")
        s.add(alice)
        s.flush()
        ids = (ws.id, alice.id)
    yield Db(eng, factory, *ids)
    eng.dispose()


@pytest.fixture()
def clock() -> SimClock:
    return SimClock()


@pytest.fixture()
def receiver(clock: SimClock) -> Receiver:
    return Receiver(clock)


@pytest.fixture()
def transport(receiver: Receiver) -> Transport:
    return Transport(base_url="https://steerco.acme.example",
                     http=httpx.Client(transport=httpx.MockTransport(receiver.handler)))


def subscribe(db: Db, events: list[str] | None = None) -> int:
    with unit_of_work(db.factory) as s:
        sub = WebhookSubscription(workspace_id=db.ws, url="https://hooks.acme.example/in",
                                  secret=SECRET, events=events or [])
        s.add(sub)
        s.flush()
        return int(sub.id)


def queue(db: Db, n: int, at: dt.datetime, subjects: int = 3, recipient: str = "",
          kind: str = "reminder") -> list[int]:
    """`n` outbox messages about `subjects` subjects, round robin; their keys."""
    keys = []
    with unit_of_work(db.factory) as s:
        for i in range(n):
            m = OutboxMessage(workspace_id=db.ws, kind=kind, recipient=recipient,
                              created_at=at, payload={
                                  "event": "checkin.due", "subject": f"met_{i % subjects + 1}",
                                  "title": f"Check-in on Revenue {i} due today",
                                  "path": f"/metrics/met_{i % subjects + 1}",
                                  "action": "Check in on Revenue."})
            s.add(m)
            s.flush()
            keys.append(int(m.id))
    return keys

"""huey on Redis (127.0.0.1:6379, which CI starts or verifies; never skipped): a tick
enqueued on the queue runs in a worker consumer and delivers the outbox; a second
consumer on the same queue runs nothing twice."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from steerco.db.models import InboxItem, JobStatus
from steerco.jobs.queue import make_huey, start_consumer
from tests.jobs.conftest import Db, SimClock, queue

REDIS = "redis://127.0.0.1:6379/15"


def test_a_tick_on_the_redis_queue_runs_in_a_worker(db: Db, clock: SimClock) -> None:
    name = f"steerco-test-{uuid.uuid4().hex[:8]}"
    huey = make_huey(REDIS, "sqlite:///unused.db", factory=db.factory, name=name)
    assert huey.storage.conn.ping()
    keys = queue(db, 5, clock.now, recipient="alice@acme.example")
    consumers = [start_consumer(make_huey(REDIS, "sqlite:///unused.db", factory=db.factory,
                                          name=name)) for _ in range(2)]
    try:
        for _ in range(2):
            huey.tick()  # periodic tasks keep no result: wait for their effect
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.factory() as s:
                status = s.get(JobStatus, (db.ws, "deliver"))
                if status is not None and status.runs >= 2:
                    break
            time.sleep(0.2)
    finally:
        for c in consumers:
            c.stop(graceful=True)
        huey.storage.flush_all()
    with db.factory() as s:
        assert s.get(JobStatus, (db.ws, "deliver")).runs >= 2  # (the minute may tick too)
        assert sorted(i.message_id for i in s.scalars(select(InboxItem))) == keys
        assert s.get(JobStatus, (db.ws, "deliver")) is not None

"""The consumer's tick period (STEERCO_JOBS_TICK_SECONDS; a minute by default): with 1 s
the periodic tick, not a tick enqueued by hand, runs the delivery job again and again
within seconds — what the served-app browser tests rely on to follow a moved clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from steerco.db.models import InboxItem, JobStatus
from steerco.jobs.queue import make_huey, start_consumer
from steerco.settings import Settings
from tests.jobs.conftest import Db, SimClock, queue


def test_a_one_second_tick_runs_the_jobs_every_second(db: Db, clock: SimClock,
                                                      tmp_path: Path) -> None:
    huey = make_huey(f"sqlite:///{tmp_path / 'q.jobs'}", "sqlite:///unused.db",
                     factory=db.factory, name="tick-period")
    keys = queue(db, 3, clock.now, recipient="alice@acme.example")
    consumer = start_consumer(huey, tick_seconds=1)
    started = time.monotonic()
    try:
        runs = 0
        while time.monotonic() - started < 30 and runs < 3:
            time.sleep(0.2)
            with db.factory() as s:
                status = s.get(JobStatus, (db.ws, "deliver"))
                runs = 0 if status is None else status.runs
    finally:
        consumer.stop(graceful=True)
    # Three ticks in well under the minute one tick takes by default.
    assert runs >= 3, runs
    assert time.monotonic() - started < 30
    with db.factory() as s:
        assert sorted(i.message_id for i in s.scalars(select(InboxItem))) == keys


def test_the_tick_is_a_minute_unless_set_and_stays_within_a_minute(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEERCO_JOBS_TICK_SECONDS", raising=False)
    assert Settings().jobs_tick_seconds == 60
    monkeypatch.setenv("STEERCO_JOBS_TICK_SECONDS", "1")
    assert Settings().jobs_tick_seconds == 1
    monkeypatch.setenv("STEERCO_JOBS_TICK_SECONDS", "0")
    with pytest.raises(ValidationError, match="jobs_tick_seconds"):
        Settings()

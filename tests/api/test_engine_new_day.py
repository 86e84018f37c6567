"""On a new day, API readers keep getting yesterday's evaluation while today's is built in
the background; they never wait for the rebuild."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from sqlalchemy import Engine

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.evidence import service
from steerco.kit import clock
from steerco.kit.dates import to_day
from tests.api.conftest import metric_of, objective_in, seed_tenant

DAY = dt.date(2026, 6, 30)


def test_a_new_day_is_built_in_the_background_while_readers_get_yesterday(
        api_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    t = seed_tenant(api_engine)
    metric_of(api_engine, t, t.users["owner"], objective_in(api_engine, t, t.own,
                                                            t.users["owner"]))
    cache = service.EngineCache()
    reads = make_sessionmaker(api_engine, readonly=True)
    monkeypatch.setattr(clock, "today", lambda: DAY)
    with unit_of_work(reads) as s:
        first = cache.state(s, t.ws, fresh_within=0.25)
    assert first.evaluation.as_of == to_day(DAY)

    built = []
    real_evaluate = service.evaluate

    def slow_evaluate(*a: Any, **kw: Any) -> Any:
        time.sleep(0.5)  # a rebuild that takes a while
        built.append(kw.get("workers"))
        return real_evaluate(*a, **kw)

    monkeypatch.setattr(service, "evaluate", slow_evaluate)
    monkeypatch.setattr(clock, "today", lambda: DAY + dt.timedelta(days=1))
    t0 = time.monotonic()
    with unit_of_work(reads) as s:
        again = cache.state(s, t.ws, fresh_within=0.25)
    assert time.monotonic() - t0 < 0.4, "the reader waited for the rebuild"
    assert again is first  # yesterday's, caught up

    deadline = time.monotonic() + 20
    while True:
        with unit_of_work(reads) as s:
            now = cache.state(s, t.ws, fresh_within=0.25)
        if now.evaluation.as_of == to_day(DAY) + 1:
            break
        assert time.monotonic() < deadline, "today's evaluation never arrived"
        time.sleep(0.05)
    assert len(built) == 1, "more than one rebuild for one new day"


def test_a_reader_asking_for_a_day_gets_that_day_at_once(
        api_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    t = seed_tenant(api_engine)
    metric_of(api_engine, t, t.users["owner"])
    cache = service.EngineCache()
    reads = make_sessionmaker(api_engine, readonly=True)
    monkeypatch.setattr(clock, "today", lambda: DAY)
    with unit_of_work(reads) as s:
        cache.state(s, t.ws, fresh_within=0.25)
        later = DAY + dt.timedelta(days=1)
        st = cache.state(s, t.ws, later, fresh_within=0.25)
    assert st.evaluation.as_of == to_day(later)

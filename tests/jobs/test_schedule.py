"""The schedule's day boundary is the workspace's own time zone. The whole schedule on a
simulated clock (a quarter of the demo, two workers) is tests/jobs/test_quarter.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import JobRun, Workspace
from steerco.jobs.schedule import DAILY


def test_the_day_boundary_is_the_workspaces_time_zone(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'tz.db'}")
    upgrade(eng)
    factory = make_sessionmaker(eng)
    with unit_of_work(factory) as s:
        s.add(Workspace(slug="kiwi", name="Kiwi", time_zone="Pacific/Auckland"))
    from steerco.jobs.schedule import run_daily

    # 16:00 UTC on 1 December is 05:00 on 2 December in Auckland: too early.
    assert run_daily(factory, dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC), "w") == {}
    # 18:00 UTC is 07:00 on 2 December there: the jobs of 2 December run.
    done = run_daily(factory, dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), "w")
    assert set(done) == {f"kiwi:{j.name}" for j in DAILY}
    with factory() as s:
        assert {r.period for r in s.scalars(select(JobRun))} == {"2026-12-02"}
    eng.dispose()

"""status.changed: the daily schedule compares today's statuses with the ones its last
run recorded and writes one event per changed subject, naming it; once per day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from steerco.db.engine import unit_of_work
from steerco.db.models import OutboxMessage
from steerco.jobs import status_changes as sc
from steerco.jobs.schedule import run_daily
from steerco.kit.ids import format_id
from tests.factories import world
from tests.jobs.conftest import Db

MORNING = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)  # 08:00 in Berlin


def _events(db: Db) -> list[dict[str, Any]]:
    with unit_of_work(db.factory) as s:
        return [m.payload for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "event").order_by(OutboxMessage.id))]


def test_a_changed_status_is_announced_once_naming_the_subject(
        db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    with unit_of_work(db.factory) as s:
        w = world(s)
        w.ws.time_zone = "Europe/Berlin"
        obj = format_id("objective", w.objective("Reduce packaging cost").id)
        met = format_id("metric", w.metric("Scrap rate").id)
        wid = w.wid
    days: dict[dt.date, dict[str, str]] = {
        MORNING.date(): {obj: "on_track", met: "at_risk"},
        MORNING.date() + dt.timedelta(days=1): {obj: "at_risk", met: "at_risk"},
        MORNING.date() + dt.timedelta(days=2): {obj: "at_risk", met: "on_track"},
    }
    monkeypatch.setattr(sc, "current_statuses", lambda s, ws, day: days[day] if ws == wid else {})
    run_daily(db.factory, MORNING)
    assert _events(db) == []  # the first run records a baseline
    for n in (1, 1, 2):  # day 2 twice: the claim keeps it to one run
        run_daily(db.factory, MORNING + dt.timedelta(days=n))
    got = [(e["subject"], e["title"], e["path"]) for e in _events(db)]
    assert got == [
        (obj, "Reduce packaging cost: on track → at risk", f"/objectives/{obj}"),
        (met, "Scrap rate: at risk → on track", f"/metrics/{met}"),
    ]
    assert {e["event"] for e in _events(db)} == {"status.changed"}


def test_the_engine_gives_every_metric_and_objective_a_status(db: Db) -> None:
    with unit_of_work(db.factory) as s:
        w = world(s)
        obj = format_id("objective", w.objective("Reduce packaging cost").id)
        met = format_id("metric", w.metric("Scrap rate").id)
        got = sc.current_statuses(s, w.wid, dt.date(2026, 12, 1))
    assert {obj, met} <= set(got)
    assert set(got.values()) <= {"on_track", "at_risk", "off_track", "stale", "no_data",
                                 "achieved", "missed"}


def test_a_subject_new_since_the_last_run_is_no_change() -> None:
    assert sc.changes({"met_1": "at_risk"}, {"met_1": "at_risk", "met_2": "off_track"}) == []


def test_only_the_newest_run_keeps_the_statuses(
        db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    from steerco.db.models import JobRun

    monkeypatch.setattr(sc, "current_statuses", lambda s, ws, day: {"met_1": "on_track"})
    for n in range(3):
        run_daily(db.factory, MORNING + dt.timedelta(days=n))
    with unit_of_work(db.factory) as s:
        kept = [(r.period, sc.STORE in (r.result or {})) for r in s.scalars(
            select(JobRun).where(JobRun.job == sc.JOB, JobRun.workspace_id == db.ws)
            .order_by(JobRun.period))]
    assert kept == [("2026-12-01", False), ("2026-12-02", False), ("2026-12-03", True)]

"""Asana sync against a fake Asana answering with Asana's own example shapes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Dependency, Initiative, Measurement, Metric, Milestone, Person
from steerco.org.service import create_person
from steerco.transfer.connectors import service as connectors
from steerco.transfer.connectors.http import SyncFailed
from steerco.transfer.connectors.sync import run_sync
from tests.fakes.asana import FakeAsana, goal, portfolio, task

TOKEN = "2/1200000000/1209999999:a1b2c3d4e5f6"


@pytest.fixture()
def asana(engine, ws, httpserver):
    fake = FakeAsana(
        httpserver, token=TOKEN,
        goals=[goal("12345", "Grow web traffic by 30%", 5.2, 10.2, 8.12,
                    owner="ada@acme.example", start="2026-01-01", due="2026-12-31"),
               goal("777", "Cut churn", 9, 6, 8, owner="x@else.example",
                    start="2026-01-01", due="2026-12-31", subtype="percentage")],
        portfolios={"900": (portfolio("900", "Bug Portfolio", owner="ada@acme.example",
                                      start="2026-02-01", due="2026-10-31"), ["p1"])},
        projects={"p1": ("Stuff to buy", [
            task("t1", "Buy catnip", due="2026-03-15", completed=True,
                 completed_at="2026-03-10T02:06:58.147Z", milestone=True,
                 assignee="ada@acme.example"),
            task("t2", "Feed the cat", due="2026-04-01", depends_on=("t1",))])})
    with unit_of_work(make_sessionmaker(engine)) as s:
        create_person(s, ws, {"email": "ada@acme.example", "name": "Ada Lovelace"})
        connectors.save(s, ws, "asana", {"base_url": fake.url, "secret": TOKEN, "settings": {
            "workspace": "12345", "portfolios": ["900"], "default_owner": "ada@acme.example"}})
    return fake


def test_goals_become_key_results_with_a_check_in(engine, ws, asana):
    r = run_sync(engine, ws, "asana")
    assert r.errors == [], r.errors
    assert any("owner x@else.example is no person" in w for w in r.warnings)
    with Session(engine) as s:
        ms = {m.external_key: m for m in s.scalars(select(Metric).where(
            Metric.workspace_id == ws))}
        kr = ms["asana:12345"]
        assert (kr.kind.value, kr.baseline_value, kr.target_value) == ("key_result", 5.2, 10.2)
        assert kr.baseline_date == dt.date(2026, 1, 1) and kr.target_date == dt.date(2026, 12, 31)
        assert kr.direction.value == "increase_to"
        assert s.get(Person, kr.owner_id).email == "ada@acme.example"
        assert ms["asana:777"].direction.value == "decrease_to" and ms["asana:777"].unit == "%"
        values = s.scalars(select(Measurement.value).where(
            Measurement.workspace_id == ws, Measurement.metric_id == kr.id)).all()
        assert values == [8.12]


def test_portfolios_and_tasks_become_initiatives_milestones_and_dependencies(engine, ws, asana):
    run_sync(engine, ws, "asana")
    with Session(engine) as s:
        ini = s.scalar(select(Initiative).where(Initiative.workspace_id == ws))
        assert (ini.external_key, ini.name) == ("asana:900", "Bug Portfolio")
        ms = {m.external_ref: m for m in s.scalars(select(Milestone).where(
            Milestone.workspace_id == ws))}
        assert ms["asana:t1"].completed_on == dt.date(2026, 3, 10)
        assert ms["asana:t1"].evidence_url == "https://app.asana.com/1/12345/task/t1"
        assert ms["asana:t2"].completed_on is None and ms["asana:t2"].initiative_id == ini.id
        dep = s.scalar(select(Dependency).where(Dependency.workspace_id == ws))
        assert (dep.provider_milestone_id, dep.consumer_milestone_id) == (
            ms["asana:t1"].id, ms["asana:t2"].id)


def test_a_second_sync_changes_nothing_and_a_new_value_is_a_correction(engine, ws, asana):
    run_sync(engine, ws, "asana")
    again = run_sync(engine, ws, "asana")
    assert again.changes == [] and again.errors == []
    asana.goals[0]["metric"]["current_number_value"] = 9.0
    third = run_sync(engine, ws, "asana", dry_run=True)
    assert third.changes == ["update 1 check-ins"]  # a correction of today's value


def test_a_wrong_token_writes_nothing_and_never_shows(engine, ws, asana):
    asana.token = "another"
    with pytest.raises(SyncFailed) as exc:
        run_sync(engine, ws, "asana")
    assert "401" in str(exc.value) and TOKEN not in str(exc.value)
    with Session(engine) as s:
        assert s.scalars(select(Metric).where(Metric.workspace_id == ws)).all() == []

"""The `real` workspace: only published data, through the importers, loaded once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.accounts.demo import DEMO_PASSWORD, demo_logins
from steerco.accounts.service import authenticate
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Measurement, Metric, PlanPoint
from steerco.db.repository import entity_counts
from steerco.demo.realdata import SERIES, SLUG, load_real, plan_of, read_series
from steerco.org.repository import WorkspaceRepository
from steerco.transfer.okrs import counts, parse


def test_the_plan_comes_from_the_years_before_the_target_year_only():
    # Two years of history growing 10 % a year, then a target year that collapses: the
    # plan is last year's value of each month × 1.1, whatever the target year did.
    months = [dt.date(2020 + i // 12, i % 12 + 1, 28) for i in range(48)]
    values = [100.0 * 1.1 ** (i // 12) + (i % 12) for i in range(36)] + [1.0] * 12
    plan = plan_of(list(zip(months, values, strict=True)), 1)
    assert abs(plan.growth - 0.1) < 0.01
    assert plan.direction == "increase_to"
    assert plan.baseline == (months[35], values[35])
    assert [v for _, v in plan.points] == [round(values[24 + k] * (1 + plan.growth), 2)
                                           for k in range(12)]
    assert plan.target == (months[-1], round(values[35] * (1 + plan.growth), 2))
    falling = [(m, 100.0 - i) for i, m in enumerate(months)]
    flat = plan_of(falling, 1)
    assert flat.growth < 0 and flat.direction == "stay_at_or_above"
    assert flat.target[1] == falling[35][1]  # last year's level, not a made-up fall


def test_the_real_workspace_holds_the_files_and_nothing_else(engine: Engine, shared_data):
    data = shared_data
    first = load_real(engine, data)
    assert first.created
    okr = [parse((data / "okrs" / f"sourcegraph_2019_{q}.md").read_text(), q)
           for q in ("q3", "q4")]
    okr_objectives = sum(counts(d)["objectives"] for d in okr)
    okr_krs = sum(counts(d)["key_results"] + counts(d)["note_key_results"] for d in okr)
    okr_checkins = sum(counts(d)["checkins"] for d in okr)
    series = {s.key: read_series(data, s) for s in SERIES}
    with Session(engine) as s:
        ws = WorkspaceRepository(s).by_slug(SLUG)
        assert ws is not None
        n = entity_counts(s, ws.id)
        assert n["objectives"] == okr_objectives + len(SERIES)
        assert n["metrics"] == okr_krs + len(SERIES)
        assert n["measurements"] == okr_checkins + sum(map(len, series.values()))
        # Every observation of every series, as the file has it.
        for key, values in series.items():
            metric = s.scalar(select(Metric).where(Metric.workspace_id == ws.id,
                                                   Metric.external_key == key))
            assert metric is not None
            stored = s.execute(select(Measurement.as_of, Measurement.value).where(
                Measurement.metric_id == metric.id).order_by(Measurement.as_of)).all()
            assert [tuple(r) for r in stored] == values
            plan = s.scalars(select(PlanPoint.on).where(
                PlanPoint.metric_id == metric.id)).all()
            assert len(plan) == (4 if key == "KPI-BEER" else 12)
            assert metric.target_date == values[-1][0]
        # The Apache blocking links: 380 edges over 521 issues, one of them closing the
        # cycle USERGRID-536 ↔ USERGRID-541 (bench.issuelinks finds the same).
        assert n["milestones"] == 521
        assert n["dependencies"] == 379
        assert len(first.refused) == 1 and "USERGRID-541" in first.refused[0] \
            and "USERGRID-536" in first.refused[0]
        logins = demo_logins(s, ws.id)
        assert {(login, role) for login, _, role in logins} == {
            ("ceo@okrs.example", "admin"), ("ceo@okrs.example", "strategy_office"),
            ("kpi-desk@realdata.example", "owner")}
    with unit_of_work(make_sessionmaker(engine)) as s:
        assert authenticate(s, "ceo@okrs.example", DEMO_PASSWORD).credential is not None
    again = load_real(engine, data)
    assert not again.created
    with Session(engine) as s:
        ws = WorkspaceRepository(s).by_slug(SLUG)
        assert ws is not None
        # (the log-in above counted an attempt: only the strategy is compared)
        strategy = ("objectives", "metrics", "measurements", "milestones", "dependencies",
                    "people", "org_units", "plan_points", "initiatives", "credentials")
        assert {k: entity_counts(s, ws.id)[k] for k in strategy} == {k: n[k] for k in strategy}

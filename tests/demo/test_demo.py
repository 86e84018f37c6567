"""The demo company: deterministic, realistic, and loaded all-or-nothing."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rustworkx as rx
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.orm import Session

from steerco.db.engine import make_engine
from steerco.db.migrate import upgrade
from steerco.db.models import (
    Alignment,
    Base,
    Dependency,
    Initiative,
    InitiativeMetric,
    Measurement,
    Metric,
    Objective,
    PlanPoint,
    Workspace,
)
from steerco.db.models.finance import BudgetLine
from steerco.demo import generate, load, write_demo
from steerco.demo.generate import TABLE_ORDER, DemoData
from steerco.demo.tables import local_rows

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate("s", 7, AS_OF)


def _fresh(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, data: DemoData) -> Iterator[Engine]:
    engine = _fresh(tmp_path_factory.mktemp("demo") / "demo.db")
    load(engine, data)
    yield engine
    engine.dispose()


def _ws_count(engine: Engine, table: str, slug: str = "demo") -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            f"SELECT count(*) FROM {table} t JOIN workspaces w ON w.id = t.workspace_id "
            "WHERE w.slug = :s"), {"s": slug}).scalar_one())


def test_the_same_seed_and_date_give_identical_rows_and_another_seed_differs(
        data: DemoData) -> None:
    again = generate("s", 7, AS_OF)
    other = generate("s", 8, AS_OF)
    for name in TABLE_ORDER:
        assert local_rows(data.tables[name]) == local_rows(again.tables[name]), name
    assert local_rows(data.tables["measurements"]) != local_rows(other.tables["measurements"])
    assert local_rows(data.tables["people"]) != local_rows(other.tables["people"])


def test_the_small_company_has_the_stated_size(data: DemoData) -> None:
    c = data.counts()
    assert 40 <= c["people"] <= 60
    assert 15 <= c["objectives"] <= 25
    assert 70 <= c["metrics"] <= 90
    assert 25 <= c["initiatives"] <= 35
    assert 2_000 <= c["measurements"] <= 8_000
    assert 90 <= c["milestones"] <= 180
    assert 100 <= c["dependencies"] <= 200
    assert 3 <= c["themes"] <= 5
    assert all(n > 0 for n in c.values()), c


def test_every_table_loads_and_the_orm_reads_it_back(loaded: Engine, data: DemoData) -> None:
    with Session(loaded) as s:
        for mapper in Base.registry.mappers:
            model = mapper.class_
            rows = s.scalars(select(model).limit(20)).all()
            if model.__tablename__ in data.tables or model is Workspace:
                assert rows, model.__tablename__
        for name, n in data.counts().items():
            assert _ws_count(loaded, name) == n, name
        m = s.scalars(select(Metric).where(Metric.tolerance.is_not(None)).limit(1)).one()
        assert isinstance(m.baseline_date, dt.date) and isinstance(m.tolerance, float)
        assert m.direction.value in {"increase_to", "decrease_to", "stay_at_or_above",
                                     "stay_at_or_below"}
        x = s.scalars(select(Measurement).order_by(Measurement.id.desc()).limit(1)).one()
        assert isinstance(x.as_of, dt.date) and isinstance(x.submitted_at, dt.datetime)
        assert x.as_of <= AS_OF and x.submitted_at.date() >= x.as_of
        o = s.scalars(select(Objective).limit(1)).one()
        assert o.period_start <= o.period_end and o.owner_id is not None
        assert s.execute(text("PRAGMA foreign_key_check")).fetchall() == []


def test_every_decided_initiative_has_owner_due_date_metric_and_budget_line(
        loaded: Engine) -> None:
    with Session(loaded) as s:
        decided = s.scalars(select(Initiative).where(
            Initiative.stage.in_(["decided", "implemented", "closed"]))).all()
        assert decided
        for ini in decided:
            assert ini.owner_id is not None and ini.due_date is not None
            assert s.scalar(select(func.count()).select_from(InitiativeMetric).where(
                InitiativeMetric.initiative_id == ini.id))
            assert s.scalar(select(func.count()).select_from(BudgetLine).where(
                BudgetLine.initiative_id == ini.id))
        early = s.scalars(select(Initiative).where(
            Initiative.stage.in_(["defined", "identified", "detailed"]))).all()
        assert early


def test_there_is_exactly_one_dependency_cycle(loaded: Engine) -> None:
    g: Any = rx.PyDiGraph()
    nodes: dict[tuple[str, int], int] = {}

    def node(kind: str, i: int) -> int:
        if (kind, i) not in nodes:
            nodes[(kind, i)] = g.add_node((kind, i))
        return nodes[(kind, i)]

    with Session(loaded) as s:
        for d in s.scalars(select(Dependency)):
            p = node("m", d.provider_milestone_id) if d.provider_milestone_id else node(
                "i", d.provider_initiative_id or 0)
            c = node("m", d.consumer_milestone_id) if d.consumer_milestone_id else node(
                "i", d.consumer_initiative_id or 0)
            g.add_edge(p, c, None)
        types = {t for (t,) in s.execute(select(Dependency.dep_type).distinct())}
        broken = s.scalar(select(func.count()).select_from(Dependency).where(
            Dependency.committed_date > Dependency.need_date))
    cycles = [c for c in rx.strongly_connected_components(g) if len(c) > 1]
    assert len(cycles) == 1 and len(cycles[0]) == 3
    assert len(list(rx.simple_cycles(g))) == 1
    assert {t.value for t in types} == {"FS", "SS", "FF", "SF"}
    assert broken


def test_plan_points_are_in_date_order_within_the_metric_period(loaded: Engine) -> None:
    with Session(loaded) as s:
        metrics = {m.id: m for m in s.scalars(select(Metric))}
        points = s.scalars(select(PlanPoint).order_by(PlanPoint.metric_id, PlanPoint.on)).all()
    assert points
    last: dict[int, dt.date] = {}
    for p in points:
        m = metrics[p.metric_id]
        assert m.baseline_date < p.on <= m.target_date
        assert p.metric_id not in last or last[p.metric_id] < p.on
        last[p.metric_id] = p.on


def test_every_metric_targets_a_date_after_its_baseline(loaded: Engine) -> None:
    with Session(loaded) as s:
        metrics = s.scalars(select(Metric)).all()
    assert all(m.target_date > m.baseline_date for m in metrics)
    assert any(m.tolerance is None for m in metrics)
    assert {m.kind.value for m in metrics} == {"kpi", "key_result"}


def test_corrections_supersede_a_measurement_of_the_same_metric(loaded: Engine) -> None:
    with Session(loaded) as s:
        corr = s.scalars(select(Measurement).where(Measurement.supersedes_id.is_not(None))
                         ).all()
        assert corr
        for c in corr:
            orig = s.get(Measurement, c.supersedes_id)
            assert orig is not None and orig.metric_id == c.metric_id and orig.id < c.id
        assert s.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.confidence.is_not(None)))


def test_alignment_is_a_dag_with_some_weighted_multi_parent_objectives(loaded: Engine) -> None:
    with Session(loaded) as s:
        edges = [(a.child_id, a.parent_id, a.weight) for a in s.scalars(select(Alignment))]
    g: Any = rx.PyDiGraph()
    ids = sorted({x for e in edges for x in e[:2]})
    idx = {x: g.add_node(x) for x in ids}
    g.add_edges_from([(idx[c], idx[p], w) for c, p, w in edges])
    assert rx.is_directed_acyclic_graph(g)
    assert any(w < 1 for _, _, w in edges)


def test_some_causal_links_hold_in_the_data_and_some_negative_ones_cross_units(
        data: DemoData) -> None:
    links = local_rows(data.tables["causal_links"])
    cols = data.tables["causal_links"].column_names()
    meas = data.tables["measurements"]
    metric = meas.columns["metric_id"].idx  # type: ignore[union-attr]
    value = meas.columns["value"]
    assert isinstance(value, np.ndarray)
    held = 0
    for row in links:
        r = dict(zip(cols, row, strict=True))
        if r["note"] != "Validated by the analytics team":
            continue
        x = value[metric == r["driver_id"] - 1][: -1 or None]
        y = value[metric == r["driven_id"] - 1]
        lag = r["lag_days"] // 7
        n = min(len(x), len(y))
        if n <= lag + 10:
            continue
        dx, dy = np.diff(x[: n - lag]), np.diff(y[lag:n])
        if np.corrcoef(dx, dy)[0, 1] * r["sign"] > 0.5:
            held += 1
    assert held >= 1
    owners = data.tables["metrics"].columns["owner_id"].idx  # type: ignore[union-attr]
    unit = data.tables["people"].columns["org_unit_id"].idx  # type: ignore[union-attr]
    crossing = [r for r in links if r[cols.index("sign")] == -1
                and unit[owners[r[cols.index("driver_id")] - 1]]
                != unit[owners[r[cols.index("driven_id")] - 1]]]
    assert len(crossing) >= 2


def test_a_second_workspace_loads_beside_the_first_and_both_are_kept(tmp_path: Path,
                                                                      data: DemoData) -> None:
    engine = _fresh(tmp_path / "two.db")
    load(engine, data, workspace_slug="first")
    counts = write_demo(engine, size="s", seed=11, as_of=AS_OF, slug="second")
    assert _ws_count(engine, "measurements", "first") == data.counts()["measurements"]
    assert _ws_count(engine, "measurements", "second") == counts["measurements"]
    with pytest.raises(ValueError, match="already exists"):
        load(engine, data, workspace_slug="first")
    with Session(engine) as s:
        assert s.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()


def test_a_failure_mid_load_leaves_nothing_written(tmp_path: Path, data: DemoData) -> None:
    engine = _fresh(tmp_path / "fail.db")
    seen: list[str] = []

    def explode(table: str, done: int, total: int) -> None:
        seen.append(table)
        if table == "milestones" and done > 0:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        load(engine, data, progress=explode)
    assert "measurements" in seen
    with engine.connect() as conn:
        for name in ["workspaces", *TABLE_ORDER]:
            assert conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() == 0, name
    load(engine, data)  # and the database is still usable afterwards
    assert _ws_count(engine, "milestones") == data.counts()["milestones"]
    engine.dispose()


@pytest.mark.postgres
def test_the_small_company_loads_into_postgresql(data: DemoData) -> None:
    url = os.environ.get("STEERCO_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("STEERCO_TEST_POSTGRES_URL is not set")
    base = make_url(url)
    name = f"{base.database}_demo_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        counts = load(engine, data)
        assert _ws_count(engine, "measurements") == counts["measurements"]
        with Session(engine) as s:
            x = s.scalars(select(Measurement).limit(1)).one()
            assert isinstance(x.as_of, dt.date) and x.submitted_at.tzinfo is not None
            m = s.scalars(select(Metric).limit(1)).one()
            assert m.target_date > m.baseline_date
            # The id sequences moved past the loaded rows: the ORM can insert again.
            s.add(Workspace(slug="after", name="After"))
            s.flush()
        with pytest.raises(ValueError, match="already exists"):
            load(engine, data)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_demo_never_holds_two_identical_rules() -> None:
    # Two "Off-track in <unit>" rules on one unit opened duplicate escalations: whatever
    # the draw, no two rules share signal, minimum severity and scope.
    from steerco.demo.finance import build_governance
    from steerco.demo.org import build_org
    from steerco.demo.sizes import get_size

    collided = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        org, _ = build_org(get_size("s"), rng)
        bus = np.flatnonzero(org.level == 1)
        probe = np.random.default_rng(seed)
        build_org(get_size("s"), probe)
        drawn = probe.choice(bus, 2)
        collided += int(drawn[0] == drawn[1])
        rules = build_governance(rng, org, AS_OF)[0]
        cols = rules.columns
        units = cols["org_unit_id"].idx.tolist()  # type: ignore[union-attr]
        keys = [(cols["signal_kind"][i], int(cols["min_severity"][i]), units[i])  # type: ignore[index]
                for i in range(rules.n)]
        assert len(set(keys)) == len(keys), (seed, keys)
        assert rules.n == 9
    assert collided  # the draw that used to give twins was among the seeds


def test_the_demo_opens_one_escalation_per_subject_and_signal(tmp_path: Path) -> None:
    # The newcomer's demo (as of 2026-12-01): "Inventory days on hand" opened three
    # escalations from the workspace-wide and two identical "Off-track in Retail" rules.
    from steerco.db.models import Escalation, Rule
    from steerco.governance.demo import replay

    today = dt.date(2026, 12, 1)
    engine = _fresh(tmp_path / "demo.db")
    load(engine, generate("s", 7, today))
    with Session(engine) as s:
        wid = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        assert wid is not None
        replay(s, wid, today)
        s.flush()
        escs = list(s.scalars(select(Escalation).where(Escalation.workspace_id == wid)))
        keys = [(e.subject_kind, e.subject_id, e.signal_kind, e.opened_at) for e in escs]
        assert escs and len(set(keys)) == len(keys)
        rules = {r.id: r.name for r in s.scalars(select(Rule).where(Rule.workspace_id == wid))}
        inventory = [rules[e.rule_id] for e in escs  # type: ignore[index]
                     if e.summary.startswith("Inventory days")]
        assert inventory == ["Off-track in Retail"]
    engine.dispose()

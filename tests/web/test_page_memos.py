"""The cockpit's strategy map and exception blocks and the explorer's network are memoised
(per evaluation, per findings computation): an edit or a check-in still shows on the very
next view of a running server."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import exists, select

from steerco.checkins.service import check_in
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import (
    Measurement,
    Metric,
    MetricObjective,
    Objective,
    OrgUnit,
    Workspace,
)
from steerco.initiatives.service import update_initiative, update_milestone
from steerco.objectives.service import update_objective
from steerco.org.service import update_org_unit
from steerco.views.schedule_risk import dependency_risk
from tests.web.test_pages_status import HTML, PASSWORD, Demo, page_login

MAP = re.compile(r'<script type="application/json" id="map-data">(.*?)</script>', re.S)
GRAPH = re.compile(r'<script type="application/json" id="graph-data">(.*?)</script>', re.S)


def _office(demo: Demo) -> TestClient:
    c = TestClient(demo.app, follow_redirects=False)
    assert page_login(c, demo.logins["strategy_office"], PASSWORD).status_code == 303
    return c


def _elements(pattern: re.Pattern[str], html: str) -> dict[str, dict[str, Any]]:
    found = pattern.search(html)
    assert found is not None
    return {e["data"]["id"]: e["data"] for e in json.loads(found.group(1))}


def _edit(demo: Demo, change: Any) -> None:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        change(s, ws)


def _key(public_id: str) -> int:
    return int(public_id.split("_")[1])


def test_the_strategy_map_shows_a_retitled_objective_on_the_next_view(demo: Demo) -> None:
    c = _office(demo)
    before = _elements(MAP, c.get("/cockpit", headers=HTML).text)
    oid = next(i for i, d in before.items() if d.get("kind") == "objective")
    assert _elements(MAP, c.get("/cockpit", headers=HTML).text) == before  # memo hit
    _edit(demo, lambda s, ws: update_objective(s, ws, _key(oid), {"title": "Memo retitled"}))
    after = _elements(MAP, c.get("/cockpit", headers=HTML).text)
    assert after[oid]["label"] == "Memo retitled"


def test_the_strategy_map_counts_a_check_in_on_the_next_view(demo: Demo) -> None:
    c = _office(demo)
    before = _elements(MAP, c.get("/cockpit", headers=HTML).text)
    # A drawn objective with a metric of its own that has no evidence yet.
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        pairs = s.execute(select(MetricObjective.objective_id, MetricObjective.metric_id)
                          .where(~exists().where(
                              Measurement.metric_id == MetricObjective.metric_id))).all()
        drawn = [(o, m) for o, m in pairs if f"obj_{o}" in before]
        assert drawn, "the demo draws no objective with an unmeasured metric"
        obj, metric = drawn[0]
        baseline = s.scalar(select(Metric.baseline_date).where(Metric.id == metric))
    oid = f"obj_{obj}"
    k, n = map(int, re.findall(r"\d+", before[oid]["measured"]))
    day = max(dt.date.today() - dt.timedelta(days=1), baseline or dt.date.min)
    _edit(demo, lambda s, ws: check_in(s, ws, {"metric_id": f"met_{metric}", "value": 1.0,
                                               "as_of": day.isoformat()}))
    after = _elements(MAP, c.get("/cockpit", headers=HTML).text)
    assert after[oid]["measured"] == f"{k + 1} of {n} metrics measured"


def test_the_cockpit_exceptions_name_a_renamed_subject_on_the_next_view(demo: Demo) -> None:
    c = _office(demo)
    html = c.get("/cockpit", headers=HTML).text
    found = re.search(r'title="(ini|mil)_(\d+)">([^<]+)</a>', html)
    assert found is not None, "no exception about an initiative or a milestone"
    kind, key = found.group(1), int(found.group(2))
    if kind == "ini":
        _edit(demo, lambda s, ws: update_initiative(s, ws, key, {"name": "Memo initiative"}))
        shown = "Memo initiative"
    else:
        _edit(demo, lambda s, ws: update_milestone(s, ws, key, {"name": "Memo milestone"}))
        shown = "Memo milestone"
    after = c.get("/cockpit", headers=HTML).text
    assert f'title="{kind}_{key}">{shown}' in after


def test_the_explorer_draws_a_renamed_milestone_on_the_next_view(demo: Demo) -> None:
    c = _office(demo)
    before = _elements(GRAPH, c.get("/explorer?unit=org_1", headers=HTML).text)
    mid = next(i for i in before if i.startswith("mil_"))
    assert _elements(GRAPH, c.get("/explorer?unit=org_1", headers=HTML).text) == before
    _edit(demo, lambda s, ws: update_milestone(s, ws, _key(mid), {"name": "Memo step"}))
    after = _elements(GRAPH, c.get("/explorer?unit=org_1", headers=HTML).text)
    assert after[mid]["label"].startswith("Memo step · ")


def test_the_chances_of_some_dependencies_are_those_of_all(demo: Demo) -> None:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        every = dependency_risk(s, ws)
        assert every
        some = sorted(every)[::3]
        assert dependency_risk(s, ws, keys=[*some, -5]) == {k: every[k] for k in some}


def test_a_units_strategy_map_counts_a_unit_moved_under_it_on_the_next_view(
        demo: Demo) -> None:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        units = dict(s.execute(select(OrgUnit.id, OrgUnit.parent_id).where(
            OrgUnit.workspace_id == ws)).all())
        with_objectives = set(s.scalars(select(Objective.org_unit_id).where(
            Objective.workspace_id == ws, Objective.archived.is_(False))).all())

    def above(u: int | None) -> set[int]:
        out = set()
        while u is not None:
            out.add(u)
            u = units[u]
        return out
    # A leaf unit with objectives, and another unit with objectives outside its line.
    leaves = sorted(u for u in with_objectives if u in units and u not in units.values())
    target = leaves[0]
    moved = next(u for u in sorted(with_objectives) if u in units
                 and u not in above(target) and target not in above(u))
    c = _office(demo)

    def total() -> int:
        html = c.get(f"/cockpit?unit=org_{target}", headers=HTML).text
        found = re.search(r"([\d,]+) objectives", html)
        assert found is not None
        return int(found.group(1).replace(",", ""))
    before = total()
    assert total() == before  # memo hit
    _edit(demo, lambda s, ws: update_org_unit(s, ws, moved, {"parent_id": f"org_{target}"}))
    assert total() > before

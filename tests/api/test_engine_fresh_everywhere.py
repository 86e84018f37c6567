"""Any change to anything the engine reads shows in the next read of every server process.

A second server (a real uvicorn process on the same database, with caches of its own)
is warmed up, then each kind of input is changed in this process; the second server must
then answer exactly what a freshly started process answers, and the change must show.
Explicit `as_of` reads keep today's evaluation.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.accounts import service as accounts
from steerco.checkins.service import void_measurement
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import (
    Alignment,
    ApiToken,
    BudgetLine,
    Dependency,
    Initiative,
    LedgerEntry,
    Measurement,
    Metric,
    MetricObjective,
    Milestone,
    Objective,
    Person,
    PlannedBenefit,
    PlanPoint,
    Rule,
    Workspace,
)
from steerco.demo import write_demo
from steerco.evidence import service as engine_service
from steerco.findings import service as findings_service
from steerco.http.page_cache import PAGES
from steerco.web.pages.common import WORK
from tests.servers import uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date.today()



@pytest.fixture(scope="module")
def demo(api_engine: Engine) -> tuple[int, str]:
    """A small demo company in a workspace of its own, and an admin's API token."""
    slug = f"fresh-{os.getpid()}"
    write_demo(api_engine, "s", 7, TODAY, slug)
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        s.info["actor"] = "test"
        ws = int(s.scalar(select(Workspace.id).where(Workspace.slug == slug)) or 0)
        admin = s.scalar(select(Person.id).where(Person.workspace_id == ws,
                                                 Person.active.is_(True)).order_by(Person.id))
        accounts.add_grant(s, ws, {"person_id": admin, "role": "admin"})
        secret, _ = accounts.create_token(s, ws, admin, {"name": "t", "scopes": ["write"]})
    return ws, secret


@pytest.fixture(scope="module")
def second_server(api_engine: Engine, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[str]:
    """Another steerco process on the same database (uvicorn, caches of its own)."""
    tmp = tmp_path_factory.mktemp("second")
    env = {"STEERCO_DATABASE_URL": api_engine.url.render_as_string(hide_password=False),
           "STEERCO_EVIDENCE_DIR": str(tmp / "evidence")}
    # Generous: on a loaded CI machine importing the app alone can take half a minute.
    with uvicorn_server("steerco.web.app:create_app", env, tmp, "/api/openapi.json",
                        timeout_s=240) as url:
        yield url


def _answers(get: Callable[..., Any], post: Callable[..., Any], headers: dict[str, str],
             slip: str) -> dict[str, Any]:
    """What the engine says: the whole status tree, every finding, one what-if."""
    out = {}
    for name, r in (
            ("tree", get("/api/v1/status/tree?depth=6&max_children=200", headers=headers)),
            ("findings", get("/api/v1/findings", headers=headers)),
            ("whatif", post("/api/v1/whatif", json={"slips": [slip]}, headers=headers))):
        assert r.status_code == 200, (name, r.text)
        out[name] = r.json()
    return out


def _fresh_process_caches() -> None:
    engine_service.CACHE.clear()
    findings_service.clear()
    WORK.clear()
    PAGES.clear()


def _first(s: Session, stmt: Any) -> Any:
    row = s.scalars(stmt.limit(1)).first()
    assert row is not None, stmt
    return row


def _edits(ws: int) -> list[tuple[str, Callable[[Session], None]]]:
    """One change per kind of input the engine reads (each must change some answer)."""
    def metric(s: Session) -> None:
        m = _first(s, select(Metric).join(MetricObjective).where(
            Metric.workspace_id == ws).order_by(Metric.id))
        m.target_value = float(m.target_value) * 4 + 10

    def void(s: Session) -> None:
        # The newest check-in (nothing corrects it yet) leaves the evidence.
        newest = _first(s, select(Measurement).where(Measurement.workspace_id == ws)
                        .order_by(Measurement.id.desc()))
        void_measurement(s, ws, newest.id, {"reason": "typo"})

    def plan(s: Session) -> None:
        for p in s.scalars(select(PlanPoint).where(PlanPoint.workspace_id == ws)):
            p.value = float(p.value) * 0.5

    def metric_objective(s: Session) -> None:
        s.delete(_first(s, select(MetricObjective).where(MetricObjective.workspace_id == ws)
                        .order_by(MetricObjective.metric_id)))

    def objective(s: Session) -> None:
        child = _first(s, select(Objective).join(Alignment, Alignment.child_id == Objective.id)
                       .where(Objective.workspace_id == ws, Objective.archived.is_(False))
                       .order_by(Objective.id))
        child.archived = True

    def alignment(s: Session) -> None:
        s.delete(_first(s, select(Alignment).where(Alignment.workspace_id == ws)
                        .order_by(Alignment.child_id.desc())))

    def benefit(s: Session) -> None:
        for b in s.scalars(select(PlannedBenefit).where(PlannedBenefit.workspace_id == ws)):
            b.amount = float(b.amount) * 3

    def initiative(s: Session) -> None:
        for i in s.scalars(select(Initiative).where(Initiative.workspace_id == ws,
                                                    Initiative.due_date.is_not(None))):
            earliest = (i.start_date or i.due_date) + dt.timedelta(days=1)
            i.due_date = max(earliest, i.due_date - dt.timedelta(days=200))

    def milestone(s: Session) -> None:
        for m in s.scalars(select(Milestone).where(Milestone.workspace_id == ws,
                                                   Milestone.completed_on.is_(None))):
            m.due_date = m.due_date + dt.timedelta(days=90)

    def dependency(s: Session) -> None:
        for d in s.scalars(select(Dependency).where(Dependency.workspace_id == ws)):
            s.delete(d)

    def budget_line(s: Session) -> None:
        for b in s.scalars(select(BudgetLine).where(BudgetLine.workspace_id == ws,
                                                    BudgetLine.initiative_id.is_not(None))):
            b.initiative_id = None

    def ledger(s: Session) -> None:
        for e in s.scalars(select(LedgerEntry).where(LedgerEntry.workspace_id == ws)):
            e.amount = float(e.amount) * 5

    def person(s: Session) -> None:
        # Every metric owner leaves but the test's own admin (a deactivated person's
        # token stops working at once, issue 10).
        holders = select(ApiToken.person_id).where(ApiToken.workspace_id == ws)
        for p in s.scalars(select(Person).where(Person.workspace_id == ws,
                                                Person.id.in_(select(Metric.owner_id)),
                                                Person.id.not_in(holders))):
            p.active = False

    def rule(s: Session) -> None:
        for r in s.scalars(select(Rule).where(Rule.workspace_id == ws)):
            s.delete(r)

    return [("metrics", metric), ("voids", void), ("plans", plan),
            ("metric objectives", metric_objective),
            ("objectives", objective), ("alignments", alignment), ("benefits", benefit),
            ("initiatives", initiative), ("milestones", milestone),
            ("dependencies", dependency), ("budget lines", budget_line),
            ("ledger entries", ledger), ("people", person), ("rules", rule)]


def test_every_kind_of_edit_shows_in_the_next_read_of_another_server_process(
        api_engine: Engine, app: Any, demo: tuple[int, str], second_server: str) -> None:
    ws, token = demo
    h = {"Authorization": f"Bearer {token}"}
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        ms = s.scalars(select(Milestone.id).where(Milestone.workspace_id == ws,
                                                  Milestone.completed_on.is_(None))
                       .order_by(Milestone.id)).all()
    slip = f"mil_{ms[len(ms) // 2]}:30"
    with TestClient(app) as here, httpx.Client(base_url=second_server, timeout=120) as there:
        before = _answers(there.get, there.post, h, slip)  # warms the second process
        _answers(here.get, here.post, h, slip)  # and this one
        for kind, edit in _edits(ws):
            with unit_of_work(make_sessionmaker(api_engine)) as s:
                s.info["actor"] = "test"
                edit(s)
            warm_here = _answers(here.get, here.post, h, slip)
            other = _answers(there.get, there.post, h, slip)
            _fresh_process_caches()
            fresh = _answers(here.get, here.post, h, slip)
            assert fresh != before, f"changing {kind} changed no answer (a useless edit)"
            for part in fresh:
                assert other[part] == fresh[part], \
                    f"after changing {kind}, another process answers {part} from old data"
                assert warm_here[part] == fresh[part], \
                    f"after changing {kind}, this process answers {part} from old data"
            before = fresh


def test_explicit_as_of_reads_do_not_evict_todays_evaluation(
        api_engine: Engine, client: TestClient, demo: tuple[int, str]) -> None:
    ws, token = demo
    h = {"Authorization": f"Bearer {token}"}
    builds: list[int] = []
    real = engine_service.evaluate

    def counting(snap: Any, day: int, **kw: Any) -> Any:
        builds.append(day)
        return real(snap, day, **kw)

    engine_service.CACHE.clear()
    mp = pytest.MonkeyPatch()
    mp.setattr(engine_service, "evaluate", counting)
    try:
        past = (TODAY - dt.timedelta(days=60)).isoformat()
        for _ in range(3):
            assert client.get("/api/v1/status/counts", headers=h).status_code == 200
            assert client.get(f"/api/v1/status/counts?as_of={past}",
                              headers=h).status_code == 200
    finally:
        mp.undo()
    assert len(builds) == 2, f"alternating as_of and plain reads built {len(builds)} times"


def test_a_check_in_is_caught_up_without_rebuilding_the_workspace(
        api_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from steerco.checkins.service import check_in
    from tests.api.conftest import metric_of, objective_in, seed_tenant

    t = seed_tenant(api_engine)
    metric = metric_of(api_engine, t, t.users["owner"],
                       objective_in(api_engine, t, t.own, t.users["owner"]))
    cache = engine_service.EngineCache()
    reads = make_sessionmaker(api_engine, readonly=True)
    with unit_of_work(reads) as s:
        cache.state(s, t.ws)
    builds: list[int] = []
    real = engine_service.evaluate
    monkeypatch.setattr(engine_service, "evaluate",
                        lambda *a, **kw: builds.append(1) or real(*a, **kw))
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        s.info["actor"] = "test"
        check_in(s, t.ws, {"metric_id": f"met_{metric}", "value": 150.0,
                           "as_of": TODAY.isoformat()}, today=TODAY)
    with unit_of_work(reads) as s:
        st = cache.state(s, t.ws)
    row = int(np.flatnonzero(st.snapshot.metrics.ids == metric)[0])
    assert float(st.evaluation.metrics.last_value[row]) == 150.0
    assert builds == [], "a check-in rebuilt the whole workspace"

"""Fixtures of the API tests: a committed database of their own, the app, a seeded world.

API requests commit through the app's own sessions, so these tests cannot use the
rolled-back `session` fixture; they get a separate database (SQLite file, or a sibling
PostgreSQL database when STEERCO_TEST_POSTGRES_URL is set) and each test builds what it
changes in fresh workspaces.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from steerco.accounts import service as accounts
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.metrics.service import create_metric
from steerco.objectives.service import create_objective
from steerco.org.service import create_org_unit, create_person, create_workspace
from steerco.web.app import create_app
from tests.conftest import PG_ENV, _create_pg_database, _drop_pg_database

ROLES = ["admin", "strategy_office", "executive", "controller", "owner", "viewer"]
_seq = itertools.count(1)


@pytest.fixture(scope="session")
def api_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    pg = os.environ.get(PG_ENV)
    if pg:
        from sqlalchemy import make_url

        base = make_url(pg)
        url = _create_pg_database(base.set(database=f"{base.database}_api").render_as_string(
            hide_password=False))
        eng = make_engine(url, pool_size=20, max_overflow=40)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.db'}"
        eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    if pg:
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def app(api_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from steerco.db.engine import make_sessionmaker
    from steerco.jobs.queue import make_huey

    app = create_app(api_engine)
    # Jobs the API enqueues (POST /imports) run at once on this database, in the request.
    huey = make_huey(str(tmp_path_factory.mktemp("jobs") / "jobs.db"), "sqlite:///unused.db",
                     factory=make_sessionmaker(api_engine), name="api-tests")
    huey.immediate = True
    app.state.huey = huey
    return app


@pytest.fixture()
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class Tenant:
    """A seeded workspace: a root unit with two subtrees, one user per role in `own`."""

    ws: int
    root: int
    own: int
    other: int
    owner_of_other: int  # a person in the other subtree
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def seed_tenant(engine: Engine, *, subtree_roles: bool = True,
                scopes: tuple[str, ...] = ("write",)) -> Tenant:
    """Build a workspace with people holding every role (on the `own` subtree)."""
    n = next(_seq)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = create_workspace(s, {"slug": f"api-{n}-{os.getpid()}", "name": f"API {n}"})
        root = create_org_unit(s, ws.id, {"name": "Company", "kind": "company"})
        own = create_org_unit(s, ws.id, {"name": "Sales", "kind": "business_unit",
                                         "parent_id": root.id})
        other = create_org_unit(s, ws.id, {"name": "Ops", "kind": "business_unit",
                                           "parent_id": root.id})
        stranger = create_person(s, ws.id, {"name": "Olga Other", "email": "olga@x.example",
                                            "org_unit_id": other.id})
        t = Tenant(ws.id, root.id, own.id, other.id, stranger.id)
        for role in ROLES:
            p = create_person(s, ws.id, {"name": f"{role.title()} Person",
                                         "email": f"{role}@x.example", "org_unit_id": own.id})
            accounts.add_grant(s, ws.id, {"person_id": p.id, "role": role,
                                          "org_unit_id": own.id if subtree_roles else None})
            t.users[role] = p.id
            secret, tok = accounts.create_token(s, ws.id, p.id, {"name": "t",
                                                                  "scopes": list(scopes)})
            t.tokens[role], t.token_ids[role] = secret, tok.id
        # a workspace-wide admin too
        boss = create_person(s, ws.id, {"name": "Wanda Wide", "email": "wanda@x.example"})
        accounts.add_grant(s, ws.id, {"person_id": boss.id, "role": "admin"})
        t.users["ws_admin"] = boss.id
        t.tokens["ws_admin"], _ = accounts.create_token(s, ws.id, boss.id,
                                                        {"name": "t", "scopes": ["write"]})
    return t


def objective_in(engine: Engine, t: Tenant, unit: int, owner: int) -> int:
    with unit_of_work(make_sessionmaker(engine)) as s:
        o = create_objective(s, t.ws, {"title": "Grow", "period_start": "2026-01-01",
                                       "period_end": "2026-12-31", "level": "company",
                                       "perspective": "financial", "owner_id": owner,
                                       "org_unit_id": unit})
        return o.id


def metric_of(engine: Engine, t: Tenant, owner: int, objective: int | None = None,
              name: str = "Revenue") -> int:
    with unit_of_work(make_sessionmaker(engine)) as s:
        m = create_metric(s, t.ws, {
            "name": name, "unit": "EUR", "direction": "increase_to",
            "baseline_value": 100.0, "baseline_date": "2026-01-01", "target_value": 200.0,
            "target_date": "2026-12-31", "owner_id": owner,
            "objectives": [{"objective_id": objective}] if objective else []})
        return m.id


@pytest.fixture()
def tenant(api_engine: Engine) -> Tenant:
    return seed_tenant(api_engine)

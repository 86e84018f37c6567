"""List pages come from the per-process cache only while their tables are unchanged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from steerco.checkins.service import check_in
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.repository import table_generations
from steerco.metrics.repository import MetricRepository
from steerco.objectives.service import align, update_objective
from tests.api.conftest import Tenant, metric_of, objective_in, seed_tenant


def _page_queries(engine: Engine, table: str) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def spy(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if f"FROM {table} " in statement and "LIMIT" in statement:  # a list page
            seen.append(statement)

    return seen


def _titles(client: Any, t: Tenant) -> list[str]:
    r = client.get("/api/v1/objectives?limit=50", headers=t.auth("viewer"))
    assert r.status_code == 200, r.text
    return [o["title"] for o in r.json()["items"]]


def test_a_list_is_built_once_and_rebuilt_after_any_write_to_its_tables(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    owner = t.users["owner"]
    first = objective_in(api_engine, t, t.own, owner)
    second = objective_in(api_engine, t, t.own, owner)
    metric = metric_of(api_engine, t, owner, first)
    built = _page_queries(api_engine, "objectives")

    assert _titles(client, t) == ["Grow", "Grow"]
    n = len(built)
    assert n >= 1
    assert _titles(client, t) == ["Grow", "Grow"]
    assert len(built) == n, "an unchanged list was built again"

    # A write from anywhere (here a plain service call, as another process would make).
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        s.info["actor"] = "test"
        update_objective(s, t.ws, first, {"title": "Grow faster"})
    assert _titles(client, t) == ["Grow faster", "Grow"]
    assert len(built) == n + 1

    # An alignment is part of the objectives list (each item names its parents).
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        align(s, t.ws, second, first)
    r = client.get("/api/v1/objectives?limit=50", headers=t.auth("viewer"))
    parents = {o["id"]: o["parents"] for o in r.json()["items"]}
    assert parents[f"obj_{second}"] == [{"objective_id": f"obj_{first}", "weight": 1.0}]

    # A check-in touches no table the list is built from: still served from the cache.
    n = len(built)
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        check_in(s, t.ws, {"metric_id": metric, "value": 120.0, "as_of": "2026-02-01"})
    assert _titles(client, t) == ["Grow faster", "Grow"]
    assert len(built) == n


def test_another_workspace_and_another_query_are_other_pages(
        client: Any, api_engine: Engine) -> None:
    a, b = seed_tenant(api_engine), seed_tenant(api_engine)
    objective_in(api_engine, a, a.own, a.users["owner"])
    assert len(_titles(client, a)) == 1
    assert _titles(client, b) == []
    r = client.get("/api/v1/objectives?limit=1&sort=-id", headers=a.auth("viewer"))
    assert r.status_code == 200 and len(r.json()["items"]) == 1


def test_bulk_writes_count_for_every_workspace(api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    metric = metric_of(api_engine, t, t.users["owner"])
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        before = table_generations(s, t.ws, ("plan_points", "metrics"))
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        MetricRepository(s, t.ws).replace_plan(metric, [])
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        after = table_generations(s, t.ws, ("plan_points", "metrics"))
    assert after[0] > before[0]
    assert after[1] == before[1]


def test_a_refused_write_counts_nothing(client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    obj = objective_in(api_engine, t, t.own, t.users["owner"])
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        before = table_generations(s, t.ws, ("objectives",))
    r = client.patch(f"/api/v1/objectives/obj_{obj}", json={"title": "New"},
                     headers={**t.auth("owner"), "If-Match": '"99"'})
    assert r.status_code == 412
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        assert table_generations(s, t.ws, ("objectives",)) == before

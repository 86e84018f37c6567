"""A first walk through the API: read, create, update with ETags, check in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.api.conftest import Tenant, metric_of, objective_in


def test_an_admin_creates_reads_and_updates_an_objective_with_etags(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("ws_admin")
    body = {"title": "Win", "period_start": "2026-01-01", "period_end": "2026-12-31",
            "level": "company", "perspective": "customer",
            "owner_id": f"per_{tenant.users['owner']}", "org_unit_id": f"org_{tenant.own}"}
    r = client.post("/api/v1/objectives", json=body, headers=h)
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    r = client.get(f"/api/v1/objectives/{oid}", headers=h)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    r = client.patch(f"/api/v1/objectives/{oid}", json={"title": "Win big"}, headers=h)
    assert r.status_code == 428
    r = client.patch(f"/api/v1/objectives/{oid}", json={"title": "Win big"},
                     headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"'
    r = client.patch(f"/api/v1/objectives/{oid}", json={"title": "Win bigger"},
                     headers={**h, "If-Match": '"1"'})
    assert r.status_code == 412
    assert r.json()["current_version"] == 2
    r = client.get(f"/api/v1/audit/{oid}", headers=h)
    assert r.status_code == 200
    actions = [(e["action"], e["actor"]) for e in r.json()["items"]]
    assert actions[0][0] == "create"
    assert actions[-1][0] == "update" and actions[-1][1].startswith("token:")


def test_lists_page_with_cursors_in_the_requested_order(client: Any, tenant: Tenant) -> None:
    for _ in range(5):
        objective_in(client.app.state.engine, tenant, tenant.own, tenant.users["owner"])
    h = tenant.auth("viewer")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "sort": "-id"}
        if cursor:
            params["cursor"] = cursor
        r = client.get("/api/v1/objectives", params=params, headers=h)
        assert r.status_code == 200, r.text
        seen += [o["id"] for o in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    keys = [int(i.split("_")[1]) for i in seen]
    assert len(keys) == 5 and keys == sorted(keys, reverse=True)


def test_the_owner_checks_in_and_the_engine_reports_status(client: Any, tenant: Tenant) -> None:
    eng = client.app.state.engine
    obj = objective_in(eng, tenant, tenant.own, tenant.users["owner"])
    met = metric_of(eng, tenant, tenant.users["owner"], obj)
    h = tenant.auth("owner")
    r = client.post("/api/v1/checkins", json={"items": [
        {"metric_id": f"met_{met}", "value": 120.0, "as_of": "2026-03-01"}]}, headers=h)
    assert r.status_code == 201, r.text
    r = client.get(f"/api/v1/metrics/met_{met}/forecast", headers=h,
                   params={"as_of": "2026-03-02"})
    assert r.status_code == 200, r.text
    assert r.json()["last_value"] == 120.0
    r = client.get(f"/api/v1/objectives/obj_{obj}/status", headers=h,
                   params={"as_of": "2026-03-02"})
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/status/tree", headers=h, params={"as_of": "2026-03-02"})
    assert r.status_code == 200, r.text


def test_forecast_changes_say_when_no_review_was_recorded_and_then_what_moved(
        client: Any, tenant: Tenant) -> None:
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.evidence.history import record_forecasts
    from steerco.evidence.service import CACHE

    eng = client.app.state.engine
    obj = objective_in(eng, tenant, tenant.own, tenant.users["owner"])
    met = metric_of(eng, tenant, tenant.users["owner"], obj)
    h = tenant.auth("owner")
    r = client.get("/api/v1/forecasts/changes", headers=h, params={"as_of": "2026-03-02"})
    assert r.status_code == 200, r.text
    assert r.json() == {"since": None, "changes": []}
    # A review on 1 March records the forecasts (the metric has no evidence yet)...
    with unit_of_work(make_sessionmaker(eng)) as s:
        record_forecasts(s, tenant.ws, CACHE.state(s, tenant.ws, dt.date(2026, 3, 1)))
    # ...then evidence arrives: the metric is no longer no_data.
    r = client.post("/api/v1/checkins", json={"items": [
        {"metric_id": f"met_{met}", "value": 120.0, "as_of": "2026-03-05"}]}, headers=h)
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/forecasts/changes", headers=h, params={"as_of": "2026-03-06"})
    body = r.json()
    assert body["since"] == "2026-03-01"
    moved = {c["metric_id"]: c for c in body["changes"]}
    assert moved[f"met_{met}"]["status_before"] == "no_data"
    assert moved[f"met_{met}"]["status_now"] != "no_data"

"""PUT /budget-lines/{id}/plan (If-Match) and DELETE /initiatives/{id}/metrics/{metric_id}:
the two services the pages' plan editor and "Unlink" stand on."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Tenant


def test_a_budget_plan_is_replaced_with_if_match_and_a_period_given_twice_is_refused(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("ws_admin")
    r = client.post("/api/v1/budget-lines", headers=h, json={
        "code": "P-1", "name": "Cloud", "org_unit_id": f"org_{tenant.own}",
        "plan": [{"period": "2026-01-01", "amount": 100.0}]})
    line, version = r.json()["id"], r.json()["version"]
    url = f"/api/v1/budget-lines/{line}/plan"
    plan = [{"period": "2026-02-01", "amount": 250.0}, {"period": "2026-03-01", "amount": 50}]
    assert client.put(url, headers=h, json=plan).status_code == 428  # If-Match required
    r = client.put(url, headers={**h, "If-Match": f'"{version}"'}, json=plan)
    assert r.status_code == 200, r.text
    assert r.json() == [{"period": "2026-02-01", "amount": 250.0},
                        {"period": "2026-03-01", "amount": 50.0}]
    assert r.headers["etag"] == f'"{version + 1}"'  # the plan is part of the line
    assert client.get(url, headers=h).json() == r.json()
    stale = client.put(url, headers={**h, "If-Match": f'"{version}"'}, json=[])
    assert stale.status_code == 412 and stale.json()["current_version"] == version + 1
    twice = client.put(url, headers={**h, "If-Match": f'"{version + 1}"'}, json=[
        {"period": "2026-02-01", "amount": 1.0}, {"period": "2026-02-01", "amount": 2.0}])
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["field"] == "plan.1.period"
    mid_month = client.put(url, headers={**h, "If-Match": f'"{version + 1}"'},
                           json=[{"period": "2026-02-15", "amount": 1.0}])
    assert mid_month.status_code == 422 and "first day of a month" in mid_month.text


def test_a_metric_is_unlinked_and_a_decided_initiative_keeps_its_last_one(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("ws_admin")
    metric = client.post("/api/v1/metrics", headers=h, json={
        "name": "Churn", "unit": "%", "direction": "decrease_to", "baseline_value": 5.0,
        "baseline_date": "2026-01-01", "target_value": 3.0, "target_date": "2026-12-31",
        "owner_id": f"per_{tenant.users['owner']}"}).json()["id"]
    ini = client.post("/api/v1/initiatives", headers=h, json={
        "name": "Retention", "org_unit_id": f"org_{tenant.own}", "metric_ids": [metric],
        "owner_id": f"per_{tenant.users['owner']}", "due_date": "2026-12-31"}).json()["id"]
    url = f"/api/v1/initiatives/{ini}/metrics/{metric}"
    assert client.delete(url, headers=h).status_code == 204
    assert client.delete(url, headers=h).status_code == 204  # idempotent
    assert client.post(f"/api/v1/initiatives/{ini}/metrics", headers=h,
                       json={"metric_id": metric}).status_code == 204
    client.post("/api/v1/budget-lines", headers=h, json={
        "code": "R-1", "name": "Retention", "initiative_id": ini,
        "org_unit_id": f"org_{tenant.own}"})
    for stage in ("detailed", "decided"):
        v = client.get(f"/api/v1/initiatives/{ini}", headers=h).json()["version"]
        r = client.post(f"/api/v1/initiatives/{ini}/stage", json={"stage": stage},
                        headers={**h, "If-Match": f'"{v}"'})
        assert r.status_code == 200, r.text
    r = client.delete(url, headers=h)
    assert r.status_code == 422 and "the only metric of an initiative at decided" in r.text

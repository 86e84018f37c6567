"""Issue 11, classes 2–4 through the API: direction, coverage, corrections, time zones,
history loads and outliers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Engine

from steerco.kit import clock
from tests.api.conftest import Tenant, metric_of, objective_in, seed_tenant

METRIC = {"name": "Lead time", "unit": "days", "direction": "decrease_to",
          "baseline_value": 21.0, "baseline_date": "2026-01-01", "target_value": 12.0,
          "target_date": "2026-12-31"}


def _metric(client: Any, t: Tenant, **kw: Any) -> Any:
    body = {**METRIC, "owner_id": f"per_{t.users['owner']}", **kw}
    return client.post("/api/v1/metrics", json=body, headers=t.auth("ws_admin"))


def _errors(r: Any) -> dict[str, str]:
    """Refused fields by name (a schema refusal's `body.` prefix dropped)."""
    return {e["field"].removeprefix("body."): e["message"] for e in r.json()["errors"]}


def _checkin(client: Any, t: Tenant, mid: str, value: Any, as_of: str,
             **kw: Any) -> Any:
    return client.post("/api/v1/checkins", headers=t.auth("ws_admin"),
                       json={"items": [{"metric_id": mid, "value": value, "as_of": as_of,
                                        **kw}]})


def test_a_target_pointing_the_wrong_way_is_refused_on_create_and_on_a_one_field_patch(
        client: Any, tenant: Tenant) -> None:
    r = _metric(client, tenant, target_value=30.0)
    assert r.status_code == 422
    msg = _errors(r)["target_value"]
    assert "decrease_to" in msg and "30" in msg and "21" in msg and "above" in msg
    r = _metric(client, tenant)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    h = {**tenant.auth("ws_admin"), "If-Match": '"1"'}
    r = client.patch(f"/api/v1/metrics/{mid}", json={"baseline_value": 10}, headers=h)
    assert r.status_code == 422 and "target_value" in _errors(r)
    assert client.get(f"/api/v1/metrics/{mid}", headers=h).json()["baseline_value"] == 21.0


@pytest.mark.parametrize("bad", ["Infinity", "-Infinity", "NaN"])
def test_non_finite_numbers_are_refused_in_every_body(client: Any, tenant: Tenant,
                                                      bad: str) -> None:
    body = {**METRIC, "owner_id": f"per_{tenant.users['owner']}", "tolerance": 0.1}
    raw = json.dumps(body).replace("0.1", bad)
    r = client.post("/api/v1/metrics", content=raw, headers={
        **tenant.auth("ws_admin"), "Content-Type": "application/json"})
    assert r.status_code == 422 and "tolerance" in _errors(r), r.text
    mid = _metric(client, tenant).json()["id"]
    raw = (f'{{"items": [{{"metric_id": "{mid}", "value": 5, "as_of": "2026-02-01", '
           f'"confidence": {bad}}}]}}')
    r = client.post("/api/v1/checkins", content=raw, headers={
        **tenant.auth("ws_admin"), "Content-Type": "application/json"})
    assert r.status_code == 422 and "items.0.confidence" in _errors(r), r.text


def test_a_negative_lead_time_is_refused_naming_the_bound(client: Any, tenant: Tenant) -> None:
    mid = _metric(client, tenant).json()["id"]
    r = _checkin(client, tenant, mid, -5, "2026-02-01")
    assert r.status_code == 422
    assert "below the minimum 0" in _errors(r)["items.0.value"]


def test_an_outlier_needs_confirm_outlier_and_is_marked_in_the_history(
        client: Any, tenant: Tenant) -> None:
    mid = _metric(client, tenant).json()["id"]
    assert _checkin(client, tenant, mid, 19, "2026-02-01").status_code == 201
    r = _checkin(client, tenant, mid, 1e20, "2026-02-08")
    assert r.status_code == 422 and "items.0.confirm_outlier" in _errors(r)
    r = _checkin(client, tenant, mid, 1e20, "2026-02-08", confirm_outlier=True)
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["outlier"] is True
    rows = client.get(f"/api/v1/measurements?metric_id={mid}",
                      headers=tenant.auth("ws_admin")).json()["items"]
    assert [x["outlier"] for x in rows] == [False, True]


def test_dates_before_the_baseline_need_load_history(client: Any, tenant: Tenant) -> None:
    mid = _metric(client, tenant).json()["id"]
    r = _checkin(client, tenant, mid, 20, "1999-01-01")
    assert r.status_code == 422 and "load_history" in _errors(r)["items.0.as_of"]
    r = _checkin(client, tenant, mid, 20, "2025-12-01", load_history=True)
    assert r.status_code == 201, r.text


def test_a_correction_of_an_earlier_check_in_of_the_day_leaves_the_last_one_current(
        client: Any, tenant: Tenant) -> None:
    mid = _metric(client, tenant).json()["id"]
    h = tenant.auth("ws_admin")
    client.get(f"/api/v1/metrics/{mid}/forecast", headers=h)  # the engine has it cached
    first = _checkin(client, tenant, mid, 20, "2026-02-01").json()["items"][0]["id"]
    _checkin(client, tenant, mid, 18, "2026-02-01")
    r = _checkin(client, tenant, mid, 19.5, "2026-02-01", supersedes_id=first)
    assert r.status_code == 201
    assert client.get(f"/api/v1/metrics/{mid}/forecast", headers=h).json()["last_value"] == 18
    r = _checkin(client, tenant, mid, 19, "2026-02-01", supersedes_id=first)
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].count("mea_") >= 2


def test_an_objective_half_measured_is_at_risk_and_says_how_much_is_measured(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    obj = objective_in(api_engine, t, t.own, t.users["owner"])
    m1 = metric_of(api_engine, t, t.users["owner"], obj)
    metric_of(api_engine, t, t.users["owner"], obj, name="Margin")  # names differ per objective
    # The target is met: on the old rule, half the weight unmeasured still read green.
    assert _checkin(client, t, f"met_{m1}", 200, "2026-11-01").status_code == 201
    r = client.get(f"/api/v1/objectives/obj_{obj}/status?as_of=2026-11-02",
                   headers=t.auth("viewer"))
    body = r.json()
    assert body["status"] == "at_risk"
    assert (body["measured_metrics"], body["total_metrics"]) == (1, 2)
    assert body["coverage"] == 0.5
    tree = client.get(f"/api/v1/status/tree?objective_id=obj_{obj}&as_of=2026-11-02",
                      headers=t.auth("viewer")).json()
    assert (tree[0]["measured_metrics"], tree[0]["total_metrics"]) == (1, 2)


def test_the_workspace_time_zone_decides_today_for_check_ins_and_reads(
        client: Any, api_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    t = seed_tenant(api_engine)
    admin = t.auth("ws_admin")
    r = client.get("/api/v1/workspace", headers=admin)
    assert r.status_code == 200 and r.json()["time_zone"] == "UTC"
    r = client.patch("/api/v1/workspace", json={"time_zone": "Asia/Tokyo"},
                     headers={**admin, "If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.text
    assert r.json()["time_zone"] == "Asia/Tokyo"
    r = client.patch("/api/v1/workspace", json={"time_zone": "Nowhere/Land"},
                     headers={**admin, "If-Match": r.headers["ETag"]})
    assert r.status_code == 422 and "time_zone" in _errors(r)
    # 22:00 UTC on 30 June is already 1 July in Tokyo.
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC))
    mid = _metric(client, t).json()["id"]
    r = _checkin(client, t, mid, 15, "2026-07-01")
    assert r.status_code == 201, r.text
    v = client.get(f"/api/v1/metrics/{mid}/forecast", headers=admin).json()
    assert (v["last_value"], v["last_as_of"]) == (15, "2026-07-01")
    r = _checkin(client, t, mid, 15, "2026-07-02")
    assert r.status_code == 422 and "2026-07-01" in _errors(r)["items.0.as_of"]

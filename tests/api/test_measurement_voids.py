"""Voiding a wrong check-in over HTTP: a new row takes it out of the evidence.

The metric is owned by the tenant's `owner` (a role with no admin powers); its 1e20 typo
is voided with a reason by its owner, and the engine's status and forecast forget it,
in this process and in a freshly built snapshot alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from steerco.checkins.service import void_measurement
from steerco.evidence import service as engine
from steerco.kit.errors import ValidationFailed
from steerco.web.api import PREFIX
from tests.api.conftest import Tenant, metric_of

DAY = (dt.date.today() - dt.timedelta(days=3)).isoformat()


@pytest.fixture()
def metric(api_engine: Any, tenant: Tenant) -> str:
    return f"met_{metric_of(api_engine, tenant, tenant.users['owner'])}"


def checkin(client: Any, t: Tenant, metric: str, value: float, **extra: Any) -> str:
    r = client.post(f"{PREFIX}/checkins", headers=t.auth("owner"), json={"items": [
        {"metric_id": metric, "value": value, "as_of": DAY, "load_history": True, **extra}]})
    assert r.status_code == 201, r.text
    return str(r.json()["items"][0]["id"])


def void(client: Any, t: Tenant, mea: str, role: str = "owner",
         reason: str = "typo: 1e20 for 120") -> Any:
    return client.post(f"{PREFIX}/measurements/{mea}/void", headers=t.auth(role),
                       json={"reason": reason})


def last_value(client: Any, t: Tenant, metric: str) -> Any:
    r = client.get(f"{PREFIX}/metrics/{metric}/forecast", headers=t.auth("owner"))
    assert r.status_code == 200, r.text
    return r.json()["last_value"]


def test_the_owner_voids_a_typo_and_the_engine_forgets_it(client, tenant, metric):
    checkin(client, tenant, metric, 120.0)
    bad = checkin(client, tenant, metric, 1e20, confirm_outlier=True)
    assert last_value(client, tenant, metric) == 1e20
    r = void(client, tenant, bad)
    assert r.status_code == 201, r.text
    assert r.json()["void"] is True and r.json()["supersedes_id"] == bad
    assert r.json()["note"] == "typo: 1e20 for 120"
    assert r.json()["submitted_by_id"] == f"per_{tenant.users['owner']}"
    assert last_value(client, tenant, metric) == 120.0
    engine.CACHE.clear()
    assert last_value(client, tenant, metric) == 120.0  # a fresh snapshot agrees


def test_a_fresh_snapshot_leaves_voided_chains_out(api_engine, client, tenant, metric):
    first = checkin(client, tenant, metric, 120.0)
    bad = checkin(client, tenant, metric, 1e20, confirm_outlier=True)
    r = client.post(f"{PREFIX}/checkins", headers=tenant.auth("owner"), json={"items": [
        {"metric_id": metric, "value": 2e20, "as_of": DAY, "supersedes_id": bad,
         "confirm_outlier": True}]})
    assert r.status_code == 201, r.text
    corrected = r.json()["items"][0]["id"]
    assert void(client, tenant, corrected).status_code == 201
    with Session(api_engine) as s:
        snap = engine.load_snapshot(s, tenant.ws)
    row = int(engine.rows_of(snap.metrics.ids, [int(metric[4:])])[0])
    assert list(snap.history_of(row)[1]) == [120.0]
    assert first
    assert last_value(client, tenant, metric) == 120.0


def test_a_void_needs_a_reason_naming_the_field(client, tenant, metric):
    bad = checkin(client, tenant, metric, 130.0)
    r = void(client, tenant, bad, reason="   ")
    assert r.status_code == 422, r.text
    assert "reason" in r.text


def test_only_who_may_check_in_may_void(client, tenant, metric):
    bad = checkin(client, tenant, metric, 130.0)
    assert void(client, tenant, bad, role="controller").status_code == 403
    assert void(client, tenant, bad, role="viewer").status_code == 403
    assert void(client, tenant, bad, role="ws_admin").status_code == 201


def test_a_voided_row_cannot_be_voided_or_corrected_again(client, tenant, metric):
    bad = checkin(client, tenant, metric, 130.0)
    v = void(client, tenant, bad).json()["id"]
    r = void(client, tenant, bad)
    assert r.status_code == 422 and f"voided already by {v}" in r.text
    r = void(client, tenant, v)
    assert r.status_code == 422 and "itself a void" in r.text
    r = client.post(f"{PREFIX}/checkins", headers=tenant.auth("owner"), json={"items": [
        {"metric_id": metric, "value": 131.0, "as_of": DAY, "supersedes_id": bad}]})
    assert r.status_code == 422 and "was voided by" in r.text


def test_voiding_an_unknown_or_other_workspace_row_is_404(client, tenant):
    assert void(client, tenant, "mea_999999999").status_code == 404
    assert void(client, tenant, "nonsense").status_code in (404, 422)


def test_the_service_refuses_a_blank_reason(api_engine, tenant):
    with Session(api_engine) as s, pytest.raises(ValidationFailed) as exc:
        void_measurement(s, tenant.ws, "mea_1", {"reason": ""})
    assert exc.value.errors[0].field == "reason"


def test_a_causal_loop_or_a_repeated_link_is_refused_naming_the_path(
        api_engine, client, tenant):
    a, b, c = (f"met_{metric_of(api_engine, tenant, tenant.users['owner'])}"
               for _ in range(3))
    h = tenant.auth("ws_admin")

    def link(driver: str, driven: str) -> Any:
        return client.post(f"{PREFIX}/causal-links", headers=h,
                           json={"driver_id": driver, "driven_id": driven, "sign": 1})

    assert link(a, b).status_code == 201
    assert link(b, c).status_code == 201
    r = link(c, a)
    assert r.status_code == 422, r.text
    assert f"{c} → {a} → {b} → {c}" in r.text
    r = link(a, b)
    assert r.status_code == 422 and "already" in r.text
    assert link(a, a).status_code == 422

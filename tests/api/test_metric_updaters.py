"""Delegated updaters over HTTP: a delegate checks in (and does nothing else), others don't.

The metric is owned by the tenant's executive; the person with the `owner` role is the
delegate, the `controller` a bystander with a non-viewer role who was never delegated to.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event

from steerco.web.api import PREFIX
from tests.api.conftest import Tenant, metric_of

CHECKIN = {"value": 1.5, "as_of": "2026-02-01"}


@pytest.fixture()
def metric(api_engine: Any, tenant: Tenant) -> str:
    return f"met_{metric_of(api_engine, tenant, tenant.users['executive'])}"


def per(t: Tenant, role: str) -> str:
    return f"per_{t.users[role]}"


def delegate(client: Any, t: Tenant, metric: str, role: str, as_role: str = "executive") -> Any:
    return client.post(f"{PREFIX}/metrics/{metric}/updaters", headers=t.auth(as_role),
                       json={"person_id": per(t, role)})


def checkin(client: Any, t: Tenant, role: str, *metrics: str) -> Any:
    return client.post(f"{PREFIX}/checkins", headers=t.auth(role),
                       json={"items": [{"metric_id": m, **CHECKIN} for m in metrics]})


def test_a_delegate_can_check_in_on_the_metric(client, tenant, metric):
    r = delegate(client, tenant, metric, "owner")
    assert r.status_code == 201, r.text
    assert r.json()["person_id"] == per(tenant, "owner")
    assert r.json()["metric_id"] == metric
    r = checkin(client, tenant, "owner", metric)
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["submitted_by_id"] == per(tenant, "owner")


def test_a_person_with_a_role_who_was_not_delegated_to_cannot_check_in(client, tenant, metric):
    assert checkin(client, tenant, "owner", metric).status_code == 403
    assert delegate(client, tenant, metric, "owner").status_code == 201
    assert checkin(client, tenant, "controller", metric).status_code == 403


def test_withdrawing_the_delegation_takes_effect_on_the_next_request(client, tenant, metric):
    assert delegate(client, tenant, metric, "owner").status_code == 201
    assert checkin(client, tenant, "owner", metric).status_code == 201
    r = client.delete(f"{PREFIX}/metrics/{metric}/updaters/{per(tenant, 'owner')}",
                      headers=tenant.auth("executive"))
    assert r.status_code == 204, r.text
    assert checkin(client, tenant, "owner", metric).status_code == 403
    r = client.delete(f"{PREFIX}/metrics/{metric}/updaters/{per(tenant, 'owner')}",
                      headers=tenant.auth("executive"))
    assert r.status_code == 404


def test_a_delegate_cannot_change_the_metric_its_plan_or_delegate_further(
        client, tenant, metric):
    assert delegate(client, tenant, metric, "owner").status_code == 201
    h = tenant.auth("owner")
    r = client.patch(f"{PREFIX}/metrics/{metric}", headers={**h, "If-Match": '"1"'},
                     json={"name": "Hijacked"})
    assert r.status_code == 403, r.text
    r = client.put(f"{PREFIX}/metrics/{metric}/plan", headers=h,
                   json=[{"on": "2026-06-01", "value": 150.0}])
    assert r.status_code == 403, r.text
    r = delegate(client, tenant, metric, "controller", as_role="owner")
    assert r.status_code == 403, r.text
    r = client.delete(f"{PREFIX}/metrics/{metric}/updaters/{per(tenant, 'owner')}", headers=h)
    assert r.status_code == 403, r.text


def test_the_updaters_list_shows_public_ids_and_delegating_twice_changes_nothing(
        client, tenant, metric):
    assert delegate(client, tenant, metric, "owner").status_code == 201
    again = delegate(client, tenant, metric, "owner")
    assert again.status_code == 200, again.text
    r = client.get(f"{PREFIX}/metrics/{metric}/updaters", headers=tenant.auth("viewer"))
    assert r.status_code == 200, r.text
    assert [(u["metric_id"], u["person_id"]) for u in r.json()] == [
        (metric, per(tenant, "owner"))]


def test_delegating_to_the_owner_or_to_a_team_is_refused_naming_person_id(
        client, tenant, metric):
    r = delegate(client, tenant, metric, "executive")
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["person_id"]
    r = client.post(f"{PREFIX}/metrics/{metric}/updaters", headers=tenant.auth("executive"),
                    json={"person_id": f"org_{tenant.own}"})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["person_id"]


def updater_queries(engine: Any, call: Any) -> tuple[Any, list[str]]:
    """Run `call()`; return its result and the statements that read metric_updaters."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "metric_updaters" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        return call(), seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_batch_loads_the_updaters_of_all_its_metrics_in_one_query(
        client, api_engine, tenant):
    metrics = [f"met_{metric_of(api_engine, tenant, tenant.users['executive'])}"
               for _ in range(6)]
    for m in metrics:
        assert delegate(client, tenant, m, "owner").status_code == 201
    r, seen = updater_queries(api_engine,
                              lambda: checkin(client, tenant, "owner", *metrics, *metrics))
    assert r.status_code == 201, r.text
    assert len(r.json()["items"]) == 12
    assert len(seen) == 1, seen


def test_the_owner_s_own_check_ins_never_read_the_delegations(client, api_engine, tenant):
    metrics = [f"met_{metric_of(api_engine, tenant, tenant.users['executive'])}"
               for _ in range(3)]
    r, seen = updater_queries(api_engine,
                              lambda: checkin(client, tenant, "executive", *metrics))
    assert r.status_code == 201, r.text
    assert seen == []


def test_a_batch_with_one_metric_not_delegated_writes_nothing(client, api_engine, tenant):
    mine = f"met_{metric_of(api_engine, tenant, tenant.users['executive'])}"
    not_mine = f"met_{metric_of(api_engine, tenant, tenant.users['executive'])}"
    assert delegate(client, tenant, mine, "owner").status_code == 201
    assert checkin(client, tenant, "owner", mine, not_mine).status_code == 403
    r = client.get(f"{PREFIX}/measurements", params={"metric_id": mine},
                   headers=tenant.auth("owner"))
    assert r.json()["items"] == []


def test_the_metric_page_names_the_delegates_and_offers_them_the_check_in_form(
        app, client, api_engine, tenant, metric):
    from fastapi.testclient import TestClient

    from steerco.accounts import service as accounts
    from steerco.db.engine import make_sessionmaker, unit_of_work

    login = f"deputy-{tenant.ws}@pages.example"
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        s.info["actor"] = "test"
        accounts.set_credential(s, tenant.ws, tenant.users["owner"],
                                {"login": login, "password": "a-long-password-1"})
    page = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/login").text)
    assert token is not None
    r = page.post("/login", data={"login": login, "password": "a-long-password-1",
                                  "csrf_token": token.group(1)})
    assert r.status_code == 303, r.text
    html = page.get(f"/metrics/{metric}").text
    assert 'id="checkin-refused"' in html and 'id="metric-updaters"' not in html
    assert delegate(client, tenant, metric, "owner").status_code == 201
    html = page.get(f"/metrics/{metric}").text
    assert 'id="checkin-refused"' not in html
    assert 'id="metric-updaters"' in html and "Owner Person" in html


def test_a_delegate_who_is_only_a_viewer_still_cannot_check_in(client, tenant, metric):
    assert delegate(client, tenant, metric, "viewer").status_code == 201
    assert checkin(client, tenant, "viewer", metric).status_code == 403

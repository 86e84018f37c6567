"""Every list endpoint refuses a query parameter it does not know, naming the ones it does.

A misspelt filter (`org_unit` for `org_unit_id`) used to be ignored: the list came back
unfiltered and a script changed the wrong rows.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Tenant


def _list_paths(client: Any) -> dict[str, set[str]]:
    """Every GET route without a path parameter (the lists) and its query parameters."""
    doc = client.get("/api/openapi.json").json()
    out: dict[str, set[str]] = {}
    for path, ops in doc["paths"].items():
        get = ops.get("get")
        if get is None or "{" in path or not path.startswith("/api/v1/"):
            continue
        out[path] = {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}
    return out


def test_every_list_endpoint_answers_400_naming_its_parameters_for_an_unknown_one(
        client: Any, tenant: Tenant) -> None:
    lists = _list_paths(client)
    assert "/api/v1/objectives" in lists and "/api/v1/dependencies" in lists
    assert len(lists) >= 20
    for path, accepted in lists.items():
        r = client.get(f"{path}?org_unit=org_5", headers=tenant.auth("ws_admin"))
        assert r.status_code == 400, (path, r.status_code, r.text)
        body = r.json()
        assert set(body) >= {"type", "title", "detail", "errors"}
        assert body["errors"][0]["field"] == "org_unit", (path, body)
        for name in accepted:
            assert name in body["detail"], (path, name, body["detail"])


def test_the_reported_misspellings_are_refused_and_the_right_names_still_filter(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("ws_admin")
    r = client.get("/api/v1/objectives?org_unit=org_5", headers=h)
    assert r.status_code == 400
    assert "org_unit_id" in r.json()["detail"]
    r = client.get("/api/v1/dependencies?provider=mil_1", headers=h)
    assert r.status_code == 400
    assert "provider_milestone_id" in r.json()["detail"] or "provider" in r.json()["detail"]
    assert client.get(f"/api/v1/objectives?org_unit_id=org_{tenant.own}",
                      headers=h).status_code == 200
    # Known parameters, repeated or empty, are not "unknown".
    assert client.get("/api/v1/objectives?limit=5&sort=id", headers=h).status_code == 200

"""/api/v1/import-mappings: the saved column mapping of import files (what `steerco
mapping` and Admin → Import keep) read, set and forgotten over the API; refusals name the
field; only admins and the strategy office see or change it (both databases)."""

from __future__ import annotations

import uuid
from typing import Any

from steerco.web.app import create_app
from tests.api.conftest import Tenant

API = "/api/v1/import-mappings"


def test_a_header_is_mapped_read_listed_changed_and_forgotten(client: Any,
                                                              tenant: Tenant) -> None:
    auth = tenant.auth("ws_admin")
    header = f"Verantwortlich {uuid.uuid4().hex[:6]} (E-Mail)"
    r = client.put(f"{API}/objectives/{header}", json={"column": "owner"}, headers=auth)
    assert r.status_code == 200, r.text
    key = r.json()["header"]
    assert key.startswith("verantwortlich_") and key.endswith("_e_mail")
    assert r.json() == {"sheet": "objectives", "sheet_title": "Objectives", "header": key,
                        "column": "owner", "ignored": False}
    # The title names the sheet as well; the stored (normalised) header finds it too.
    got = client.get(f"{API}/Objectives/{key}", headers=auth)
    assert got.status_code == 200 and got.json()["column"] == "owner"
    listed = client.get(API, params={"sheet": "objectives"}, headers=auth).json()
    assert [m["header"] for m in listed if m["header"] == key] == [key]
    r = client.put(f"{API}/objectives/{header}", json={"column": "ignore"}, headers=auth)
    assert r.json()["ignored"] and r.json()["column"] == ""
    r = client.put(f"{API}/people/Kosten%2FStelle", json={"column": None}, headers=auth)
    assert r.status_code == 200 and r.json()["header"] == "kosten_stelle"
    assert client.delete(f"{API}/people/Kosten%2FStelle", headers=auth).status_code == 204
    assert client.delete(f"{API}/objectives/{header}", headers=auth).status_code == 204
    assert client.get(f"{API}/objectives/{key}", headers=auth).status_code == 404
    assert client.delete(f"{API}/objectives/{key}", headers=auth).status_code == 404
    assert all(m["header"] != key for m in client.get(API, headers=auth).json())


def test_refusals_name_the_field(client: Any, tenant: Tenant) -> None:
    auth = tenant.auth("ws_admin")
    cases = [
        ("planets/Foo", {"column": "owner"}, "sheet", "no sheet kind 'planets'; one of: "),
        ("objectives/Foo", {"column": "colour"}, "column",
         "Objectives has no column 'colour'; one of: "),
        ("objectives/Owner", {"column": "title"}, "header",
         "'Owner' is already the Objectives column 'owner' of the template"),
        ("objectives/Foo", {"column": 7}, "body.column", "Input should be a valid string"),
    ]
    for path, body, field, message in cases:
        r = client.put(f"{API}/{path}", json=body, headers=auth)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        errors = r.json()["errors"]
        assert errors[0]["field"] == field and errors[0]["message"].startswith(message), errors
    r = client.get(API, params={"sheet": "planets"}, headers=auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sheet"


def test_only_admins_and_the_strategy_office_see_or_change_the_mapping(
        client: Any, tenant: Tenant) -> None:
    """As on the page: a workspace-wide admin or strategy-office grant (`ws_admin`);
    the tenant's other people hold their roles on a unit's subtree only."""
    r = client.put(f"{API}/people/Abteilung admin", json={"column": "ignore"},
                   headers=tenant.auth("ws_admin"))
    assert r.status_code == 200, r.text
    for role in ("admin", "strategy_office", "executive", "controller", "owner", "viewer"):
        auth = tenant.auth(role)
        assert client.get(API, headers=auth).status_code == 403, role
        assert client.get(f"{API}/people/Abteilung admin", headers=auth).status_code == 403
        r = client.put(f"{API}/people/Abteilung {role}", json={"column": "ignore"},
                       headers=auth)
        assert r.status_code == 403, role
        r = client.delete(f"{API}/people/Abteilung admin", headers=auth)
        assert r.status_code == 403, role
    assert client.get(API).status_code == 401


def test_the_mapping_api_is_documented(engine: Any) -> None:
    doc = create_app(engine).openapi()
    paths = doc["paths"]
    assert set(paths[API]) == {"get"}
    one = paths[API + "/{sheet}/{header}"]
    assert set(one) == {"get", "put", "delete"}
    assert "422" in one["put"]["responses"] and "404" in one["delete"]["responses"]
    schema = doc["components"]["schemas"]["MappingPut"]["properties"]["column"]
    assert "ignore" in schema["description"]

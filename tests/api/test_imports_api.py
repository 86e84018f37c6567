"""POST /api/v1/imports: a file checked (or imported) as a job, its progress and report;
every refusal a problem document naming the file, never a 500 (both databases)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker
from steerco.db.models import Person
from steerco.jobs.queue import make_huey
from steerco.transfer import upload
from tests.api.conftest import Tenant

API = "/api/v1"
PEOPLE = b"email,name\nnia@x.example,Nia Newhire\n"


@pytest.fixture(autouse=True)
def queue(app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = getattr(app.state, "huey", None)
    huey = make_huey(str(tmp_path / "jobs.db"), "sqlite:///unused.db",
                     factory=make_sessionmaker(app.state.engine),
                     name=f"a-{uuid.uuid4().hex[:8]}")
    huey.immediate = True
    app.state.huey = huey
    yield
    app.state.huey = before


def _people(app: Any, ws: int) -> int:
    with Session(app.state.engine) as s:
        return int(s.scalar(select(func.count()).select_from(Person).where(
            Person.workspace_id == ws)) or 0)


def _post(client: Any, tenant: Tenant, name: str, data: bytes, role: str = "ws_admin",
          dry_run: bool = True) -> Any:
    return client.post(f"{API}/imports", params={"dry_run": str(dry_run).lower()},
                       headers=tenant.auth(role), files={"file": (name, data, "text/csv")})


def test_a_file_is_checked_then_imported_through_the_api(app: Any, client: Any,
                                                         tenant: Tenant) -> None:
    before = _people(app, tenant.ws)
    r = _post(client, tenant, "people.csv", PEOPLE)
    assert r.status_code == 202, r.text
    body = r.json()
    assert r.headers["location"] == f"{API}/imports/{body['id']}"
    got = client.get(r.headers["location"], headers=tenant.auth("ws_admin")).json()
    assert (got["state"], got["dry_run"], got["rows_read"], got["rows_checked"],
            got["rows_written"]) == ("done", True, 1, 1, 0)
    assert got["report"]["ok"] and got["report"]["counts"] == {
        "People": {"create": 1, "update": 0, "unchanged": 0}}
    assert _people(app, tenant.ws) == before
    r = client.post(f"{API}/imports/{body['id']}/apply", headers=tenant.auth("ws_admin"))
    assert r.status_code == 202, r.text
    got = client.get(f"{API}/imports/{body['id']}", headers=tenant.auth("ws_admin")).json()
    assert got["state"] == "done" and got["report"]["written"] and got["rows_written"] == 1
    assert _people(app, tenant.ws) == before + 1
    r = client.post(f"{API}/imports/{body['id']}/apply", headers=tenant.auth("ws_admin"))
    assert r.status_code == 409 and "imported already" in r.json()["detail"]


def test_a_bad_file_gets_its_report_and_csv_through_the_api(app: Any, client: Any,
                                                            tenant: Tenant) -> None:
    data = "email,name\nj@x.example,Jos\xe9\n".encode("latin-1")
    r = _post(client, tenant, "people.csv", data, dry_run=False)
    assert r.status_code == 202
    got = client.get(f"{API}/imports/{r.json()['id']}", headers=tenant.auth("ws_admin")).json()
    assert got["report"]["problems"] == [{
        "sheet": "people", "row": 2, "column": None, "value": "e9 0a",
        "reason": "people.csv is not UTF-8 (byte 26 on line 2): save the file as 'CSV UTF-8'"}]
    assert not got["report"]["written"] and _people(app, tenant.ws) == 8
    csv = client.get(got["problems_csv"], headers=tenant.auth("ws_admin"))
    assert csv.status_code == 200 and csv.text.startswith("sheet,row,column,value,reason")
    r = client.post(f"{API}/imports/{got['id']}/apply", headers=tenant.auth("ws_admin"))
    assert r.status_code == 409


def test_refusals_are_problems_not_errors(client: Any, tenant: Tenant) -> None:
    r = _post(client, tenant, "notes.docx", b"x")
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "file"
    assert "“notes.docx” is not a spreadsheet or an OKR file" in r.json()["errors"][0]["message"]
    r = _post(client, tenant, "m.csv", b"metric,as_of,value\n" + b"x" * (50 * 2**20))
    assert r.status_code == 413 and "larger than 50 MB" in r.json()["detail"]
    r = _post(client, tenant, "m.csv", b"x" * (51 * 2**20))  # cut off by the body limit
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    r = client.get(f"{API}/imports/AAAAAAAAAAAAAAAAAAAAAAAA", headers=tenant.auth("ws_admin"))
    assert r.status_code == 404
    r = client.get(f"{API}/imports/..%2F..%2Fetc", headers=tenant.auth("ws_admin"))
    assert r.status_code == 404


def test_only_the_strategy_office_and_admins_import(client: Any, tenant: Tenant) -> None:
    r = _post(client, tenant, "people.csv", PEOPLE, role="owner")
    assert r.status_code == 403
    ok = _post(client, tenant, "people.csv", PEOPLE)
    r = client.get(f"{API}/imports/{ok.json()['id']}", headers=tenant.auth("viewer"))
    assert r.status_code == 403

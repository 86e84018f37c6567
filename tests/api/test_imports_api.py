"""POST /api/v1/imports: a file checked (or imported) as a job, its progress and report;
every refusal a problem document naming the file, never a 500 (both databases)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker
from steerco.db.models import ImportUpload, Person
from steerco.jobs.queue import make_huey
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


def _uploads(app: Any) -> int:
    with Session(app.state.engine) as s:
        return int(s.scalar(select(func.count()).select_from(ImportUpload)) or 0)


HINT = ("Nothing was stored: split it (e.g. one file per sheet, or measurements by year), "
        "or import it on the server with steerco import FILE --max-mb N.")


@pytest.fixture()
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary folder (where a parsed upload would be spooled)."""
    where = tmp_path / "spool"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_a_file_over_the_limit_is_named_with_its_size_and_nothing_is_stored(
        app: Any, client: Any, tenant: Tenant, spool: Path) -> None:
    before = _uploads(app)
    r = _post(client, tenant, "plan.xlsx", b"x" * (63 * 2**20))  # cut off by the middleware
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    said = "“plan.xlsx” is 63 MB; the limit is 50 MB"
    assert r.json() == {"type": "toolarge", "title": "Request too large",
                        "detail": said + ". Nothing was stored.",
                        "errors": [{"field": "file", "message": said}]}
    # Just over the limit (within the form's slack, so the route reads it): the same.
    r = _post(client, tenant, "m.csv", b"metric,as_of,value\n" + b"x" * (50 * 2**20))
    assert r.status_code == 413
    said = "“m.csv” is 52,428,819 bytes; the limit is 50 MB"
    assert r.json()["detail"] == f"{said}. {HINT}"
    assert r.json()["errors"] == [{"field": "file", "message": said}]
    assert _uploads(app) == before and list(spool.iterdir()) == []


def test_a_chunked_upload_over_the_limit_is_named_too(app: Any, client: Any, tenant: Tenant,
                                                      spool: Path) -> None:
    """No Content-Length: the body is counted as it comes, cut off past the limit."""
    before = _uploads(app)
    head = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")
    size = 60 * 2**20 + 5

    def body() -> Iterator[bytes]:
        yield head
        left = size
        while left:
            n = min(left, 2**20)
            yield b"y" * n
            left -= n
        yield b"\r\n--XyZ--\r\n"

    r = client.post(f"{API}/imports", headers={
        **tenant.auth("ws_admin"), "content-type": "multipart/form-data; boundary=XyZ"},
        content=body())
    assert r.status_code == 413, r.text
    assert r.json()["errors"] == [{"field": "file",
                                   "message": "“big.csv” is 60 MB; the limit is 50 MB"}]
    assert _uploads(app) == before and list(spool.iterdir()) == []

"""Admin → Import over HTTP (on the test database: SQLite, or PostgreSQL when
STEERCO_TEST_POSTGRES_URL is set): an upload runs as a job (the queue in immediate mode
here), the page shows its progress and then the report; every bad file gets a clear
answer and writes nothing, never a 500; unknown columns are mapped and saved."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import ImportUpload, Person
from steerco.jobs.queue import make_huey
from steerco.org.service import create_person, create_workspace
from steerco.transfer import upload
from steerco.web.app import create_app
from steerco.web.ui import mount_ui
from tests.web.test_pages_status import HTML, _csrf, page_login

PASSWORD = "import-pages-password-1"


class Site:
    def __init__(self, app: FastAPI, engine: Engine, ws: int, login: str) -> None:
        self.app, self.engine, self.ws, self.login = app, engine, ws, login

    def client(self) -> TestClient:
        c = TestClient(self.app, follow_redirects=False)
        assert page_login(c, self.login, PASSWORD).status_code == 303
        return c

    def uploads(self) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count()).select_from(ImportUpload)) or 0)

    def people(self) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(select(func.count()).select_from(Person).where(
                Person.workspace_id == self.ws)) or 0)


@pytest.fixture(scope="module")
def site(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = create_workspace(s, {"slug": f"imp-{uuid.uuid4().hex[:10]}", "name": "Imports"}).id
        admin = create_person(s, ws, {"name": "Ada Admin", "email": "ada@imports.example"})
        login = f"admin-{uuid.uuid4().hex[:8]}@imports.example"
        accounts.set_credential(s, ws, admin.id, {"login": login, "password": PASSWORD})
        accounts.add_grant(s, ws, {"person_id": admin.id, "role": "admin"})
    app = create_app(engine)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app, warm=False)
    huey = make_huey(str(tmp_path_factory.mktemp("q") / "jobs.db"), "sqlite:///unused.db",
                     factory=make_sessionmaker(engine), name=f"p-{uuid.uuid4().hex[:8]}")
    huey.immediate = True  # the job runs in the request, as the consumer would run it
    app.state.huey = huey
    yield Site(app, engine, ws, login)


def _post_file(c: TestClient, name: str, data: bytes) -> Any:
    token = _csrf(c.get("/admin/import", headers=HTML).text)
    return c.post("/admin/import", data={"csrf_token": token},
                  files={"file": (name, data, "application/octet-stream")}, headers=HTML)


def _upload(c: TestClient, name: str, data: bytes) -> tuple[str, str]:
    """Upload; (the run's page URL, its HTML once the job has finished)."""
    r = _post_file(c, name, data)
    assert r.status_code == 303, r.text
    where = r.headers["location"]
    assert re.fullmatch(r"/admin/import/[A-Za-z0-9_-]{16,64}", where)
    page = c.get(where, headers=HTML)
    assert page.status_code == 200
    return where, page.text


def _xlsx(tmp: Path, sheets: dict[str, list[list[Any]]],
          formulas: dict[str, list[tuple[int, int, str]]] | None = None) -> bytes:
    path = tmp / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for title, rows in sheets.items():
        sh = wb.add_worksheet(title)
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                sh.write(i, j, x)
        for i, j, f in (formulas or {}).get(title, []):
            sh.write_formula(i, j, f)
    wb.close()
    return path.read_bytes()


def test_an_upload_is_checked_by_the_job_then_imported_on_import_it(site: Site) -> None:
    c = site.client()
    before = site.people()
    people = b"email,name,title\nnia@imports.example,Nia Newhire,Analyst\n"
    where, page = _upload(c, "people.csv", people)
    assert "people.csv: ready to import" in page
    assert "Rows read 1 · checked 1 · written 0" in page
    assert site.people() == before  # the dry run wrote nothing
    token = _csrf(page)
    r = c.post(where + "/apply", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == where
    page = c.get(where, headers=HTML).text
    assert "people.csv: imported" in page and "written 1" in page
    assert site.people() == before + 1
    assert 'id="apply"' not in page
    # Again: applying a finished import is not possible twice (back to its page).
    r = c.post(where + "/apply", data={"csrf_token": token}, headers=HTML)
    assert r.status_code == 303 and site.people() == before + 1
    jobs = c.get("/admin/jobs", headers=HTML).text
    assert "Checks or imports a file uploaded on Admin → Import" in jobs


def _bad_files(tmp: Path) -> list[tuple[str, str, bytes, str]]:
    """(case, file name, bytes, a reason the page must show)."""
    people = "email,name,manager\n"
    return [
        ("wrong types", "metrics.csv",
         b"key,name,unit,direction,baseline_value,baseline_date,target_value,target_date,"
         b"owner\nM1,Revenue,EUR,upwards,ninety,2026-01-01,10,2026-12-31,"
         b"ada@imports.example\n", "ninety</td><td>not a number"),
        ("unknown owner", "people.csv",
         (people + "zed@imports.example,Zed,x@y.example\n").encode(),
         "no person with e-mail x@y.example in this workspace or this file"),
        ("duplicate keys", "themes.csv", b"key,name\nT1,One\nT1,Two\n",
         "duplicate key: row 2 has it too"),
        ("unknown keys", "alignments.csv", b"child,parent\nO1,O2\n",
         "no objective with key &#39;O1&#39; in this workspace or this file"),
        ("latin-1", "people.csv", "email,name\nj@imports.example,Jos\xe9\n".encode("latin-1"),
         "people.csv is not UTF-8 (byte 32 on line 2): save the file as &#39;CSV UTF-8&#39;"),
        ("formula", "book.xlsx", _xlsx(tmp, {"People": [["email", "name"],
                                                        ["f@imports.example", "F"]]},
                                       {"People": [(1, 1, '=UPPER("f")')]}),
         "a formula: type the value itself, not a formula"),
        ("empty sheet", "book.xlsx", _xlsx(tmp, {"People": []}),
         "the sheet is empty: it needs a header row"),
        ("headers only", "book.xlsx", _xlsx(tmp, {"People": [["email", "name"]]}),
         "nothing to import: People has a header row but no rows below it"),
        ("not a workbook", "book.xlsx", b"email,name\na@b.example,A\n",
         "book.xlsx is text, not a workbook (a CSV file? name it .csv)"),
        ("renamed workbook", "people.csv", _xlsx(tmp, {"People": [["email", "name"]]}),
         "people.csv is a workbook, not a CSV text file: name it .xlsx"),
        ("bad OKR file", "okrs.md", b"just a line of text\n", "okrs.md"),
    ]


def test_every_bad_file_gets_its_report_and_writes_nothing(site: Site, tmp_path: Path) -> None:
    c = site.client()
    for case, name, data, reason in _bad_files(tmp_path):
        before = site.people()
        where, page = _upload(c, name, data)
        if reason not in page:
            print(case, re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1])[:3000])
        assert reason in page, case
        assert 'id="apply"' not in page, case
        assert site.people() == before, case
        csv = c.get(where + "/problems.csv")
        assert csv.status_code == 200 and csv.text.startswith("sheet,row,column,value,reason")


def test_a_cycle_in_one_file_is_refused_with_its_path(site: Site, tmp_path: Path) -> None:
    c = site.client()
    objectives = ("key,title,period_start,period_end,level,perspective,owner\n"
                  "O1,One,2026-01-01,2026-12-31,company,customer,ada@imports.example\n"
                  "O2,Two,2026-01-01,2026-12-31,company,customer,ada@imports.example\n")
    data = _xlsx(tmp_path, {"Objectives": [r.split(",") for r in objectives.splitlines()],
                            "Alignments": [["child", "parent"], ["O1", "O2"], ["O2", "O1"]]})
    _, page = _upload(c, "cycle.xlsx", data)
    assert "cycle" in page and 'id="apply"' not in page


def test_files_the_page_does_not_take_are_refused_in_the_form(site: Site) -> None:
    c = site.client()
    r = _post_file(c, "notes.docx", b"x")
    assert r.status_code == 422
    assert "“notes.docx” is not a spreadsheet or an OKR file" in r.text
    r = _post_file(c, "people.txt", b"email,name\n")
    assert r.status_code == 422 and "give an .xlsx, .csv or .md file" in r.text
    big = b"email,name\n" + b"x" * (50 * 2**20)  # within the middleware's slack
    r = _post_file(c, "measurements.csv", big)
    assert r.status_code == 413
    assert "“measurements.csv” is 52,428,811 bytes; the limit is 50 MB. Nothing was " \
        "stored: split it" in r.text
    assert "import it on the server with steerco import FILE --max-mb N." in r.text


def test_a_file_far_over_the_limit_gets_the_form_again_saying_how_large_it_is(
        site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The middleware cuts the body off before it is parsed or stored; the page comes
    back with the form and the file's name, its size and the limit (not a bare page)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a parse would spool
    c = site.client()
    before = site.uploads()
    r = _post_file(c, "plan.xlsx", b"x" * (63 * 2**20))
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert ("“plan.xlsx” is 63 MB; the limit is 50 MB. Nothing was stored: split it "
            "(e.g. one file per sheet, or measurements by year)") in r.text
    assert 'id="upload-form"' in r.text and 'aria-invalid="true"' in r.text
    assert "This page takes files of up to" not in r.text
    assert site.uploads() == before and list(tmp_path.iterdir()) == []
    # Without the form's CSRF token the cut-off post is refused like any form post.
    r = c.post("/admin/import", files={"file": ("plan.xlsx", b"x" * (51 * 2**20))},
               headers=HTML)
    assert r.status_code == 403 and site.uploads() == before


def test_a_forged_or_foreign_token_is_not_found_not_an_error(site: Site) -> None:
    c = site.client()
    for path in ("/admin/import/AAAAAAAAAAAAAAAAAAAAAAAA", "/admin/import/x",
                 "/admin/import/AAAAAAAAAAAAAAAAAAAAAAAA/progress",
                 "/admin/import/AAAAAAAAAAAAAAAAAAAAAAAA/problems.csv"):
        r = c.get(path, headers=HTML)
        assert r.status_code == 404, path


def test_the_page_shows_progress_while_the_job_waits_then_reloads_for_the_report(
        site: Site) -> None:
    enqueued: list[tuple[Any, ...]] = []
    queue = site.app.state.huey
    # A queue that only records: the job waits until the test runs it as a worker would.
    site.app.state.huey = type("Q", (), {
        "import_upload": staticmethod(lambda *a: enqueued.append(a))})()
    c = site.client()
    try:
        where, page = _upload(c, "people.csv", b"email,name\nq@imports.example,Queued\n")
    finally:
        site.app.state.huey = queue
    assert enqueued and enqueued[0][2] is True  # a dry run was enqueued
    assert f'hx-get="{where}/progress"' in page and 'hx-trigger="every 1s"' in page
    assert "people.csv: waiting for its turn" in page
    frag = c.get(where + "/progress", headers={**HTML, "HX-Request": "true"})
    assert frag.status_code == 200 and 'id="import-progress"' in frag.text
    assert "HX-Refresh" not in frag.headers
    upload.run(site.engine, site.ws, where.rsplit("/", 1)[1], True)  # the worker's turn
    frag = c.get(where + "/progress", headers={**HTML, "HX-Request": "true"})
    assert frag.headers.get("HX-Refresh") == "true"
    assert "people.csv: ready to import" in c.get(where, headers=HTML).text


FOREIGN = b"Mitarbeiter;E-Mail-Adresse;Kostenstelle\nMia Mapped;mia@imports.example;4711\n"


def test_unknown_columns_are_mapped_on_the_page_saved_and_used_next_time(site: Site) -> None:
    c = site.client()
    where, page = _upload(c, "people.csv", FOREIGN)
    assert "Columns to map" in page and "People: “Mitarbeiter”" in page
    assert "unknown column" in page and 'id="apply"' not in page
    token = _csrf(page)
    r = c.post(where + "/mapping", data={"csrf_token": token, "map-0": "name",
                                         "map-1": "", "map-2": "ignore"}, headers=HTML)
    assert r.status_code == 422
    assert "Choose the column “E-Mail-Adresse” fills, or “ignore this column”." in r.text
    r = c.post(where + "/mapping", data={"csrf_token": token, "map-0": "name",
                                         "map-1": "email", "map-2": "ignore"}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == where
    page = c.get(where, headers=HTML).text
    assert "people.csv: ready to import" in page and "Columns to map" not in page
    listing = c.get("/admin/import", headers=HTML).text
    assert "Saved column mapping" in listing
    assert re.search(r"<td>People</td><td>kostenstelle</td><td>ignored</td>", listing)
    # The next upload of the same layout needs nothing.
    _, page = _upload(c, "people.csv", FOREIGN.replace(b"Mia Mapped", b"Max Mapped")
                      .replace(b"mia@", b"max@"))
    assert "ready to import" in page
    r = c.post("/admin/import/mapping/remove", data={"csrf_token": token, "sheet": "people",
                                                     "header": "kostenstelle"}, headers=HTML)
    assert r.status_code == 303
    assert "kostenstelle" not in c.get("/admin/import", headers=HTML).text

"""Admin → Import: the upload runs as a job (in the server's consumer thread, scheduled
1.5 s later here so that its progress can be seen); the page follows it (htmx polls the
progress) and shows the report: a bad file row by row (and its CSV), unknown columns
mapped and saved, a good one checked, then imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot


def _upload(page: Any, path: Path) -> None:
    page.set_input_files("#im-file", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/admin/import/*")


def test_upload_progress_then_report_mapping_and_import(
        world: World, office: Session, browser: Any, tmp_path: Path) -> None:
    bad = tmp_path / "people.csv"
    bad.write_text("email,name,manager\nnew.hire@demo.example,Nia Newhire,"
                   "nobody@nowhere.example\n", encoding="utf-8")
    page = office.page()
    page.goto("/admin")
    page.click("a[href='/admin/import']")
    page.wait_for_url("**/admin/import")
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#err-file")
    assert "Choose a file" in page.inner_text("#err-file")
    # A file over the limit is refused before it is sent (the limit lowered to 10 bytes
    # here rather than a 50 MB file pushed through the browser); the server checks too.
    page.evaluate("document.getElementById('upload-form').setAttribute('data-max-bytes', 10)")
    page.set_input_files("#im-file", str(bad))
    page.click("#upload-form button[type=submit]")
    said = page.inner_text("#err-file-size")
    assert said.startswith("“people.csv” is ") and " bytes; the limit is 50 MB. Nothing " \
        "was stored: split it (e.g. one file per sheet, or measurements by year), or " \
        "import it on the server with steerco import FILE --max-mb N." in said
    assert page.url.endswith("/admin/import")
    page.goto("/admin/import")
    _upload(page, bad)
    # The job waits its turn: the page shows the progress and follows it by itself.
    progress = page.wait_for_selector("#progress")
    assert progress is not None
    text = page.inner_text("#progress")
    assert "people.csv:" in text and "Rows read" in text and "Rows checked" in text
    assert "Rows written" in text
    assert axe_violations(page) == []
    shot(page, "import-progress")
    page.wait_for_selector("#problems", timeout=30_000)
    assert page.locator("#progress").count() == 0
    row = page.inner_text("#problems tbody tr")
    assert row.split("\t") == ["people", "2", "manager", "nobody@nowhere.example",
                               "no person with e-mail nobody@nowhere.example in this "
                               "workspace or this file"]
    assert "Rows read 1 · checked 1 · written 0" in page.inner_text("#report-rows")
    assert page.locator("#apply").count() == 0
    with page.expect_download() as dl:
        page.click("#problems-csv")
    text = Path(dl.value.path()).read_text()
    assert text.splitlines()[0] == "sheet,row,column,value,reason"
    assert "people,2,manager,nobody@nowhere.example" in text
    assert axe_violations(page) == []
    shot(page, "import-problems")

    # Headers from another tool: mapped on the page, saved, the file checked again.
    foreign = tmp_path / "foreign" / "people.csv"
    foreign.parent.mkdir()
    foreign.write_text("Mitarbeiter;E-Mail-Adresse;Kostenstelle\n"
                       "Nia Newhire;new.hire@demo.example;4711\n", encoding="utf-8")
    page.goto("/admin/import")
    _upload(page, foreign)
    page.wait_for_selector("#mapping-form", timeout=30_000)
    assert "People: “Mitarbeiter”" in page.inner_text("#mapping-form")
    page.select_option("#map-0", "name")
    page.select_option("#map-1", "email")
    page.select_option("#map-2", "ignore")
    assert axe_violations(page) == []
    shot(page, "import-mapping")
    page.click("#save-mapping")
    page.wait_for_selector("#apply", timeout=30_000)
    assert "ready to import" in page.inner_text("#report")
    assert "People\t1\t0\t0" in page.inner_text("#report")
    page.click("#apply")
    page.wait_for_selector("#report >> text=imported", timeout=30_000)
    assert "written 1" in page.inner_text("#report-rows")
    shot(page, "import-done")
    page.goto("/admin/people?q=Newhire")
    assert "Nia Newhire" in page.content()
    page.goto("/admin/import")
    saved = page.inner_text("#saved-mapping")
    assert "kostenstelle" in saved and "ignored" in saved
    page.goto("/admin/jobs")
    assert "Checks or imports a file uploaded on Admin → Import" in page.content()
    assert office.errors == []

    tablet = login(browser, world, "strategy_office", TABLET)
    pg = tablet.page()
    pg.goto("/admin/import")
    _upload(pg, bad)
    pg.wait_for_selector("#progress")
    assert axe_violations(pg) == []
    shot(pg, "import-progress")
    pg.wait_for_selector("#problems", timeout=30_000)
    assert axe_violations(pg) == []
    shot(pg, "import-problems")
    pg.goto("/admin/import")
    shot(pg, "import-form")
    assert tablet.errors == []
    tablet.context.close()

"""Admin → Import: a file with a bad row gets the row-level report (and its CSV), a good
one is checked, then imported; nothing is written by the dry run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot


def test_a_bad_file_is_reported_row_by_row_and_a_good_one_imported(
        world: World, office: Session, browser: Any, tmp_path: Path) -> None:
    bad = tmp_path / "people.csv"
    bad.write_text("email,name,manager\nnew.hire@demo.example,Nia Newhire,"
                   "nobody@nowhere.example\n", encoding="utf-8")
    page = office.page()
    page.goto("/admin")
    page.click("a[href='/admin/import']")
    page.wait_for_url("**/admin/import")
    page.click("#upload-form button[type=submit]")
    assert "Choose a file" in page.inner_text("#err-file")
    page.set_input_files("#im-file", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#problems")
    row = page.inner_text("#problems tbody tr")
    assert row.split("\t") == ["people", "2", "manager", "nobody@nowhere.example",
                               "no person with e-mail nobody@nowhere.example in this "
                               "workspace or this file"]
    assert page.locator("#apply").count() == 0
    with page.expect_download() as dl:
        page.click("#problems-csv")
    text = Path(dl.value.path()).read_text()
    assert text.splitlines()[0] == "sheet,row,column,value,reason"
    assert "people,2,manager,nobody@nowhere.example" in text
    assert axe_violations(page) == []
    shot(page, "import-problems")
    good = tmp_path / "good" / "people.csv"
    good.parent.mkdir()
    good.write_text("email,name,title\nnew.hire@demo.example,Nia Newhire,Analyst\n",
                    encoding="utf-8")
    page.set_input_files("#im-file", str(good))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#apply")
    assert "ready to import" in page.inner_text("#report")
    assert "People\t1\t0\t0" in page.inner_text("#report")
    page.click("#apply")
    page.wait_for_selector("#report >> text=imported")
    page.goto("/admin/people?q=Newhire")
    assert "Nia Newhire" in page.content()
    assert office.errors == []
    tablet = login(browser, world, "strategy_office", TABLET)
    pg = tablet.page()
    pg.goto("/admin/import")
    pg.set_input_files("#im-file", str(bad))
    pg.click("#upload-form button[type=submit]")
    pg.wait_for_selector("#problems")
    assert axe_violations(pg) == []
    shot(pg, "import-problems")
    assert tablet.errors == []
    tablet.context.close()

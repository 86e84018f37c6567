"""Admin → Connectors: Jira set up in the browser against a fake Jira, a refused setting
shown in place, a dry run, "Sync now" and the last sync; the token never on the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot
from tests.fakes.jira import FakeJira, link, make_issue

TOKEN = "ATATT3x-browser-secret-0042"


def _issues() -> list[dict[str, Any]]:
    t0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    epic = make_issue("EX-1", "Self-service onboarding", issuetype="Epic", due="2026-09-30",
                      updated=t0)
    pilot = make_issue("EX-2", "Pilot live", parent=("EX-1", "Epic"), due="2026-05-31",
                       updated=t0 + dt.timedelta(minutes=1))
    docs = make_issue("EX-3", "Docs written", parent=("EX-1", "Epic"), due="2026-04-30",
                      done=True, status="Done", resolved="2026-04-28T10:00:00.000+0000",
                      updated=t0 + dt.timedelta(minutes=2))
    link(docs, "EX-2", "Blocks", "blocks", "is blocked by", "outward")
    return [epic, pilot, docs]


def test_jira_is_set_up_dry_run_and_synced_from_the_page(world: World, office: Session,
                                                           browser: Any, httpserver) -> None:
    jira = FakeJira(httpserver, _issues())
    page = office.page()
    page.goto("/admin")
    page.click("a[href='/admin/connectors']")
    page.wait_for_url("**/admin/connectors")
    assert "Never synced." in page.inner_text("#jira-h >> xpath=..")
    page.fill("#jira-base_url", jira.url)
    page.fill("#jira-login", "bot@acme.example")
    page.fill("#jira-secret", TOKEN)
    page.fill("#jira-projects", "EX")
    page.fill("#jira-link_types", "blocks = provider\nis blocked by before")
    page.click("text=Save Jira settings")
    err = page.inner_text("#err-jira-link_types")
    assert "line 2 ('is blocked by before')" in err and "phrase = consumer" in err
    assert page.input_value("#jira-projects") == "EX"  # kept
    assert page.input_value("#jira-secret") == ""  # never sent back
    assert TOKEN not in page.content()
    assert axe_violations(page) == []
    shot(page, "connectors-error")
    page.fill("#jira-secret", TOKEN)
    page.fill("#jira-link_types", "blocks = provider\nis blocked by = consumer")
    page.click("text=Save Jira settings")
    page.wait_for_selector("text=The Jira settings are saved.")
    assert "A token is stored." in page.content() and TOKEN not in page.content()
    page.click("#jira-h >> xpath=.. >> text=Dry run")
    page.wait_for_selector("#sync-result")
    result = page.inner_text("#sync-result")
    assert "dry run, nothing written" in result
    assert "create milestone EX-2" in result and "create dependency EX-3 → EX-2" in result
    assert "Never synced." in page.inner_text("#jira-h >> xpath=..")
    page.click("#jira-h >> xpath=.. >> text=Sync now")
    page.wait_for_selector("#sync-result >> text=synced")
    last = page.inner_text("#jira-h >> xpath=..")
    assert "Last sync" in last and "3 item(s) read in 1 request(s), 1 link(s)" in last
    assert "Milestones\t2\t0\t0" in last and "built-in" not in last
    assert axe_violations(page) == []
    shot(page, "connectors-synced")
    assert TOKEN not in page.content()
    assert office.errors == []
    tablet = login(browser, world, "strategy_office", TABLET)
    pg = tablet.page()
    pg.goto("/admin/connectors")
    assert axe_violations(pg) == []
    shot(pg, "connectors-synced")
    assert tablet.errors == []
    tablet.context.close()


def test_a_viewer_may_not_open_connectors(viewer: Session) -> None:
    page = viewer.page()
    r = page.goto("/admin/connectors")
    assert r is not None and r.status == 403

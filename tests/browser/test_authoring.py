"""Building the strategy in the browser: objectives created, edited and aligned through
the pages, and a save that lost a race refused with who changed what."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot


def test_two_tabs_editing_one_objective_the_second_save_is_refused_with_who_and_what(
        world: World, office: Session) -> None:
    first, second = office.page(), office.page()
    url = f"/objectives/obj_{world.objective}/edit"
    first.goto(url)
    second.goto(url)
    before = first.input_value("#ob-title")
    first.fill("#ob-title", before + " (first tab)")
    first.click("#objective-form button[type=submit]")
    first.wait_for_url(f"**/objectives/obj_{world.objective}?saved=1")
    assert "Saved" in first.inner_text("#saved")
    second.fill("#ob-title", "Second tab's idea")
    second.click("#objective-form button[type=submit]")
    second.wait_for_selector("#conflict")
    conflict = second.inner_text("#conflict")
    assert "changed by " in conflict and " UTC" in conflict
    assert f"Title: “{before}” → “{before} (first tab)”" in conflict
    assert second.input_value("#ob-title") == "Second tab's idea"  # input kept
    assert axe_violations(second) == []
    shot(second, "objective-edit-conflict")
    assert office.errors == []


def test_a_new_objective_is_created_by_names_and_a_cycle_is_refused_with_titles(
        world: World, office: Session, browser: Any) -> None:
    page = office.page()
    page.goto("/objectives")
    page.click("#new-objective")
    page.wait_for_url("**/objectives/new")
    page.fill("#ob-title", "Open two Nordic offices")
    page.fill("#ob-owner", "Nobody Called This")
    page.select_option("#ob-level", "business_unit")
    page.click("#objective-form button[type=submit]")
    assert "No person is called “Nobody Called This”" in page.inner_text("#err-owner")
    assert page.input_value("#ob-title") == "Open two Nordic offices"  # kept
    assert axe_violations(page) == []
    shot(page, "objective-new-error")
    titles = page.eval_on_selector_all("#objective-titles option",
                                       "os => os.map(o => o.value)")
    page.fill("#ob-owner", page.inner_text(".who-name"))  # oneself, by name
    page.fill("#ob-parent", titles[0])
    page.fill("#ob-weight", "0.5")
    page.click("#objective-form button[type=submit]")
    page.wait_for_url("**/objectives/obj_*?saved=1")
    assert page.locator("#form-errors").count() == 0
    child = page.url.split("/objectives/")[1].split("?")[0]
    # Aligning the parent under its new child would close a cycle: refused by titles.
    parent_page = page.url
    page.goto(f"/objectives/{child}/edit")
    page.click("#parents a >> nth=0")
    page.wait_for_url(lambda u: u != parent_page and "/edit" not in u)
    page.goto(page.url.split("?")[0] + "/edit")
    page.fill("#al-parent", "Open two Nordic offices")
    page.click("#parent-form button[type=submit]")
    message = page.inner_text("#err-parent")
    assert "This would close a cycle" in message and "“Open two Nordic offices”" in message
    assert axe_violations(page) == []
    shot(page, "objective-edit-cycle")
    tablet = login(browser, world, "strategy_office", TABLET)
    tp = tablet.page()
    tp.goto(f"/objectives/{child}/edit")
    shot(tp, "objective-edit")
    assert axe_violations(tp) == []
    assert tablet.errors == [] and office.errors == []
    tablet.context.close()


def test_the_owner_corrects_a_check_in_from_the_history_with_a_reason(
        world: World, owner: Session, browser: Any) -> None:
    page = owner.page()
    page.goto(f"/metrics/met_{world.metric}")
    page.click("a.btn:has-text('Correct') >> nth=0")
    page.wait_for_url("**/corrections/mea_*")
    # The same value (offered to the last digit) keeps the metric's state for the other
    # journeys on this shared demo; what is tested is the flow and the history.
    offered = page.input_value("#co-value")
    page.fill("#co-reason", "")
    page.click("#correction-form button[type=submit]")
    assert "Say why the value is corrected" in page.inner_text("#err-reason")
    assert page.input_value("#co-value") == offered  # kept
    assert axe_violations(page) == []
    shot(page, "correction-error")
    tablet = login(browser, world, "owner", TABLET)
    tp = tablet.page()
    tp.goto(page.url)
    shot(tp, "correction")
    assert axe_violations(tp) == [] and tablet.errors == []
    tablet.context.close()
    page.fill("#co-reason", "typo in the export")
    page.click("#correction-form button[type=submit]")
    page.wait_for_url(f"**/metrics/met_{world.metric}?checked_in=mea_*")
    assert "Correction: typo in the export" in page.inner_text("#main")
    assert owner.errors == []

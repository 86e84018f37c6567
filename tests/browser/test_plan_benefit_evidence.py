"""The forms added last for issue 12 in a real browser — a budget line's plan editor
(typed or pasted from a spreadsheet), a planned benefit changed and deleted, a metric
unlinked, a milestone completed with an evidence file — and the top bar, which fits one
line at 1366 px for every role with Escalations, Decision log, Reviews and Forecast
accuracy under one "Review" menu that works from the keyboard. Zero console errors, no
serious or critical axe violation, screenshots at 1366×768 and 820×1180."""

from __future__ import annotations

from typing import Any

import pytest

from steerco.accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, TABLET, Session, World, login
from tests.browser.test_work_authoring import _check, _go


def _demo(browser: Any, world: World, role: str, viewport: dict[str, int]) -> Session:
    who = next(login_ for login_, r in world.demo if r == role)
    return login(browser, world, role, viewport, as_login=who, password=DEMO_PASSWORD)


ROLES = ["executive", "strategy_office", "controller", "owner", "admin", "viewer"]


@pytest.mark.parametrize("role", ROLES)
def test_the_top_bar_fits_one_line_at_1366_and_fits_the_role(
        browser: Any, world: World, role: str) -> None:
    sess = _demo(browser, world, role, DESKTOP)
    page = sess.page()
    page.goto("/cockpit")
    tops = page.eval_on_selector_all(
        ".topbar-inner > *, .mainnav > a, .mainnav > details > summary",
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    height = page.eval_on_selector(".topbar", "e => e.getBoundingClientRect().height")
    assert height <= 60, f"{role}: the top bar is {height} px high (two lines?)"
    assert max(tops) - min(tops) <= 14, f"{role}: entries at {sorted(set(tops))}"
    nav = page.inner_text("nav.mainnav")
    assert ("Admin" in nav) == (role in ("admin", "strategy_office"))
    assert ("Finance" in nav) == (role in ("admin", "controller", "strategy_office",
                                           "executive"))
    # The Review menu, from the keyboard: Enter opens it, its links follow, Escape closes.
    page.focus(".mainnav details > summary")
    page.keyboard.press("Enter")
    assert page.is_visible(".mainnav .navmenu-items a[href='/reviews']")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/escalations"
    page.keyboard.press("Escape")
    assert not page.is_visible(".mainnav .navmenu-items a[href='/reviews']")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.click(".mainnav details > summary")
    _go(page, ".mainnav .navmenu-items a[href='/accuracy']")
    assert page.get_attribute(".mainnav details > summary", "class") == "current"
    if role in ("admin", "viewer"):
        page.click(".mainnav details > summary")
        _check(page, f"nav-{role}")
    assert sess.errors == []
    sess.context.close()


def test_the_top_bar_works_on_a_tablet(browser: Any, world: World) -> None:
    sess = _demo(browser, world, "admin", TABLET)
    page = sess.page()
    page.goto("/cockpit")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    page.click(".who > summary")
    assert page.is_visible(".who .navmenu-items a[href='/admin/tokens']")
    _check(page, "nav-account-menu")
    page.keyboard.press("Escape")
    assert not page.is_visible(".who .navmenu-items a[href='/admin/tokens']")
    page.click(".who > summary")
    page.focus(".mainnav details > summary")
    page.keyboard.press("Enter")  # one menu at a time
    assert not page.is_visible(".who .navmenu-items a[href='/admin/tokens']")
    _go(page, ".mainnav .navmenu-items a[href='/reviews']")
    assert "/reviews" in page.url
    assert sess.errors == []
    sess.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_a_controller_edits_a_budget_plan_pasted_from_a_spreadsheet(
        browser: Any, world: World, viewport: dict[str, int]) -> None:
    sess = _demo(browser, world, "controller", viewport)
    page = sess.page()
    page.goto("/finance")
    _go(page, "table a[href^='/finance/bud_']")
    _go(page, "#edit-line")
    _check(page, "budget-plan-edit")
    page.fill("#plan-paste", "Month\tPlan\n2027-01\t1000\n2027-02\tlots")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#plan-errors")
    assert "line 3: “lots” is not a number" in page.inner_text("#plan-errors")
    assert "2027-02\tlots" in page.input_value("#plan-paste")  # kept
    _check(page, "budget-plan-error")
    page.fill("#plan-paste", "2027-01\t1000\n2027-02\t1200")
    _go(page, "#plan-form button[type=submit]")
    assert "Jan 2027" in page.inner_text("#periods") and page.is_visible("#saved")
    assert sess.errors == []
    sess.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_a_benefit_is_changed_and_deleted_and_a_metric_unlinked(
        browser: Any, world: World, viewport: dict[str, int]) -> None:
    sess = login(browser, world, "strategy_office", viewport)
    page = sess.page()
    page.on("dialog", lambda d: d.accept())
    page.goto(f"/initiatives/ini_{world.initiative}/edit")
    metric = page.eval_on_selector("#metric-names option", "o => o.value")
    page.fill("#link-metric", metric)
    _go(page, "#metric-form button[type=submit]")
    page.fill("#ben-amount", "12")
    page.fill("#ben-due", "2027-03-31")
    page.fill("#ben-metric", metric)
    _go(page, "#benefit-form button[type=submit]")
    _check(page, "initiative-edit-sections")
    _go(page, "#benefits li:last-child a.btn")
    page.fill("#be-amount", "many")
    page.click("#benefit-edit-form button[type=submit]")
    page.wait_for_selector("#err-amount")
    assert "“many” is not a number" in page.inner_text("#err-amount")
    _check(page, "benefit-edit-error")
    page.fill("#be-amount", "15")
    _go(page, "#benefit-edit-form button[type=submit]")
    assert "15 by" in page.inner_text("#benefits")
    _go(page, "#benefits li:last-child a.btn")
    _go(page, "#delete-benefit")
    assert "/edit" in page.url
    n = page.locator("#metrics form[action$='/metrics/'] button").count()
    unlink = page.locator("#metrics button[aria-label^='Unlink']")
    before = unlink.count()
    _go(page, "#metrics button[aria-label^='Unlink'] >> nth=-1")
    assert page.locator("#metrics button[aria-label^='Unlink']").count() in (before - 1, before)
    assert n == 0
    assert sess.errors == []
    sess.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
def test_a_milestone_is_completed_with_an_evidence_file(
        browser: Any, world: World, viewport: dict[str, int]) -> None:
    sess = login(browser, world, "strategy_office", viewport)
    page = sess.page()
    page.goto(f"/initiatives/ini_{world.initiative}/edit")
    page.fill("#ms-name", f"Contract signed {viewport['width']}")
    page.fill("#ms-due", "2027-05-01")
    _go(page, "#milestone-form button[type=submit]")
    _go(page, f"a[aria-label='Edit or complete Contract signed {viewport['width']}']")
    _check(page, "milestone-complete")
    page.set_input_files("#ms-evidence-file", files=[{
        "name": "signed-contract.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4 signed by both parties"}])
    page.fill("#ms-evidence", "https://docs.example/contract")
    page.click("#ms-complete-form button[type=submit]")
    page.wait_for_selector("#err-evidence_url")
    assert "not both" in page.inner_text("#err-evidence_url")
    _check(page, "milestone-complete-error")
    page.fill("#ms-evidence", "")
    page.set_input_files("#ms-evidence-file", files=[{
        "name": "signed-contract.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4 signed by both parties"}])
    _go(page, "#ms-complete-form button[type=submit]")
    row = page.locator("#milestones tr", has_text=f"Contract signed {viewport['width']}")
    href = row.locator("a", has_text="evidence").get_attribute("href")
    assert href and "/evidence/" in href and href.endswith("signed-contract.pdf")
    got = page.request.get(href)
    assert got.status == 200 and got.body() == b"%PDF-1.4 signed by both parties"
    assert sess.errors == []
    sess.context.close()

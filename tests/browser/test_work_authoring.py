"""Building the execution side in the browser: an initiative created by names, its
milestones and a cross-team dependency, a cycle refused with its path by titles, a stage
gate refused listing what it lacks and then passed once a controller has added a budget
line (whose actual shows the variance), and a milestone completed with evidence."""

from __future__ import annotations

from typing import Any

from steerco.accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot

NAME = "Nordic warehouse"


def _options(page: Any, datalist: str) -> list[str]:
    return list(page.eval_on_selector_all(f"#{datalist} option", "os => os.map(o => o.value)"))


def _go(page: Any, selector: str) -> None:
    """Submit and wait for the page a saved form leads to (htmx follows HX-Redirect)."""
    with page.expect_navigation():
        page.click(selector)


def _check(page: Any, name: str) -> None:
    assert axe_violations(page) == []
    shot(page, name)


def _controller(browser: Any, world: World, viewport: dict[str, int] | None = None) -> Session:
    who = next(login_ for login_, role in world.demo if role == "controller")
    kw = {"viewport": viewport} if viewport else {}
    return login(browser, world, "controller", as_login=who, password=DEMO_PASSWORD, **kw)


def test_an_initiative_is_built_and_steered_through_the_gate_in_the_browser(
        world: World, office: Session, browser: Any) -> None:
    page = office.page()
    page.goto("/initiatives")
    page.click("#new-initiative")
    page.wait_for_url("**/initiatives/new")
    me = page.inner_text(".who-name")
    page.fill("#in-name", NAME)
    page.fill("#in-owner", "Nobody Called This")
    page.select_option("#in-stage", "detailed")
    page.click("#initiative-form button[type=submit]")
    assert "No person is called “Nobody Called This”" in page.inner_text("#err-owner")
    assert page.input_value("#in-name") == NAME  # kept
    _check(page, "initiative-new-error")
    page.fill("#in-owner", me)
    page.fill("#in-unit", _options(page, "unit-names")[0])
    _go(page, "#initiative-form button[type=submit]")
    edit_url = page.url.split("?")[0]

    # Two milestones, then a cross-team dependency on another initiative's milestone.
    for title, due in (("Site chosen", "2026-04-01"), ("Warehouse open", "2026-09-01")):
        page.fill("#ms-name", title)
        page.fill("#ms-due", due)
        _go(page, "#milestone-form button[type=submit]")
    assert page.locator("#milestones tbody tr").count() == 2
    assert "/edit" in page.url
    other = next(x for x in _options(page, "milestone-labels")
                 if not x.startswith(NAME + " › "))
    page.fill("#dep-provider", other)
    page.fill("#dep-consumer", f"{NAME} › Site chosen")
    page.fill("#dep-need", "2026-03-15")
    _go(page, "#dependency-form button[type=submit]")
    page.fill("#dep-provider", f"{NAME} › Site chosen")
    page.fill("#dep-consumer", f"{NAME} › Warehouse open")
    _go(page, "#dependency-form button[type=submit]")
    assert page.locator("#dependencies tbody tr").count() == 2
    # Closing the loop back to the other team's milestone is refused, by titles.
    page.fill("#dep-provider", f"{NAME} › Warehouse open")
    page.fill("#dep-consumer", other)
    page.click("#dependency-form button[type=submit]")
    message = page.inner_text("#err-dep_consumer")
    assert message.startswith("This would close a cycle: ")
    assert f"“{NAME} › Warehouse open”" in message and f"“{other}”" in message
    assert page.input_value("#dep-consumer") == other  # kept
    _check(page, "initiative-edit-cycle")

    # The gate to "decided" names what it lacks; a metric is linked, the budget is not.
    page.goto(edit_url)
    page.click("#stage-next")
    gaps = page.inner_text("#stage-gaps")
    assert "a linked metric is required" in gaps and "a budget line is required" in gaps
    assert "an owner is required" not in gaps
    _check(page, "initiative-edit-gate")
    page.fill("#link-metric", _options(page, "metric-names")[0])
    _go(page, "#metric-form button[type=submit]")
    page.click("#stage-next")
    gaps = page.inner_text("#stage-gaps")
    assert "a linked metric is required" not in gaps and "a budget line is required" in gaps

    # A controller adds the budget line and an actual on the finance pages.
    ctl = _controller(browser, world)
    fp = ctl.page()
    fp.goto("/")
    fp.click("nav.mainnav a:has-text('Finance')")
    fp.wait_for_url("**/finance")
    fp.fill("#bl-code", "NW-2026")
    fp.fill("#bl-name", "Warehouse fit-out")
    fp.fill("#bl-initiative", NAME)
    fp.fill("#bl-plan", "2026-01 10000\n2026-02 oops")
    fp.click("#line-form button[type=submit]")
    assert "Line 2 “2026-02 oops”" in fp.inner_text("#err-plan")
    assert fp.input_value("#bl-code") == "NW-2026"  # kept
    fp.fill("#bl-plan", "2026-01 10000\n2026-02 10000\n2026-03 5000")
    _go(fp, "#line-form button[type=submit]")
    fp.fill("#ac-period", "2026-01")
    fp.fill("#ac-amount", "12500")
    fp.fill("#ac-posted", "2026-02-03")
    _go(fp, "#actual-form button[type=submit]")
    assert "12,500" in fp.inner_text("#actual-total")
    assert fp.locator("#periods tbody tr").first.inner_text().split("\t")[-1].strip() \
        .replace("\u00a0", " ").endswith("2,500")  # January: 12,500 actual − 10,000 plan
    fp.wait_for_selector("[data-chart='line-data'] svg")
    _check(fp, "budget-line")
    fp.goto("/finance?q=NW-2026")
    assert NAME in fp.inner_text("#lines")
    _check(fp, "finance")
    assert ctl.errors == []
    ctl.context.close()

    # Now the gate passes.
    page.goto(edit_url)
    _go(page, "#stage-next")
    assert page.inner_text(".stages li[aria-current=step]") == "Decided"

    # A milestone is completed with evidence.
    page.click("#milestones a[aria-label='Edit or complete Site chosen']")
    page.wait_for_url("**/milestones/mil_*/edit")
    page.fill("#ms-done", "2026-03-30")
    page.click("#ms-complete-form button[type=submit]")
    assert "Link the evidence" in page.inner_text("#err-evidence_url")
    _check(page, "milestone-edit-error")
    page.fill("#ms-evidence", "https://docs.example/site-lease-signed")
    _go(page, "#ms-complete-form button[type=submit]")
    row = page.inner_text("#milestones tbody tr:has-text('Site chosen')")
    assert "✓" in row and "evidence" in row
    _check(page, "initiative-edit")
    page.click("#dependencies a.btn >> nth=0")
    page.wait_for_url("**/dependencies/dep_*/edit*")
    _check(page, "dependency-edit")
    assert office.errors == []


def test_the_execution_and_finance_pages_at_tablet_size(world: World, browser: Any) -> None:
    tablet = login(browser, world, "strategy_office", TABLET)
    tp = tablet.page()
    tp.goto("/initiatives/new")
    _check(tp, "initiative-new")
    tp.goto(f"/initiatives/ini_{world.initiative}/edit")
    _check(tp, "initiative-edit")
    tp.click("#milestones a.btn >> nth=0")
    tp.wait_for_url("**/milestones/mil_*/edit")
    _check(tp, "milestone-edit")
    tp.goto(f"/initiatives/ini_{world.initiative}/edit")
    tp.click("#dependencies a.btn >> nth=0")
    tp.wait_for_url("**/dependencies/dep_*/edit*")
    _check(tp, "dependency-edit")
    assert tablet.errors == []
    tablet.context.close()
    ctl = _controller(browser, world, TABLET)
    cp = ctl.page()
    cp.goto("/finance")
    _check(cp, "finance")
    cp.click("#lines a[href^='/finance/bud_'] >> nth=0")
    cp.wait_for_url("**/finance/bud_*")
    cp.wait_for_selector("[data-chart='line-data'] svg")
    _check(cp, "budget-line")
    assert ctl.errors == []
    ctl.context.close()


def test_a_viewer_reads_finance_without_edit_controls(world: World, viewer: Session) -> None:
    page = viewer.page()
    page.goto("/finance")
    assert page.locator("nav.mainnav a:has-text('Finance')").count() == 0
    assert page.locator("#line-form").count() == 0
    page.click("#lines a[href^='/finance/bud_'] >> nth=0")
    page.wait_for_url("**/finance/bud_*")
    assert page.locator("#actual-form").count() == 0
    assert page.locator("form[action*='/correct'], form[action*='/sign-off']").count() == 0
    page.goto(f"/initiatives/ini_{world.initiative}")
    assert page.locator("#edit-initiative").count() == 0
    assert viewer.errors == []

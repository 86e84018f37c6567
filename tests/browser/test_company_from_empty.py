"""A company built from an EMPTY workspace using only the pages: org units, people with
logins and roles, a theme and three levels of aligned objectives; key results with pasted
plans; two initiatives in two units with milestones and a cross-team dependency; a budget
line added by a controller; then the owner checks in, the cockpit shows the objective's
computed status (no data → off track), the wrong check-in is corrected with a reason, the
correction is in the metric's history and the cockpit turns on track.

The journey is a list of small step functions over one `Build` (what has been made so
far, by name); other page areas append their own steps (key results, plans, initiatives,
milestones, budget, dependencies) to STEPS. Every page a step opens is checked for
console errors and serious/critical axe violations, and screenshotted.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    DESKTOP,
    TABLET,
    Session,
    World,
    _need_browser,
    axe_violations,
    login,
    shot,
)
from tests.servers import uvicorn_server

ADMIN = "founder@empty.example"
PASSWORD = "founder-password-2026"
YEAR = 2026


def _empty_database(path: Path) -> str:
    """Migrate a fresh SQLite file and add one workspace with one admin (the services
    `steerco admin create --create-workspace` runs)."""
    from steerco.accounts.service import create_admin
    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.migrate import upgrade
    from steerco.org.service import create_workspace

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = create_workspace(s, {"slug": "acme", "name": "Acme"})
        create_admin(s, ws.id, ADMIN, "Frida Founder", PASSWORD)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """An empty workspace served by uvicorn; World.logins holds its one admin."""
    _need_browser()
    tmp = tmp_path_factory.mktemp("empty")
    url = _empty_database(tmp / "steerco.db")
    env = {"STEERCO_DATABASE_URL": url, "STEERCO_EVIDENCE_DIR": str(tmp / "evidence")}
    with uvicorn_server("tests.browser.app_factory:build", env, tmp, "/login",
                        timeout_s=180) as base:
        yield World(base, 0, logins={"admin": ADMIN}, database=url)


@dataclass
class Build:
    """The browser, the site and what the steps made so far (names → public ids)."""

    browser: Any
    world: World
    admin: Session
    page: Any
    made: dict[str, str] = field(default_factory=dict)
    #: Pages to check again at the tablet size at the end (path, screenshot name).
    shots: list[tuple[str, str]] = field(default_factory=list)

    def check(self, name: str) -> None:
        """The current page: no serious/critical axe violation, a desktop screenshot,
        and its path remembered for the tablet pass."""
        assert axe_violations(self.page) == [], self.page.url
        shot(self.page, f"empty-{name}")
        self.shots.append((self.page.url.removeprefix(self.world.url), name))

    def submit(self, form: str) -> None:
        self.page.click(f"{form} button[type=submit]")
        self.page.wait_for_load_state()


def _unit(b: Build, name: str, kind: str, parent: str = "") -> None:
    p = b.page
    p.goto("/admin/units/new")
    p.fill("#f-name", name)
    p.select_option("#f-kind", kind)
    p.fill("#f-parent", parent)
    b.submit("#unit-form")
    p.wait_for_url("**/admin/units?saved=org_*")
    b.made[name] = p.url.split("saved=")[1]


def step_org_units(b: Build) -> None:
    p = b.page
    p.goto("/admin/units")
    assert "No org units yet" in p.inner_text("main")
    b.check("units-empty")
    _unit(b, "Acme", "company")
    # A refusal in place: a parent nobody has made yet, the input kept.
    p.goto("/admin/units/new")
    p.fill("#f-name", "Sales")
    p.select_option("#f-kind", "business_unit")
    p.fill("#f-parent", "Acme Holding")
    b.submit("#unit-form")
    p.wait_for_selector("#err-parent")
    assert "No org unit is called “Acme Holding”" in p.inner_text("#err-parent")
    assert p.input_value("#f-name") == "Sales"
    b.check("unit-new-error")
    _unit(b, "Sales", "business_unit", "Acme")
    _unit(b, "Sales North", "team", "Sales")
    p.goto("/admin/units")
    rows = p.inner_text("#units-table")
    assert "Sales North" in rows and "Sales" in rows
    b.check("units")


def _person(b: Build, name: str, email: str, unit: str, manager: str = "",
            role: str = "", scope: str = "") -> None:
    p = b.page
    p.goto("/admin/people/new")
    p.fill("#f-name", name)
    p.fill("#f-email", email)
    p.fill("#f-unit", unit)
    p.fill("#f-manager", manager)
    b.submit("#person-form")
    p.wait_for_url("**/admin/people/per_*/edit?saved=1*")
    b.made[name] = p.url.split("/admin/people/")[1].split("/")[0]
    p.fill("#login-form #f-login", email)
    p.fill("#login-form #f-password", f"{email}-pw-2026")
    b.submit("#login-form")
    p.wait_for_url("**saved=login*")
    assert f"Logs in as {email}" in p.inner_text("#access")
    p.select_option("#grant-form #f-role", role)
    p.fill("#grant-form #f-scope", scope)
    b.submit("#grant-form")
    p.wait_for_url("**saved=grant*")
    assert p.locator("#grants").count() == 1


def step_people(b: Build) -> None:
    _person(b, "Sam Strategist", "sam@empty.example", "Acme", role="strategy_office")
    b.check("person-edit")
    _person(b, "Nora North", "nora@empty.example", "Sales North", "Sam Strategist",
            role="owner", scope="Sales North")
    _person(b, "Vic Viewer", "vic@empty.example", "Sales", "Nora North", role="viewer")
    p = b.page
    p.goto(f"/admin/people/{b.made['Nora North']}/edit")
    assert p.input_value("#f-manager") == "Sam Strategist"
    assert "Owner" in p.inner_text("#grants") and "Sales North" in p.inner_text("#grants")
    p.goto("/admin/people")
    text = p.inner_text("main")
    assert "strategy office" in text and "owner in Sales North" in text
    b.check("people")


def step_theme(b: Build) -> None:
    p = b.page
    p.goto("/admin/themes/new")
    b.check("theme-new")
    p.fill("#f-name", "Grow profitably")
    p.fill("#f-owner", "Sam Strategist")
    b.submit("#theme-form")
    p.wait_for_url("**/admin/themes?saved=1")
    assert "Grow profitably" in p.inner_text("main")
    b.check("themes")


def _objective(b: Build, title: str, level: str, owner: str, unit: str,
               parent: str = "", theme: str = "") -> None:
    p = b.page
    p.goto("/objectives/new")
    p.fill("#ob-title", title)
    p.select_option("#ob-level", level)
    p.fill("#ob-owner", owner)
    p.fill("#ob-unit", unit)
    # A rolling period that holds its key results' dates (a key result is due within it).
    p.fill("#ob-start", _day(-90))
    p.fill("#ob-end", _day(270))
    if theme:
        p.select_option("#ob-theme", label=theme)
    p.fill("#ob-parent", parent)
    p.click("#objective-form button[type=submit]")
    p.wait_for_url("**/objectives/obj_*?saved=1")
    b.made[title] = p.url.split("/objectives/")[1].split("?")[0]


def step_objectives(b: Build) -> None:
    _objective(b, "Double recurring revenue", "company", "Sam Strategist", "Acme",
               theme="Grow profitably")
    _objective(b, "Win the northern market", "business_unit", "Sam Strategist", "Sales",
               parent="Double recurring revenue")
    _objective(b, "Sign 40 northern accounts", "team", "Nora North", "Sales North",
               parent="Win the northern market")
    p = b.page
    p.goto(f"/objectives/{b.made['Sign 40 northern accounts']}")
    text = p.inner_text("main")
    assert "Win the northern market" in text and "Nora North" in text
    p.goto(f"/objectives/{b.made['Win the northern market']}")
    text = p.inner_text("main")
    assert "Double recurring revenue" in text and "Sign 40 northern accounts" in text


def step_settings_and_rules(b: Build) -> None:
    p = b.page
    p.goto("/admin/workspace")
    p.fill("#f-time_zone", "Europe/Oslo")
    p.select_option("#f-fiscal_year_start", "4")
    b.submit("#workspace-form")
    p.wait_for_url("**/admin/workspace?saved=1")
    assert p.input_value("#f-time_zone") == "Europe/Oslo"
    b.check("workspace")
    p.goto("/admin/rules/new")
    p.fill("#f-name", "Broken promises climb fast")
    p.select_option("#f-signal_kind", "broken_dependency")
    p.fill("#f-scope", "Sales")
    p.fill("#f-ladder", "2, 5, 10")
    b.submit("#rule-form")
    p.wait_for_url("**/admin/rules?saved=1")
    assert "2 → 5 → 10" in p.inner_text("#rules-table")
    b.check("rules")


def step_review_rhythm(b: Build) -> None:
    p = b.page
    p.goto("/admin/cadences")
    p.fill("#f-title", "Sales quarterly strategy review")
    p.select_option("#f-kind", "quarterly_strategy")
    p.fill("#f-first", f"{YEAR + 1}-01-15")
    p.fill("#f-count", "4")
    p.fill("#f-chair", "Sam Strategist")
    p.fill("#f-unit", "Sales")
    b.submit("#review-form")
    p.wait_for_url("**/admin/cadences?saved=4")
    assert p.inner_text("#reviews").count("Sales quarterly strategy review") == 4
    assert "chair Sam Strategist" in p.inner_text("#reviews")
    b.check("cadences")


def step_new_people_log_in_and_see_what_their_role_allows(b: Build) -> None:
    nora = login(b.browser, b.world, "", as_login="nora@empty.example",
                 password="nora@empty.example-pw-2026")
    page = nora.page()
    page.goto("/objectives")
    assert "Sign 40 northern accounts" in page.inner_text("main")
    assert page.locator('nav a[href="/admin"]').count() == 0
    assert nora.errors == []
    nora.context.close()


def _day(offset: int) -> str:
    """Today plus `offset` days, ISO (the server and the test share one clock)."""
    return (dt.date.today() + dt.timedelta(days=offset)).isoformat()


def _key_result(b: Build, objective: str, name: str, unit: str, owner: str,
                baseline: str, target: str, plan: list[tuple[int, str]]) -> None:
    """A key result created from its objective's page by names, its plan pasted (a
    spreadsheet's two columns, header included)."""
    p = b.page
    p.goto(f"/objectives/{b.made[objective]}")
    p.click("#add-key-result")
    p.wait_for_url("**/metrics/new?objective=*")
    assert p.input_value("#me-objective") == objective
    p.fill("#me-name", name)
    p.fill("#me-unit", unit)
    p.fill("#me-owner", owner)
    p.fill("#me-baseline", baseline)
    p.fill("#me-baseline-date", _day(-60))
    p.fill("#me-target", target)
    p.fill("#me-target-date", _day(120))
    b.submit("#metric-form")
    p.wait_for_url("**/metrics/met_*/edit?saved=*")
    b.made[name] = p.url.split("/metrics/")[1].split("/")[0]
    rows = "\n".join(f"{_day(d)}\t{v}" for d, v in plan)
    p.fill("#plan-paste", f"Date\tPlan\n{rows}\n")
    b.submit("#plan-form")
    # The page was already marked saved (the metric); wait for the rows to come back.
    expect(p.locator("#plan-body tr:nth-child(1) input[name=on]")).to_have_value(
        _day(plan[0][0]))
    expect(p.locator(f"#plan-body tr:nth-child({len(plan)}) input[name=value]")
           ).to_have_value(plan[-1][1])


def step_key_results_with_plans(b: Build) -> None:
    _key_result(b, "Double recurring revenue", "Annual recurring revenue", "MEUR",
                "Sam Strategist", "10", "20", [(-30, "11"), (30, "14"), (90, "18")])
    _key_result(b, "Sign 40 northern accounts", "Northern accounts signed", "accounts",
                "Nora North", "0", "40", [(-30, "7"), (30, "20"), (90, "33")])
    b.check("key-result-edit")
    p = b.page
    p.goto(f"/objectives/{b.made['Sign 40 northern accounts']}")
    assert "Northern accounts signed" in p.inner_text("main")


def _initiative(b: Build, name: str, owner: str, unit: str,
                milestones: list[tuple[str, int]]) -> None:
    p = b.page
    p.goto("/initiatives")
    p.click("#new-initiative")
    p.wait_for_url("**/initiatives/new")
    p.fill("#in-name", name)
    p.fill("#in-owner", owner)
    p.fill("#in-unit", unit)
    p.fill("#in-start", _day(-30))
    p.fill("#in-due", _day(150))  # after its last milestone: no slip to report
    with p.expect_navigation():
        p.click("#initiative-form button[type=submit]")
    b.made[name] = p.url.split("/initiatives/")[1].split("/")[0]
    for title, due in milestones:
        p.fill("#ms-name", title)
        p.fill("#ms-due", _day(due))
        with p.expect_navigation():
            p.click("#milestone-form button[type=submit]")
    assert p.locator("#milestones tbody tr").count() == len(milestones)


def step_initiatives_milestones_and_a_cross_team_dependency(b: Build) -> None:
    _initiative(b, "Nordic CRM rollout", "Sam Strategist", "Sales", [("CRM live", 45)])
    _initiative(b, "Northern sales office", "Nora North", "Sales North",
                [("Office lease signed", 20), ("Office open", 75)])
    p = b.page
    # Sales North's office waits for the CRM that Sales rolls out.
    p.fill("#dep-provider", "Nordic CRM rollout › CRM live")
    p.fill("#dep-consumer", "Northern sales office › Office open")
    p.fill("#dep-need", _day(60))
    with p.expect_navigation():
        p.click("#dependency-form button[type=submit]")
    deps = p.inner_text("#dependencies")
    assert "CRM live" in deps and "Office open" in deps
    b.check("initiative-edit")
    p.goto(f"/initiatives/{b.made['Nordic CRM rollout']}")
    downstream = p.inner_text("main")  # the consumer, seen from the provider's side
    assert "Northern sales office" in downstream and "Holds" in downstream
    b.check("initiative")


def step_a_controller_adds_a_budget_line(b: Build) -> None:
    _person(b, "Carla Controller", "carla@empty.example", "Acme", role="controller",
            scope="Acme")
    carla = login(b.browser, b.world, "", DESKTOP, as_login="carla@empty.example",
                  password="carla@empty.example-pw-2026")
    fp = carla.page()
    fp.goto("/finance")
    fp.fill("#bl-code", "NSO-1")
    fp.fill("#bl-name", "Northern office fit-out")
    fp.fill("#bl-initiative", "Northern sales office")
    month = dt.date.today().replace(day=1)
    nxt = (month + dt.timedelta(days=32)).replace(day=1)
    fp.fill("#bl-plan", f"{month:%Y-%m} 20000\n{nxt:%Y-%m} 15000")
    with fp.expect_navigation():
        fp.click("#line-form button[type=submit]")
    assert "/finance/bud_" in fp.url
    text = fp.inner_text("main")
    assert "Northern office fit-out" in text and "Northern sales office" in text
    fp.wait_for_selector("[data-chart='line-data'] svg")
    assert axe_violations(fp) == [], fp.url
    shot(fp, "empty-budget-line")
    fp.goto("/finance?q=NSO-1")
    assert "Northern sales office" in fp.inner_text("#lines")
    assert axe_violations(fp) == [], fp.url
    assert carla.errors == []
    carla.context.close()


def _objective_status_on_cockpit(b: Build, title: str) -> str:
    """The status badge's class (s-ok, s-bad, …) and label the cockpit's strategy list
    shows for the objective `title`."""
    p = b.page
    p.goto("/cockpit")
    item = p.locator(f".persp-list li:has(a:text-is('{title}'))")
    assert item.count() == 1, title
    badge = item.locator(".badge")
    css = next(c for c in (badge.get_attribute("class") or "").split() if c.startswith("s-"))
    # The list sits in a closed <details>: its text, not what is rendered.
    return f"{css} {' '.join((badge.text_content() or '').split())}"


def step_the_owner_checks_in_and_the_cockpit_shows_the_computed_status(b: Build) -> None:
    # Before any check-in the team objective has no data.
    assert _objective_status_on_cockpit(b, "Sign 40 northern accounts") == "s-none ○ No data"
    nora = login(b.browser, b.world, "", DESKTOP, as_login="nora@empty.example",
                 password="nora@empty.example-pw-2026")
    np_ = nora.page()
    np_.goto(f"/metrics/{b.made['Northern accounts signed']}")
    # A typo: 3 accounts where 15 were signed; far behind the plan of ~13 by now.
    np_.fill("#ci-value", "3")
    with np_.expect_navigation():
        np_.click("#checkin-form button[type=submit]")
    assert "checked_in=" in np_.url
    assert np_.inner_text("#fig-last").startswith("3 ")
    assert axe_violations(np_) == [], np_.url
    shot(np_, "empty-metric-checked-in")
    b.made["nora-metric-url"] = np_.url.removeprefix(b.world.url).split("?")[0]
    assert nora.errors == []
    nora.context.close()
    assert _objective_status_on_cockpit(b, "Sign 40 northern accounts") == \
        "s-bad ■ Off track"
    off = b.page.inner_text(f"[data-objective-status={b.made['Sign 40 northern accounts']}]")
    assert "Off track" in off  # listed among the exceptions too
    b.check("cockpit")


def step_the_wrong_check_in_is_corrected_and_the_correction_is_in_the_history(
        b: Build) -> None:
    nora = login(b.browser, b.world, "", DESKTOP, as_login="nora@empty.example",
                 password="nora@empty.example-pw-2026")
    np_ = nora.page()
    np_.goto(b.made["nora-metric-url"])
    np_.click("a.btn:has-text('Correct') >> nth=0")
    np_.wait_for_url("**/corrections/mea_*")
    np_.fill("#co-value", "15")
    np_.fill("#co-reason", "typo: 3 for 15 accounts")
    assert axe_violations(np_) == [], np_.url
    shot(np_, "empty-correction")
    with np_.expect_navigation():
        np_.click("#correction-form button[type=submit]")
    assert "checked_in=mea_" in np_.url
    history = np_.inner_text("#main")
    assert "Correction: typo: 3 for 15 accounts" in history
    assert np_.locator("tr.superseded").count() == 1  # the wrong one, still in the history
    assert np_.inner_text("#fig-last").startswith("15 ")
    assert axe_violations(np_) == [], np_.url
    shot(np_, "empty-metric-corrected")
    assert nora.errors == []
    nora.context.close()
    # The cockpit recomputes from the corrected value.
    assert _objective_status_on_cockpit(b, "Sign 40 northern accounts") == "s-ok ● On track"


#: The journey, in order; other areas append their steps (they run after these).
STEPS: list[Callable[[Build], None]] = [
    step_org_units, step_people, step_theme, step_objectives, step_settings_and_rules,
    step_review_rhythm, step_new_people_log_in_and_see_what_their_role_allows,
    step_key_results_with_plans, step_initiatives_milestones_and_a_cross_team_dependency,
    step_a_controller_adds_a_budget_line,
    step_the_owner_checks_in_and_the_cockpit_shows_the_computed_status,
    step_the_wrong_check_in_is_corrected_and_the_correction_is_in_the_history,
]


def test_a_company_is_built_from_an_empty_workspace_with_the_pages_only(
        empty: World, chromium: Any) -> None:
    admin = login(chromium, empty, "admin", DESKTOP, password=PASSWORD)
    b = Build(chromium, empty, admin, admin.page())
    for step in STEPS:
        started = time.monotonic()
        step(b)
        print(f"{step.__name__}: {time.monotonic() - started:.1f} s")  # shown with -s
        assert admin.errors == [], step.__name__
    tablet = login(chromium, empty, "admin", TABLET, password=PASSWORD)
    tp = tablet.page()
    for path, name in b.shots:
        tp.goto(path)
        assert axe_violations(tp) == [], path
        shot(tp, f"empty-{name}")
    assert tablet.errors == []
    tablet.context.close()
    admin.context.close()

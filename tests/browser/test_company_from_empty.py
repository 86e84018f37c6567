"""A company built from an EMPTY workspace using only the pages: org units, people with
logins and roles, a theme and three levels of aligned objectives.

The journey is a list of small step functions over one `Build` (what has been made so
far, by name); other page areas append their own steps (key results, plans, initiatives,
milestones, budget, dependencies) to STEPS. Every page a step opens is checked for
console errors and serious/critical axe violations, and screenshotted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

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


#: The journey, in order; other areas append their steps (they run after these).
STEPS: list[Callable[[Build], None]] = [
    step_org_units, step_people, step_theme, step_objectives, step_settings_and_rules,
    step_review_rhythm, step_new_people_log_in_and_see_what_their_role_allows,
]


def test_a_company_is_built_from_an_empty_workspace_with_the_pages_only(
        empty: World, chromium: Any) -> None:
    admin = login(chromium, empty, "admin", DESKTOP, password=PASSWORD)
    b = Build(chromium, empty, admin, admin.page())
    for step in STEPS:
        step(b)
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

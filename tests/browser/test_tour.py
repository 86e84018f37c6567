"""Every page in a real browser: no console error, no serious accessibility violation,
and a screenshot at 1366×768 and 820×1180 in artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, TABLET, Session, World, axe_violations, shot

PAGES: list[tuple[str, Callable[[World], str]]] = [
    ("my-work", lambda w: "/my-work"),
    ("cockpit", lambda w: "/cockpit"),
    ("objectives", lambda w: "/objectives"),
    ("objective", lambda w: f"/objectives/obj_{w.objective}"),
    ("metrics", lambda w: "/metrics"),
    ("metric", lambda w: f"/metrics/met_{w.metric}"),
    ("initiatives", lambda w: "/initiatives"),
    ("initiative", lambda w: f"/initiatives/ini_{w.initiative}"),
    ("explorer", lambda w: "/explorer"),
    ("findings", lambda w: "/findings"),
    ("escalations", lambda w: "/escalations?who=all"),
    ("decisions", lambda w: "/decisions"),
    ("units", lambda w: "/units"),
    ("unit", lambda w: f"/units/org_{w.unit}"),
    ("admin", lambda w: "/admin"),
    ("admin-people", lambda w: "/admin/people"),
    ("admin-themes", lambda w: "/admin/themes"),
    ("admin-cadences", lambda w: "/admin/cadences"),
    ("admin-tokens", lambda w: "/admin/tokens"),
    ("not-found", lambda w: "/objectives/obj_999999"),
]


def _visit(session: Session, path: str) -> Any:
    page = session.page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_cleanly_and_accessibly_at_both_sizes(
        name: str, path: Callable[[World], str], world: World, office: Session,
        office_tablet: Session) -> None:
    page = _visit(office, path(world))
    assert page.viewport_size == DESKTOP
    assert page.locator("h1").count() >= 1
    violations = axe_violations(page)
    shot(page, name)
    page.close()
    tablet = _visit(office_tablet, path(world))
    shot(tablet, name)
    tablet.close()
    errors = [e for e in office.errors + office_tablet.errors
              if not (name == "not-found" and "404" in e)]
    office.errors.clear()
    office_tablet.errors.clear()
    assert errors == []
    assert violations == []


def test_the_login_page_is_clean_accessible_and_lists_the_demo_users(
        browser: Any, world: World) -> None:
    for size in (DESKTOP, TABLET):
        ctx = browser.new_context(viewport=size, base_url=world.url)
        s = Session(ctx, [])
        page = s.page()
        page.goto("/my-work")
        page.wait_for_url(lambda u: "/login?next=" in u)
        assert "owner@demo.example" in page.inner_text(".demo-users")
        if size == DESKTOP:
            assert axe_violations(page) == []
        shot(page, "login")
        assert s.errors == []
        ctx.close()


def test_the_strategy_map_draws_nodes_coloured_by_status_and_opens_an_objective(
        world: World, office: Session) -> None:
    page = _visit(office, "/cockpit")
    page.wait_for_function("window.steercoMap && window.steercoMap.nodes('.objective').length")
    n = page.evaluate("window.steercoMap.nodes('.objective, .aggregate').length")
    assert 0 < n <= 100
    target = page.evaluate(
        "(() => { const n = window.steercoMap.nodes('.objective')[0];"
        " n.emit('mouseover'); return n.data('href'); })()")
    assert page.locator("#map-tip").is_visible()
    page.evaluate("window.steercoMap.nodes('.objective')[0].emit('tap')")
    page.wait_for_url(f"**{target}")
    assert page.locator("#objective-status .badge").count() == 1
    page.close()
    assert office.errors == []

"""The pages a newcomer found wanting on `make run`, in a real browser at 1366×768 and
820×1180: the finance list spans the page, the dependency graph fits its panel with
labels one can read, an empty explorer scope says why, the terms carry their
explanation. Zero console errors, no serious or critical axe violation, screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from steerco.accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import DESKTOP, TABLET, World, axe_violations, login, shot

SIZES = [DESKTOP, TABLET]
IDS = ["1366x768", "820x1180"]


def _office(browser: Any, world: World, viewport: dict[str, int]) -> Any:
    who = next(login_ for login_, r in world.demo if r == "strategy_office")
    return login(browser, world, "strategy_office", viewport, as_login=who,
                 password=DEMO_PASSWORD)


def _check(page: Any, name: str) -> None:
    assert axe_violations(page) == [], name
    shot(page, f"pages-{name}")
    width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= inner, f"{name}: {width} px wide in a {inner} px window"


@pytest.fixture(scope="module")
def quiet_unit(world: World) -> int:
    """An org unit without any initiative: its explorer scope has nothing to draw."""
    from steerco.db.engine import make_engine
    from steerco.db.models import OrgUnit

    engine = make_engine(world.database)
    with engine.begin() as conn:
        root = conn.execute(select(OrgUnit.id, OrgUnit.kind).where(
            OrgUnit.workspace_id == world.ws, OrgUnit.parent_id.is_(None))).first()
        assert root is not None
        uid = conn.execute(OrgUnit.__table__.insert().values(
            workspace_id=world.ws, name="Quiet unit", code="QUIET", kind=root.kind,
            parent_id=root.id).returning(OrgUnit.id)).scalar_one()
    engine.dispose()
    return int(uid)


@pytest.mark.parametrize("viewport", SIZES, ids=IDS)
def test_the_finance_list_spans_the_page(browser: Any, world: World,
                                         viewport: dict[str, int]) -> None:
    sess = _office(browser, world, viewport)
    page = sess.page()
    page.goto("/finance")
    card = page.eval_on_selector("#lines",
                                 "e => e.closest('section').getBoundingClientRect().width")
    inner = page.eval_on_selector(".page", "e => e.clientWidth - 40")  # its padding
    assert card >= 0.97 * inner, f"the list is {card} px of {inner} px"
    _check(page, "finance")
    assert sess.errors == []
    sess.context.close()


def _graph(page: Any) -> dict[str, Any]:
    page.wait_for_function("window.steercoGraph && window.steercoGraph.nodes().length > 0")
    page.wait_for_timeout(300)
    return page.evaluate("""() => {
        const cy = window.steercoGraph, el = document.getElementById('dep-graph');
        const box = el.getBoundingClientRect();
        const core = cy.nodes().not('.outside');
        const bb = (core.length ? core : cy.nodes()).renderedBoundingBox();
        const all = cy.nodes().renderedBoundingBox();
        return {zoom: cy.zoom(), w: el.clientWidth, h: el.clientHeight, top: box.top,
                bottom: box.bottom, core: bb, all: all, n: cy.nodes().length};
    }""")


@pytest.mark.parametrize("viewport", SIZES, ids=IDS)
@pytest.mark.parametrize("path", ["/explorer", "/explorer?view=all"], ids=["start", "all"])
def test_the_dependency_graph_fits_its_panel_with_legible_labels(
        browser: Any, world: World, viewport: dict[str, int], path: str) -> None:
    sess = _office(browser, world, viewport)
    page = sess.page()
    page.goto(path)
    g = _graph(page)
    # Labels are 13 px at zoom 1: never drawn below 9 px.
    assert g["zoom"] * 13 >= 9 - 1e-6, g
    # The panel fits in the window, whole; the whole graph fits the panel, or else the
    # items in scope are centred in it.
    assert 360 <= g["h"] <= viewport["height"] - 200, g
    whole = g["all"]
    fits = whole["x1"] >= -1 and whole["y1"] >= -1 and whole["x2"] <= g["w"] + 1 \
        and whole["y2"] <= g["h"] + 1
    if not fits:
        mid_x = (g["core"]["x1"] + g["core"]["x2"]) / 2
        mid_y = (g["core"]["y1"] + g["core"]["y2"]) / 2
        assert abs(mid_x - g["w"] / 2) < 2 and abs(mid_y - g["h"] / 2) < 2, g
    _check(page, "explorer-" + ("all" if "all" in path else "start"))
    # "Fit all" shows every item.
    page.click("#graph-fit")
    after = page.evaluate("window.steercoGraph.nodes().renderedBoundingBox()")
    assert after["x1"] >= -1 and after["x2"] <= g["w"] + 1 and after["y2"] <= g["h"] + 1
    assert sess.errors == []
    sess.context.close()


@pytest.mark.parametrize("viewport", SIZES, ids=IDS)
def test_an_empty_explorer_scope_says_why_and_links_to_all_dependencies(
        browser: Any, world: World, quiet_unit: int, viewport: dict[str, int]) -> None:
    sess = _office(browser, world, viewport)
    page = sess.page()
    page.goto(f"/explorer?unit=org_{quiet_unit}")
    note = page.inner_text("#explorer-empty")
    assert "No initiative in Quiet unit has a dependency" in note
    _check(page, "explorer-empty")
    page.click("#explorer-empty a[href='/explorer?view=all']")
    page.wait_for_url("**/explorer?view=all")
    assert _graph(page)["n"] > 0
    assert sess.errors == []
    sess.context.close()


@pytest.mark.parametrize("viewport", SIZES, ids=IDS)
def test_the_pages_with_new_words_read_well(browser: Any, world: World,
                                            viewport: dict[str, int]) -> None:
    """Every page whose words changed: headings as in the top bar, terms explained."""
    sess = _office(browser, world, viewport)
    page = sess.page()
    for path, name in (("/my-work", "my-work"), ("/cockpit", "cockpit"),
                       ("/initiatives", "initiatives"), (f"/initiatives/ini_{world.initiative}",
                                                          "initiative"),
                       ("/findings", "findings"), ("/escalations?who=all", "escalations"),
                       ("/decisions", "decisions"), ("/accuracy", "accuracy")):
        page.goto(path)
        _check(page, name)
    page.goto("/initiatives")
    assert page.locator("abbr[title^='Schedule performance index']").count() > 0
    assert sess.errors == []
    sess.context.close()

"""The accuracy page (owners' confidences judged, named) and schedule risk on the
initiative page and the explorer."""

from __future__ import annotations

from tests.browser.conftest import Session, World, axe_violations, shot


def test_the_accuracy_page_explains_the_scores_and_names_owners(
        world: World, office: Session, office_tablet: Session) -> None:
    page = office.page()
    page.goto("/accuracy")
    assert page.inner_text("h1") == "Forecast accuracy"
    text = page.inner_text("main")
    assert "Brier score" in text and "over-confident" in text
    assert "per_" not in page.inner_text("main table") if page.locator("main table").count() \
        else "No check-in confidence" in text
    assert axe_violations(page) == []
    shot(page, "accuracy")
    tablet = office_tablet
    p2 = tablet.page()
    p2.goto("/accuracy")
    shot(p2, "accuracy")
    assert office.errors == [] and tablet.errors == []


def test_the_initiative_page_shows_its_chance_of_landing_on_time(
        world: World, office: Session, office_tablet: Session) -> None:
    for sess in (office, office_tablet):
        page = sess.page()
        page.goto(f"/initiatives/ini_{world.initiative}")
        block = page.locator("#schedule-risk")
        assert block.count() == 1 and "simulated futures" in block.inner_text()
        assert axe_violations(page) == []
        block.scroll_into_view_if_needed()
        shot(page, "initiative-schedule-risk")
        page.goto("/explorer")
        assert page.locator("#dep-risk li").count() > 0
        shot(page, "explorer-dependency-risk")
    assert office.errors == [] and office_tablet.errors == []

"""The accuracy page: owners' check-in confidences judged, named, with a reliability table."""

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

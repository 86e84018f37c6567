"""A review meeting in the browser: from the review list to the review's agenda, meeting
mode item by item (a decision and an action recorded on the spot, refusals naming the
field with the input kept), closing the review, the action marked done and the series
ended and resumed from the review's page, and its pack downloaded as PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.conftest import Session, World, axe_violations, shot


def _schedule(world: World) -> tuple[str, str]:
    """A weekly review of the whole company tomorrow, with an open escalation about the
    owner's metric; returns (review id, metric name)."""
    from sqlalchemy import select

    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.models import Metric
    from steerco.governance.service import create_review, open_escalation

    engine = make_engine(world.database)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        metric = s.scalars(select(Metric).where(Metric.id == world.metric)).one()
        open_escalation(s, world.ws, signal_kind="off_track", subject_kind="metric",
                        subject_id=metric.id, summary="Off track for three periods",
                        assignee_id=metric.owner_id, rung=1)
        review = create_review(s, world.ws, {
            "kind": "weekly_ops", "title": "Company weekly (browser)",
            "scheduled_for": (dt.date.today() + dt.timedelta(days=1)).isoformat()})
        rid, name = f"rev_{review.id}", metric.name
    engine.dispose()
    return rid, name


def test_a_review_is_run_item_by_item_closed_and_its_pack_downloaded(
        world: World, office: Session, office_tablet: Session) -> None:
    rid, metric = _schedule(world)
    page = office.page()
    page.goto("/reviews")
    page.click(f"a[href='/reviews/{rid}'] >> nth=0")
    page.wait_for_url(f"**/reviews/{rid}")
    page.click("#regenerate")
    page.wait_for_selector("#meeting-mode")
    agenda = page.inner_text("#main")
    assert metric in agenda and "Decisions requested" in agenda
    assert "rev_" not in page.inner_text("h1")
    assert axe_violations(page) == []
    shot(page, "review")

    page.click("#meeting-mode")
    page.wait_for_url(f"**/reviews/{rid}/meeting")
    assert metric in page.inner_text("#h-item")
    # A decision without a reason is refused in place, the kind chosen kept.
    page.select_option("#d-kind", "reallocate")
    page.click("#record-decision")
    page.wait_for_selector("#err-rationale")
    assert "Say why" in page.inner_text("#err-rationale")
    assert page.input_value("#d-kind") == "reallocate"
    page.fill("#d-rationale", "Move two engineers from the portal to the pricing engine")
    page.click("#record-decision")
    page.wait_for_selector("#saved")
    assert "Move two engineers" in page.inner_text("section[aria-labelledby=h-taken]")
    # An action whose owner nobody is called: refused naming the field, input kept.
    page.fill("#a-title", "Re-plan the pricing release")
    page.fill("#a-owner", "Nobody Called This")
    page.click("#record-action")
    page.wait_for_selector("#err-owner")
    assert "No person is called “Nobody Called This”" in page.inner_text("#err-owner")
    assert page.input_value("#a-title") == "Re-plan the pricing release"
    assert axe_violations(page) == []
    shot(page, "review-meeting-error")
    page.fill("#a-owner", page.inner_text(".who-name"))
    page.fill("#a-due", (dt.date.today() + dt.timedelta(days=14)).isoformat())
    page.click("#record-action")
    page.wait_for_selector("#saved")
    page.click("#mark-discussed")
    page.wait_for_selector("text=1 of")
    assert "discussed" in page.inner_text("section[aria-labelledby=h-walk]")
    assert axe_violations(page) == []
    shot(page, "review-meeting")

    tablet = office_tablet.page()
    tablet.goto(f"/reviews/{rid}/meeting")
    assert axe_violations(tablet) == []
    shot(tablet, "review-meeting")
    tablet.goto(f"/reviews/{rid}")
    shot(tablet, "review")
    tablet.goto("/reviews")
    assert axe_violations(tablet) == []
    shot(tablet, "reviews")

    page.click("#close-review")
    page.wait_for_url(f"**/reviews/{rid}?closed=1")
    text = page.inner_text("#main")
    assert "The review is closed" in text and "Re-plan the pricing release" in text
    assert page.locator("#meeting-mode").count() == 0
    # The action given at the meeting is marked done from the review's page, then the
    # series is ended (refused until confirmed) and resumed.
    page.click("button[aria-label='Mark done: Re-plan the pricing release']")
    page.wait_for_url(f"**/reviews/{rid}#h-actions")
    row = page.locator("#actions li", has_text="Re-plan the pricing release")
    assert "Done" in row.inner_text() and row.locator("text=Reopen").count() == 1
    assert axe_violations(page) == []
    shot(page, "review-action-done")
    page.click("#series-end")
    page.wait_for_selector("#err-series")
    assert "Tick 'Yes, end this series'" in page.inner_text("#err-series")
    assert axe_violations(page) == []
    page.check("#series-confirm")
    page.click("#series-end")
    page.wait_for_selector("#series-saved")
    assert page.inner_text("#series-state").startswith("Ended")
    assert axe_violations(page) == []
    page.click("#series-resume")
    page.wait_for_selector("#series-end")
    assert "Goes on at its cadence" in page.inner_text("#series-state")
    pdf: Any = page.request.get(f"/reviews/{rid}/pack.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    page.goto("/reviews")
    assert axe_violations(page) == []
    shot(page, "reviews")
    assert office.errors == [] and office_tablet.errors == []

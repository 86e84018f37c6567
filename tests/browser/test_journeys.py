"""The journeys of issue 6, end to end in a real browser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.browser.conftest import Session, World


def _status_text(page: object, selector: str) -> str:
    text = page.locator(selector).inner_text()  # type: ignore[attr-defined]
    return " ".join(text.split())


def test_an_owner_checks_in_with_evidence_and_the_metric_and_objective_update(
        world: World, owner: Session, tmp_path: Path) -> None:
    page = owner.page()
    page.goto(f"/metrics/met_{world.metric}")
    before_forecast = page.inner_text("#fig-forecast")
    before_objectives = page.inner_text("#metric-objectives")
    before_status = _status_text(page, "#metric-status")
    evidence = tmp_path / "board-pack.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence of the quarter")
    # A value far below anything recorded (yet inside the metric's bounds: the demo's
    # metric is a percentage, which cannot be negative) moves the forecast and the status.
    page.fill("#ci-value", "0")
    page.fill("#ci-as-of", dt.date.today().isoformat())
    page.fill("#ci-url", "https://reports.example.com/q3")
    page.set_input_files("#ci-file", str(evidence))
    page.fill("#ci-conf", "80")
    page.fill("#ci-note", "Quarter close, signed off by finance")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_url("**checked_in=mea_*")
    assert "Checked in" in page.inner_text("#checkin-done")
    assert page.inner_text("#fig-last").startswith("0")
    assert page.inner_text("#fig-forecast") != before_forecast
    after_status = _status_text(page, "#metric-status")
    assert after_status != "● On track" and (
        after_status in ("■ Off track", "✕ Missed") or after_status != before_status)
    assert page.locator("a:has-text('file')").first.get_attribute("href", timeout=2000)
    after_objectives = page.inner_text("#metric-objectives")
    assert "Off track" in after_objectives or after_objectives != before_objectives
    # The objective's own page shows the new evidence too.
    page.click("#metric-objectives a >> nth=0")
    page.wait_for_url("**/objectives/obj_*")
    assert page.locator(f"[data-metric-status='met_{world.metric}']").count() == 1
    # Far below plan: whatever the forecast makes of one wild value, not on track.
    shown = page.inner_text(f"[data-metric-status='met_{world.metric}']")
    assert any(s in shown for s in ("At risk", "Off track", "Missed")), shown
    assert owner.errors == []


def test_bad_check_in_input_shows_the_message_in_place_and_keeps_the_input(
        world: World, owner: Session) -> None:
    page = owner.page()
    page.goto(f"/metrics/met_{world.metric}")
    page.fill("#ci-value", "twelve")
    page.fill("#ci-url", "not a link")
    page.fill("#ci-note", "my carefully written note")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_selector("#err-value")
    assert "number" in page.inner_text("#err-value")
    assert "http" in page.inner_text("#err-evidence_url")
    assert page.input_value("#ci-value") == "twelve"
    assert page.input_value("#ci-url") == "not a link"
    assert page.input_value("#ci-note") == "my carefully written note"
    assert page.get_attribute("#ci-value", "aria-invalid") == "true"
    assert "/checkin" not in page.url
    assert owner.errors == []


def test_a_viewer_sees_the_metric_but_cannot_check_in(world: World, viewer: Session) -> None:
    page = viewer.page()
    page.goto(f"/metrics/met_{world.metric}")
    assert page.locator("#checkin-form").count() == 0
    assert "can check in" in page.inner_text("#checkin-refused")
    # Posting the form anyway is refused with the friendly 403 page.
    csrf = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    resp = page.request.post(f"/metrics/met_{world.metric}/checkin",
                             multipart={"csrf_token": csrf, "value": "1",
                                        "as_of": dt.date.today().isoformat()})
    assert resp.status == 403
    assert "You may not see this" in resp.text()
    assert viewer.errors == []


def test_a_slip_on_the_explorer_highlights_and_lists_its_ripple(
        world: World, owner: Session) -> None:
    page = owner.page()
    page.goto(f"/explorer?initiative=ini_{world.initiative}")
    page.wait_for_function("window.steercoGraph && window.steercoGraph.nodes().length > 0")
    options = page.eval_on_selector_all("#slip-milestone option",
                                        "els => els.map(e => e.value).filter(Boolean)")
    assert options
    best = None
    for value in options[:12]:
        page.select_option("#slip-milestone", value)
        page.fill("#slip-days", "60")
        page.click("#whatif-form button[type=submit]")
        page.wait_for_selector("#ripple-result")
        moved = page.evaluate("window.steercoGraph.nodes('.moved').length")
        if moved:
            best = value
            break
    assert best is not None, "no milestone in scope moves anything when it slips"
    text = page.inner_text("#ripple")
    assert "slipping 60 days moves" in text
    assert page.evaluate("window.steercoGraph.nodes('.picked').length") == 1
    assert owner.errors == []


def test_bad_what_if_input_is_explained(world: World, owner: Session) -> None:
    page = owner.page()
    page.goto(f"/explorer?initiative=ini_{world.initiative}")
    page.fill("#slip-days", "0")
    page.click("#whatif-form button[type=submit]")
    page.wait_for_selector("#ripple .alert-bad")
    text = page.inner_text("#ripple")
    assert "Pick a milestone" in text and "whole number of days" in text
    assert owner.errors == []

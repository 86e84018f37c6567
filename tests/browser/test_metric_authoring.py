"""Metrics built in the browser: a key result created from its objective by names, its
plan pasted from a spreadsheet, causal links (a loop refused), a wrong check-in voided by
its owner with a reason, and a save that lost a race refused with who changed what."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from steerco.db.models import Metric, Person
from tests.browser.conftest import TABLET, Session, World, axe_violations, login, shot

KR = "Nordic net promoter score"


def _names(world: World) -> tuple[str, str]:
    """(the owner's name, the name of the world's metric)."""
    engine = create_engine(world.database)
    with engine.connect() as c:
        owner, metric = c.execute(select(Person.name, Metric.name).join(
            Metric, Metric.owner_id == Person.id).where(Metric.id == world.metric)).one()
    engine.dispose()
    return str(owner), str(metric)


@pytest.fixture(scope="module")
def created(world: World, browser: Any) -> str:
    """The key result created (by the strategy office) from the objective's page."""
    office = login(browser, world, "strategy_office")
    page = office.page()
    page.goto(f"/objectives/obj_{world.objective}")
    page.click("#add-key-result")
    page.wait_for_url("**/metrics/new?objective=*")
    assert page.input_value("#me-objective") != ""  # the objective, by its title
    page.fill("#me-name", KR)
    page.fill("#me-unit", "points")
    page.fill("#me-baseline", "10")
    page.fill("#me-target", "forty")
    page.fill("#me-owner", "Nobody Called This")
    page.click("#metric-form button[type=submit]")
    assert "No person is called “Nobody Called This”" in page.inner_text("#err-owner")
    assert "“forty” is not a number" in page.inner_text("#err-target_value")
    assert page.input_value("#me-name") == KR  # kept
    assert axe_violations(page) == []
    shot(page, "metric-new-error")
    page.fill("#me-owner", _names(world)[0])
    page.fill("#me-target", "40")
    page.fill("#me-baseline-date", (dt.date.today() - dt.timedelta(days=30)).isoformat())
    page.click("#metric-form button[type=submit]")
    page.wait_for_url("**/metrics/met_*/edit?saved=*")
    mid = page.url.split("/metrics/")[1].split("/")[0]
    assert office.errors == []
    office.context.close()
    return mid


def test_a_plan_pasted_from_a_spreadsheet_bad_lines_named_nothing_saved(
        world: World, created: str, office: Session) -> None:
    page = office.page()
    page.goto(f"/metrics/{created}/edit")
    d1 = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    d2 = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    page.fill("#plan-paste", f"Date\tPlan\n{d1}\t20\n{d2}\tlots\n31.02.2026\t30\n")
    page.click("#plan-form button[type=submit]")
    errors = page.inner_text("#plan-errors")
    assert "Nothing was saved" in errors
    assert "line 3: “lots” is not a number" in errors
    assert "line 4: “31.02.2026” is not a date" in errors
    assert page.input_value("#plan-paste").startswith("Date\tPlan")  # kept
    assert page.input_value("#plan-body tr:first-child input[name=on]") == ""  # none saved
    page.fill("#plan-paste", f"Date\tPlan\n{d2}\t30\n{d1}\t20\n")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert page.input_value("#plan-body tr:nth-child(1) input[name=on]") == d1
    assert page.input_value("#plan-body tr:nth-child(2) input[name=value]") == "30"
    # The table itself: remove a row and save.
    page.click("#plan-body tr:nth-child(2) [data-clear-row]")
    page.click("[data-add-row=plan-body]")
    page.fill("#plan-body tr:last-child input[name=on]", d2)
    page.fill("#plan-body tr:last-child input[name=value]", "35")
    page.click("#plan-form button[type=submit]")
    expect(page.locator("#plan-body tr:nth-child(2) input[name=value]")).to_have_value("35")
    assert page.locator("#plan-body tr").count() == 4  # two points and two empty rows
    assert axe_violations(page) == []
    shot(page, "metric-edit")
    assert office.errors == []


def test_causal_links_by_name_a_self_link_and_a_loop_refused(
        world: World, created: str, office: Session) -> None:
    page = office.page()
    page.goto(f"/metrics/{created}/edit")
    page.fill("#ml-other", KR)
    page.click("#link-form button[type=submit]")
    assert "a metric cannot drive itself" in page.inner_text("#err-other")
    other = _names(world)[1]
    page.fill("#ml-other", other)
    page.fill("#ml-lag", "30")
    page.click("#link-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert f"drives “{other}”" in page.inner_text("#links")
    page.select_option("#ml-direction", "driven_by")
    page.fill("#ml-other", other)
    page.click("#link-form button[type=submit]")
    message = page.inner_text("#err-other")
    assert "This would close a loop of causes" in message and f"“{KR}”" in message
    assert page.input_value("#ml-other") == other  # kept
    assert axe_violations(page) == []
    shot(page, "metric-edit-loop")
    assert office.errors == []


def test_the_owner_voids_a_wrong_check_in_with_a_reason(
        world: World, created: str, owner: Session, browser: Any) -> None:
    page = owner.page()
    page.goto(f"/metrics/{created}")
    page.fill("#ci-value", "20")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_url("**checked_in=*")
    page.fill("#ci-value", "1e20")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_selector("#outlier-warning")
    first = page.url
    page.check("#ci-confirm-outlier")
    page.click("#checkin-form button[type=submit]")
    page.wait_for_url(lambda u: "checked_in=" in u and u != first)
    assert "e20" in page.inner_text("#fig-last")  # the typo is the evidence now
    page.click("a.btn:has-text('Void') >> nth=0")
    page.wait_for_url("**/voids/mea_*")
    assert "1.00e20 points" in page.inner_text("#old-checkin")
    page.click("#void-form button[type=submit]")
    assert "Say why this check-in is wrong" in page.inner_text("#err-reason")
    assert axe_violations(page) == []
    shot(page, "void-error")
    tablet = login(browser, world, "owner", TABLET)
    tp = tablet.page()
    tp.goto(page.url)
    shot(tp, "void")
    assert axe_violations(tp) == [] and tablet.errors == []
    tablet.context.close()
    page.fill("#vo-reason", "typo: 1e20 for 20")
    page.click("#void-form button[type=submit]")
    page.wait_for_url(f"**/metrics/{created}?voided=*")
    history = page.inner_text("#main")
    owner_name = _names(world)[0]
    assert f"voided by {owner_name} on " in history and ": typo: 1e20 for 20" in history
    assert page.locator("tr[data-voided]").count() == 1
    assert page.inner_text("#fig-last").startswith("20 ")  # gone from the evidence
    assert page.locator("tr[data-voided] a:has-text('Void')").count() == 0
    assert axe_violations(page) == []
    shot(page, "metric-voided")
    assert owner.errors == []


def test_two_tabs_editing_one_metric_the_second_save_is_refused_with_who_and_what(
        world: World, created: str, office: Session, browser: Any) -> None:
    first, second = office.page(), office.page()
    url = f"/metrics/{created}/edit"
    first.goto(url)
    second.goto(url)
    first.fill("#me-name", KR + " (first tab)")
    first.click("#metric-form button[type=submit]")
    first.wait_for_url(f"**/metrics/{created}?saved=*")
    second.fill("#me-unit", "NPS points")
    second.click("#metric-form button[type=submit]")
    second.wait_for_selector("#conflict")
    conflict = second.inner_text("#conflict")
    assert "changed by " in conflict and " UTC" in conflict
    assert f"Name: “{KR}” → “{KR} (first tab)”" in conflict
    assert second.input_value("#me-unit") == "NPS points"  # input kept
    assert axe_violations(second) == []
    shot(second, "metric-edit-conflict")
    tablet = login(browser, world, "strategy_office", TABLET)
    tp = tablet.page()
    tp.goto(url)
    shot(tp, "metric-edit")
    tp.goto("/metrics/new")
    shot(tp, "metric-new")
    assert axe_violations(tp) == [] and tablet.errors == []
    tablet.context.close()
    assert office.errors == []


def test_check_ins_delegated_and_withdrawn_by_name(
        world: World, created: str, office: Session) -> None:
    owner_name = _names(world)[0]
    engine = create_engine(world.database)
    with engine.connect() as c:
        deputy = str(c.execute(select(Person.name).where(
            Person.workspace_id == world.ws, Person.name != owner_name,
            Person.active.is_(True)).order_by(Person.id.desc()).limit(1)).scalar_one())
    engine.dispose()
    page = office.page()
    page.goto(f"/metrics/{created}/edit")
    page.fill("#mu-person", owner_name)
    page.click("#updater-form button[type=submit]")
    assert "owns this metric and can check in on it already" in page.inner_text(
        "#err-person")
    page.fill("#mu-person", deputy)
    page.click("#updater-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert deputy in page.inner_text("#updaters")
    page.click(f"#updaters button[aria-label='Remove {deputy} from who may check in']")
    page.wait_for_url("**/edit?saved=*")
    assert deputy not in page.inner_text("#updaters")
    assert axe_violations(page) == [] and office.errors == []

"""A metric's SQL feed set on its edit page: a non-SELECT refused in place with the query
kept, the URL never shown back, "Run now" storing the rows, a failure shown on the page."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import create_engine, select

from steerco.db.models import Measurement
from tests.browser.conftest import Session, World, axe_violations, shot


def _source(tmp_path: Path, world: World) -> str:
    """A SQLite file with one row: today, at the metric's newest value (plausible)."""
    engine = create_engine(world.database)
    with engine.connect() as c:
        value = c.execute(select(Measurement.value).where(
            Measurement.metric_id == world.metric).order_by(
            Measurement.as_of.desc(), Measurement.id.desc()).limit(1)).scalar_one()
    engine.dispose()
    path = tmp_path / "warehouse.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE kpi (day TEXT, v REAL)")
    con.execute("INSERT INTO kpi VALUES (?, ?)", (dt.date.today().isoformat(), value))
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_a_feed_is_set_refused_run_and_shown_without_its_password(
        world: World, office: Session, office_tablet: Session, tmp_path: Path) -> None:
    page: Any = office.page()
    page.goto(f"/metrics/met_{world.metric}/edit#feed")
    page.fill("#mf-url", "postgresql+psycopg://feeder:Sup3r-s3cret@127.0.0.1:1/sales")
    page.fill("#mf-query", "DELETE FROM kpi")
    page.click("#feed-form button[type=submit]")
    assert "starts with 'DELETE'" in page.inner_text("#err-feed_query")
    assert page.input_value("#mf-query") == "DELETE FROM kpi"  # kept
    assert page.input_value("#mf-url") == ""  # a secret is never sent back
    assert axe_violations(page) == []
    shot(page, "metric-feed-refused")
    page.fill("#mf-url", _source(tmp_path, world))
    page.fill("#mf-query", "SELECT day, v FROM kpi")
    page.click("#feed-form button[type=submit]")
    page.wait_for_selector("#feed dl.facts")
    page.click("#feed button:has-text('Run now')")
    expect(page.locator("#feed")).to_contain_text("1 stored")
    assert "1 row(s) read, 1 stored" in page.inner_text("#feed")
    assert axe_violations(page) == [] and office.errors == []
    shot(page, "metric-feed")
    tablet: Any = office_tablet.page()
    tablet.goto(f"/metrics/met_{world.metric}/edit#feed")
    assert "warehouse.db" in tablet.inner_text("#feed")
    shot(tablet, "metric-feed")
    assert office_tablet.errors == []
    page.click("#feed button:has-text('Remove the feed')")
    page.wait_for_url("**/edit?saved=*")
    assert "Checked in by hand" in page.inner_text("#feed")

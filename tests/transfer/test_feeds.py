"""SQL feeds: a metric fed by a read-only SELECT against a SQLite file or a PostgreSQL
database; no row stored twice; failures recorded and told; secrets never shown."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.orm import Session

from steerco.db.enums import Source
from steerco.db.models import AuditEntry, Measurement, OutboxMessage
from steerco.jobs import events
from steerco.jobs.schedule import DAILY
from steerco.kit.errors import ValidationFailed
from steerco.transfer.feeds import service, source
from tests.factories import World, world

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
QUERY = "SELECT day AS as_of, amount AS value FROM sales ORDER BY day"
SECRET = "Sup3r-s3cret-pw"


def _sqlite_source(path: Path, rows: list[tuple[str, float]]) -> str:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS sales (day TEXT, amount REAL)")
    con.executemany("INSERT INTO sales VALUES (?, ?)", rows)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def _stored(session: Session, metric_id: int) -> list[tuple[dt.date, float, Source]]:
    rows = session.scalars(select(Measurement).where(Measurement.metric_id == metric_id)
                           .order_by(Measurement.as_of))
    return [(m.as_of, m.value, m.source) for m in rows]


def _outbox(session: Session, ws: int) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.workspace_id == ws, OutboxMessage.kind == service.KIND)))


@pytest.fixture()
def w(session: Session) -> World:
    return world(session)


def test_a_sqlite_feed_stores_new_rows_once_as_sql_measurements(w: World, tmp_path: Path
                                                                ) -> None:
    m = w.metric("Net revenue")
    url = _sqlite_source(tmp_path / "src.db", [("2026-02-01", 110.0), ("2026-03-01", 120.0)])
    service.save(w.session, w.wid, m, {"url": url, "query": QUERY + ";"})
    first = service.run_feeds(w.session, w.wid, NOW)
    assert [(r.metric, r.read, r.stored, r.error) for r in first] == [
        ("Net revenue", 2, 2, None)]
    assert _stored(w.session, m.id) == [(dt.date(2026, 2, 1), 110.0, Source.SQL),
                                        (dt.date(2026, 3, 1), 120.0, Source.SQL)]
    # A second run, and one more row in the source: only the new row is stored.
    _sqlite_source(tmp_path / "src.db", [("2026-04-01", 125.0)])
    again = service.run_feeds(w.session, w.wid, NOW, metric=m)
    assert (again[0].read, again[0].stored, again[0].known) == (3, 1, 2)
    assert len(_stored(w.session, m.id)) == 3
    third = service.run_feeds(w.session, w.wid, NOW)
    assert (third[0].stored, third[0].known) == (0, 3)
    assert len(_stored(w.session, m.id)) == 3
    feed = service.FeedRepository(w.session, w.wid).of_metric(m.id)
    assert feed is not None and feed.last_error is None and feed.rows_read == 3
    assert _outbox(w.session, w.wid) == []


def test_the_source_is_opened_read_only(tmp_path: Path) -> None:
    url = _sqlite_source(tmp_path / "ro.db", [("2026-02-01", 1.0)])
    # Past the query check, the connection itself refuses to write.
    with pytest.raises(source.SourceFailed, match=r"readonly"):
        _write_through(url)
    assert source.fetch(url, "select day, amount from sales") == [("2026-02-01", 1.0)]


def _write_through(url: str) -> None:
    """Open the source as fetch does and try to write (the query check bypassed)."""
    from sqlalchemy.pool import NullPool

    eng = create_engine(source._read_only_sqlite(source.parse_url(url)), poolclass=NullPool)
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql("INSERT INTO sales VALUES ('x', 1)")
    except Exception as exc:
        raise source.SourceFailed(str(exc)) from None
    finally:
        eng.dispose()


@pytest.mark.parametrize("query, why", [
    ("DELETE FROM sales", "starts with 'DELETE'"),
    ("select 1, 2; drop table sales", "more than one statement"),
    ("WITH gone AS (DELETE FROM sales RETURNING day, amount) SELECT * FROM gone",
     "uses DELETE"),
    ("SELECT day, amount INTO copy FROM sales", "uses INTO"),
    ("PRAGMA writable_schema = 1", "starts with 'PRAGMA'"),
    ("   ", "is empty"),
])
def test_anything_but_a_single_select_is_refused_naming_the_query(
        w: World, tmp_path: Path, query: str, why: str) -> None:
    m = w.metric()
    url = _sqlite_source(tmp_path / "src.db", [])
    with pytest.raises(ValidationFailed) as exc:
        service.save(w.session, w.wid, m, {"url": url, "query": query})
    assert exc.value.errors[0].field == "query" and why in exc.value.errors[0].message
    # Words inside string literals and comments are not statements.
    ok = service.save(w.session, w.wid, m, {
        "url": url, "query": "SELECT day, amount FROM sales -- no DELETE here\n"
                             "WHERE note <> 'drop; insert'"})
    assert ok.query.startswith("SELECT")


def test_a_failing_query_is_recorded_on_the_metric_and_told_to_its_owner_once(
        w: World, tmp_path: Path) -> None:
    m = w.metric("Net revenue")
    url = _sqlite_source(tmp_path / "src.db", [("2026-02-01", 110.0)])
    service.save(w.session, w.wid, m, {"url": url, "query": "SELECT day, amount FROM nope"})
    r = service.run_feeds(w.session, w.wid, NOW)[0]
    assert r.error and "no such table: nope" in r.error and r.stored == 0
    feed = service.FeedRepository(w.session, w.wid).of_metric(m.id)
    assert feed is not None and feed.last_error == r.error and feed.last_run_at is not None
    msgs = _outbox(w.session, w.wid)
    assert [x.recipient for x in msgs] == ["alice@x.example"]
    ev = events.describe(msgs[0].kind, msgs[0].payload)
    assert "Net revenue" in ev.title and "no such table" in ev.title
    # The same error again: recorded, not told twice; a failed feed is due every day.
    service.run_feeds(w.session, w.wid, NOW)
    assert len(_outbox(w.session, w.wid)) == 1
    assert service.is_due(feed, m, NOW.date(), "UTC")
    # Fixed: the error is cleared by the next good run.
    service.save(w.session, w.wid, m, {"query": QUERY})
    ok = service.run_feeds(w.session, w.wid, NOW)[0]
    assert ok.error is None and ok.stored == 1 and feed.last_error is None


def test_a_refused_row_stores_nothing_and_says_which_row_and_why(w: World, tmp_path: Path
                                                                 ) -> None:
    m = w.metric("Net revenue", min_value=0)
    url = _sqlite_source(tmp_path / "src.db", [
        ("2026-02-01", 110.0), ("2026-13-01", 1.0), ("2026-03-01", -5.0),
        ("2027-01-01", 150.0), ("2026-05-01", float("nan"))])
    service.save(w.session, w.wid, m, {"url": url, "query": "SELECT day, amount FROM sales "
                                                            "ORDER BY rowid"})
    r = service.run_feeds(w.session, w.wid, NOW)[0]
    assert r.error is not None and r.stored == 0 and r.read == 5
    assert "row 2: as_of '2026-13-01' is not a date" in r.error
    assert "row 3 (2026-03-01, -5)" in r.error  # below the metric's minimum
    assert "row 4 (2027-01-01, 150): as_of: 2027-01-01 is after today" in r.error
    assert "row 5: value None is not a number" in r.error  # SQLite keeps NaN as NULL
    assert _stored(w.session, m.id) == []  # the good first row is rolled back too


def test_the_url_password_is_never_shown_logged_or_echoed(w: World, tmp_path: Path) -> None:
    m = w.metric("Net revenue")
    url = f"postgresql+psycopg://feeder:{SECRET}@127.0.0.1:1/sales"  # nothing listens
    feed = service.save(w.session, w.wid, m, {"url": url, "query": QUERY})
    shown = service.public(feed, m)
    assert shown["url"] == "postgresql+psycopg://feeder:***@127.0.0.1:1/sales"
    r = service.run_feeds(w.session, w.wid, NOW)[0]
    assert r.error
    w.session.flush()
    audit = w.session.scalars(select(AuditEntry).where(
        AuditEntry.workspace_id == w.wid, AuditEntry.entity == "metric_feeds")).all()
    assert audit, "the feed is audited"
    everything = json.dumps([shown, service.feeds(w.session, w.wid), r.as_json(),
                             [a.changes for a in audit],
                             [x.payload for x in _outbox(w.session, w.wid)]], default=str)
    assert SECRET not in everything
    # A refused URL is not echoed back either.
    with pytest.raises(ValidationFailed) as exc:
        service.save(w.session, w.wid, m, {"url": f"mysql://u:{SECRET}@h/db", "query": QUERY})
    assert SECRET not in str(exc.value) + repr(exc.value.errors)
    assert source.scrub(f"failed for {url}: {SECRET}", url).count(SECRET) == 0


def test_feeds_run_on_their_metrics_cadence_from_the_daily_job(w: World, tmp_path: Path
                                                                ) -> None:
    weekly = w.metric("Weekly orders", cadence="weekly")
    monthly = w.metric("Monthly revenue", cadence="monthly")
    for m in (weekly, monthly):
        service.save(w.session, w.wid, m, {
            "url": _sqlite_source(tmp_path / f"{m.id}.db", [("2026-02-01", 110.0)]),
            "query": QUERY})
    job = next(j for j in DAILY if j.name == "feeds")
    assert job.run is not None
    assert job.run(w.session, w.wid, NOW.date(), NOW) == {"feeds": 2, "stored": 2,
                                                          "failed": 0}
    later = NOW + dt.timedelta(days=8)
    assert job.run(w.session, w.wid, later.date(), later)["feeds"] == 1  # the weekly one
    later = NOW + dt.timedelta(days=31)
    assert job.run(w.session, w.wid, later.date(), later)["feeds"] == 2


def test_a_metric_is_named_by_name_or_id_and_a_shared_name_is_refused(w: World) -> None:
    m = w.metric("Net revenue")
    assert service.resolve_metric(w.session, w.wid, " net revenue ").id == m.id
    assert service.resolve_metric(w.session, w.wid, f"met_{m.id}").id == m.id
    w.metric("Net revenue")
    with pytest.raises(ValidationFailed, match="2 metrics are named 'Net revenue'"):
        service.resolve_metric(w.session, w.wid, "Net revenue")
    with pytest.raises(ValidationFailed, match="no metric is named 'Churn'"):
        service.resolve_metric(w.session, w.wid, "Churn")


# --- PostgreSQL as the source -------------------------------------------------------------


@pytest.fixture()
def pg_source() -> Iterator[str]:
    """A fresh PostgreSQL database with a `sales` table, dropped afterwards."""
    base = os.environ.get("STEERCO_TEST_POSTGRES_URL")
    if not base:
        if not os.environ.get("CI"):
            pytest.skip("STEERCO_TEST_POSTGRES_URL is not set (PostgreSQL source untested)")
        base = "postgresql+psycopg://postgres@127.0.0.1/postgres"
    name = f"feed_src_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name)
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE sales (day date, amount numeric(12, 2))"))
        conn.execute(text("INSERT INTO sales VALUES ('2026-02-01', 110.50), "
                          "('2026-03-01', 120)"))
    eng.dispose()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_postgresql_feed_reads_dates_and_numerics_read_only(w: World, pg_source: str
                                                              ) -> None:
    m = w.metric("Net revenue")
    service.save(w.session, w.wid, m, {"url": pg_source, "query": QUERY})
    r = service.run_feeds(w.session, w.wid, NOW)[0]
    assert (r.read, r.stored, r.error) == (2, 2, None)
    assert _stored(w.session, m.id) == [(dt.date(2026, 2, 1), 110.5, Source.SQL),
                                        (dt.date(2026, 3, 1), 120.0, Source.SQL)]
    assert service.run_feeds(w.session, w.wid, NOW)[0].stored == 0
    assert source.fetch(pg_source, "SELECT day, amount FROM sales WHERE day::text LIKE "
                                   "'2026-02%' AND '10:30' <> ':x'") == [
        (dt.date(2026, 2, 1), Decimal("110.50"))]
    with pytest.raises(source.SourceFailed, match="statement timeout"):
        source.fetch(pg_source, "SELECT pg_sleep(2), 1", timeout_s=0.5)
    # The transaction is read-only even for what the query check cannot see.
    with pytest.raises(source.SourceFailed, match="read-only"):
        _pg_write(pg_source)


def _pg_write(url: str) -> None:
    """A function that writes, called from a SELECT: the read-only transaction stops it."""
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("CREATE FUNCTION wr() RETURNS int LANGUAGE sql AS "
                          "$$ INSERT INTO sales VALUES ('2026-04-01', 1) RETURNING 1 $$"))
    eng.dispose()
    source.fetch(url, "SELECT wr()")


def test_percent_and_colon_in_the_query_are_text_and_a_slow_query_is_stopped(
        tmp_path: Path) -> None:
    url = _sqlite_source(tmp_path / "src.db", [("2026-02-01", 1.0)])
    q = "SELECT day, amount FROM sales WHERE day LIKE '2026-%' AND '10:30' <> ':x'"
    assert source.fetch(url, q) == [("2026-02-01", 1.0)]
    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT max(i), 1 FROM n")
    with pytest.raises(source.SourceFailed, match="interrupted"):
        source.fetch(url, slow, timeout_s=0.2)

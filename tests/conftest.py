"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import MailSink, smtp_server

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips when absent unless STEERCO_REQUIRE_SHARED_DATA=1."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("STEERCO_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(f"STEERCO_REQUIRE_SHARED_DATA=1 but {SHARED_DATA} does not exist")
    pytest.skip(f"{SHARED_DATA} is absent")


# --- databases --------------------------------------------------------------------------
# Every test that touches the database runs against SQLite by default and against
# PostgreSQL when STEERCO_TEST_POSTGRES_URL names a database on a running server (.ci/run
# sets it). Each xdist worker gets its own database, migrated once; each test runs inside
# a transaction that is rolled back, so tests never see each other's rows.

PG_ENV = "STEERCO_TEST_POSTGRES_URL"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw")


def _postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _create_pg_database(url: str) -> str:
    """Create (afresh) a per-worker database next to the one named in `url`."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    name = f"{base.database}_{_worker()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> object:
    """URL of an empty, not yet migrated database for this worker."""
    pg = _postgres_url()
    if pg:
        url = _create_pg_database(pg)
        yield url
        _drop_pg_database(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'steerco.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> object:
    """A migrated engine shared by the worker's tests."""
    from steerco.db.engine import make_engine
    from steerco.db.migrate import upgrade

    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def session(engine: object) -> object:
    """A session inside a transaction that is rolled back after the test."""
    from sqlalchemy.orm import Session

    conn = engine.connect()  # type: ignore[attr-defined]
    trans = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield s
    finally:
        s.close()
        trans.rollback()
        conn.close()


@pytest.fixture()
def smtp() -> Iterator[tuple[MailSink, int]]:
    """A local SMTP server keeping every message it accepts: (sink, port)."""
    with smtp_server(MailSink()) as got:
        yield got

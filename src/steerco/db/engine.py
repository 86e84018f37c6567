"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite gets WAL (readers never block the writer), a busy timeout (writers wait instead of
failing at once), enforced foreign keys, and BEGIN IMMEDIATE for write transactions so two
writers cannot both read-then-upgrade and deadlock. Read-only sessions begin DEFERRED, so
readers never queue behind a writer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from steerco.settings import get_settings


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for `url` (default: STEERCO_DATABASE_URL) with steerco's pragmas."""
    settings = get_settings()
    url = url or settings.database_url
    if not is_sqlite(url):
        # No pre-ping: it costs a round trip per checkout (10% of an API read, measured);
        # recycling connections hourly covers server-side idle timeouts instead.
        kwargs.setdefault("pool_recycle", 3600)
        # One connection per request thread (settings.concurrency), and a few more for
        # the short nested units of work (recording a token's use).
        kwargs.setdefault("pool_size", settings.concurrency)
        kwargs.setdefault("max_overflow", 8)
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)
    busy = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@functools.lru_cache(maxsize=64)
def engine_key(engine: Engine) -> str:
    """A name for the engine's database (no password), for per-process caches; cached
    because rendering a URL costs more than the cached read it keys."""
    return engine.url.render_as_string(hide_password=True)


def make_sessionmaker(engine: Engine, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions for writing (SQLite: BEGIN IMMEDIATE) or, with readonly, for reading."""
    bind = engine if readonly else engine.execution_options(sqlite_begin="IMMEDIATE")
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The request/command boundary: commit when the block succeeds, roll back otherwise.

    Services never commit; this is the one place that does, so a refused call writes
    nothing.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

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
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
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


def sqlite_path(engine: Engine) -> Path | None:
    """The absolute path of a SQLite database file (None for PostgreSQL or in-memory)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).resolve()


def where(engine: Engine) -> str:
    """The database named for a person: the SQLite file, or the PostgreSQL URL."""
    path = sqlite_path(engine)
    return str(path) if path is not None else engine.url.render_as_string(hide_password=True)


def check_writable(engine: Engine) -> None:
    """Write (and commit) one harmless row update, so a full disk, a read-only file or
    a read-only PostgreSQL server shows here rather than in someone's check-in."""
    with engine.connect() as conn, conn.execution_options(sqlite_begin="IMMEDIATE").begin():
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))


#: (what the driver says, what it means) — SQLite's and PostgreSQL's words for it.
_FAILURES = [
    (("database or disk is full", "no space left on device", "diskfull", "disk full"),
     "the disk of the database is full: nothing was written (free space, then retry)"),
    (("readonly database", "read-only", "read only"),
     "the database is read-only: nothing was written (check the permissions of the "
     "database file and of its directory, or the server's read-only setting)"),
    (("unable to open database file",),
     "cannot open the database file: its directory is missing or not writable (SQLite "
     "also creates -wal and -shm files next to it)"),
]


def describe_failure(exc: BaseException, engine: Engine | None = None) -> str | None:
    """A sentence saying what is wrong with the database, or None when `exc` is not
    one of the failures a person can fix (disk full, read-only, cannot open)."""
    orig = getattr(exc, "orig", exc) if isinstance(exc, DBAPIError) else exc
    said = f"{type(orig).__name__}: {orig}".lower()
    for words, meaning in _FAILURES:
        if any(w in said for w in words):
            if engine is None:
                return meaning
            path = sqlite_path(engine)
            if path is not None and not path.parent.is_dir():
                return (f"cannot open the database file {path}: its directory "
                        f"{path.parent} does not exist")
            return f"{meaning} ({where(engine)})"
    return None

"""The other database: its URL checked and masked, the query checked, rows read read-only.

Nothing here touches steerco's own database. Shapes: `fetch(url, query, timeout_s,
limit)` returns the first `limit` rows as tuples (the caller reads column 0 as the
date, column 1 as the value); every error it raises is a `SourceFailed` whose text
never holds the URL's password (`scrub`).
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

#: Dialects a feed may read (the two that are tested, each opened read-only).
DIALECTS = ("sqlite", "postgresql")
#: Words that change data or schema, or reach outside the query: refused anywhere outside
#: string literals (a data-modifying CTE, `SELECT … INTO`, `ATTACH`), even though the
#: connection is read-only as well.
_WRITES = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|alter|create|truncate|grant|revoke|"
    r"attach|detach|pragma|vacuum|copy|into)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


class SourceFailed(Exception):
    """The source could not be read; the message is safe to show and to log."""


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; ValueError (no secret in it) when it is not one
    of a dialect a feed may read."""
    try:
        u = make_url(url.strip())
    except (ArgumentError, ValueError):
        raise ValueError("is not a database URL like postgresql+psycopg://user:password@"
                         "host/db or sqlite:////path/to/file.db") from None
    if u.get_backend_name() not in DIALECTS:
        raise ValueError(f"the database kind {u.get_backend_name()!r} is not one a feed "
                         f"can read; use {' or '.join(DIALECTS)}")
    if u.get_backend_name() == "sqlite" and (not u.database or u.database == ":memory:"):
        raise ValueError("a SQLite feed names a database file: sqlite:////path/to/file.db")
    return u


def mask(url: str) -> str:
    """The URL as it may be shown: `postgresql://user:***@host/db` (no password, also
    none in query parameters)."""
    try:
        u = make_url(url.strip())
    except (ArgumentError, ValueError):
        return "(not a database URL)"
    q = {k: ("***" if "pass" in k.lower() or "secret" in k.lower() else v)
         for k, v in u.query.items()}
    return u.set(query=q).render_as_string(hide_password=True)


def scrub(message: str, url: str) -> str:
    """`message` with the URL's password (and the URL itself) replaced by the mask."""
    masked = mask(url)
    out = message.replace(url, masked)
    try:
        u = make_url(url.strip())
    except (ArgumentError, ValueError):
        return out
    secrets = [u.password] if u.password else []
    secrets += [str(v) for k, v in u.query.items() if "pass" in k.lower()]
    for s in secrets:
        if s and len(str(s)) >= 1:
            out = out.replace(str(s), "***")
    return out


def check_query(query: str) -> str:
    """The query without a trailing semicolon; ValueError saying why it is refused
    unless it is a single SELECT (or WITH … SELECT) that writes nothing."""
    q = query.strip().rstrip(";").strip()
    bare = _STRINGS.sub("''", _COMMENTS.sub(" ", q)).strip()
    if not bare:
        raise ValueError("is empty: write a SELECT returning (as_of, value) rows")
    first = bare.split(None, 1)[0].lower()
    if first not in ("select", "with"):
        raise ValueError(f"starts with {first.upper()!r}: a feed runs a single SELECT "
                         f"returning (as_of, value) rows, nothing else")
    if ";" in bare:
        raise ValueError("holds more than one statement: a feed runs a single SELECT")
    if m := _WRITES.search(bare):
        raise ValueError(f"uses {m.group(1).upper()}: a feed only reads (a single SELECT "
                         f"returning (as_of, value) rows)")
    return q


def _read_only_sqlite(u: URL) -> URL:
    """The file opened with `mode=ro` (SQLite refuses every write on it)."""
    path = u.database or ""
    return u.set(drivername="sqlite+pysqlite", database=f"file:{path}?mode=ro",
                 query={"uri": "true"})


def fetch(url: str, query: str, timeout_s: float = 30.0, limit: int = 100_000
          ) -> list[tuple[Any, ...]]:
    """Run `query` read-only on `url`; its first `limit` rows. Raises SourceFailed."""
    try:
        u = parse_url(url)
        q = check_query(query)
    except ValueError as exc:
        raise SourceFailed(str(exc)) from None
    backend = u.get_backend_name()
    try:
        if backend == "sqlite":
            eng = create_engine(_read_only_sqlite(u), poolclass=NullPool,
                                connect_args={"timeout": timeout_s})
            deadline = time.monotonic() + timeout_s

            @event.listens_for(eng, "connect")
            def _limit(dbapi_conn: Any, _rec: Any) -> None:
                # A runaway query is interrupted once the deadline has passed.
                dbapi_conn.set_progress_handler(
                    lambda: int(time.monotonic() > deadline), 10_000)
        else:
            ms = int(timeout_s * 1000)
            eng = create_engine(u, poolclass=NullPool, connect_args={
                "connect_timeout": max(1, int(timeout_s)),
                "options": f"-c statement_timeout={ms} -c default_transaction_read_only=on"})
        try:
            with eng.connect() as conn:
                if backend == "postgresql":
                    conn.execute(text("SET TRANSACTION READ ONLY"))
                # On the driver's own cursor, without parameters: a ':name' or a '%' in
                # the query is text, not a placeholder (SQLAlchemy and psycopg would
                # each read one kind as such).
                cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    cur.execute(q)
                    rows = [tuple(r) for r in cur.fetchmany(limit)]
                finally:
                    cur.close()
                conn.rollback()
                return rows
        finally:
            eng.dispose()
    except SourceFailed:
        raise
    except Exception as exc:  # any driver error: shown to the owner, so scrubbed
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise SourceFailed(scrub(first[0] if first else type(exc).__name__, url)) from None

"""A per-process cache of resolved credentials, invalidated the moment access changes.

Resolving a bearer token or session cookie costs a query on every API request (a fifth of
a cached status read, measured). Credentials and grants change rarely, so each server
process keeps what it resolved, and forgets all of it whenever any token, web session or
grant changes, or a person is (de)activated:

- in the process that commits the change, at once (an `after_commit` hook);
- in every other process, through PostgreSQL's LISTEN/NOTIFY: the changing transaction
  sends a notification that PostgreSQL delivers only when it commits, and a listener
  thread per process clears the cache on receipt (milliseconds later).

The cache works only while its listener is connected (PostgreSQL). On SQLite, which has no
notifications and no network round trip to save, every request resolves from the
database. Entries also expire after `MAX_AGE` as a safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Delete, Engine, Update, event, inspect
from sqlalchemy.orm import InstanceState, ORMExecuteState, Session

from steerco.db.engine import engine_key
from steerco.db.models import ApiToken, Person, RoleGrant, WebSession

log = logging.getLogger("steerco.accounts.cache")
CHANNEL = "steerco_credentials"
#: Forget an entry after this long even without a notification (seconds).
MAX_AGE = 60.0
#: Attributes that record use, not access: changing them invalidates nothing.
_USE_ONLY = {"last_used_at", "last_seen_at", "expires_at"}
_WATCHED = (ApiToken, WebSession, RoleGrant, Person)
_WATCHED_TABLES = {m.__tablename__ for m in _WATCHED}


@dataclass(frozen=True)
class Entry:
    value: Any
    valid_until: float  # wall-clock seconds: the credential's own expiry
    stored_at: float  # monotonic


class CredentialCache:
    """Resolved credentials keyed by (database URL, credential digest)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], Entry] = {}
        self._generation = 0
        self._listening: set[str] = set()
        self._started: set[str] = set()

    @property
    def generation(self) -> int:
        return self._generation

    def enabled(self, engine: Engine) -> bool:
        """True once this process listens for changes on `engine`'s database."""
        url = _key(engine)
        if engine.dialect.name != "postgresql":
            return False
        if url not in self._started:
            with self._lock:
                if url not in self._started:
                    self._started.add(url)
                    threading.Thread(target=self._listen, args=(engine, url), daemon=True,
                                     name="steerco-credential-listener").start()
        return url in self._listening

    def get(self, engine: Engine, digest: str, now: float) -> Any | None:
        entry = self._entries.get((_key(engine), digest))
        if entry is None or now >= entry.valid_until \
                or time.monotonic() - entry.stored_at > MAX_AGE:
            return None
        return entry.value

    def put(self, engine: Engine, digest: str, value: Any, valid_until: float,
            generation: int) -> None:
        """Store unless access changed since `generation` was read (the value may be
        from before the change)."""
        with self._lock:
            if generation == self._generation:
                self._entries[(_key(engine), digest)] = Entry(value, valid_until,
                                                              time.monotonic())

    def update(self, engine: Engine, digest: str, **changes: Any) -> None:
        with self._lock:
            entry = self._entries.get((_key(engine), digest))
            if entry is not None:
                self._entries[(_key(engine), digest)] = replace(
                    entry, value=replace(entry.value, **changes))

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _listen(self, engine: Engine, url: str) -> None:
        import psycopg

        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        failures = 0
        while failures < 3:
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.clear()  # anything cached before we listened may be stale
                    self._listening.add(url)
                    failures = 0
                    while True:
                        for _ in conn.notifies(timeout=5.0):
                            self.clear()
            except Exception as exc:  # keep serving (uncached) and reconnect
                failures += 1
                if failures == 1:
                    log.warning("credential change listener lost its connection: %s", exc)
            finally:
                self._listening.discard(url)
                self.clear()
            time.sleep(1.0)
        # The database is gone or unreachable: stop; the next request starts a new
        # listener and is served uncached meanwhile.
        with self._lock:
            self._started.discard(url)


def _key(engine: Engine) -> str:
    return engine_key(engine)


CACHE = CredentialCache()


# --- noticing changes ------------------------------------------------------------------


def _changes_access(obj: Any, how: str) -> bool:
    if not isinstance(obj, _WATCHED):
        return False
    if how == "deleted":
        return True
    if how == "new":  # a new grant adds rights; a new token or session affects no one
        return isinstance(obj, RoleGrant)
    state: InstanceState[Any] = inspect(obj)
    if isinstance(obj, Person):  # only (de)activation changes access
        return bool(state.attrs["active"].history.has_changes())
    return any(state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs
               if a.key not in _USE_ONLY)


def _mark(session: Session) -> None:
    if session.info.get("credentials_changed"):
        return
    session.info["credentials_changed"] = True
    if session.get_bind().dialect.name == "postgresql":
        # Delivered by PostgreSQL to the listeners only if and when this commits.
        session.connection().exec_driver_sql(f"NOTIFY {CHANNEL}")


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    for how, objs in (("new", session.new), ("dirty", session.dirty),
                      ("deleted", session.deleted)):
        if any(_changes_access(o, how) for o in objs):
            _mark(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    stmt = state.statement
    if isinstance(stmt, Delete | Update) and getattr(stmt.table, "name", None) \
            in _WATCHED_TABLES:
        _mark(state.session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("credentials_changed", False):
        CACHE.clear()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("credentials_changed", None)

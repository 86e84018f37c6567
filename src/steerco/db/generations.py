"""Count every committed change per (workspace, table), in the changing transaction.

Cached reads (http/page_cache.py) remember the generations of the tables they were built
from and are served again only while those generations are unchanged, which one small
query in the reader's own transaction tells. A write bumps its tables' generations just
before it commits, so the check is exact on every process and on both databases: no
reader sees a page older than what it could have read itself.

High-churn tables (check-ins, the audit log, credentials and their bookkeeping) are not
counted: nothing cached is built from them, and the hot write path stays as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Insert, Update, event, literal, select, true
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from steerco.db.base import Tenant
from steerco.db.models.generations import TableGeneration
from steerco.db.models.org import Workspace

#: Tables whose writes are not counted (so cached reads must not depend on them).
UNCOUNTED = frozenset({
    "measurements", "audit_log", "idempotency_keys", "web_sessions", "api_tokens",
    "login_throttles", "forecast_records", "outbox", "outbox_messages", "password_resets",
    "credentials", "table_generations",
    # Background jobs and delivery write often and no cached page is built from them.
    "job_runs", "job_status", "reminder_keys", "deliveries", "inbox_items",
})
_TOUCHED = "_generations_touched"  # {(workspace id or None for all, table)}


def counted(table: str) -> bool:
    return table not in UNCOUNTED


def _touched(session: Session) -> set[tuple[int | None, str]]:
    found: set[tuple[int | None, str]] = session.info.setdefault(_TOUCHED, set())
    return found


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    for objs in (session.new, session.dirty, session.deleted):
        for obj in objs:
            table = getattr(obj, "__tablename__", None)
            if table is not None and isinstance(obj, Tenant) and counted(table):
                _touched(session).add((obj.workspace_id, table))


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    stmt = state.statement
    if isinstance(stmt, Insert | Update | Delete):
        table = getattr(stmt.table, "name", None)
        if table is not None and counted(table):
            # Which workspaces a bulk statement reaches is not known here: count all.
            _touched(state.session).add((None, table))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint's release (an import runs each row in one): what it touched stays
        # counted for the outer commit, which bumps each generation once, not per row.
        return
    session.flush()  # commit flushes only after this hook: count what it would write
    touched = session.info.pop(_TOUCHED, set())
    if not touched:
        return
    conn = session.connection()
    insert = _upsert_of(conn.dialect.name)
    for ws, table in sorted(touched, key=lambda t: (t[1], t[0] or 0)):
        if ws is None:
            rows = select(Workspace.id, literal(table), literal(1))
        else:
            rows = select(literal(ws), literal(table), literal(1))
        # SQLite needs a WHERE to tell the upsert's ON CONFLICT from the SELECT's joins.
        rows = rows.where(true())
        stmt = insert(TableGeneration).from_select(
            ["workspace_id", "table_name", "generation"], rows)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["workspace_id", "table_name"],
            set_={"generation": TableGeneration.generation + 1}))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        # A savepoint rolled back: the rows released before it are still to be counted
        # (counting what it touched too bumps a generation that need not move: harmless).
        return
    session.info.pop(_TOUCHED, None)


def _upsert_of(dialect: str) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect == "postgresql" else sqlite.insert

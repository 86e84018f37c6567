"""Bulk-write a generated company into SQLite or PostgreSQL in one transaction.

Why not the ORM: measured here, `session.add_all` of 200,000 measurements runs at 3–5k
rows/s, raw `executemany` at 80–160k rows/s and PostgreSQL COPY at ~250k rows/s (see
bench/README.md), and the xl company is 12 million rows. The rows bypass the services on
purpose: real imported graphs contain what the services refuse (a dependency cycle).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from steerco.demo.generate import DemoData, generate
from steerco.demo.tables import NULL, Ref, Resolve, Table, chunks

Progress = Callable[[str, int, int], None]
CHUNK = 50_000
#: Tables at least this long get their foreign keys checked once, after COPY (PostgreSQL).
BIG = 100_000


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _keyed(data: DemoData) -> list[str]:
    return [name for name, t in data.tables.items() if t.keyed]


def _insert_sql(table: Table, mark: str) -> str:
    names = table.column_names()
    cols = ", ".join(f'"{c}"' for c in names)
    return f"INSERT INTO {table.name} ({cols}) VALUES ({', '.join([mark] * len(names))})"


def _head_updates(data: DemoData, r: Resolve) -> list[tuple[int, int]]:
    """(head id, org unit id) pairs for the org_units → people reference written last."""
    units = data.tables["org_units"]
    head = units.columns["head_id"]
    assert isinstance(head, Ref)
    base_u, base_p = r.id_base["org_units"], r.id_base["people"]
    return [(base_p + 1 + h, base_u + 1 + i) for i, h in enumerate(head.idx.tolist())
            if h != NULL]


def load(engine: Engine, data: DemoData, workspace_slug: str = "demo",
         workspace_name: str | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Write `data` as a new workspace in one transaction (all or nothing); return counts."""
    name = workspace_name or data.company
    raw = engine.raw_connection()
    try:
        con: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            counts = _load_sqlite(con, data, workspace_slug, name, progress)
        elif engine.dialect.name == "postgresql":
            counts = _load_postgres(con, data, workspace_slug, name, progress)
        else:
            raise ValueError("demo load supports SQLite and PostgreSQL, "
                             f"not {engine.dialect.name}")
        _analyze(con, engine.dialect.name)
        return counts
    finally:
        raw.close()


def _analyze(con: Any, dialect: str) -> None:
    """Refresh the planner's statistics after the bulk load: with the empty tables' stats,
    PostgreSQL sorted all 10,000 metrics of the `l` demo to serve a page of 50 (4 ms
    instead of 0.8 ms, measured) until autovacuum came round."""
    if dialect == "postgresql":
        con.autocommit = True  # ANALYZE of the whole database outside a transaction
        try:
            con.execute("ANALYZE")
        finally:
            con.autocommit = False
    else:
        con.execute("ANALYZE")


def _bases(cur: Any, data: DemoData) -> dict[str, int]:
    """Current max id per keyed table: new ids start after it (other workspaces may exist)."""
    out: dict[str, int] = {}
    for t in _keyed(data):
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {t}")
        out[t] = int(cur.fetchone()[0])
    return out


def _check_slug(cur: Any, slug: str, mark: str) -> int:
    cur.execute(f"SELECT count(*) FROM workspaces WHERE slug = {mark}", (slug,))
    if cur.fetchone()[0]:
        raise ValueError(f"workspace '{slug}' already exists")
    cur.execute("SELECT coalesce(max(id), 0) FROM workspaces")
    return int(cur.fetchone()[0]) + 1


def _load_sqlite(con: Any, data: DemoData, slug: str, name: str,
                 progress: Progress | None) -> dict[str, int]:
    """executemany in chunks inside one BEGIN IMMEDIATE … COMMIT."""
    saved_isolation = con.isolation_level
    con.isolation_level = None  # we issue BEGIN/COMMIT ourselves
    cur = con.cursor()
    # Foreign keys stay ON: switching them off saved only ~10% (l: 12.2 s → 11.0 s), and
    # they prove every generated reference sound. Dropping the measurements index around
    # the load did not help either (rows arrive in index order).
    cache = cur.execute("PRAGMA cache_size").fetchone()[0]
    cur.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for the load's indexes
    cur.execute("BEGIN IMMEDIATE")
    try:
        ws = _check_slug(cur, slug, "?")
        now = _now()
        cur.execute("INSERT INTO workspaces (id, slug, name, created_at, updated_at, version) "
                    "VALUES (?, ?, ?, ?, ?, 1)", (ws, slug, name, now, now))
        r = Resolve(id_base=_bases(cur, data), workspace_id=ws, now=now)
        counts = {"workspaces": 1}
        for t in data.tables.values():
            sql = _insert_sql(t, "?")
            done = 0
            if progress:
                progress(t.name, 0, t.n)
            for rows in chunks(t, r, CHUNK):
                cur.executemany(sql, rows)
                done += len(rows)
                if progress:
                    progress(t.name, done, t.n)
            counts[t.name] = t.n
            if t.name == "people":
                cur.executemany("UPDATE org_units SET head_id = ? WHERE id = ?",
                                _head_updates(data, r))
        cur.execute("COMMIT")
        # The load went through the WAL; fold it back so the file does not stay GBs large.
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.execute(f"PRAGMA cache_size={int(cache)}")
        cur.close()
        con.isolation_level = saved_isolation


def _drop_foreign_keys(cur: Any, table: str) -> list[tuple[str, str]]:
    """Drop the table's foreign keys (in the transaction); return them to re-add after COPY.

    Why: PostgreSQL checks a foreign key per row by a trigger at the end of COPY; for the
    xl measurements that took ~170 s, while re-adding the constraint validates all rows in
    one join. The price is an exclusive lock on the table until commit.
    """
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname", (table,))
    fks = [(str(n), str(d)) for n, d in cur.fetchall()]
    for fk_name, _ in fks:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{fk_name}"')
    return fks


def _load_postgres(con: Any, data: DemoData, slug: str, name: str,
                   progress: Progress | None) -> dict[str, int]:
    """COPY … FROM STDIN per table in one transaction, then move the id sequences on."""
    try:
        with con.cursor() as cur:
            # Serialise demo loads and id assignment against concurrent inserts.
            cur.execute("LOCK TABLE workspaces IN SHARE ROW EXCLUSIVE MODE")
            ws = _check_slug(cur, slug, "%s")
            now = _now() + "+00"
            cur.execute("INSERT INTO workspaces (id, slug, name, created_at, updated_at, version) "
                        "VALUES (%s, %s, %s, %s, %s, 1)", (ws, slug, name, now, now))
            r = Resolve(id_base=_bases(cur, data), workspace_id=ws, now=now, tz="+00",
                        bool_as_int=False)
            counts = {"workspaces": 1}
            for t in data.tables.values():
                cols = ", ".join(f'"{c}"' for c in t.column_names())
                done = 0
                if progress:
                    progress(t.name, 0, t.n)
                fks = _drop_foreign_keys(cur, t.name) if t.n >= BIG else []
                with cur.copy(f"COPY {t.name} ({cols}) FROM STDIN") as cp:
                    for rows in chunks(t, r, CHUNK):
                        for row in rows:
                            cp.write_row(row)
                        done += len(rows)
                        if progress:
                            progress(t.name, done, t.n)
                for fk_name, definition in fks:
                    cur.execute(f'ALTER TABLE {t.name} ADD CONSTRAINT "{fk_name}" {definition}')
                counts[t.name] = t.n
                if t.name == "people":
                    cur.executemany("UPDATE org_units SET head_id = %s WHERE id = %s",
                                    _head_updates(data, r))
            for name in ["workspaces", *_keyed(data)]:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)")
        con.commit()
        return counts
    except BaseException:
        con.rollback()
        raise


def write_demo(engine: Engine, size: str = "s", seed: int = 7, as_of: dt.date | None = None,
               slug: str = "demo", progress: Progress | None = None,
               name: str | None = None) -> dict[str, int]:
    """Generate the demo company and load it as workspace `slug`; return counts per table."""
    day = as_of or dt.date.today()
    if progress:
        progress("generating", 0, 1)
    data = generate(size, seed, day)
    if progress:
        progress("generating", 1, 1)
    return load(engine, data, workspace_slug=slug, workspace_name=name, progress=progress)

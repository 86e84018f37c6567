"""Demo databases shared by the benchmarks, written once and reused between runs.

SQLite files live in bench/.data/ (ignored by git); PostgreSQL databases are named
`steerco_bench_<size>` on the local server. Each is written by the same generator as
`steerco demo`, with a fixed seed and date so every run measures the same company.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from steerco.db.engine import make_engine
from steerco.db.migrate import upgrade
from steerco.demo import write_demo
from steerco.org.repository import WorkspaceRepository

DATA = Path(__file__).resolve().parent / ".data"
AS_OF = dt.date(2026, 11, 22)
SEED = 7
PG_SERVER = os.environ.get("STEERCO_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1")


def _progress(table: str, done: int, total: int) -> None:
    if done == total:
        print(f"  demo: {table} {total:,} rows", file=sys.stderr)


def _ensure(engine: Engine) -> tuple[int, float | None]:
    """Return (workspace id, seconds spent writing the demo or None if it existed)."""
    upgrade(engine)
    with Session(engine) as s:
        ws = WorkspaceRepository(s).by_slug("demo")
        if ws is not None:
            return ws.id, None
    t0 = time.perf_counter()
    write_demo(engine, size=_size(engine), seed=SEED, as_of=AS_OF, slug="demo",
               progress=_progress)
    took = time.perf_counter() - t0
    with Session(engine) as s:
        ws = WorkspaceRepository(s).by_slug("demo")
        assert ws is not None
        return ws.id, took


def _size(engine: Engine) -> str:
    return str(engine.url.database or "").rsplit("_", 1)[-1].removesuffix(".db")


def sqlite_demo(size: str) -> tuple[Engine, int, float | None]:
    """A migrated SQLite database holding the demo of `size`."""
    DATA.mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{DATA / f'demo_{size}.db'}")
    return (engine, *_ensure(engine))


def postgres_demo(size: str) -> tuple[Engine, int, float | None]:
    """A migrated PostgreSQL database holding the demo of `size` (created if missing)."""
    name = f"steerco_bench_{size}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(f"{PG_SERVER}/{name}")
    return (engine, *_ensure(engine))

"""How fast `steerco demo` writes a company: generate + bulk load, against ORM inserts.

`python -m bench.demo_load [--quick] [--json] [--size xl] [--db sqlite|postgres]`

Measures generate time, load time, total, peak RSS and rows per second for the chosen
size (--quick: m) into a fresh SQLite file (or a scratch PostgreSQL database, COPY), and
a peer on the same kind of database: SQLAlchemy ORM `session.add_all` of a sample of the
same measurement rows, against the bulk loader's executemany / COPY of that sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from bench._common import peak_rss_mb, run
from steerco.db.engine import make_engine
from steerco.db.migrate import upgrade
from steerco.db.models import Measurement
from steerco.demo import generate, load
from steerco.demo.generate import DemoData
from steerco.demo.tables import Resolve, Table, chunks

AS_OF = dt.date(2026, 11, 22)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1/steerco_bench"


def _extra(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="xl", choices=["s", "m", "l", "xl"])
    p.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    p.add_argument("--sample", type=int, default=200_000,
                   help="measurement rows for the ORM peer")


class Scratch:
    """A fresh, migrated database of the chosen kind, removed afterwards."""

    def __init__(self, kind: str, tag: str) -> None:
        self.kind, self.tag = kind, tag
        if kind == "sqlite":
            self.dir = tempfile.mkdtemp(prefix="steerco-bench-")
            self.url = f"sqlite:///{Path(self.dir) / f'{tag}.db'}"
        else:
            base = make_url(os.environ.get("STEERCO_BENCH_POSTGRES_URL", PG_DEFAULT))
            self.admin = create_engine(base.set(database="postgres"),
                                       isolation_level="AUTOCOMMIT")
            self.name = f"{base.database}_{tag}"
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = base.set(database=self.name).render_as_string(hide_password=False)
        self.engine: Engine = make_engine(self.url)
        upgrade(self.engine)

    def size_mb(self) -> float:
        """Size of the database on disk, in MB."""
        if self.kind == "sqlite":
            return sum(p.stat().st_size for p in Path(self.dir).iterdir()) / 1e6
        with self.engine.connect() as c:
            return float(c.execute(text("SELECT pg_database_size(current_database())"))
                         .scalar_one()) / 1e6

    def close(self) -> None:
        """Drop the database."""
        self.engine.dispose()
        if self.kind == "sqlite":
            for p in Path(self.dir).iterdir():
                p.unlink()
            os.rmdir(self.dir)
        else:
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def _sample_rows(data: Any, n: int, n_metrics: int, n_people: int) -> list[tuple[Any, ...]]:
    """The first n measurement rows, re-pointed at the small company's metrics and people."""
    table = data.tables["measurements"]
    r = Resolve(id_base=dict.fromkeys(data.tables, 0), workspace_id=1, now="")
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks(table, r, 50_000):
        rows.extend(chunk)
        if len(rows) >= n:
            break
    cols = table.column_names()
    im, ip, isup = cols.index("metric_id"), cols.index("submitted_by_id"), cols.index(
        "supersedes_id")
    out = []
    for row in rows[:n]:
        x = list(row)
        x[im] = (x[im] - 1) % n_metrics + 1
        x[ip] = (x[ip] - 1) % n_people + 1
        x[isup] = None
        out.append(tuple(x))
    return out


def _peer(kind: str, data: Any, n: int) -> dict[str, Any]:
    """ORM add_all vs the bulk path on the same n measurement rows, each on a fresh db."""
    small = generate("s", 1, AS_OF)
    n_metrics, n_people = small.counts()["metrics"], small.counts()["people"]
    rows = _sample_rows(data, n, n_metrics, n_people)
    cols = data.tables["measurements"].column_names()
    out: dict[str, Any] = {"rows": len(rows)}
    # ORM: Python objects with dates and datetimes, as a service would build them.
    db = Scratch(kind, "peer_orm")
    try:
        load(db.engine, small)
        objs_t0 = time.perf_counter()
        objs = []
        for row in rows:
            v = dict(zip(cols, row, strict=True))
            del v["id"]
            v["as_of"] = dt.date.fromisoformat(v["as_of"])
            v["submitted_at"] = dt.datetime.fromisoformat(v["submitted_at"][:19])
            objs.append(Measurement(**v))
        with Session(db.engine) as s:
            s.add_all(objs)
            s.commit()
        secs = time.perf_counter() - objs_t0
        out["orm_add_all"] = {"seconds": round(secs, 3), "rows_per_s": round(len(rows) / secs)}
    finally:
        db.close()
    # Bulk: the same rows through the demo loader (a one-table company of ready values).
    db = Scratch(kind, "peer_bulk")
    try:
        load(db.engine, small)
        view = Table("measurements", len(rows), {
            c: [r[i] for r in rows] for i, c in enumerate(cols) if c != "id"})
        only = DemoData(small.company, "sample", 1, AS_OF, {"measurements": view})
        t0 = time.perf_counter()
        load(db.engine, only, workspace_slug="peer")
        secs = time.perf_counter() - t0
        out["bulk_loader"] = {"seconds": round(secs, 3), "rows_per_s": round(len(rows) / secs)}
    finally:
        db.close()
    return out


def body(args: argparse.Namespace) -> dict[str, Any]:
    """Generate and load one company, then run the ORM peer on a sample."""
    size = "m" if args.quick else args.size
    sample = min(args.sample, 20_000) if args.quick else args.sample
    db = Scratch(args.db, f"demo_{size}")
    try:
        t0 = time.perf_counter()
        data = generate(size, 7, AS_OF)
        t1 = time.perf_counter()
        seen: dict[str, float] = {}

        def progress(table: str, done: int, total: int) -> None:
            seen.setdefault(table, time.perf_counter())
            if done >= total:
                seen[table + ":end"] = time.perf_counter()

        counts = load(db.engine, data, progress=progress)
        t2 = time.perf_counter()
        rss_load = peak_rss_mb()
        db_mb = db.size_mb()
    finally:
        db.close()
    rows = sum(counts.values())
    meas_s = seen["measurements:end"] - seen["measurements"]
    peer = _peer(args.db, data, sample)
    result: dict[str, Any] = {
        "size": size, "db": args.db, "as_of": AS_OF.isoformat(), "counts": counts,
        "rows": rows, "generate_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2), "rows_per_s": round(rows / (t2 - t1)),
        "measurements_rows_per_s": round(counts["measurements"] / meas_s),
        "peak_rss_mb": round(rss_load), "db_size_mb": round(db_mb),
        "peers": {"orm_add_all": peer["orm_add_all"], "bulk_same_sample": peer["bulk_loader"],
                  "sample_rows": peer["rows"]},
    }
    result["ratios"] = {
        "speedup_vs_orm": round(peer["bulk_loader"]["rows_per_s"]
                                / peer["orm_add_all"]["rows_per_s"], 1),
        "full_load_vs_orm": round(result["measurements_rows_per_s"]
                                  / peer["orm_add_all"]["rows_per_s"], 1),
    }
    return result


if __name__ == "__main__":
    # One result file per database, so the SQLite and PostgreSQL figures both stay on disk.
    pg = "postgres" in sys.argv[sys.argv.index("--db") + 1:][:1] if "--db" in sys.argv else False
    run("demo_load_postgres" if pg else "demo_load", body,
        "steerco demo: generate + bulk load vs ORM add_all", _extra)

"""How fast a history of measurements comes in through the import pipeline.

`python -m bench.import_measurements [--quick] [--json] [--rows N] [--no-postgres]`

One CSV of 1,000,000 measurements (1,000 metrics × 1,000 days; --quick: 100,000) goes
through `steerco import` (read, convert, check every row with the check-in rules,
idempotency lookup, write, commit) into a fresh SQLite file (target ≤ 15 s) and a fresh
PostgreSQL database; the peer is a raw `COPY … FROM STDIN (FORMAT csv)` of the same rows,
already resolved to metric keys, into the same measurements table of a third fresh
database, in the same run (target: the import within 2× of it). The CPU seconds of this
process (`sqlite_cpu_s`, `postgres_cpu_s`) and the load average are recorded beside the
wall times: on a shared machine the wall time says more about the neighbours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench._common import peak_rss_mb, run
from bench.demo_load import Scratch
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.metrics.service import create_metric
from steerco.org.service import create_person, create_workspace
from steerco.transfer.run import import_file

TODAY = dt.date(2026, 11, 30)
N_METRICS = 1000


def _extra(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rows", type=int, default=None, help="measurements (default 1,000,000)")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")


def _workspace(engine: Engine) -> tuple[int, dict[str, int]]:
    """A workspace with one owner and N_METRICS metrics keyed K0000…; (ws, key → metric)."""
    with unit_of_work(make_sessionmaker(engine)) as s:
        ws = create_workspace(s, {"slug": "bench", "name": "Bench"}).id
        owner = create_person(s, ws, {"name": "Owner", "email": "owner@bench.example"}).id
        keys = {}
        for i in range(N_METRICS):
            m = create_metric(s, ws, {
                "name": f"Metric {i}", "unit": "n", "direction": "increase_to",
                "baseline_value": 0, "baseline_date": "2024-01-01", "target_value": 100,
                "target_date": "2027-12-31", "owner_id": owner})
            m.external_key = f"K{i:04d}"
            keys[m.external_key] = m.id
        s.flush()
    return ws, keys


def _csv(path: Path, rows: int) -> list[tuple[str, str, float]]:
    per = rows // N_METRICS
    start = TODAY - dt.timedelta(days=per)
    data = [(f"K{m:04d}", (start + dt.timedelta(days=d)).isoformat(),
             round(m * 0.5 + d * 0.01, 3)) for m in range(N_METRICS) for d in range(per)]
    with path.open("w", encoding="utf-8") as f:
        f.write("metric,as_of,value\n")
        f.writelines(f"{k},{a},{v!r}\n" for k, a, v in data)
    return data


def _import(kind: str, path: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, rows created)."""
    scratch = Scratch(kind, "import_measurements")
    try:
        ws, _ = _workspace(scratch.engine)
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_file(scratch.engine, ws, path, today=TODAY, max_bytes=10**9)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.written, report.problems[:5]
        return seconds, cpu, report.counts()["Measurements"]["create"]
    finally:
        scratch.close()


def _raw_copy(data: list[tuple[str, str, float]]) -> float:
    """COPY the same rows (metric keys resolved to ids beforehand) into measurements."""
    scratch = Scratch("postgres", "import_measurements_copy")
    try:
        ws, keys = _workspace(scratch.engine)
        stamp = dt.datetime.now(dt.UTC).isoformat()
        text = "".join(f"{ws},{keys[k]},{v!r},{a},import,{stamp}\n" for k, a, v in data)
        raw = scratch.engine.raw_connection()
        try:
            con: Any = raw.driver_connection
            t0 = time.perf_counter()
            with con.cursor() as cur, cur.copy(
                    "COPY measurements (workspace_id, metric_id, value, as_of, source, "
                    "submitted_at) FROM STDIN (FORMAT csv)") as cp:
                buf = io.StringIO(text)
                while chunk := buf.read(1 << 20):
                    cp.write(chunk)
            con.commit()
            return time.perf_counter() - t0
        finally:
            raw.close()
    finally:
        scratch.close()


def body(args: argparse.Namespace) -> dict[str, Any]:
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="steerco-bench-") as tmp:
        path = Path(tmp) / "measurements.csv"
        data = _csv(path, rows)
        out: dict[str, Any] = {"rows": len(data), "file_mb": round(path.stat().st_size / 1e6, 1)}
        out["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
        out["sqlite_s"], cpu, created = _import("sqlite", path)
        out["sqlite_cpu_s"] = round(cpu, 3)
        assert created == len(data)
        if not args.no_postgres:
            out["postgres_s"], cpu, _ = _import("postgres", path)
            out["postgres_cpu_s"] = round(cpu, 3)  # the server's work is not in it
            out["copy_s"] = _raw_copy(data)
            out["postgres_ratio_vs_copy"] = round(out["postgres_s"] / out["copy_s"], 2)
            out["copy_s"] = round(out["copy_s"], 3)
            out["postgres_s"] = round(out["postgres_s"], 3)
        out["sqlite_s"] = round(out["sqlite_s"], 3)
        out["sqlite_target_s"] = 15.0
        out["postgres_target_ratio"] = 2.0
        out["peak_rss_mb"] = round(peak_rss_mb(), 1)
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


if __name__ == "__main__":
    run("import_measurements", body, __doc__ or "", _extra)

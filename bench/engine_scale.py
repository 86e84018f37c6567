"""Evidence engine at company scale: snapshot build, full recompute, check-in updates.

    python -m bench.engine_scale [--quick] [--json] [--size xl] [--no-postgres]

Measures on the demo company (xl: 100,000 metrics, 20,000 objectives, 10,000,000
measurements): building the snapshot from SQLite and from PostgreSQL, a full recompute
(forecast + P(hit) + status of every metric, roll-up of every objective), and the time
until a new check-in's metric and all its ancestors are up to date (p95 over 1,000
check-ins). Peers in the same run: reading the same measurements through ORM objects
instead of column arrays, and answering each check-in by a full recompute instead of the
incremental patch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import _common
from bench.demo_db import AS_OF, postgres_demo, sqlite_demo
from steerco.checkins.service import check_in
from steerco.core.evidence import evaluate
from steerco.db.engine import make_sessionmaker
from steerco.db.models import Measurement
from steerco.evidence.service import WORKERS, EngineCache, load_snapshot
from steerco.kit.dates import to_day

TARGETS = {"snapshot_build_s": 60.0, "full_recompute_s": 10.0, "checkin_update_p95_ms": 20.0,
           "peak_rss_mb": 3072.0}


def _snapshot_and_recompute(engine: Any, wid: int) -> tuple[Any, float, float]:
    with Session(engine) as s:
        t0 = time.perf_counter()
        snap = load_snapshot(s, wid)
        build = time.perf_counter() - t0
    t0 = time.perf_counter()
    evaluate(snap, to_day(AS_OF), workers=WORKERS)
    return snap, build, time.perf_counter() - t0


def _orm_peer(engine: Any, wid: int, rows: int) -> tuple[float, float]:
    """Seconds to read `rows` measurements as ORM objects vs as columns (same rows)."""
    from steerco.evidence.repository import columns, day_number

    with Session(engine) as s:
        q = select(Measurement).where(Measurement.workspace_id == wid).order_by(
            Measurement.id).limit(rows)
        t0 = time.perf_counter()
        objs = s.scalars(q).all()
        np.array([o.value for o in objs])
        orm = time.perf_counter() - t0
    with Session(engine) as s:
        m = Measurement
        q2 = select(m.metric_id, day_number(s, m.as_of), m.value, m.confidence, m.id).where(
            m.workspace_id == wid).order_by(m.id).limit(rows)
        t0 = time.perf_counter()
        columns(s, q2, [int, int, float, float, int])
        cols = time.perf_counter() - t0
    return orm, cols


def _checkins(engine: Any, wid: int, n: int, seed: int = 1) -> dict[str, Any]:
    """Commit `n` check-ins one by one; time how long the engine takes to absorb each."""
    cache = EngineCache()
    factory = make_sessionmaker(engine)
    with Session(engine) as s:
        st = cache.state(s, wid, AS_OF)
    rng = np.random.default_rng(seed)
    ids = st.snapshot.metrics.ids
    update_ms, write_ms = [], []
    today = AS_OF
    for k in range(n):
        row = int(rng.integers(0, ids.shape[0]))
        with factory() as s:
            t0 = time.perf_counter()
            check_in(s, wid, {"metric_id": int(ids[row]), "value": float(rng.normal(100, 10)),
                              "as_of": (AS_OF - dt.timedelta(days=int(k % 3))).isoformat(),
                              "note": "benchmark check-in"}, today=today)
            s.commit()
            write_ms.append((time.perf_counter() - t0) * 1000)
        with Session(engine) as s:
            t0 = time.perf_counter()
            cache.state(s, wid, AS_OF)  # catches up: the metric and its ancestors
            update_ms.append((time.perf_counter() - t0) * 1000)
    up = np.array(update_ms)
    return {"checkins": n, "checkin_update_p50_ms": round(float(np.percentile(up, 50)), 2),
            "checkin_update_p95_ms": round(float(np.percentile(up, 95)), 2),
            "checkin_write_p95_ms": round(float(np.percentile(write_ms, 95)), 2)}


def body(args: argparse.Namespace) -> dict[str, Any]:
    size = "m" if args.quick else args.size
    n_checkins = 200 if args.quick else 1000
    engine, wid, demo_s = sqlite_demo(size)
    snap, build, recompute = _snapshot_and_recompute(engine, wid)
    out: dict[str, Any] = {
        "demo_size": size, "metrics": snap.metrics.n,
        "objectives": int(snap.objective_ids.shape[0]),
        "measurements": int(snap.history.days.shape[0]),
        "snapshot_build_s": round(build, 2), "snapshot_build_sqlite_s": round(build, 2),
        "full_recompute_s": round(recompute, 2),
        "demo_write_s": None if demo_s is None else round(demo_s, 1),
    }
    del snap
    out.update(_checkins(engine, wid, n_checkins))
    sample = 200_000
    orm_s, col_s = _orm_peer(engine, wid, sample)
    if not args.no_postgres:
        pg, pg_wid, _ = postgres_demo(size)
        snap_pg, build_pg, _ = _snapshot_and_recompute(pg, pg_wid)
        out["snapshot_build_postgres_s"] = round(build_pg, 2)
        del snap_pg
    out["peak_rss_mb"] = round(_common.peak_rss_mb(), 0)
    out["peers"] = {
        "orm_objects": {"rows": sample, "seconds": round(orm_s, 3)},
        "column_arrays": {"rows": sample, "seconds": round(col_s, 3)},
        "full_recompute_per_checkin_ms": round(recompute * 1000, 1),
    }
    out["ratios"] = {
        "snapshot_read_speedup_vs_orm": round(orm_s / col_s, 1),
        "checkin_speedup_vs_full_recompute": round(
            recompute * 1000 / max(out["checkin_update_p95_ms"], 1e-3), 1),
    }
    if size == "xl":
        out["targets"] = TARGETS
        out["targets_met"] = all(
            (out.get(k) or 0) <= v for k, v in TARGETS.items() if k != "snapshot_build_s") \
            and out["snapshot_build_sqlite_s"] <= 60 \
            and out.get("snapshot_build_postgres_s", 0) <= 60
    return out


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="xl", choices=["s", "m", "l", "xl"])
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")


if __name__ == "__main__":
    _common.run("engine_scale", body, __doc__ or "", _args)

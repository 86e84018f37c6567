"""The engine's next read after a model edit, on the `l` demo: patched, not rebuilt.

`python -m bench.engine_edits [--quick] [--json] [--size s|m|l|xl] [--reps N]`
(default size l). A warm `EngineCache` holds the demo's evaluation; each kind of edit the
forms make (metric target, metric rename, plan save, objective title, alignment weight,
metric link weight, planned benefit, objective archive) is committed through its service
and the next `EngineCache.state` is timed: wall and CPU (this process, all threads) per
read, and whether it patched the cached state or read the whole workspace again. The
edits go into a copy of the demo (`bench/.data/edits_<size>.db`, made afresh each run).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

import steerco.evidence.service as es
from bench._common import run
from bench.demo_db import DATA, sqlite_demo
from steerco.core.snapshot import Snapshot
from steerco.db.engine import make_engine
from steerco.db.enums import BenefitKind
from steerco.db.models import (
    Alignment,
    Measurement,
    Metric,
    MetricObjective,
    Objective,
    PlannedBenefit,
)
from steerco.initiatives.service import update_benefit
from steerco.metrics.service import attach_objective, set_plan, update_metric
from steerco.objectives.service import align, archive_objective, update_objective


def _copy(engine: Any, size: str) -> Any:
    target = DATA / f"edits_{size}.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{target}{suffix}"):
            os.remove(f"{target}{suffix}")
    with sqlite3.connect(engine.url.database) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return make_engine(f"sqlite:///{target}")


def _edits(s: Session, ws: int) -> dict[str, Callable[[int], Any]]:
    met = int(s.scalar(select(Measurement.metric_id).where(Measurement.workspace_id == ws)
                       .order_by(Measurement.metric_id).limit(1)) or 0)
    m = s.get(Metric, met)
    assert m is not None
    base, target = float(m.baseline_value), float(m.target_value)
    step = (target - base) / 10 or 1.0
    link = s.scalars(select(MetricObjective).where(MetricObjective.workspace_id == ws)
                     .order_by(MetricObjective.metric_id).limit(1)).one()
    edge = s.scalars(select(Alignment).where(Alignment.workspace_id == ws)
                     .order_by(Alignment.child_id).limit(1)).one()
    ben = s.scalar(select(PlannedBenefit.id).where(
        PlannedBenefit.workspace_id == ws, PlannedBenefit.kind == BenefitKind.METRIC_IMPACT,
        PlannedBenefit.signed_off_by_id.is_(None)).order_by(PlannedBenefit.id).limit(1))
    objs = s.scalars(select(Objective.id).where(Objective.workspace_id == ws,
                                                Objective.archived.is_(False))
                     .order_by(Objective.id.desc()).limit(64)).all()
    lk = (link.metric_id, link.objective_id)
    ek = (edge.child_id, edge.parent_id)
    obj = ek[0]
    day = m.target_date.isoformat()
    return {
        "no_edit": lambda i: None,  # the floor: a read that finds nothing changed
        "metric_target": lambda i: update_metric(s, ws, met, {
            "target_value": target + step * (i % 2)}),
        "metric_rename": lambda i: update_metric(s, ws, met, {"name": f"Bench metric {i}"}),
        "plan_save": lambda i: set_plan(s, ws, met, [
            {"on": day, "value": target + step * (i % 2)}]),
        "objective_title": lambda i: update_objective(s, ws, obj, {
            "title": f"Bench objective {i}"}),
        "alignment_weight": lambda i: align(s, ws, ek[0], ek[1], 1.0 + (i % 2)),
        "metric_link_weight": lambda i: attach_objective(s, ws, lk[0], lk[1],
                                                         1.0 + (i % 2)),
        **({"benefit_amount": lambda i: update_benefit(s, ws, ben, {"amount": 10.0 + i})}
           if ben is not None else {}),
        "objective_archive": lambda i: archive_objective(s, ws, objs[0]),
    }


def body(args: argparse.Namespace) -> dict[str, Any]:
    size = "s" if args.quick else args.size
    reps = 2 if args.quick else args.reps
    demo, ws, _ = sqlite_demo(size)
    engine = _copy(demo, size)
    load = [round(x, 2) for x in os.getloadavg()]
    cache = es.EngineCache()
    rebuilds: list[int] = []
    real = es.load_snapshot

    def counted(session: Session, workspace_id: int) -> Snapshot:
        rebuilds.append(workspace_id)
        return real(session, workspace_id)

    es.load_snapshot = counted
    c0, t0 = time.process_time(), time.perf_counter()
    with Session(engine) as s:
        cache.state(s, ws)
    warm = {"wall_s": round(time.perf_counter() - t0, 2),
            "cpu_s": round(time.process_time() - c0, 2)}
    out: dict[str, Any] = {}
    with Session(engine) as s:
        s.info["actor"] = "bench"
        kinds = _edits(s, ws)
    for name in kinds:
        wall, cpu, rebuilt = [], [], 0
        for i in range(reps):
            with Session(engine) as s:
                s.info["actor"] = "bench"
                _edits(s, ws)[name](i + 1)
                s.commit()
            rebuilds.clear()
            with Session(engine) as s:
                c0, t0 = time.process_time(), time.perf_counter()
                cache.state(s, ws)
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            rebuilt += bool(rebuilds)
        out[name] = {"wall_median_ms": round(float(np.median(wall)), 1),
                     "wall_max_ms": round(max(wall), 1),
                     "cpu_median_ms": round(float(np.median(cpu)), 1),
                     "cpu_max_ms": round(max(cpu), 1), "rebuilt": rebuilt, "reads": reps}
    es.load_snapshot = real
    engine.dispose()
    return {"demo": size, "warm_up": warm, "edits": out,
            "load_avg": {"start": load, "end": [round(x, 2) for x in os.getloadavg()]}}


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="l", choices=["s", "m", "l", "xl"])
    p.add_argument("--reps", type=int, default=5, help="reads timed per kind of edit")


if __name__ == "__main__":
    run("engine_edits", body, "The engine's next read after each kind of model edit.",
        _args)

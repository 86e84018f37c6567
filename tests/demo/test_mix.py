"""The demo's status mix, as the engine evaluates it: mostly on plan, a band at risk, a
smaller band off track, a few stale, a few without data (see steerco.demo.behaviours)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from steerco.core.evidence import evaluate
from steerco.core.status import Status
from steerco.db.engine import make_engine
from steerco.db.migrate import upgrade
from steerco.demo import generate, load
from steerco.evidence.service import load_snapshot
from steerco.kit.dates import to_day

AS_OF = dt.date(2026, 11, 22)
#: The written bands (share of metrics): on track counts achieved targets too.
BANDS = {"on plan": (0.55, 0.72), "at_risk": (0.10, 0.25), "off_track": (0.05, 0.15),
         "stale": (0.02, 0.08), "no_data": (0.01, 0.05)}


def shares(size: str, tmp: Path) -> tuple[dict[str, float], Counter[str]]:
    engine = make_engine(f"sqlite:///{tmp / f'{size}.db'}")
    upgrade(engine)
    load(engine, generate(size, 7, AS_OF))
    with Session(engine) as s:
        ws = 1
        snap = load_snapshot(s, ws)
    engine.dispose()
    ev = evaluate(snap, to_day(AS_OF))
    names = [x.wire_name for x in Status]
    metrics = Counter(names[int(c)] for c in ev.metrics.status.status)
    n = sum(metrics.values())
    out = {k: metrics[k] / n for k in ("at_risk", "stale", "no_data")}
    out["on plan"] = (metrics["on_track"] + metrics["achieved"]) / n
    out["off_track"] = (metrics["off_track"] + metrics["missed"]) / n
    objectives = Counter(names[int(c)] for c in ev.objectives.status)
    return out, objectives


@pytest.mark.parametrize("size", ["s", "m"])
def test_the_engine_finds_the_written_status_mix_in_the_demo(
        size: str, tmp_path: Path) -> None:
    got, objectives = shares(size, tmp_path)
    for k, (lo, hi) in BANDS.items():
        assert lo <= got[k] <= hi, f"{size}: {k} is {got[k]:.0%}, not {lo:.0%}–{hi:.0%}"
    assert got["at_risk"] > got["off_track"]
    # Objectives follow their metrics: more on track than anything else.
    assert objectives["on_track"] >= max(objectives["at_risk"], objectives["off_track"])

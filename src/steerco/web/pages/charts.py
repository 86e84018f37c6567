"""Chart data for ECharts: a metric's actuals, plan line, target and forecast cone."""

from __future__ import annotations

from typing import Any

import numpy as np

from steerco.core.plan import plan_values
from steerco.evidence.service import EngineState
from steerco.kit.dates import NO_DAY, from_day
from steerco.kit.numbers import number, percent
from steerco.web.pages.common import finite

MAX_POINTS = 400


def _iso(day: int) -> str:
    return from_day(int(day)).isoformat()


def metric_chart(st: EngineState, row: int, name: str, unit: str) -> dict[str, Any]:
    """Series of one metric (x: ISO dates), ready for `app.js`'s metric chart."""
    snap, mr = st.snapshot, st.evaluation.metrics
    m = snap.metrics
    days, values, _conf = snap.history_of(row)
    if days.shape[0] > MAX_POINTS:
        days, values = days[-MAX_POINTS:], values[-MAX_POINTS:]
    b_day, t_day = int(m.baseline_day[row]), int(m.target_day[row])
    b_val, t_val = float(m.baseline_value[row]), float(m.target_value[row])
    start = min(b_day, int(days[0])) if days.shape[0] else b_day
    grid = np.unique(np.concatenate([np.linspace(start, t_day, 40).astype(np.int64),
                                     [b_day, t_day]]))
    plan = plan_values(snap.plans, np.full(grid.shape[0], row), grid)
    if np.all(np.isnan(plan)):  # no plan points: the plan is linear baseline → target
        span = max(1, t_day - b_day)
        plan = np.where(grid < b_day, b_val, b_val + (t_val - b_val) * np.clip(
            (grid - b_day) / span, 0, 1))
    out: dict[str, Any] = {
        "kind": "metric", "unit": unit,
        "actual": [[_iso(d), round(float(v), 6)] for d, v in zip(days, values, strict=True)],
        "plan": [[_iso(d), finite(v)] for d, v in zip(grid, plan, strict=True)],
        "target": {"value": t_val, "date": _iso(t_day)},
    }
    last_day, last_val = int(mr.last_day[row]), finite(mr.last_value[row])
    fc = finite(mr.forecast[row])
    if last_day != NO_DAY and last_val is not None and fc is not None and t_day > last_day:
        lo80, hi80 = finite(mr.lower80[row]), finite(mr.upper80[row])
        lo95, hi95 = finite(mr.lower95[row]), finite(mr.upper95[row])
        x0, x1 = _iso(last_day), _iso(t_day)
        if None not in (lo80, hi80, lo95, hi95):
            assert lo80 is not None and hi80 is not None and lo95 is not None
            assert hi95 is not None
            out["cone"] = {
                "point": [[x0, last_val], [x1, fc]],
                "lower80": [[x0, last_val], [x1, lo80]], "span80": [[x0, 0], [x1, hi80 - lo80]],
                "lower95": [[x0, last_val], [x1, lo95]], "span95": [[x0, 0], [x1, hi95 - lo95]],
            }
        else:
            out["cone"] = {"point": [[x0, last_val], [x1, fc]], "lower80": [], "span80": [],
                           "lower95": [], "span95": []}
    p = finite(mr.p_hit[row])
    out["description"] = (
        f"{name}: {len(out['actual'])} measurements; target {number(t_val, fc)} {unit} by "
        f"{_iso(t_day)}; forecast {number(fc, t_val, missing='none')}"
        + (f", probability of hitting the target {percent(p)}" if p is not None else ""))
    return out

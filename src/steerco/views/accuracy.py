"""Read model of the accuracy page, the API's /accuracy/owners and `steerco accuracy`.

One answer for all three: how the confidences owners typed at check-in fared once
their targets' dates passed — per owner (Brier score, the Brier score of always saying
their own hit rate, mean confidence, hit rate, bias, verdict), named, and all owners
together as a reliability table. Computed from the engine's cached snapshot (no query
but the people's names).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.evidence.history import (
    CONFIDENCE_BIAS,
    confidence_reliability,
    owner_confidence_report,
)
from steerco.evidence.service import CACHE
from steerco.kit.dates import to_day
from steerco.kit.ids import parse_key
from steerco.org.service import workspace_today
from steerco.views.names import person_names


def owner_accuracy(s: Session, ws: int, up_to: dt.date | None = None) -> dict[str, Any]:
    """{"up_to", "owners": [row + "name"], "overall": {n, brier, ece, table},
    "bias_threshold"} for workspace `ws`, judging targets due by `up_to` (default today
    in the workspace's time zone). Owners are sorted worst Brier score first."""
    day = up_to or workspace_today(s, ws)
    st = CACHE.state(s, ws, workspace_today(s, ws))
    snap = st.snapshot
    rows = owner_confidence_report(snap, to_day(day))
    keys = [parse_key(r["owner_id"].partition("_")[2]) for r in rows]
    names = person_names(s, ws, [k for k in keys if k is not None])
    for r, k in zip(rows, keys, strict=True):
        r["name"] = names.get(k, "Unknown person") if k is not None else "Unknown person"
    return {"up_to": day.isoformat(), "owners": rows,
            "overall": confidence_reliability(snap, to_day(day)),
            "bias_threshold": CONFIDENCE_BIAS}

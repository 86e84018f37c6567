"""status.changed: once a workspace day, compare every metric's and objective's status
with the ones recorded by the previous run and write one workspace event per subject
whose status changed ("Reduce packaging cost: on track → at risk").

Shapes: statuses are `{public id: status name}` (e.g. `{"met_4": "at_risk"}`); the
run's statuses are stored in its own claim row (`job_runs.result["_statuses"]`, a
key the schedule keeps out of its summary), so "the last recorded ones" are those of
the latest earlier run (which then drops them: only the newest run keeps a copy) and no
table is needed. The first run records a baseline and
announces nothing. Idempotent per day: the schedule claims the job once per local day,
and a reminder key per subject and day guards a re-run after a lost claim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from steerco.jobs import repository as repo

JOB = "status_changes"
#: The summary key holding the statuses (kept out of what `steerco jobs` shows).
STORE = "_statuses"
Statuses = dict[str, str]


def current_statuses(s: Session, ws: int, day: dt.date) -> Statuses:
    """Every metric's and objective's status in the engine's evaluation of `day`."""
    from steerco.evidence.service import CACHE, STATUS_NAMES
    from steerco.kit.ids import format_id

    st = CACHE.state(s, ws, day)
    snap, ev = st.snapshot, st.evaluation
    out = {format_id("metric", int(k)): STATUS_NAMES[int(c)]
           for k, c in zip(snap.metrics.ids, ev.metrics.status.status, strict=True)}
    out.update({format_id("objective", int(k)): STATUS_NAMES[int(c)]
                for k, c in zip(snap.objective_ids, ev.objectives.status, strict=True)})
    return out


def changes(before: Statuses, now: Statuses) -> list[tuple[str, str, str]]:
    """(subject, was, is) of every subject in both whose status differs, in id order
    (a subject new since the last run has no "was" and is not a change)."""
    return [(k, before[k], now[k]) for k in sorted(now) if k in before and before[k] != now[k]]


def _human(status: str) -> str:
    return status.replace("_", " ")


def run_status_changes(s: Session, ws: int, day: dt.date, now: dt.datetime,
                       statuses: Callable[[Session, int, dt.date], Statuses] | None = None
                       ) -> dict[str, Any]:
    """Queue one `status.changed` event per changed subject (no commit); the summary
    carries today's statuses under STORE for the next run."""
    from steerco.views.labels import labels_of

    today = (statuses or current_statuses)(s, ws, day)
    prev = repo.last_run(s, ws, JOB, day.isoformat())
    before = (prev.result or {}) if prev is not None else {}
    if not isinstance(before.get(STORE), dict):
        return {"changed": 0, "baseline": True, STORE: today}
    found = changes(before[STORE], today)
    # Only the newest run keeps the statuses (one per subject): older rows stay small.
    assert prev is not None
    prev.result = {k: v for k, v in before.items() if k != STORE}
    names = labels_of(s, ws, [k for k, _w, _n in found])
    fresh = repo.add_reminder_keys(
        s, ws, [f"status.changed:{ref}:{day.isoformat()}" for ref, _w, _n in found], now)
    for ref, was, is_ in found:
        if f"status.changed:{ref}:{day.isoformat()}" not in fresh:
            continue
        kind = "metrics" if ref.startswith("met") else "objectives"
        repo.queue(s, ws, "event", "", {
            "event": "status.changed", "subject": ref, "before": was, "after": is_,
            "title": f"{names.get(ref, ref)}: {_human(was)} → {_human(is_)}",
            "path": f"/{kind}/{ref}", "action": ""}, now)
    return {"changed": len(found), STORE: today}

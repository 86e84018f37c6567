"""The schedule: which jobs run when, each claimed once per workspace and period.

`tick(factory, now)` is everything a worker does at `now`: for each workspace whose
local time (its own time zone, not the server's) has reached `DAILY_HOUR`, every daily
job not yet claimed for that local day runs in one transaction with its claim (a crash
rolls both back, so another worker runs the period); then the outbox is delivered.
huey calls it every minute (steerco.jobs.queue); tests call it on a simulated clock.
Days the workers missed entirely are not replayed: the ladder and the overdue
reminders catch up on the next day by themselves.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from steerco.db.engine import unit_of_work
from steerco.jobs import delivery
from steerco.jobs import reminder_repository as rr
from steerco.jobs import repository as repo
from steerco.jobs.reminders import run_reminders
from steerco.kit import clock

log = logging.getLogger("steerco.jobs")
#: Daily jobs run from this local hour on (not at midnight: reminders are read at work).
DAILY_HOUR = 6
JobFn = Callable[[Session, int, dt.date, dt.datetime], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    """A periodic job: its name, what it does and how often."""

    name: str
    description: str
    every: str  # "day" (per workspace, its local day) or "minute" (all workspaces)
    run: JobFn | None = None


def _escalate(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    from steerco.governance.ladder import run_ladder

    r = run_ladder(s, ws, day)
    return {"opened": len(r.opened), "climbed": len(r.climbed), "messages": r.messages}


def _reminders(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    return {"reminders": len(run_reminders(s, ws, day, now))}


def _digest(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """One e-mail per person who chose the daily digest, with what was held for it."""
    from steerco.jobs import events

    held = repo.held_digest(s, ws)
    msgs = repo.messages(s, [int(d.message_id) for d in held])
    by_to: dict[str, list[dict[str, str]]] = {}
    for d in held:
        m = msgs[int(d.message_id)]
        ev = events.describe(m.kind, m.payload or {})
        by_to.setdefault(d.target[6:], []).append({"title": ev.title, "path": ev.path})
    for to, lines in by_to.items():
        repo.queue(s, ws, "digest", to, {
            "title": f"Your steerco digest for {day.isoformat()}: {len(lines)} "
                     f"notification{'s' if len(lines) != 1 else ''}",
            "path": "/my-work", "action": "Read them in My work → Inbox.", "lines": lines},
            now)
    repo.close_digest(s, [int(d.id) for d in held], now)
    return {"digests": len(by_to)}


def _forecast_snapshot(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Record every metric's forecast on the day of a review (forecast accuracy)."""
    if not rr.reviews_on(s, ws, day):
        return {"recorded": 0}
    from steerco.evidence.history import record_forecasts
    from steerco.evidence.service import CACHE

    return {"recorded": record_forecasts(s, ws, CACHE.state(s, ws, day))}


def _status_changes(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    from steerco.jobs.status_changes import run_status_changes

    return run_status_changes(s, ws, day, now)


def _feeds(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Run the SQL feeds whose metric's cadence is due (a failed one again every day)."""
    from steerco.transfer.feeds.service import run_feeds

    runs = run_feeds(s, ws, now, due_only=True)
    return {"feeds": len(runs), "stored": sum(r.stored for r in runs),
            "failed": sum(1 for r in runs if r.error)}


def _reviews(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Review series go on at their cadence, and the coming reviews' agendas are rebuilt
    (governance.followup): nobody has to schedule the next one or press "build"."""
    from steerco.governance import followup

    made = followup.continue_series(s, ws, day, now)
    s.flush()
    agendas = 0
    if followup.coming_reviews(s, ws, day):
        from steerco.evidence.service import CACHE
        from steerco.findings.service import findings

        agendas = followup.refresh_agendas(s, ws, day, CACHE.state(s, ws, day),
                                           findings(s, ws, day))
    return {"scheduled": len(made), "agendas": agendas}


def _uploads(s: Session, ws: int, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Import uploads (file, progress, report) unchanged for upload.KEEP_DAYS deleted."""
    from steerco.transfer.upload import sweep

    return {"deleted": sweep(s, ws, now)}


DAILY: tuple[Job, ...] = (
    Job("feeds", "SQL feeds whose cadence is due: new rows stored as measurements", "day",
        _feeds),
    Job("escalate", "the escalation ladder: open and climb escalations", "day", _escalate),
    Job("reviews", "review series continued at their cadence; coming agendas rebuilt",
        "day", _reviews),
    Job("status_changes", "status changes of metrics and objectives announced",
        "day", _status_changes),
    Job("forecast_snapshot", "forecasts recorded on review days", "day", _forecast_snapshot),
    Job("reminders", "check-in, milestone and decision reminders", "day", _reminders),
    Job("digest", "the daily e-mail digest", "day", _digest),
    Job("uploads", "import uploads unchanged for 7 days deleted", "day", _uploads),
)
DELIVER = Job("deliver", "deliver the outbox: inbox, e-mail, webhooks", "minute")
JOBS: tuple[Job, ...] = (*DAILY, DELIVER)


def worker_name() -> str:
    """A name for this process in claims (host and pid)."""
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def next_run(job: Job, now: dt.datetime, tz: str = clock.UTC) -> dt.datetime:
    """When `job` runs next after `now` (a daily job: the next DAILY_HOUR in `tz`)."""
    if job.every == "minute":
        return (now + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    local = now.astimezone(clock.zone(tz))
    at = local.replace(hour=DAILY_HOUR, minute=0, second=0, microsecond=0)
    if at <= local:
        at += dt.timedelta(days=1)
    return at.astimezone(dt.UTC)


def _status(factory: sessionmaker[Session], workspaces: list[int], job: str,
            started: dt.datetime, ms: float, error: str | None) -> None:
    try:
        with unit_of_work(factory) as s:
            for ws in workspaces:
                repo.record_status(s, ws, job, started, ms, error)
    except Exception:  # two workers inserting the first row: the other wins
        log.debug("job status of %s not recorded", job, exc_info=True)


def run_daily(factory: sessionmaker[Session], now: dt.datetime,
              worker: str | None = None) -> dict[str, Any]:
    """Run every daily job due at `now` in every workspace (each once per local day)."""
    worker = worker or worker_name()
    with unit_of_work(factory) as s:
        wss = repo.workspaces(s)
    done: dict[str, Any] = {}
    for ws, slug, tz in wss:
        local = now.astimezone(clock.zone(tz))
        if local.hour < DAILY_HOUR:
            continue
        day = local.date()
        for job in DAILY:
            assert job.run is not None
            t0 = time.perf_counter()
            error = None
            try:
                with unit_of_work(factory) as s:
                    s.info["actor"] = f"job:{job.name}"
                    run = repo.claim_period(s, ws, job.name, day.isoformat(), worker, now)
                    if run is None:
                        continue
                    result = job.run(s, ws, day, now)
                    ms = (time.perf_counter() - t0) * 1000
                    run.finished_at = now + dt.timedelta(milliseconds=ms)
                    run.duration_ms, run.result = ms, result
                    # Keys with "_" are the job's own memory (e.g. today's statuses).
                    done[f"{slug}:{job.name}"] = {k: v for k, v in result.items()
                                                  if not k.startswith("_")}
            except Exception as exc:  # one failing job must not stop the rest
                error = f"{slug}: {type(exc).__name__}: {exc}"
                log.error("job %s failed for %s:\n%s", job.name, slug, traceback.format_exc())
            _status(factory, [ws], job.name, now, (time.perf_counter() - t0) * 1000, error)
    return done


def tick(factory: sessionmaker[Session], now: Callable[[], dt.datetime] | None = None,
         transport: delivery.Transport | None = None,
         worker: str | None = None) -> dict[str, Any]:
    """Everything due at `now()` (default: `clock.now`, looked up at each call so a
    moved clock reaches the scheduler): the daily jobs, then delivering the outbox."""
    from steerco.settings import get_settings

    now = now or (lambda: clock.now())

    transport = transport or delivery.Transport.from_settings(get_settings())
    started = now()
    done = run_daily(factory, started, worker)
    t0 = time.perf_counter()
    error = None
    try:
        done["deliver"] = delivery.deliver(factory, transport, now)
    except Exception as exc:  # recorded, retried next minute
        error = f"{type(exc).__name__}: {exc}"
        log.error("delivery failed:\n%s", traceback.format_exc())
    with unit_of_work(factory) as s:
        every = [k for k, _slug, _tz in repo.workspaces(s)]
    # Delivery serves every workspace at once; each one's admin page shows its runs.
    _status(factory, every, DELIVER.name, started, (time.perf_counter() - t0) * 1000, error)
    return done

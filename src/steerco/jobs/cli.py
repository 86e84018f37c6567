"""`steerco worker`, `steerco jobs` and `steerco webhooks …`: functions the main CLI
registers."""

from __future__ import annotations

import json
import signal
import time
from typing import Annotated

import typer
from rich.table import Table

from steerco.cli_common import engine as _engine
from steerco.cli_common import fail, out, resolve_workspace

webhooks_app = typer.Typer(help="Outbound webhooks of a workspace.", no_args_is_help=True)


def worker(
    threads: Annotated[int, typer.Option(help="Worker threads in this process.", min=1,
                                         max=32)] = 1,
) -> None:
    """Run background jobs (escalation ladder, reminders, delivery) until interrupted.

    With STEERCO_JOBS_URL=redis://… any number of workers share the queue; set
    STEERCO_JOBS=off on the servers then.
    """
    from steerco.jobs.queue import make_huey, start_consumer, storage_of
    from steerco.settings import get_settings

    st = get_settings()
    kind, where = storage_of(st.jobs_url, st.database_url)
    huey = make_huey()
    if kind == "redis":
        try:
            huey.storage.conn.ping()
        except Exception as exc:
            fail(f"Redis at {where} does not answer ({exc}); start it or fix "
                 "STEERCO_JOBS_URL")
    consumer = start_consumer(huey, threads)
    out.print(f"steerco worker: jobs on {kind} ({where}), {threads} thread(s); Ctrl-C stops")
    stopping = False

    def stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        time.sleep(0.5)
    consumer.stop(graceful=True)


def jobs(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    tick: Annotated[bool, typer.Option(
        "--run-now", help="Run what is due now once (as a worker would), then list.")]
    = False,
) -> None:
    """List the background jobs: last run, next run, duration and last error."""
    from steerco.db.engine import make_sessionmaker
    from steerco.jobs.schedule import tick as run_tick
    from steerco.kit import clock
    from steerco.views.jobs import job_rows

    factory = make_sessionmaker(_engine())
    if tick:
        run_tick(factory)
    with factory() as s:
        rows = job_rows(s, clock.now())
    if as_json:
        print(json.dumps([{
            "job": r.name, "description": r.description, "every": r.every,
            "last_run": r.last_run.isoformat() if r.last_run else None,
            "duration_ms": None if r.duration_ms is None else round(r.duration_ms, 1),
            "runs": r.runs, "last_error": r.last_error,
            "next_run": r.next_run.isoformat() if r.next_run else None} for r in rows]))
        return
    table = Table("job", "every", "last run", "duration", "next run", "last error")
    for r in rows:
        table.add_row(r.name, r.every, r.last_run.strftime("%Y-%m-%d %H:%M") if r.last_run
                      else "never", "—" if r.duration_ms is None else f"{r.duration_ms:,.0f} ms",
                      r.next_run.strftime("%Y-%m-%d %H:%M UTC") if r.next_run else "on upload",
                      r.last_error or "")
    out.print(table)


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Option(help="Where to POST (http:// or https://).")],
    events: Annotated[str, typer.Option(
        help="Comma-separated event types; empty for all.")] = "",
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    secret: Annotated[str | None, typer.Option(
        help="Signing secret (default: a new random one, printed once).")] = None,
) -> None:
    """Subscribe a URL to a workspace's events (payloads signed with HMAC-SHA256)."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.jobs.service import add_webhook
    from steerco.kit.errors import ValidationFailed

    chosen = [e.strip() for e in events.split(",") if e.strip()]
    try:
        with unit_of_work(make_sessionmaker(_engine())) as s:
            ws = resolve_workspace(s, workspace)
            sub, key = add_webhook(s, ws, {"url": url, "events": chosen or None}, secret)
            sid = sub.id
    except ValidationFailed as exc:
        fail("; ".join(f"--{e.field.split('.')[0]}: {e.message}" for e in exc.errors))
    out.print(f"webhook {sid} → {url} ({', '.join(chosen) or 'every event'}); "
              f"secret: {key}")

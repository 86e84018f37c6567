"""The `steerco` command line: database, demo data, serving and inspection.

Every failure a user can cause ends in one line on stderr and a non-zero exit code; a
traceback is printed only with STEERCO_DEBUG=1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

if TYPE_CHECKING:
    from rich.progress import TaskID

from steerco import __version__
from steerco.cli_common import as_of as parse_as_of
from steerco.cli_common import (
    day_of,
    err,
    fail,
    namer,
    out,
    resolve_workspace,
    workspace_id,
)
from steerco.cli_common import engine as open_engine
from steerco.findings.cli import findings as findings_command
from steerco.findings.cli import whatif as whatif_command
from steerco.jobs import cli as jobs_cli
from steerco.kit import clock
from steerco.kit.errors import SteercoError
from steerco.transfer import cli as transfer_cli

app = typer.Typer(help="steerco: strategy execution computed from evidence.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
admin_app = typer.Typer(help="Accounts: create the first admin.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
forecasts_app = typer.Typer(help="Forecast history: record at a review, judge accuracy.",
                            no_args_is_help=True)
app.add_typer(forecasts_app, name="forecasts")
app.command()(jobs_cli.worker)
app.command()(jobs_cli.jobs)
app.add_typer(jobs_cli.webhooks_app, name="webhooks")

SIZES = ("s", "m", "l", "xl")











def _print_version(value: bool) -> None:
    if value:
        print(f"steerco {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=_print_version)] = False) -> None:
    # Eager, with a callback: otherwise `steerco --version` alone stops at "Missing
    # command" before the option is looked at.
    del version


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Option(help="Target revision.")] = "head") -> None:
    """Migrate the database (STEERCO_DATABASE_URL) up to the newest schema."""
    from steerco.db.migrate import current, upgrade

    engine = open_engine()
    upgrade(engine, revision)
    out.print(f"database at revision {current(engine)} ({engine.url.get_backend_name()})")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Option(help="Target revision ('base' = empty).")] = "base",
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this drops data.")] = False,
) -> None:
    """Migrate the database down (to empty by default); needs --yes."""
    from steerco.db.migrate import current, downgrade

    if not yes:
        fail("downgrading drops tables and their data; pass --yes to confirm")
    engine = open_engine()
    downgrade(engine, revision)
    out.print(f"database at revision {current(engine) or 'base (empty)'}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from steerco.db.migrate import current

    out.print(current(open_engine()) or "not migrated (run: steerco db upgrade)")


@app.command()
def demo(
    size: Annotated[str, typer.Option(help="s ≈ 50 people · m · l · xl = 50,000 people.")] = "s",
    seed: Annotated[int, typer.Option(help="Same seed and date, same company.")] = 7,
    workspace: Annotated[str, typer.Option(help="Slug of the workspace to create.")] = "demo",
    as_of: Annotated[str | None, typer.Option(
        help="The demo's 'today' (YYYY-MM-DD); default today.")] = None,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Do nothing when the workspace already exists.")] = False,
) -> None:
    """Write a realistic demo company into the database (migrating it first)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy.orm import Session

    from steerco.accounts.demo import DEMO_PASSWORD, create_demo_users, demo_logins
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.migrate import upgrade
    from steerco.demo import write_demo
    from steerco.governance.demo import replay
    from steerco.org.repository import WorkspaceRepository

    if size not in SIZES:
        fail(f"--size must be one of {', '.join(SIZES)}, got '{size}'")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else clock.today()
    except ValueError:
        fail(f"--as-of must be a date like 2026-11-22, got '{as_of}'")
    engine = open_engine()
    upgrade(engine)
    with Session(engine) as session:
        existing = WorkspaceRepository(session).by_slug(workspace)
        if existing is not None:
            if not if_missing:
                fail(f"workspace '{workspace}' already exists; choose another --workspace")
            out.print(f"demo workspace '{workspace}' already loaded")
            logins = demo_logins(session, existing.id)
            _print_logins(logins, DEMO_PASSWORD)
            _print_tour(logins)
            return
    with Progress(TextColumn("{task.description:<18}"), BarColumn(), TextColumn(
            "{task.completed:>12,.0f}/{task.total:,.0f}"), TimeElapsedColumn(),
            console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=max(total, 1))
            bar.update(tasks[table], completed=done, total=max(total, 1))

        counts = write_demo(engine, size=size, seed=seed, as_of=day, slug=workspace,
                            progress=progress)
    total = sum(counts.values())
    out.print(f"demo '{workspace}' (size {size}, seed {seed}) written: {total:,} rows")
    with unit_of_work(make_sessionmaker(engine)) as session:
        session.info["actor"] = "cli:demo"
        ws = WorkspaceRepository(session).by_slug(workspace)
        assert ws is not None
        users = create_demo_users(session, ws.id)
    # Here, not in write_demo (a benchmark): the cockpit and review agendas need escalations.
    with unit_of_work(make_sessionmaker(engine)) as session:
        session.info["actor"] = "cli:demo"
        ws = WorkspaceRepository(session).by_slug(workspace)
        assert ws is not None
        ladder = replay(session, ws.id, day)
    out.print(f"escalation ladder as of {day}: {len(ladder.opened):,} escalations opened "
              "(it ran four weeks ago too: some have climbed to the steering committee)")
    _print_logins(users, DEMO_PASSWORD)
    _print_tour(users)


@app.command("real-data")
def real_data(
    data: Annotated[Path | None, typer.Option(
        help="The folder of published data (default: ../shared/data, or "
             "STEERCO_SHARED_DATA).")] = None,
) -> None:
    """Load the `real` workspace, built only from published data through the importers
    (Sourcegraph's OKRs, real KPI series, Apache issue links); nothing when it exists."""
    from sqlalchemy.orm import Session

    from steerco.accounts.demo import DEMO_PASSWORD, demo_logins
    from steerco.db.migrate import upgrade
    from steerco.demo.realdata import NAME, SLUG, load_real, shared_data
    from steerco.org.repository import WorkspaceRepository

    folder = data or shared_data()
    engine = open_engine()
    upgrade(engine)
    with Session(engine) as session:
        ws = WorkspaceRepository(session).by_slug(SLUG)
        if ws is not None:
            out.print(f"workspace '{SLUG}' ({NAME}) already loaded")
            _print_logins(demo_logins(session, ws.id), DEMO_PASSWORD, SLUG)
            return
    if folder is None or not (folder / "okrs").is_dir():
        out.print("no ../shared/data here: the real-data workspace is skipped "
                  "(give --data FOLDER)")
        return
    loaded = load_real(engine, folder)
    made = {k: v["create"] for k, v in loaded.counts.items() if v["create"]}
    out.print(f"workspace '{SLUG}' ({NAME}) written from {folder}: " + ", ".join(
        f"{n:,} {k.lower()}" for k, n in made.items()), soft_wrap=True)
    for line in loaded.targets:
        out.print(f"  {line}", soft_wrap=True, highlight=False)
    for line in loaded.refused:
        out.print(f"  left out: {line}", soft_wrap=True, highlight=False)
    _print_logins(loaded.logins, DEMO_PASSWORD, SLUG)


def _print_tour(users: list[tuple[str, str, str]]) -> None:
    """Three lines: who to log in as first and what to look at (the README's tour)."""
    who = {role: login for login, _, role in users}
    office = who.get("strategy_office", "the strategy office login")
    owner = who.get("owner", "the owner login")
    out.print(f"Tour 1/3: log in as {office} (strategy office) → Cockpit: the status mix, "
              "then Findings: a green-dashboard paradox, a broken supplier dependency.",
              soft_wrap=True)
    out.print("Tour 2/3: My work → an escalation that climbed to the steering committee "
              "waits for your decision; Cockpit → Coming reviews: next week's agenda.",
              soft_wrap=True)
    out.print(f"Tour 3/3: log in as {owner} (owner) → My work: check in on a metric you "
              "own and watch its status, its objective and the cockpit follow.", soft_wrap=True)


def _print_logins(users: list[tuple[str, str, str]], password: str,
                  workspace: str = "demo") -> None:
    """Show who can log in to the demo, one per role."""
    if not users:
        return
    table = Table("role", "login", "name",
                  title=f"{workspace} users (password: {password})")
    for login, name, role in users:
        table.add_row(role.replace("_", " "), login, name)
    out.print(table)


@app.command()
def info(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace (slug).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Count the entities in the database (all workspaces, or one)."""
    from sqlalchemy.orm import Session

    from steerco.db.migrate import current
    from steerco.db.repository import entity_counts

    engine = open_engine()
    if current(engine) is None:
        fail("the database is not migrated yet: run `steerco db upgrade` (or `steerco demo`)")
    with Session(engine) as session:
        counts = entity_counts(session, workspace_id(session, workspace))
    if as_json:
        print(json.dumps(counts))
        return
    table = Table("entity", "count", title=f"steerco · {engine.url.render_as_string()}")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)








@app.command()
def recompute(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Evaluate as of this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Rebuild the engine's snapshot and recompute every forecast and status."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from sqlalchemy.orm import Session

    from steerco.core.evidence import evaluate
    from steerco.evidence.service import WORKERS, EngineState, counts_by_status, load_snapshot
    from steerco.kit.dates import to_day

    day = parse_as_of(as_of)
    engine = open_engine()
    timings: dict[str, float] = {}
    with Session(engine) as session, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
            console=err, transient=True, disable=as_json) as bar:
        wid = resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        t = bar.add_task("reading the workspace into the snapshot", total=None)
        t0 = time.perf_counter()
        snap = load_snapshot(session, wid)
        timings["snapshot_s"] = round(time.perf_counter() - t0, 3)
        bar.update(t, description=f"forecasting {snap.metrics.n:,} metrics and rolling up")
        t0 = time.perf_counter()
        ev = evaluate(snap, to_day(day), workers=WORKERS)
        timings["recompute_s"] = round(time.perf_counter() - t0, 3)
    import threading

    counts = counts_by_status(EngineState(snap, ev, threading.Lock()))
    result = {"as_of": day.isoformat(), "metrics": snap.metrics.n,
              "objectives": int(snap.objective_ids.shape[0]),
              "measurements": int(snap.history.days.shape[0]), **timings, "status": counts}
    if as_json:
        print(json.dumps(result))
        return
    out.print(f"recomputed {snap.metrics.n:,} metrics and {result['objectives']:,} "
              f"objectives as of {day} (snapshot {timings['snapshot_s']} s, "
              f"recompute {timings['recompute_s']} s)")
    table = Table("status", "metrics", "objectives")
    for name in counts["metrics"]:
        table.add_row(name, f"{counts['metrics'][name]:,}", f"{counts['objectives'][name]:,}")
    out.print(table)


@app.command()
def escalate(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    today: Annotated[str | None, typer.Option(
        help="Run the ladder as of this day (YYYY-MM-DD, not after today); default today."
    )] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would happen and write nothing (any day).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Run the escalation ladder: open escalations for breaches, climb overdue ones."""
    from steerco.db.engine import make_sessionmaker
    from steerco.governance.ladder import run_ladder

    try:
        chosen = dt.date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"--today must be a date like 2026-11-22, got '{today}'")
    session = make_sessionmaker(open_engine())()
    try:
        session.info["actor"] = "cli:escalate"
        wid = resolve_workspace(session, workspace)
        now = day_of(session, wid, None)  # today in the workspace's time zone
        day = chosen or now
        if day > now and not dry_run:
            # Escalations dated in the future would sit in the live database as if their
            # grace days had passed; a rehearsal of a future day is what --dry-run is for.
            fail(f"--today {day} is after today ({now}); pass --dry-run to see "
                 "what the ladder would do then without writing it")
        report = run_ladder(session, wid, day)
        name = namer(session, wid, [[r["subject_id"], r["assignee_id"]]
                                    for r in report.opened + report.climbed])
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    if as_json:
        print(json.dumps(report.to_json()))
        return
    # Things by title and people by name; the escalations' ids are in --json.
    table = Table("", "rung", "signal", "subject", "assignee",
                  title=f"escalation ladder as of {day}")
    for verb, rows in (("opened", report.opened), ("climbed", report.climbed)):
        for r in rows[:200]:
            table.add_row(verb, str(r["rung"]), r["signal_kind"].replace("_", " "),
                          name(r["subject_id"]), name(r["assignee_id"]))
    if report.opened or report.climbed:
        out.print(table)
    out.print(f"{len(report.opened):,} opened, {len(report.climbed):,} climbed, "
              f"{report.messages:,} messages queued"
              + (" (dry run: nothing was written)" if dry_run else ""))


STATUS_STYLE = {"on_track": "green", "achieved": "green", "at_risk": "yellow",
                "off_track": "red", "missed": "red", "stale": "magenta", "no_data": "dim"}


@app.command()
def status(
    objective: Annotated[str | None, typer.Option(
        help="Start at this objective (obj_42); default: the top objectives.")] = None,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    depth: Annotated[int, typer.Option(help="Levels of child objectives to show.")] = 2,
    as_of: Annotated[str | None, typer.Option(help="Evaluate as of this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a tree.")] = False,
) -> None:
    """Show objectives with their computed status, reasons and metrics."""
    from rich.markup import escape
    from rich.tree import Tree
    from sqlalchemy.orm import Session

    from steerco.evidence.service import CACHE, status_tree
    from steerco.kit.ids import parse_id
    from steerco.kit.numbers import percent

    day = parse_as_of(as_of)
    if depth < 0:
        fail(f"--depth must be 0 or more, got {depth}")
    engine = open_engine()
    with Session(engine) as session:
        wid = resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        key = None
        if objective is not None:
            key = parse_id(objective, "objective", "--objective")
        st = CACHE.state(session, wid, day)
        tree = status_tree(session, wid, st, key, depth)
        if key is not None and not tree:
            fail(f"no objective {objective} in this workspace")
    if as_json:
        print(json.dumps(tree))
        return

    def label(status_name: str, text: str) -> str:
        style = STATUS_STYLE.get(status_name, "")
        return f"[{style}]{status_name.replace('_', ' ')}[/] {text}"

    root = Tree(f"[bold]status as of {day}[/]")

    def add(parent: Tree, node: dict) -> None:  # type: ignore[type-arg]
        pct = "" if node["progress"] is None else f" · {percent(node['progress'])}"
        branch = parent.add(label(node["status"], f"[bold]{escape(node['title'])}[/]"
                                  f"[dim]{pct}[/] — "
                                  f"{escape(node['explanation'])}"))
        for m in node["metrics"]:
            branch.add(label(m["status"], f"{escape(m['name'])} — "
                                          f"{escape(m['explanation'])}"))
        for c in node["children"]:
            add(branch, c)
        hidden = node["child_count"] - len(node["children"])
        if hidden > 0:
            branch.add(f"[dim]… {hidden} child objectives (use --objective or --depth)[/]")

    for node in tree:
        add(root, node)
    out.print(root)


@forecasts_app.command("record")
def forecasts_record(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Issue date (default today).")] = None,
) -> None:
    """Store every metric's current forecast as issued today (do this at each review)."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.evidence.history import record_forecasts
    from steerco.evidence.service import CACHE

    day = parse_as_of(as_of)
    with unit_of_work(make_sessionmaker(open_engine())) as session:
        wid = resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        n = record_forecasts(session, wid, CACHE.state(session, wid, day))
    out.print(f"recorded {n:,} forecasts issued on {day}")


@forecasts_app.command("accuracy")
def forecasts_accuracy(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Judge forecasts due by this date.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Accuracy of recorded forecasts by horizon, and each owner's confidence calibration."""
    from sqlalchemy.orm import Session

    from steerco.evidence.history import accuracy_report
    from steerco.evidence.service import CACHE

    day = parse_as_of(as_of)
    with Session(open_engine()) as session:
        wid = resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        report = accuracy_report(session, wid, CACHE.state(session, wid, day), day)
        name = namer(session, wid, [r["owner_id"] for r in report["owner_calibration"]])
    if as_json:
        print(json.dumps(report))
        return
    if report["owner_calibration"]:
        cal = Table("owner", "check-ins", "Brier", "Brier of the hit rate", "confidence",
                    "hit rate", "verdict", title="Owners' confidence at check-in")
        for r in report["owner_calibration"]:
            cal.add_row(name(r["owner_id"]), f"{r['checkins']:,}", f"{r['brier']:.3f}",
                        f"{r['brier_base']:.3f}", f"{r['mean_confidence']:.0%}",
                        f"{r['hit_rate']:.0%}", r["verdict"])
        out.print(cal)
    if not report["forecasts_judged"]:
        out.print("no recorded forecast has reached its target date yet "
                  "(record them at each review: steerco forecasts record)")
        return
    table = Table("horizon (months)", "n", "mean error %", "mean abs error %", "RMSE %",
                  title=f"{report['forecasts_judged']:,} forecasts judged")
    from steerco.kit.numbers import number

    for r in report["overall"]:
        table.add_row(str(r["horizon_months"]), f"{r['n']:,}", number(r["mean_error"]),
                      number(r["mean_abs_error"]), number(r["rmse"]))
    out.print(table)


@app.command("accuracy")
def owner_accuracy(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Judge targets due by this date.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Who is reliably optimistic: each owner's check-in confidences against outcomes."""
    from sqlalchemy.orm import Session

    from steerco.views.accuracy import owner_accuracy as view

    day = parse_as_of(as_of)
    with Session(open_engine()) as session:
        wid = resolve_workspace(session, workspace)
        report = view(session, wid, day_of(session, wid, day))
    if as_json:
        print(json.dumps(report))
        return
    if not report["owners"]:
        out.print(f"no check-in confidence has met its target date yet (up to "
                  f"{report['up_to']}): owners give one at check-in, it is judged once the "
                  "target date passes")
        return
    table = Table("owner", "check-ins", "Brier", "Brier of their hit rate", "confidence",
                  "hit rate", "verdict",
                  title=f"Owners' confidence at check-in, targets due by {report['up_to']} "
                        "(Brier: lower is better; 0.25 = always saying 50 %)")
    for r in report["owners"]:
        table.add_row(r["name"], f"{r['checkins']:,}", f"{r['brier']:.3f}",
                      f"{r['brier_base']:.3f}", f"{r['mean_confidence']:.0%}",
                      f"{r['hit_rate']:.0%}", r["verdict"])
    out.print(table)
    o = report["overall"]
    out.print(f"all owners: {o['n']:,} judged confidences, Brier {o['brier']:.3f}, "
              f"calibration error {o['ece']:.3f}")


@forecasts_app.command("changes")
def forecasts_changes(
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_of: Annotated[str | None, typer.Option(help="Compare as of this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """What moved since the last recorded review: statuses, forecasts, P(hit)."""
    from sqlalchemy.orm import Session

    from steerco.evidence.history import changes_since_last_review
    from steerco.evidence.service import CACHE

    day = parse_as_of(as_of)
    with Session(open_engine()) as session:
        wid = resolve_workspace(session, workspace)
        day = day_of(session, wid, day)
        report = changes_since_last_review(session, wid, CACHE.state(session, wid, day))
        name = namer(session, wid, [c["metric_id"] for c in report["changes"][:50]])
    if as_json:
        print(json.dumps(report))
        return
    if report["since"] is None:
        out.print("no review recorded yet: run `steerco forecasts record` at a review")
        return
    worse = sum(c["worse"] for c in report["changes"])
    out.print(f"since {report['since']}: {len(report['changes']):,} metrics moved, "
              f"{worse:,} of them worse")
    from steerco.kit.numbers import number, percent

    for c in report["changes"][:50]:
        before, now = c["forecast_before"], c["forecast_now"]
        out.print(f"  {'▼' if c['worse'] else ' '} {name(c['metric_id'])}: {c['status_before']} → "
                  f"{c['status_now']}, forecast {number(before, now)} → "
                  f"{number(now, before)}, P(hit) {percent(c['p_hit_before'])} → "
                  f"{percent(c['p_hit_now'])}", highlight=False)
    if len(report["changes"]) > 50:
        out.print(f"  … and {len(report['changes']) - 50:,} more (--json lists all)")


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Option(help="Login e-mail of the admin.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    workspace: Annotated[str, typer.Option(help="Workspace slug.")] = "demo",
    password: Annotated[str | None, typer.Option(
        help="At least 10 characters; asked for (twice) when omitted.")] = None,
    create_workspace: Annotated[bool, typer.Option(
        "--create-workspace", help="Create the workspace if it does not exist.")] = False,
    reset_password: Annotated[bool, typer.Option(
        "--reset-password", help="The person exists: make them admin and replace their "
                                 "password.")] = False,
) -> None:
    """Create (or, with --reset-password, promote) a workspace admin with a password."""
    from steerco.accounts.cli import admin_create as create
    from steerco.db.migrate import upgrade

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = open_engine()
    upgrade(engine)
    create(engine, workspace, email, name, password, create_workspace, reset_password)
    out.print(f"admin {name} <{email}> can now log in to workspace '{workspace}'")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (1–65535).", min=1,
                                             max=65535)] = None,
    workers: Annotated[int, typer.Option(help="Server processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the web app and API (bringing a migrated database up to date first).

    It never creates a database: a mistyped path would otherwise be served as a new,
    empty one. Create it with `steerco db upgrade` (or `steerco demo`).
    """
    from steerco.db.engine import sqlite_path, where
    from steerco.db.migrate import current, upgrade
    from steerco.settings import get_settings
    from steerco.web.server import serve as run_server

    settings = get_settings()
    if not 1 <= settings.port <= 65535 and port is None:
        fail(f"STEERCO_PORT must be a port from 1 to 65535, got {settings.port}")
    engine = open_engine()
    path = sqlite_path(engine)
    if path is not None and not path.is_file():
        fail(f"no database at {path} (from STEERCO_DATABASE_URL); check the path, or "
             "create it with `steerco db upgrade` or `steerco demo`")
    if current(engine) is None:
        fail(f"the database {where(engine)} is not migrated (no steerco schema in it); "
             "check STEERCO_DATABASE_URL, or run `steerco db upgrade`")
    upgrade(engine)
    engine.dispose()  # the workers open their own connections
    host, port = host or settings.host, port or settings.port
    if "STEERCO_BASE_URL" not in os.environ and host not in ("0.0.0.0", "::", ""):
        # Links in e-mails follow the address served unless a base URL is set.
        settings.base_url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    out.print(_mail_line(settings), soft_wrap=True, highlight=False)
    consumer = None
    if settings.jobs == "inline":
        # Background jobs in this process (SQLite storage by default): nothing to start
        # by hand. STEERCO_JOBS=off leaves them to `steerco worker` processes.
        from steerco.jobs.queue import make_huey, start_consumer

        consumer = start_consumer(make_huey())
    elif settings.jobs != "off":
        fail(f"STEERCO_JOBS must be 'inline' or 'off', got '{settings.jobs}'")
    try:
        run_server("steerco.web.main:app", host, port, workers)
    finally:
        if consumer is not None:
            consumer.stop()


def _mail_line(settings: Any) -> str:
    """Where e-mail goes, said once when the server starts."""
    if settings.smtp_host:
        where = f"via SMTP {settings.smtp_host}:{settings.smtp_port}"
    elif settings.mail_dir:
        where = (f"written to {Path(settings.mail_dir).resolve()}/ as .eml files (no SMTP "
                 "server: set STEERCO_SMTP_HOST to send it)")
    else:
        return ("e-mail: off (set STEERCO_SMTP_HOST, or STEERCO_MAIL_DIR for files); the "
                "in-app inbox gets everything")
    return f"e-mail: {where}; its links point to {settings.base_url}"


def _engine_or_none() -> Any:
    """The configured engine, to name its file in an error (None if it cannot be made)."""
    try:
        return open_engine()
    except Exception:
        return None


def main() -> None:
    """Entry point: run the CLI and turn every expected failure into one line."""
    try:
        app(standalone_mode=True)
    except SteercoError as exc:
        err.print(f"[bold red]error:[/] {exc.detail}", highlight=False)
        sys.exit(1)
    except OperationalError as exc:
        if os.environ.get("STEERCO_DEBUG") == "1":
            raise
        from steerco.db.engine import describe_failure

        meaning = describe_failure(exc, _engine_or_none())
        err.print(f"[bold red]error:[/] database: {meaning or str(exc.orig).splitlines()[0]}",
                  highlight=False, soft_wrap=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        if os.environ.get("STEERCO_DEBUG") == "1":
            raise
        err.print(f"[bold red]error:[/] database: {type(exc).__name__}: "
                  f"{str(exc).splitlines()[0]}", highlight=False)
        sys.exit(1)
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        # A STEERCO_* variable out of range or of the wrong type: name it, no traceback.
        for e in exc.errors():
            name = "STEERCO_" + "_".join(str(x) for x in e["loc"]).upper()
            err.print(f"[bold red]error:[/] {name}={e.get('input')!s}: {e['msg']}",
                      highlight=False, soft_wrap=True)
        sys.exit(1)


app.command("findings")(findings_command)
app.command("whatif")(whatif_command)
transfer_cli.register(app)

"""The `steerco` command line: database, demo data, serving and inspection.

Every failure a user can cause ends in one line on stderr and a non-zero exit code; a
traceback is printed only with STEERCO_DEBUG=1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from steerco import __version__
from steerco.kit.errors import SteercoError

app = typer.Typer(help="steerco: strategy execution computed from evidence.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
out = Console()
err = Console(stderr=True)

SIZES = ("s", "m", "l", "xl")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _engine():  # type: ignore[no-untyped-def]
    from steerco.db.engine import make_engine

    return make_engine()


def _workspace_id(session, slug: str | None) -> int | None:  # type: ignore[no-untyped-def]
    from steerco.org.repository import WorkspaceRepository

    repo = WorkspaceRepository(session)
    if slug is None:
        return None
    ws = repo.by_slug(slug)
    if ws is None:
        known = ", ".join(w.slug for w in repo.all()) or "none yet (run steerco demo)"
        fail(f"no workspace '{slug}'; known: {known}")
    return ws.id


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", help="Print the version.")]
          = False) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit()


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Option(help="Target revision.")] = "head") -> None:
    """Migrate the database (STEERCO_DATABASE_URL) up to the newest schema."""
    from steerco.db.migrate import current, upgrade

    engine = _engine()
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
    engine = _engine()
    downgrade(engine, revision)
    out.print(f"database at revision {current(engine) or 'base (empty)'}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from steerco.db.migrate import current

    out.print(current(_engine()) or "not migrated (run: steerco db upgrade)")


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

    from steerco.db.migrate import upgrade
    from steerco.demo import write_demo
    from steerco.org.repository import WorkspaceRepository

    if size not in SIZES:
        fail(f"--size must be one of {', '.join(SIZES)}, got '{size}'")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        fail(f"--as-of must be a date like 2026-11-22, got '{as_of}'")
    engine = _engine()
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        if WorkspaceRepository(session).by_slug(workspace) is not None:
            if if_missing:
                out.print(f"demo workspace '{workspace}' already loaded")
                return
            fail(f"workspace '{workspace}' already exists; choose another --workspace")
    with Progress(TextColumn("{task.description:<18}"), BarColumn(), TextColumn(
            "{task.completed:>12,.0f}/{task.total:,.0f}"), TimeElapsedColumn(),
            console=err, transient=False) as bar:
        tasks: dict[str, int] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=max(total, 1))
            bar.update(tasks[table], completed=done, total=max(total, 1))

        counts = write_demo(engine, size=size, seed=seed, as_of=day, slug=workspace,
                            progress=progress)
    total = sum(counts.values())
    out.print(f"demo '{workspace}' (size {size}, seed {seed}) written: {total:,} rows")


@app.command()
def info(
    workspace: Annotated[str | None, typer.Option(help="Only this workspace (slug).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Count the entities in the database (all workspaces, or one)."""
    from sqlalchemy.orm import Session

    from steerco.db.migrate import current
    from steerco.db.repository import entity_counts

    engine = _engine()
    if current(engine) is None:
        fail("the database is not migrated yet: run `steerco db upgrade` (or `steerco demo`)")
    with Session(engine) as session:
        counts = entity_counts(session, _workspace_id(session, workspace))
    if as_json:
        print(json.dumps(counts))
        return
    table = Table("entity", "count", title=f"steerco · {engine.url.render_as_string()}")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    out.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
) -> None:
    """Serve the web app and API (migrating the database first)."""
    import uvicorn

    from steerco.db.migrate import upgrade
    from steerco.settings import get_settings

    settings = get_settings()
    upgrade(_engine())
    uvicorn.run("steerco.web.main:app", host=host or settings.host,
                port=port or settings.port, workers=workers, log_level="info")


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
        err.print(f"[bold red]error:[/] database: {str(exc.orig).splitlines()[0]}",
                  highlight=False)
        sys.exit(1)
    except SQLAlchemyError as exc:
        if os.environ.get("STEERCO_DEBUG") == "1":
            raise
        err.print(f"[bold red]error:[/] database: {type(exc).__name__}: "
                  f"{str(exc).splitlines()[0]}", highlight=False)
        sys.exit(1)

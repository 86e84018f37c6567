"""`steerco feeds add|list|run|remove`: SQL feeds of metrics (the URL is never printed
with its password)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.table import Table

from steerco.cli_common import engine as _engine
from steerco.cli_common import err, fail, out
from steerco.cli_common import resolve_workspace as _resolve_workspace

feeds_app = typer.Typer(help="SQL feeds: metrics fed by a read-only SELECT against another "
                             "database.", no_args_is_help=True)
Workspace = Annotated[str | None, typer.Option(help="Workspace slug.")]


def _workspace(slug: str | None) -> tuple[Any, int]:
    from sqlalchemy.orm import Session

    eng = _engine()
    with Session(eng) as s:
        return eng, _resolve_workspace(s, slug)


@feeds_app.command("add")
def add(
    metric: Annotated[str, typer.Option(help="The metric's name or id (met_12).")],
    query: Annotated[str, typer.Option(help="One SELECT returning (as_of, value) rows.")],
    url_env: Annotated[str | None, typer.Option(
        help="Name of the environment variable holding the database URL (keeps its "
             "password out of the shell history).")] = None,
    url: Annotated[str | None, typer.Option(
        help="The SQLAlchemy URL, e.g. sqlite:////data/sales.db; prefer --url-env when it "
             "holds a password. Omit both to keep the stored one.")] = None,
    workspace: Workspace = None,
) -> None:
    """Set (or change) the SQL feed of a metric."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.kit.errors import SteercoError
    from steerco.transfer.feeds import service

    if url_env:
        url = os.environ.get(url_env)
        if not url:
            fail(f"--url-env: the environment variable {url_env} is not set")
    eng, ws = _workspace(workspace)
    try:
        with unit_of_work(make_sessionmaker(eng)) as s:
            s.info["actor"] = "cli:feeds"
            m = service.resolve_metric(s, ws, metric, "--metric")
            row = service.save(s, ws, m, {"url": url, "query": query})
            shown = service.public(row, m)
    except SteercoError as exc:
        fail("; ".join(str(e) for e in exc.errors) or exc.detail)
    out.print(f"SQL feed of “{shown['metric']}” saved: {shown['url']} "
              f"(runs {shown['cadence']}; run it now with `steerco feeds run --metric "
              f"{shown['metric_id']}`)", highlight=False)


@feeds_app.command("list")
def list_feeds(workspace: Workspace = None,
               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every SQL feed: metric, database (masked), last run and its outcome."""
    from sqlalchemy.orm import Session

    from steerco.transfer.feeds import service

    eng, ws = _workspace(workspace)
    with Session(eng) as s:
        rows = service.feeds(s, ws)
    if as_json:
        print(json.dumps(rows, default=str))
        return
    if not rows:
        out.print("no SQL feed yet: add one with `steerco feeds add --metric NAME --url-env "
                  "VAR --query 'SELECT as_of, value FROM …'`")
        return
    t = Table("metric", "database", "cadence", "last run", "read", "stored", "last error")
    t.columns[1].overflow = "fold"  # the whole (masked) URL, wrapped
    for r in rows:
        t.add_row(r["metric"], r["url"], r["cadence"],
                  str(r["last_run_at"] or "never")[:16], f"{r['rows_read']:,}",
                  f"{r['rows_stored']:,}", r["last_error"] or "")
    out.print(t)


@feeds_app.command("run")
def run(
    metric: Annotated[str | None, typer.Option(help="Only this metric's feed (name or id)."
                                               )] = None,
    due: Annotated[bool, typer.Option("--due", help="Only the feeds whose cadence is due."
                                      )] = False,
    workspace: Workspace = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the SQL feeds now; exit 1 when one failed (recorded on the feed, owner told)."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.kit.errors import SteercoError
    from steerco.transfer.feeds import service

    eng, ws = _workspace(workspace)
    try:
        with unit_of_work(make_sessionmaker(eng)) as s:
            s.info["actor"] = "cli:feeds"
            m = service.resolve_metric(s, ws, metric, "--metric") if metric else None
            runs = service.run_feeds(s, ws, metric=m, due_only=due)
    except SteercoError as exc:
        fail("; ".join(str(e) for e in exc.errors) or exc.detail)
    if as_json:
        print(json.dumps([r.as_json() for r in runs], default=str))
    elif not runs:
        out.print("no SQL feed to run" + (" (none is due)" if due else ""))
    for r in runs if not as_json else []:
        if r.error:
            err.print(f"[red]failed:[/] “{r.metric}”: {r.error}", highlight=False,
                      soft_wrap=True)
        else:
            out.print(f"“{r.metric}”: {r.read:,} row(s) read, {r.stored:,} stored, "
                      f"{r.known:,} read before", highlight=False)
    if any(r.error for r in runs):
        raise typer.Exit(1)


@feeds_app.command("remove")
def remove(metric: Annotated[str, typer.Option(help="The metric's name or id.")],
           workspace: Workspace = None) -> None:
    """Remove a metric's SQL feed (the measurements it stored stay)."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.kit.errors import SteercoError
    from steerco.transfer.feeds import service

    eng, ws = _workspace(workspace)
    try:
        with unit_of_work(make_sessionmaker(eng)) as s:
            s.info["actor"] = "cli:feeds"
            m = service.resolve_metric(s, ws, metric, "--metric")
            service.delete(s, ws, m)
            name = m.name
    except SteercoError as exc:
        fail("; ".join(str(e) for e in exc.errors) or exc.detail)
    out.print(f"SQL feed of “{name}” removed (its measurements stay)", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")

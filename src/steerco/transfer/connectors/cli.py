"""`steerco connector jira|asana …` (settings) and `steerco sync jira|asana [--dry-run]`."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer
from rich.table import Table

from steerco.cli_common import engine as _engine
from steerco.cli_common import err, fail, out
from steerco.cli_common import resolve_workspace as _resolve_workspace

KINDS = ("jira", "asana")


def _workspace(slug: str | None) -> tuple[Any, int]:
    from sqlalchemy.orm import Session

    eng = _engine()
    with Session(eng) as s:
        return eng, _resolve_workspace(s, slug)


def connector(
    kind: Annotated[str, typer.Argument(help="jira or asana")],
    url: Annotated[str, typer.Option(help="Jira: https://your-domain.atlassian.net; "
                                          "Asana: https://app.asana.com/api/1.0")],
    login: Annotated[str | None, typer.Option(help="Jira: the account's e-mail.")] = None,
    token_env: Annotated[str | None, typer.Option(
        help="Name of the environment variable holding the API token (kept out of the "
             "shell history); omit to keep the stored one.")] = None,
    settings: Annotated[str, typer.Option(
        help='The settings as JSON, e.g. \'{"projects": ["EX"]}\' or '
             '\'{"jql": "project = EX AND type = Epic"}\'.')] = "{}",
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Set up a workspace's Jira or Asana connection (the token is never printed)."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.kit.errors import ValidationFailed
    from steerco.transfer.connectors import service

    if kind not in KINDS:
        fail(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    secret = None
    if token_env:
        secret = os.environ.get(token_env)
        if not secret:
            fail(f"--token-env: the environment variable {token_env} is not set")
    try:
        body = json.loads(settings)
    except json.JSONDecodeError as exc:
        fail(f"--settings: not JSON ({exc.msg} at character {exc.pos})")
    eng, ws = _workspace(workspace)
    try:
        with unit_of_work(make_sessionmaker(eng)) as s:
            row = service.save(s, ws, kind, {"base_url": url, "login": login,
                                             "secret": secret, "settings": body})
            shown = service.public(row, kind)
    except ValidationFailed as exc:
        fail("; ".join(str(e) for e in exc.errors))
    out.print(f"{kind} connector saved: {shown['base_url']} "
              f"({'token stored' if shown['has_secret'] else 'no token'})")


def sync(
    kind: Annotated[str, typer.Argument(help="jira or asana")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would change; "
                                                            "write nothing.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Read everything again, not only "
                                                      "what changed since the last sync.")
                    ] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The result as JSON.")] = False,
) -> None:
    """Sync work from Jira or Asana into initiatives, milestones, dependencies and key
    results; exit 1 when the tool could not be read or a row was refused."""
    from steerco.transfer.connectors.http import SyncFailed
    from steerco.transfer.connectors.sync import run_sync

    if kind not in KINDS:
        fail(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    eng, ws = _workspace(workspace)
    try:
        r = run_sync(eng, ws, kind, dry_run=dry_run, full=full, actor="cli")
    except SyncFailed as exc:
        fail(f"{kind}: {exc} (nothing written)")
    if as_json:
        print(json.dumps(r.as_json(), default=str))
    else:
        t = Table("sheet", "create", "update", "unchanged", title=(
            "dry run: nothing written" if dry_run else "written") +
            f" · {r.fetched:,} read in {r.requests:,} request(s), {r.links:,} link(s)")
        for sheet, c in r.counts.items():
            t.add_row(sheet, f"{c['create']:,}", f"{c['update']:,}", f"{c['unchanged']:,}")
        out.print(t)
        for line in r.changes[:200] if dry_run else []:
            out.print(f"  {line}", highlight=False)
        for line in r.warnings[:100]:
            err.print(f"[yellow]warning:[/] {line}", highlight=False)
        for line in r.errors[:200]:
            err.print(f"[red]refused:[/] {line}", highlight=False)
    if r.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("connector")(connector)
    app.command("sync")(sync)

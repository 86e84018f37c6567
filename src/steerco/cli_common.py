"""Helpers every `steerco` command shares: consoles, one-line failures, the database.

A separate module so command modules of other packages (e.g. steerco.findings.cli) can use
them without importing the main CLI, which imports them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def engine() -> Engine:
    from steerco.db.engine import make_engine

    return make_engine()


def workspace_id(session: Session, slug: str | None) -> int | None:
    from steerco.org.repository import WorkspaceRepository

    repo = WorkspaceRepository(session)
    if slug is None:
        return None
    ws = repo.by_slug(slug)
    if ws is None:
        known = ", ".join(w.slug for w in repo.all()) or "none yet (run steerco demo)"
        fail(f"no workspace '{slug}'; known: {known}")
    return ws.id


def resolve_workspace(session: Session, slug: str | None) -> int:
    """The workspace named by --workspace, else by STEERCO_WORKSPACE, else the first one
    made (the only one, on most installations; with several, stderr says which was taken
    and how to pick another, as kubectl names its current context)."""
    import os

    from sqlalchemy import inspect

    from steerco.org.repository import WorkspaceRepository

    if not inspect(session.connection()).has_table("workspaces"):
        fail("the database is not migrated yet: run `steerco db upgrade` (or `steerco demo`)")
    slug = slug or os.environ.get("STEERCO_WORKSPACE") or None
    if slug is not None:
        found = workspace_id(session, slug)
        assert found is not None
        return found
    all_ws = WorkspaceRepository(session).all()
    if not all_ws:
        fail("the database has no workspace yet: run `steerco demo` to load one")
    if len(all_ws) > 1:
        others = ", ".join(w.slug for w in all_ws[1:])
        typer.echo(f"workspace '{all_ws[0].slug}' (others: {others}; pick one with "
                   "--workspace or STEERCO_WORKSPACE)", err=True)
    return all_ws[0].id


def as_of(value: str | None) -> dt.date | None:
    """The date of an `--as-of` option; None when absent (see `day_of`)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of must be a date like 2026-11-22, got '{value}'")


def day_of(session: Any, workspace_id: int, day: dt.date | None) -> dt.date:
    """`day`, or else today in the workspace's time zone."""
    from steerco.org.service import workspace_today

    return day or workspace_today(session, workspace_id)


def _ids_in(value: Any, found: set[str]) -> set[str]:
    """Every public id (`mil_5`, `per_47`) anywhere in a JSON-like value."""
    import re

    if isinstance(value, str):
        if re.fullmatch(r"[a-z]{3}_\d+", value):
            found.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            _ids_in(v, found)
    elif isinstance(value, list | tuple):
        for v in value:
            _ids_in(v, found)
    return found


def namer(session: Session, workspace: int, data: Any) -> Any:
    """A function naming the public ids in `data` for human output: a person's name, an
    objective's title, a dependency as "provider → consumer" (steerco.views.labels);
    "—" for None. Ids stay in --json only."""
    from steerco.views.labels import labels_of

    names = labels_of(session, workspace, sorted(_ids_in(data, set())))

    def name(pid: str | None) -> str:
        return "—" if not pid else names.get(pid, pid)

    return name

"""The boundary of a sync: read the tool, stage its rows through the import pipeline,
commit (or, for a dry run, roll back), and record what happened on the connector.

Nothing is written when the tool cannot be read (a `SyncFailed`: the reason is recorded
on the connector). A row the services refuse (an issue link that would close a cycle, a
milestone of an unknown initiative, …) is left out and reported by its Jira or Asana key;
the others are written. The cursor moves only on a real sync, so a dry run can be
repeated and shows the same changes.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from steerco.db.audit import acting
from steerco.db.engine import make_sessionmaker
from steerco.db.models import Connector
from steerco.org.service import workspace_today
from steerco.transfer.connectors.asana import AsanaSettings, fetch, map_data
from steerco.transfer.connectors.http import Client, SyncFailed
from steerco.transfer.connectors.jira import (
    JiraSettings,
    fetch_board_epics,
    fetch_issues,
    map_issues,
)
from steerco.transfer.connectors.repository import ConnectorRepository
from steerco.transfer.pipeline import stage
from steerco.transfer.read import Book, Table
from steerco.transfer.report import Report
from steerco.transfer.spec import BY_NAME


@dataclass
class SyncResult:
    """What a sync did (or, for a dry run, would do)."""

    kind: str
    dry_run: bool
    written: bool = False
    fetched: int = 0
    links: int = 0
    outside: int = 0
    requests: int = 0
    seconds: float = 0.0
    cursor: str | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: (provider, consumer, path) of every link refused because it would close a cycle.
    cycles: list[tuple[str, str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "kind", "dry_run", "written", "fetched", "links", "outside", "requests",
            "seconds", "cursor", "counts", "changes", "errors", "warnings")} | {
            "cycles": [list(c) for c in self.cycles]}


def _book(sheets: dict[str, list[dict[str, Any]]]) -> tuple[Book, dict[tuple[str, int], str]]:
    """A Book of the given rows; (sheet title, row number) → the tool's key of the row."""
    book, where = Book(), {}
    for name, rows in sheets.items():
        spec = BY_NAME[name]
        table = Table(spec, spec.title)
        for i, r in enumerate(rows, start=2):
            table.rows.append((i, r))
            where[(spec.title, i)] = str(r.get("key") or (
                f"{r['provider']} → {r['consumer']}" if "provider" in r else r.get("metric")))
        if rows:
            book.tables[name] = table
    return book, where


def run_sync(engine: Engine, workspace_id: int, kind: str, *, dry_run: bool = False,
             full: bool = False, transport: httpx.BaseTransport | None = None,
             now: dt.datetime | None = None, actor: str | None = None) -> SyncResult:
    """Sync one connector of a workspace; SyncFailed when it is missing or unreadable.

    What it writes is audited as "<actor> via jira sync" (or asana).
    """
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    result = SyncResult(kind=kind, dry_run=dry_run)
    session = make_sessionmaker(engine)()
    session.info["actor"] = acting(actor, f"{kind} sync")
    try:
        repo = ConnectorRepository(session, workspace_id)
        row = repo.get(kind)
        if row is None:
            raise SyncFailed(f"this workspace has no {kind} connector: set one up on the "
                             "Connectors page (Admin)")
        client = Client(row.base_url, secret=row.secret, login=row.login,
                        bearer=kind == "asana", transport=transport)
        try:
            with client:
                sheets, cursor = _read(session, workspace_id, row, client, result,
                                       None if full else row.cursor, now)
        except SyncFailed as exc:
            result.errors = [str(exc)]
            result.requests = client.requests
            if not dry_run:
                _record(row, result, now, keep_cursor=True)
                session.commit()
            raise
        result.requests = client.requests
        book, where = _book(sheets)
        report = stage(session, workspace_id, book,
                       today=workspace_today(session, workspace_id)) if book.tables else Report()
        _outcome(result, report, where)
        result.cursor = cursor
        if dry_run:
            session.rollback()
        else:
            _record(row, result, now, keep_cursor=False)
            session.commit()
            result.written = True
        result.seconds = round(time.perf_counter() - started, 3)
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _read(session: Session, workspace_id: int, row: Connector, client: Client,
          result: SyncResult, cursor: str | None,
          now: dt.datetime) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Fetch from the tool and map to sheet rows; the cursor to keep afterwards."""
    repo = ConnectorRepository(session, workspace_id)
    people = repo.people_emails()
    known = repo.initiative_keys() | repo.milestone_keys()
    if row.kind == "jira":
        js = JiraSettings.model_validate(row.settings or {})
        try:
            js.scope()
        except ValueError as exc:
            raise SyncFailed(f"settings: {exc}") from None
        epics = [e for b in js.boards for e in fetch_board_epics(client, b)]
        issues = list(fetch_issues(client, js, cursor))
        rows = map_issues(issues, js, row.base_url, people, epics,
                          frozenset(repo.initiative_keys()))
        result.fetched = rows.issues
        newest = rows.newest.isoformat() if rows.newest else cursor
        initiatives, milestones, links = rows.initiatives, rows.milestones, rows.links
        metrics: dict[str, dict[str, Any]] = {}
        measurements: list[dict[str, Any]] = []
        result.warnings = rows.warnings
    else:
        s = AsanaSettings.model_validate(row.settings or {})
        data = fetch(client, s, cursor)
        ar = map_data(data, s, people, workspace_today(session, workspace_id))
        result.fetched = len(data.goals) + len(data.portfolios) + len(data.tasks)
        newest = now.isoformat()
        initiatives, milestones, links = ar.initiatives, ar.milestones, ar.links
        metrics, measurements = ar.metrics, ar.measurements
        result.warnings = ar.warnings
    ends = known | set(initiatives) | set(milestones)
    kept = [{"provider": p, "consumer": c, "note": f"{row.kind} link: {name}"}
            for (p, c), name in links.items() if p in ends and c in ends]
    result.links = len(kept)
    result.outside = len(links) - len(kept)
    return {"metrics": list(metrics.values()), "initiatives": list(initiatives.values()),
            "milestones": list(milestones.values()), "dependencies": kept,
            "measurements": measurements}, newest


#: How a change line names a row of each sheet.
SINGULAR = {"Initiatives": "initiative", "Milestones": "milestone",
            "Dependencies": "dependency", "Metrics": "key result",
            "Measurements": "check-ins"}


def _outcome(result: SyncResult, report: Report, where: dict[tuple[str, int], str]) -> None:
    result.counts = {k: v for k, v in report.counts().items()}
    for o in report.outcomes:
        if o.action == "unchanged":
            continue
        detail = "; ".join(f"{f}: {a} → {b}" for f, (a, b) in o.changes.items())
        result.changes.append(f"{o.action} {SINGULAR.get(o.sheet, o.sheet)} {o.key}"
                              + (f" ({detail})" if detail else ""))
    for sheet, per in report.bulk.items():  # bulk sheets report counts, not rows
        result.changes += [f"{action} {per[action]} {SINGULAR.get(sheet, sheet.lower())}"
                           for action in ("create", "update") if per.get(action)]
    for p in report.problems:
        key = where.get((p.sheet, p.row or 0), p.sheet)
        result.errors.append(f"{key}: {p.column + ': ' if p.column else ''}{p.reason}")
        if "cycle" in p.reason and " → " in key:
            prov, cons = key.split(" → ", 1)
            result.cycles.append((prov, cons, p.reason))


def _record(row: Connector, result: SyncResult, now: dt.datetime, *, keep_cursor: bool) -> None:
    row.last_sync_at = now
    row.last_counts = {"fetched": result.fetched, "links": result.links,
                       "requests": result.requests, **{
                           sheet: c for sheet, c in result.counts.items()}}
    row.last_errors = (result.errors + result.warnings)[:200]
    if not keep_cursor:
        row.cursor = result.cursor

"""Jira sync from a local fake Jira: 10,000 issues and 30,000 links, then a resync.

`python -m bench.jira_sync [--quick] [--json]` (--quick: 500 issues, 1,500 links).

The fake (tests/fakes/jira.py) answers with Atlassian's own shapes: 1 epic per 50
issues, the other issues tasks of those epics, due dates spread over a year, and links
of the types "Blocks" and "Dependency" (half each, from both ends like real Jira) only
from a lower to a higher issue number, so the graph is acyclic and every link is synced.
The first sync reads everything (pages of 100); the second, with nothing changed, must
make only the cursor query: one request (`resync_requests`).
Keys: issues, links, seconds (first sync), requests, resync_seconds, resync_requests,
dependencies (written), errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.fakes.jira import FakeJira, link, make_issue

from bench._common import run
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import Dependency
from steerco.org.service import create_workspace
from steerco.transfer.connectors import service as connectors
from steerco.transfer.connectors.sync import run_sync


def issues(n: int, m: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    out = []
    for i in range(1, n + 1):
        epic = i % 50 == 1
        parent = f"BEN-{(i - 1) // 50 * 50 + 1}"
        out.append(make_issue(
            f"BEN-{i}", f"{'Epic' if epic else 'Task'} {i}",
            issuetype="Epic" if epic else "Task",
            parent=None if epic else (parent, "Epic"),
            due=(dt.date(2026, 1, 1) + dt.timedelta(days=i % 365)).isoformat(),
            updated=t0 + dt.timedelta(minutes=3 * i)))
    tasks = [i for i in range(1, n + 1) if i % 50 != 1]
    seen: set[tuple[int, int]] = set()
    while len(seen) < m:
        a, b = sorted(rng.sample(tasks, 2))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        blocks = len(seen) % 2 == 0
        name, out_p, in_p = (("Blocks", "blocks", "is blocked by") if blocks else
                             ("Dependency", "depends on", "is depended on by"))
        # a before b: "a blocks b" / "b depends on a", on both issues
        first, second = (a, b) if blocks else (b, a)
        link(out[first - 1], f"BEN-{second}", name, out_p, in_p, "outward")
        link(out[second - 1], f"BEN-{first}", name, out_p, in_p, "inward")
    return out


def body(args: argparse.Namespace) -> dict[str, Any]:
    n, m = (500, 1_500) if args.quick else (10_000, 30_000)
    folder = Path(tempfile.mkdtemp(prefix="jira-sync-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    server = HTTPServer()
    server.start()
    try:
        jira = FakeJira(server, issues(n, m))
        with unit_of_work(make_sessionmaker(engine)) as s:
            ws = create_workspace(s, {"slug": f"b-{uuid.uuid4().hex[:8]}", "name": "Bench"}).id
            connectors.save(s, ws, "jira", {"base_url": jira.url, "settings": {
                "projects": ["BEN"]}})
        t = time.perf_counter()
        first = run_sync(engine, ws, "jira")
        seconds = time.perf_counter() - t
        t = time.perf_counter()
        again = run_sync(engine, ws, "jira")
        resync = time.perf_counter() - t
        with Session(engine) as s:
            deps = s.scalar(select(func.count()).select_from(Dependency).where(
                Dependency.workspace_id == ws))
    finally:
        server.stop()
    return {"issues": first.fetched, "links": first.links, "seconds": round(seconds, 2),
            "requests": first.requests, "resync_seconds": round(resync, 2),
            "resync_requests": again.requests, "resync_fetched": again.fetched,
            "dependencies": deps, "errors": len(first.errors) + len(again.errors)}


if __name__ == "__main__":
    run("jira_sync", body, __doc__.splitlines()[0] if __doc__ else "jira_sync")

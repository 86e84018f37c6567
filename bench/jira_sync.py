"""Jira sync from a local fake Jira: 10,000 issues and 30,000 links, then a resync.

`python -m bench.jira_sync [--quick] [--json] [--issues N]` (--quick: 500 issues, 1,500
links; --issues N: N issues and 3N links, for profiling).

The fake (tests/fakes/jira.py) answers with Atlassian's own shapes: 1 epic per 50
issues, the other issues tasks of those epics, due dates spread over a year, and links
of the types "Blocks" and "Dependency" (half each, from both ends like real Jira) only
from a lower to a higher issue number, so the graph is acyclic and every link is synced.
The first sync reads everything (pages of 100); the second, with nothing changed, must
make only the cursor query: one request (`resync_requests`).

Peer, in the same run: `fetch_seconds`, the same pages (same JQL, paging and fields)
fetched from the same fake server with httpx alone and parsed as JSON — the network and
JSON floor under any sync; `ratio_vs_fetch` = seconds / fetch_seconds. The fake server
runs in this process, so `cpu_seconds` (time.process_time of the first sync) includes
the server's own work of answering (as `fetch_cpu_seconds` does; `cpu_ratio_vs_fetch` is
their ratio, the figure a loaded machine distorts least). `load` is the load average
(1, 5, 15 min) at the end.
Keys: issues, links, seconds (first sync), cpu_seconds, requests, resync_seconds,
resync_requests, fetch_seconds, ratio_vs_fetch, dependencies (written), audit_rows,
errors, load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.fakes.jira import FakeJira, link, make_issue

from bench._common import run
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import AuditEntry, Dependency
from steerco.org.service import create_workspace
from steerco.transfer.connectors import service as connectors
from steerco.transfer.connectors.jira import FIELDS, PAGE, JiraSettings, search_jql
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
    if args.issues:
        n, m = args.issues, args.issues * 3
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
        fetch_cpu = time.process_time()
        fetch_seconds, fetched = fetch_floor(jira.url)  # warms the server's caches too
        fetch_cpu = time.process_time() - fetch_cpu
        t, cpu = time.perf_counter(), time.process_time()
        first = run_sync(engine, ws, "jira", actor="bench")
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        t = time.perf_counter()
        again = run_sync(engine, ws, "jira", actor="bench")
        resync = time.perf_counter() - t
        with Session(engine) as s:
            deps = s.scalar(select(func.count()).select_from(Dependency).where(
                Dependency.workspace_id == ws))
            audited = s.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.workspace_id == ws, AuditEntry.actor == "bench via jira sync"))
        assert fetched == first.fetched, (fetched, first.fetched)
    finally:
        server.stop()
    return {"issues": first.fetched, "links": first.links, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2), "requests": first.requests,
            "resync_seconds": round(resync, 2), "resync_requests": again.requests,
            "resync_fetched": again.fetched, "fetch_seconds": round(fetch_seconds, 2),
            "ratio_vs_fetch": round(seconds / fetch_seconds, 2),
            "fetch_cpu_seconds": round(fetch_cpu, 2),
            "cpu_ratio_vs_fetch": round(cpu / fetch_cpu, 2), "dependencies": deps,
            "audit_rows": audited, "errors": len(first.errors) + len(again.errors),
            "load": [round(x, 1) for x in os.getloadavg()]}


def fetch_floor(url: str) -> tuple[float, int]:
    """The peer: every page of the first sync's search with httpx alone, parsed as JSON
    (no mapping, no database). Returns (seconds, issues read)."""
    jql = search_jql(JiraSettings(projects=["BEN"]), None)
    t, start = time.perf_counter(), 0
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:
            page = client.get("/rest/api/3/search", params={
                "jql": jql, "startAt": start, "maxResults": PAGE, "fields": FIELDS}).json()
            issues = page.get("issues") or []
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return time.perf_counter() - t, start


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--issues", type=int, default=0,
                   help="another size: this many issues and three times as many links")


if __name__ == "__main__":
    import sys

    # Another size writes jira_sync-custom.json, never over the committed figures.
    run("jira_sync-custom" if "--issues" in sys.argv else "jira_sync", body,
        __doc__.splitlines()[0] if __doc__ else "jira_sync", _args)

"""Server time per web page on the `l` demo: p95 per page vs a bare FastAPI endpoint.

`python -m bench.pages [--quick] [--json] [--size s|m|l|xl]` (default size l, the size
the target is for). Requests go in process through Starlette's TestClient (no network),
logged in as the strategy office; the peer is a FastAPI app whose one endpoint returns
a constant, timed the same way in the same run. Each page is requested once to warm the
caches (the engine's snapshot, findings and schedule), then timed. Target: p95 ≤ 150 ms
per page.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bench._common import run
from bench.demo_db import sqlite_demo
from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import (
    Credential,
    Dependency,
    Initiative,
    Metric,
    MetricObjective,
    Milestone,
    Objective,
    OrgUnit,
    RoleGrant,
)
from steerco.web.app import create_app
from steerco.web.ui import mount_ui

LOGIN, PASSWORD = "bench-office@demo.example", "bench-password-1"
TARGET_MS = 150.0


def _user(engine: Any, ws: int) -> dict[str, int]:
    """A strategy-office login, and the entities the detail pages show."""
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "bench"
        person = s.scalar(select(Metric.owner_id).where(Metric.workspace_id == ws).group_by(
            Metric.owner_id).order_by(func.count().desc()).limit(1))
        if s.scalar(select(Credential.id).where(Credential.login == LOGIN)) is None:
            accounts.set_credential(s, ws, person, {"login": LOGIN, "password": PASSWORD})
        if s.scalar(select(RoleGrant.id).where(RoleGrant.person_id == person,
                                               RoleGrant.workspace_id == ws)) is None:
            accounts.add_grant(s, ws, {"person_id": person, "role": "strategy_office"})
        objective = s.scalar(select(MetricObjective.objective_id).join(
            Objective, Objective.id == MetricObjective.objective_id).where(
            Objective.workspace_id == ws, Objective.level == "company").group_by(
            MetricObjective.objective_id).order_by(func.count().desc()).limit(1))
        metric = s.scalar(select(Metric.id).where(Metric.workspace_id == ws).limit(1))
        initiative = s.scalar(select(Milestone.initiative_id).join(
            Dependency, Dependency.provider_milestone_id == Milestone.id).where(
            Milestone.workspace_id == ws).group_by(Milestone.initiative_id).order_by(
            func.count().desc()).limit(1)) or s.scalar(select(Initiative.id).limit(1))
        unit = s.scalar(select(OrgUnit.id).where(OrgUnit.workspace_id == ws,
                                                 OrgUnit.parent_id.is_(None)))
        bu = s.scalar(select(OrgUnit.id).where(OrgUnit.workspace_id == ws,
                                               OrgUnit.kind == "business_unit"))
    return {"objective": int(objective or 0), "metric": int(metric or 0),
            "initiative": int(initiative or 0), "unit": int(unit or 0), "bu": int(bu or 0)}


def _pages(k: dict[str, int]) -> dict[str, str]:
    return {
        "my_work": "/my-work", "cockpit": "/cockpit",
        "cockpit_unit": f"/cockpit?unit=org_{k['bu']}", "objectives": "/objectives",
        "objectives_filtered": "/objectives?status=off_track&page=3",
        "objective": f"/objectives/obj_{k['objective']}", "metrics": "/metrics?page=40",
        "metric": f"/metrics/met_{k['metric']}", "initiatives": "/initiatives?page=20",
        "initiative": f"/initiatives/ini_{k['initiative']}",
        "explorer": f"/explorer?initiative=ini_{k['initiative']}",
        "explorer_unit": f"/explorer?unit=org_{k['bu']}", "findings": "/findings?page=30",
        "findings_kind": "/findings?kind=broken_dependency", "units": "/units?page=5",
        "unit": f"/units/org_{k['unit']}", "admin_people": "/admin/people?page=10",
        "admin_tokens": "/admin/tokens",
        "findings_new": "/findings", "findings_by_subject": "/findings?view=all&group=subject",
        "escalations": "/escalations?who=all", "decisions": "/decisions",
    }


def _time(client: TestClient, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path, headers={"accept": "text/html"})
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path} answered {r.status_code}")
    return out


def _p95(xs: list[float]) -> float:
    return round(float(np.percentile(xs, 95)), 1)


def body(args: argparse.Namespace) -> dict[str, Any]:
    n = 8 if args.quick else 30
    engine, ws, _ = sqlite_demo(args.size)
    keys = _user(engine, ws)
    app = create_app(engine)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app, warm=False)
    bare = FastAPI()

    @bare.get("/")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    client = TestClient(app)
    # The log-in form is CSRF-protected: post it as a browser does, with the page's token.
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None, "the log-in page has no csrf_token field"
    r = client.post("/login", data={"login": LOGIN, "password": PASSWORD,
                                    "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    t0 = time.perf_counter()
    for path in _pages(keys).values():  # warm the caches
        _time(client, path, 1)
    warm_s = time.perf_counter() - t0
    bare_client = TestClient(bare)
    _time(bare_client, "/", 20)
    bare_ms = _time(bare_client, "/", max(50, n * 5))
    pages: dict[str, Any] = {}
    for name, path in _pages(keys).items():
        xs = _time(client, path, n)
        pages[name] = {"path": path, "p95_ms": _p95(xs),
                       "median_ms": round(float(np.median(xs)), 1)}
    worst = max(pages.values(), key=lambda p: p["p95_ms"])
    bare_p95 = _p95(bare_ms)
    return {
        "demo": args.size, "requests_per_page": n, "warm_up_s": round(warm_s, 2),
        "pages": pages, "p95_ms": {k: v["p95_ms"] for k, v in pages.items()},
        "worst_page": worst["path"], "worst_p95_ms": worst["p95_ms"],
        "bare_p95_ms": bare_p95,
        "peer_ratio_worst": round(worst["p95_ms"] / max(bare_p95, 0.01), 1),
        "target_p95_ms": TARGET_MS, "all_within_target": worst["p95_ms"] <= TARGET_MS,
    }


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="l", choices=["s", "m", "l", "xl"],
                   help="demo size (default l, the size the target is for)")


if __name__ == "__main__":
    run("pages", body, "Server time per web page on a demo (p95) vs a bare endpoint.",
        _args)

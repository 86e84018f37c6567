"""A real server for the browser tests: uvicorn on a free port, a fresh SQLite demo.

Chromium is Debian's /usr/bin/chromium driven by Playwright (never a browser Playwright downloads).
Without it the tests skip — except in CI (CI=true), where they fail instead.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.servers import uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-password-2026"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}


def _need_browser() -> None:
    if CHROMIUM.exists():
        try:
            import playwright  # noqa: F401
        except ImportError:
            pytest.fail("the playwright package is missing: pip install -r requirements/dev.lock")
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium chromium-driver)")


@dataclass
class World:
    """The served demo: its URL and the people the journeys log in as."""

    url: str
    ws: int
    logins: dict[str, str] = field(default_factory=dict)
    metric: int = 0  # a metric the owner owns, measuring an objective
    objective: int = 0
    initiative: int = 0
    unit: int = 0
    database: str = ""  # the served database's URL (a test may write to it directly)
    #: The demo's own logins (password DEMO_PASSWORD): (login, role).
    demo: list[tuple[str, str]] = field(default_factory=list)
    #: Write a number of days here to move the server's clock (tests/browser/app_factory.py);
    #: delete the file to go back to the real time.
    clock_file: str = ""


def _seed(url: str) -> World:
    from sqlalchemy import func, select

    from steerco.accounts import service as accounts
    from steerco.accounts.demo import create_demo_users
    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.migrate import upgrade
    from steerco.db.models import (
        Dependency,
        Initiative,
        Metric,
        MetricObjective,
        Milestone,
        OrgUnit,
        Person,
        Workspace,
    )
    from steerco.demo import write_demo

    engine = make_engine(url)
    upgrade(engine)
    write_demo(engine, "s", 7, dt.date.today(), "demo")
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = int(s.scalar(select(Workspace.id).where(Workspace.slug == "demo")) or 0)
        # The demo's own users, one per role, as `steerco demo` makes them.
        cast = create_demo_users(s, ws)
        taken = {int(p) for p in s.scalars(select(Person.id).where(
            Person.workspace_id == ws, Person.email.in_([c[0] for c in cast])))}
        # The owner: a person owning a metric that measures an objective (not a demo user).
        m, obj = s.execute(select(Metric.id, MetricObjective.objective_id).join(
            MetricObjective, MetricObjective.metric_id == Metric.id).where(
            Metric.workspace_id == ws, Metric.owner_id.not_in(taken)).order_by(
            Metric.id)).first()
        owner = int(s.scalar(select(Metric.owner_id).where(Metric.id == m)) or 0)
        others = s.scalars(select(Person.id).where(
            Person.workspace_id == ws, Person.id != owner,
            Person.id.not_in(taken)).order_by(Person.id).limit(2)).all()
        world = World("", ws, metric=int(m), objective=int(obj),
                      demo=[(login, role) for login, _, role in cast])
        for role, person in (("owner", owner), ("viewer", others[0]),
                             ("strategy_office", others[1])):
            login = f"{role.replace('_', '-')}@demo.example"
            cred = accounts.set_credential(s, ws, person, {"login": login,
                                                            "password": PASSWORD})
            cred.demo = True  # stand-ins for the demo's own users: the log-in page lists them
            accounts.add_grant(s, ws, {"person_id": person, "role": role})
            world.logins[role] = login
        # An initiative with milestones that other teams depend on.
        ini = s.execute(select(Milestone.initiative_id, func.count()).join(
            Dependency, Dependency.provider_milestone_id == Milestone.id).where(
            Milestone.workspace_id == ws).group_by(Milestone.initiative_id).order_by(
            func.count().desc())).first()
        world.initiative = int(ini[0]) if ini else int(
            s.scalar(select(Initiative.id).where(Initiative.workspace_id == ws)) or 0)
        world.unit = int(s.scalar(select(OrgUnit.id).where(
            OrgUnit.workspace_id == ws, OrgUnit.parent_id.is_(None))) or 0)
    engine.dispose()
    return world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Serve a fresh demo with uvicorn on 127.0.0.1 and a free port."""
    _need_browser()
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'steerco.db'}"
    w = _seed(url)
    w.database = url
    w.clock_file = str(tmp / "clock-days")
    env = {"STEERCO_DATABASE_URL": url, "STEERCO_EVIDENCE_DIR": str(tmp / "evidence"),
           "STEERCO_TEST_CLOCK_FILE": w.clock_file,
           # Import jobs run in a consumer thread of the server, 1.5 s after the upload.
           "STEERCO_JOBS_URL": str(tmp / "jobs.db"), "STEERCO_TEST_IMPORT_DELAY_S": "1.5"}
    with uvicorn_server("tests.browser.app_factory:build", env, tmp, "/login") as w.url:
        yield w


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """The one Chromium of a test process: Playwright's sync API refuses a second
    `sync_playwright()` while one is open, so every browser test shares this one."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def browser(world: World, chromium: Any) -> Any:
    """Chromium, with the demo served (`world`) for the journeys that use it."""
    return chromium


@dataclass
class Session:
    """A logged-in browser context and the console errors its pages raised."""

    context: Any
    errors: list[str]

    def page(self) -> Any:
        pg = self.context.new_page()

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                self.errors.append(f"{pg.url}: {msg.text}")

        pg.on("console", on_console)
        pg.on("pageerror", lambda exc: self.errors.append(f"{pg.url}: {exc}"))
        return pg


def login(browser: Any, world: World, role: str, viewport: dict[str, int] = DESKTOP,
          *, as_login: str | None = None, password: str = PASSWORD) -> Session:
    ctx = browser.new_context(viewport=viewport, base_url=world.url)
    sess = Session(ctx, [])
    pg = sess.page()
    pg.goto("/login")
    pg.fill("#login", as_login or world.logins[role])
    pg.fill("#password", password)
    pg.click("button[type=submit]")
    pg.wait_for_url(lambda u: "/login" not in u)
    pg.close()
    return sess


@pytest.fixture(scope="session")
def office(browser: Any, world: World) -> Iterator[Session]:
    s = login(browser, world, "strategy_office")
    yield s
    s.context.close()


@pytest.fixture(scope="session")
def office_tablet(browser: Any, world: World) -> Iterator[Session]:
    s = login(browser, world, "strategy_office", TABLET)
    yield s
    s.context.close()


@pytest.fixture()
def owner(browser: Any, world: World) -> Iterator[Session]:
    s = login(browser, world, "owner")
    yield s
    s.context.close()


@pytest.fixture()
def viewer(browser: Any, world: World) -> Iterator[Session]:
    s = login(browser, world, "viewer")
    yield s
    s.context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations axe-core finds in the page."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci`")
    # Evaluated through the debugging protocol, which the page's Content-Security-Policy
    # (no inline scripts) does not govern, unlike an injected <script> tag.
    page.evaluate(AXE.read_text() + "\n;true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:3]]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}-{size['width']}x{size['height']}.png"),
                    full_page=True)

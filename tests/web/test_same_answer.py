"""Every surface tells the same story: a walk through the whole `s` demo, subject by subject.

For each metric, objective and initiative of the demo (with its escalation ladder run,
as `steerco demo` does) the test reads what every surface says — the API's status
endpoints, the HTML pages' status badges and "Because" lines, the lists, the strategy
map, and the CLI's `steerco status --json` / `findings --json` in a separate process —
and asserts that they show the status and reasons of the same evaluation.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url, select

from steerco.accounts import service as accounts
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import Person, Workspace
from steerco.demo import write_demo
from steerco.governance.ladder import run_ladder
from steerco.web.app import create_app
from steerco.web.pages.render import STATUS
from steerco.web.ui import mount_ui
from tests.web.test_pages_status import page_login

PASSWORD = "a-demo-password-1"
HTML = {"accept": "text/html"}
LABELS = {label: name for name, (label, _css, _sym) in STATUS.items()}
BADGE = r'<span class="badge s-\w+"><span aria-hidden="true">[^<]*</span> ([^<]+)</span>'


@dataclass
class Walk:
    client: TestClient
    url: str
    cli_status: list[dict[str, Any]]
    cli_findings: list[dict[str, Any]]
    metrics: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    initiatives: list[str] = field(default_factory=list)


def _database(tmp: Path) -> Iterator[str]:
    pg = os.environ.get("STEERCO_TEST_POSTGRES_URL")
    if not pg:
        yield f"sqlite:///{tmp / 'walk.db'}"
        return
    from tests.conftest import _create_pg_database, _drop_pg_database

    base = make_url(pg)
    url = _create_pg_database(base.set(database=f"{base.database}_walk").render_as_string(
        hide_password=False))
    yield url
    _drop_pg_database(url)


def _cli(url: str, *args: str) -> Any:
    env = {**os.environ, "STEERCO_DATABASE_URL": url}
    proc = subprocess.run([sys.executable, "-m", "steerco", *args, "--json"], env=env,
                          text=True, capture_output=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    for url in _database(tmp_path_factory.mktemp("walk")):
        engine = make_engine(url)
        upgrade(engine)
        today = dt.date.today()
        write_demo(engine, "s", 7, today, "demo")
        with unit_of_work(make_sessionmaker(engine)) as s:
            s.info["actor"] = "test"
            ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
            assert ws is not None
            run_ladder(s, ws, today)
            person = s.scalars(select(Person.id).where(Person.workspace_id == ws)).first()
            accounts.set_credential(s, ws, person, {"login": "so@walk.example",
                                                    "password": PASSWORD})
            accounts.add_grant(s, ws, {"person_id": person, "role": "strategy_office"})
        app = create_app(engine)
        if not any(getattr(r, "path", None) == "/login" for r in app.routes):
            mount_ui(app, warm=False)
        client = TestClient(app, follow_redirects=False)
        r = page_login(client, "so@walk.example", PASSWORD)
        assert r.status_code == 303
        w = Walk(client, url, _cli(url, "status", "--depth", "6"), _cli(url, "findings"))
        w.metrics = [m["id"] for m in _all(client, "/api/v1/metrics")]
        w.objectives = [o["id"] for o in _all(client, "/api/v1/objectives")
                        if not o.get("archived")]
        w.initiatives = [i["id"] for i in _all(client, "/api/v1/initiatives")]
        yield w
        engine.dispose()


def _all(c: TestClient, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = c.get(path, params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return out


def _page(c: TestClient, path: str) -> str:
    r = c.get(path, headers=HTML)
    assert r.status_code == 200, path
    return r.text


def _text(fragment: str) -> str:
    # An explained term (<abbr title>) is inline: it adds no space to the text read.
    fragment = re.sub(r"</?abbr\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _badge_in(page: str, anchor: str) -> str:
    """The status named by the first badge after `anchor` (an id or data attribute)."""
    at = page.index(anchor)
    found = re.search(BADGE, page[at:])
    assert found is not None, anchor
    return LABELS[found.group(1).strip()]


def _because(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</div>', page, re.S)
    assert found is not None, element_id
    return _text(found.group(1)).removeprefix("Because:").strip()


def _tree(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for n in nodes:
        yield n
        yield from _tree(n["children"])


def test_every_metric_reads_the_same_on_the_api_its_page_the_lists_and_the_cli(
        walk: Walk) -> None:
    c = walk.client
    cli = {m["id"]: m for n in _tree(walk.cli_status) for m in n["metrics"]}
    api_tree = {m["id"]: m for n in _tree(c.get("/api/v1/status/tree",
                                                params={"depth": 6}).json())
                for m in n["metrics"]}
    listed: dict[str, str] = {}
    for p in range(1, 10):
        page = _page(c, f"/metrics?page={p}")
        for mid, rest in re.findall(r'<a href="/metrics/(met_\d+)">(.*?)</tr>', page, re.S):
            listed[mid] = LABELS[re.search(BADGE, rest).group(1).strip()]  # type: ignore[union-attr]
        if 'rel="next"' not in page:
            break
    assert set(listed) == set(walk.metrics)
    for mid in walk.metrics:
        api = c.get(f"/api/v1/metrics/{mid}/forecast").json()
        page = _page(c, f"/metrics/{mid}")
        said = {"api": api["status"], "page": _badge_in(page, 'id="metric-status"'),
                "list": listed[mid]}
        if mid in cli:
            said["cli"] = cli[mid]["status"]
            assert cli[mid]["explanation"] == api["explanation"], mid
        if mid in api_tree:
            said["status tree"] = api_tree[mid]["status"]
            assert api_tree[mid]["explanation"] == api["explanation"], mid
        assert len(set(said.values())) == 1, (mid, said)
        assert _because(page, "metric-explanation") == api["explanation"], mid
        # A status the forecast did not decide names what did: the plan.
        if api["status"] in ("at_risk", "off_track") and "p_hit_high" in api["reasons"]:
            assert "plan" in api["explanation"], (mid, api["explanation"])


def test_every_objective_reads_the_same_everywhere_with_the_same_explanation(
        walk: Walk) -> None:
    c = walk.client
    cli = {n["id"]: n for n in _tree(walk.cli_status)}
    listed: dict[str, str] = {}
    page = _page(c, "/objectives")
    for oid, rest in re.findall(r'<a href="/objectives/(obj_\d+)">(.*?)</tr>', page, re.S):
        listed[oid] = LABELS[re.search(BADGE, rest).group(1).strip()]  # type: ignore[union-attr]
    cockpit = _page(c, "/cockpit")
    raw = re.search(r'<script type="application/json" id="map-data">(.*?)</script>',
                    cockpit, re.S)
    assert raw is not None
    on_map = {e["data"]["id"]: e["data"] for e in json.loads(raw.group(1))
              if e["data"].get("kind") == "objective"}
    assert on_map, "the strategy map draws the demo's objectives"
    seen_from_metrics: dict[str, set[str]] = {}
    for mid in walk.metrics:
        mpage = _page(c, f"/metrics/{mid}")
        for oid, st in re.findall(r'data-objective-status="(obj_\d+)">' + BADGE, mpage):
            seen_from_metrics.setdefault(oid, set()).add(LABELS[st.strip()])
    for oid in walk.objectives:
        api = c.get(f"/api/v1/objectives/{oid}/status").json()
        page = _page(c, f"/objectives/{oid}")
        said = {"api": api["status"], "page": _badge_in(page, 'id="objective-status"')}
        if oid in listed:
            said["list"] = listed[oid]
        if oid in cli:
            said["cli"] = cli[oid]["status"]
            assert cli[oid]["explanation"] == api["explanation"], oid
        if oid in on_map:
            said["map"] = on_map[oid]["status"]
            assert on_map[oid]["reason"] == api["explanation"], oid
        for st in seen_from_metrics.get(oid, set()):
            said[f"metric page {st}"] = st
        assert len(set(said.values())) == 1, (oid, said)
        assert _because(page, "objective-explanation") == api["explanation"], oid
        # The explanation names the metrics the roll-up carried up as the worst below.
        for w in api["worst"][:1]:
            name = c.get(f"/api/v1/metrics/{w['metric_id']}").json()["name"]
            assert name in api["explanation"], (oid, name)


def test_the_cli_and_the_api_list_the_same_findings(walk: Walk) -> None:
    api = walk.client.get("/api/v1/findings").json()

    def key(f: dict[str, Any]) -> tuple[str, str, str]:
        return f["kind"], f["subject"]["id"] or "", f["explanation"]

    assert sorted(map(key, api)) == sorted(map(key, walk.cli_findings))


def test_a_subject_page_shows_every_finding_and_open_escalation_about_it(walk: Walk) -> None:
    c = walk.client
    findings = c.get("/api/v1/findings").json()
    escalations = [e for e in _all(c, "/api/v1/escalations") if e["state"] != "resolved"]
    assert escalations, "the demo's ladder opens escalations"
    pages = {"metric": "/metrics/", "objective": "/objectives/",
             "initiative": "/initiatives/"}
    checked = 0
    for subject in sorted({e["subject_id"] for e in escalations}
                          | {f["subject"]["id"] for f in findings
                             if f["subject"]["kind"] in pages}):
        kind = {"met": "metric", "obj": "objective", "ini": "initiative"}.get(
            subject.split("_")[0])
        if kind is None:
            continue
        page = _page(c, pages[kind] + subject)
        panel = page[page.index('id="subject-findings"'):]
        assert "No findings and no open escalation" not in panel, subject
        for e in escalations:
            if e["subject_id"] == subject:
                assert f'data-escalation="{e["id"]}"' in panel, (subject, e["id"])
        kinds = set(re.findall(r'data-finding-kind="(\w+)"', panel))
        for f in findings:
            if f["subject"]["id"] == subject:
                assert f["kind"] in kinds, (subject, f["kind"])
        checked += 1
    assert checked > 0


def test_the_initiatives_list_names_every_finding_the_cockpit_shows_about_an_initiative(
        walk: Walk) -> None:
    c = walk.client
    parent = {m["id"]: m["initiative_id"] for m in _all(c, "/api/v1/milestones")}
    about: dict[str, set[str]] = {}
    for f in c.get("/api/v1/findings").json():
        for ref in (f["subject"]["id"], f["evidence"].get("provider"),
                    f["evidence"].get("consumer"), f["evidence"].get("initiative")):
            if isinstance(ref, str) and ref.startswith("ini_"):
                about.setdefault(ref, set()).add(f["kind"])
            elif isinstance(ref, str) and ref.startswith("mil_") and ref in parent:
                about.setdefault(parent[ref], set()).add(f["kind"])
    assert any("critical_path_slip" in k for k in about.values())
    listed: dict[str, set[str]] = {}
    for p in range(1, 10):
        page = _page(c, f"/initiatives?page={p}")
        for iid, cell in re.findall(
                r'data-initiative-findings="(ini_\d+)">(.*?)</td>', page, re.S):
            kinds = re.search(r'data-kinds="([^"]*)"', cell)
            listed[iid] = set(kinds.group(1).split()) if kinds else set()
            assert bool(kinds) != ("No findings" in cell), iid
        if 'rel="next"' not in page:
            break
    assert set(listed) == set(walk.initiatives)
    for iid in walk.initiatives:
        assert listed[iid] == about.get(iid, set()), iid


def test_the_cockpit_counts_and_lists_what_the_lists_and_the_api_show(walk: Walk) -> None:
    c = walk.client
    cockpit = _page(c, "/cockpit")
    counts = c.get("/api/v1/status/counts").json()["objectives"]
    n_off = int(re.search(r'id="n-off">([\d,]+)<', cockpit).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert n_off == counts["off_track"] + counts["missed"]
    listed = _page(c, "/objectives?status=off_track,missed")
    shown = re.findall(r'<a href="/objectives/(obj_\d+)">', listed)
    assert len(shown) == min(n_off, 25)
    for oid, st in re.findall(r'data-objective-status="(obj_\d+)">' + BADGE, cockpit):
        assert LABELS[st.strip()] == c.get(f"/api/v1/objectives/{oid}/status").json()[
            "status"], oid

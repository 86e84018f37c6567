"""Jira sync against a fake Jira answering with Atlassian's own shapes (tests/fakes/jira)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import time
from typing import Any

import pytest
from bench.issuelinks import PRECEDENCE, precedence_pairs
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import AuditEntry, Connector, Dependency, Initiative, Milestone, Person
from steerco.org.service import create_person
from steerco.transfer.connectors import service as connectors
from steerco.transfer.connectors.http import SyncFailed, retry_after
from steerco.transfer.connectors.sync import run_sync
from tests.fakes.jira import DATA, FakeJira, apache_issues, board_epic, link, make_issue

TOKEN = "s3cr3t-ATATT3xFfGF0-token"
AUTH = "Basic " + base64.b64encode(f"bot@acme.example:{TOKEN}".encode()).decode()
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def setup(engine: Engine, ws: int, url: str, **settings: Any) -> None:
    with unit_of_work(make_sessionmaker(engine)) as s:
        if not s.scalar(select(Person).where(Person.workspace_id == ws)):
            create_person(s, ws, {"email": "ada@acme.example", "name": "Ada Lovelace"})
        connectors.save(s, ws, "jira", {"base_url": url, "login": "bot@acme.example",
                                        "secret": TOKEN,
                                        "settings": {"projects": ["EX"]} | settings})


def small() -> list[dict[str, Any]]:
    epic = make_issue("EX-1", "Self-service onboarding", issuetype="Epic",
                      email="ada@acme.example", due="2026-09-30", updated=T0)
    pilot = make_issue("EX-2", "Pilot live", parent=("EX-1", "Epic"), done=True,
                       status="Done", due="2026-05-31", resolved="2026-05-20T10:00:00.000+0000",
                       email="nobody@else.example", updated=T0 + dt.timedelta(minutes=5))
    docs = make_issue("EX-3", "Docs written", due="2026-04-30",
                      updated=T0 + dt.timedelta(minutes=10))
    link(docs, "EX-2", "Blocks", "blocks", "is blocked by", "outward")
    link(pilot, "EX-3", "Blocks", "blocks", "is blocked by", "inward")  # the other end
    link(pilot, "EX-1", "Relates", "relates to", "relates to", "outward")  # not a precedence
    return [epic, pilot, docs]


def graph(engine: Engine, ws: int) -> set[tuple[str, str]]:
    with Session(engine) as s:
        ms = {m.id: m.external_ref for m in s.scalars(select(Milestone).where(
            Milestone.workspace_id == ws))}
        ini = {i.id: i.external_key for i in s.scalars(select(Initiative).where(
            Initiative.workspace_id == ws))}
        return {(ms.get(d.provider_milestone_id) or ini[d.provider_initiative_id],
                 ms.get(d.consumer_milestone_id) or ini[d.consumer_initiative_id])
                for d in s.scalars(select(Dependency).where(Dependency.workspace_id == ws))}


def test_issues_become_initiatives_milestones_and_dependencies(engine, ws, httpserver):
    jira = FakeJira(httpserver, small(), auth=AUTH)
    setup(engine, ws, jira.url)
    r = run_sync(engine, ws, "jira")
    assert r.written and r.errors == []
    assert r.warnings == ["EX-2: assignee nobody@else.example is no person in this "
                          "workspace; owner left empty"]
    with Session(engine) as s:
        epic = s.scalar(select(Initiative).where(Initiative.workspace_id == ws,
                                                 Initiative.external_key == "EX-1"))
        assert epic is not None and epic.name == "Self-service onboarding"
        assert epic.due_date == dt.date(2026, 9, 30)
        assert s.get(Person, epic.owner_id).email == "ada@acme.example"
        ms = {m.external_ref: m for m in s.scalars(select(Milestone).where(
            Milestone.workspace_id == ws))}
        assert ms["EX-2"].initiative_id == epic.id
        assert ms["EX-2"].completed_on == dt.date(2026, 5, 20)
        assert ms["EX-2"].evidence_url == f"{jira.url}/browse/EX-2"
        assert ms["EX-3"].completed_on is None and ms["EX-3"].due_date == dt.date(2026, 4, 30)
        own = s.get(Initiative, ms["EX-3"].initiative_id)
        assert own.external_key == "jira:EX" and own.name == "Project EX"
        row = s.scalar(select(Connector).where(Connector.workspace_id == ws))
        assert row.cursor == (T0 + dt.timedelta(minutes=10)).isoformat()
        assert row.last_counts["Milestones"]["create"] == 2
    # both ends of the link say the same thing: one dependency
    assert graph(engine, ws) == {("EX-3", "EX-2")}


def test_a_dry_run_lists_the_changes_and_writes_nothing(engine, ws, httpserver):
    jira = FakeJira(httpserver, small(), auth=AUTH)
    setup(engine, ws, jira.url)
    r = run_sync(engine, ws, "jira", dry_run=True)
    assert not r.written
    assert r.changes == ["create initiative EX-1", "create initiative jira:EX",
                         "create milestone EX-2", "create milestone EX-3",
                         "create dependency EX-3 → EX-2"]
    with Session(engine) as s:
        assert s.scalars(select(Milestone).where(Milestone.workspace_id == ws)).all() == []
        assert s.scalar(select(Connector).where(Connector.workspace_id == ws)).cursor is None
    assert run_sync(engine, ws, "jira", dry_run=True).changes == r.changes


def test_a_resync_asks_only_what_changed_since_the_cursor(engine, ws, httpserver):
    issues = small()
    jira = FakeJira(httpserver, issues, auth=AUTH)
    setup(engine, ws, jira.url)
    run_sync(engine, ws, "jira")
    jira.log.clear()
    again = run_sync(engine, ws, "jira")
    assert again.requests == 1 and again.changes == [] and again.errors == []
    assert 'updated >= "2026/03/01 09:10"' in jira.log[0]["jql"]
    # EX-3 is renamed and moved later: only it comes back, and it is updated
    issues[2]["fields"]["summary"] = "Docs published"
    issues[2]["fields"]["updated"] = "2026-03-02T08:00:00.000+0000"
    third = run_sync(engine, ws, "jira")
    assert third.fetched == 1
    assert third.changes == ["update milestone EX-3 (name: Docs written → Docs published)"]


def test_pages_are_followed(engine, ws, httpserver):
    issues = [make_issue(f"EX-{i}", f"Task {i}", due="2026-06-30",
                         updated=T0 + dt.timedelta(minutes=i)) for i in range(1, 251)]
    jira = FakeJira(httpserver, issues, auth=AUTH)
    setup(engine, ws, jira.url)
    r = run_sync(engine, ws, "jira")
    assert r.fetched == 250 and r.requests == 3
    assert [int(x["startAt"]) for x in jira.log] == [0, 100, 200]


def test_429_with_retry_after_and_a_5xx_are_retried(engine, ws, httpserver):
    jira = FakeJira(httpserver, small(), auth=AUTH)
    jira.fail = [(429, {"Retry-After": "1"}), (503, {})]
    setup(engine, ws, jira.url)
    t = time.perf_counter()
    r = run_sync(engine, ws, "jira")
    assert time.perf_counter() - t >= 1.0  # the Retry-After was waited out
    assert r.written and r.requests == 3 and r.fetched == 3


def test_retry_after_reads_seconds_and_http_dates():
    now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert retry_after("7") == 7.0
    assert retry_after("Sun, 01 Mar 2026 09:00:30 GMT", now) == 30.0
    assert retry_after(None) is None and retry_after("soon") is None


def test_the_token_never_shows(engine, ws, httpserver, caplog):
    jira = FakeJira(httpserver, small(), auth="Basic something-else")
    setup(engine, ws, jira.url)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SyncFailed) as exc:
        run_sync(engine, ws, "jira")
    assert "401" in str(exc.value) and TOKEN not in str(exc.value)
    with Session(engine) as s:
        row = s.scalar(select(Connector).where(Connector.workspace_id == ws))
        assert row.secret == TOKEN  # stored, to be sent …
        shown = connectors.public(row, "jira")
        audit = s.scalars(select(AuditEntry).where(AuditEntry.workspace_id == ws)).all()
    assert TOKEN not in repr(shown) and shown["has_secret"] is True
    assert TOKEN not in " ".join(str(row.last_errors) for _ in [0])
    assert all(TOKEN not in repr(a.changes) for a in audit)
    assert TOKEN not in caplog.text and AUTH.split()[1] not in caplog.text


def test_a_blank_secret_keeps_the_stored_one_and_bad_settings_name_the_field(engine, ws):
    from steerco.kit.errors import ValidationFailed

    setup(engine, ws, "https://acme.atlassian.net")
    with unit_of_work(make_sessionmaker(engine)) as s:
        connectors.save(s, ws, "jira", {"base_url": "https://acme.atlassian.net",
                                        "secret": "", "settings": {"projects": ["EX"]}})
    with Session(engine) as s:
        assert s.scalar(select(Connector).where(Connector.workspace_id == ws)).secret == TOKEN
    with pytest.raises(ValidationFailed) as exc, unit_of_work(make_sessionmaker(engine)) as s:
        connectors.save(s, ws, "jira", {"base_url": "https://acme.atlassian.net",
                                        "settings": {"link_types": {"blocks": "before"}}})
    assert exc.value.errors[0].field == "settings.link_types"
    assert "provider or consumer" in exc.value.errors[0].message


def test_board_epics_of_the_agile_api_become_initiatives(engine, ws, httpserver):
    issues = small()
    jira = FakeJira(httpserver, issues, auth=AUTH,
                    epics={7: [board_epic("EX-9", "Faster checkout")]})
    setup(engine, ws, jira.url, boards=[7])
    r = run_sync(engine, ws, "jira")
    assert r.errors == []
    assert any(c == "create initiative EX-9" for c in r.changes)


def test_the_apache_links_give_the_benchmark_graph_and_its_cycle(engine, ws, httpserver):
    """1,500 real Apache issue links: the synced dependencies are the 380 precedence edges
    bench.issuelinks finds, less the one that would close its cycle, which is reported."""
    jira = FakeJira(httpserver, apache_issues())
    setup(engine, ws, jira.url, jql="issuetype is not EMPTY")
    r = run_sync(engine, ws, "jira")
    expected = set(precedence_pairs(DATA / "issuelinks" / "apache_issuelink_30.csv",
                                    PRECEDENCE))
    assert len(expected) == 380
    synced = graph(engine, ws)
    refused = {(p, c) for p, c, _ in r.cycles}
    assert synced | refused == expected and not synced & refused
    assert len(refused) == 1
    (prov, cons, why), = r.cycles
    assert {prov, cons} == {"USERGRID-536", "USERGRID-541"}
    assert "cycle" in why and "USERGRID-536" in why and "USERGRID-541" in why
    assert [e for e in r.errors if "cycle" not in e] == []


def test_an_issue_done_after_the_first_sync_completes_its_milestone(engine, ws, httpserver):
    issues = small()
    jira = FakeJira(httpserver, issues, auth=AUTH)
    setup(engine, ws, jira.url)
    run_sync(engine, ws, "jira")
    docs = make_issue("EX-3", "Docs written", due="2026-04-30", done=True, status="Done",
                      resolved="2026-04-28T16:00:00.000+0000",
                      updated=T0 + dt.timedelta(days=1))
    docs["fields"]["issuelinks"] = issues[2]["fields"]["issuelinks"]
    issues[2] = docs
    r = run_sync(engine, ws, "jira")
    assert r.changes == [f"update milestone EX-3 (completed_on: None → 2026-04-28; "
                         f"evidence_url: None → {jira.url}/browse/EX-3)"]
    with Session(engine) as s:
        ms = s.scalar(select(Milestone).where(Milestone.workspace_id == ws,
                                              Milestone.external_ref == "EX-3"))
        assert ms is not None and ms.completed_on == dt.date(2026, 4, 28)
        assert ms.version == 2  # a form holding the old version sees the change

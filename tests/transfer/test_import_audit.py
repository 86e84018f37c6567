"""Every row an import writes is audited, bulk writes included, naming the import as the
actor ("per_7 via import of company.xlsx", "cli via jira sync"); a dry run or a re-import
that changes nothing writes no audit row."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from steerco.db.models import AuditEntry, Dependency, LedgerEntry, Measurement, Milestone
from steerco.transfer.connectors.sync import run_sync
from steerco.transfer.read import read_path
from steerco.transfer.run import import_book
from steerco.transfer.strategy import plan
from tests.fakes.jira import FakeJira
from tests.transfer.conftest import COMPANY, TODAY, csvs
from tests.transfer.test_jira import setup, small


def audit(engine: Engine, ws: int) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.workspace_id == ws)
                              .order_by(AuditEntry.id)))


def _count(engine: Engine, ws: int, model: type) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(
            model.workspace_id == ws)) or 0)  # type: ignore[attr-defined]


def _import(engine: Engine, ws: int, folder: Path, **kw: object) -> object:
    return import_book(engine, ws, read_path(folder), today=TODAY, **kw)  # type: ignore[arg-type]


def test_a_spreadsheet_import_audits_every_row_it_writes_bulk_ones_too(engine, ws, tmp_path):
    report = _import(engine, ws, csvs(tmp_path / "in", COMPANY), actor="per_7",
                     via="import of company.xlsx")
    assert report.written  # type: ignore[attr-defined]
    entries = audit(engine, ws)
    assert {e.actor for e in entries} == {"per_7 via import of company.xlsx"}
    per_table = Counter(e.entity for e in entries if e.action.value == "create")
    # The bulk sheets written by executemany or COPY are audited one entry per row like
    # the rest (ledger, milestones, dependencies) ...
    assert per_table["ledger_entries"] == _count(engine, ws, LedgerEntry) == 1
    assert per_table["milestones"] == _count(engine, ws, Milestone) == 2
    assert per_table["dependencies"] == _count(engine, ws, Dependency) == 1
    # ... but append-only measurements one entry per metric: which rows, from when to when.
    assert _count(engine, ws, Measurement) == 2
    (entry,) = [e for e in entries if e.entity == "measurements"]
    with Session(engine) as s:
        rows = s.scalars(select(Measurement).where(Measurement.workspace_id == ws)
                         .order_by(Measurement.id)).all()
    assert entry.entity_id == rows[-1].id
    assert entry.changes["metric_id"] == rows[0].metric_id and entry.changes["rows"] == 2
    assert [entry.changes["first_id"], entry.changes["last_id"]] == [rows[0].id, rows[-1].id]
    assert str(entry.changes["from"]).startswith("2025-12-31")
    assert str(entry.changes["to"]).startswith("2026-03-31")


def test_a_dry_run_and_an_unchanged_re_import_write_no_audit_row(engine, ws, tmp_path):
    folder = csvs(tmp_path / "in", COMPANY)
    _import(engine, ws, folder, dry_run=True, actor="per_7")
    assert audit(engine, ws) == []
    _import(engine, ws, folder, actor="per_7")
    n = len(audit(engine, ws))
    again = _import(engine, ws, folder, actor="per_7")
    assert not again.changed  # type: ignore[attr-defined]
    assert len(audit(engine, ws)) == n


def test_a_changed_value_is_audited_as_an_update_with_before_and_after(engine, ws, tmp_path):
    _import(engine, ws, csvs(tmp_path / "a", COMPANY), actor="per_7")
    changed = dict(COMPANY, milestones=COMPANY["milestones"].replace("Pilot live",
                                                                     "Pilot in production"))
    _import(engine, ws, csvs(tmp_path / "b", changed), actor="per_8", via="import of b.csv")
    updates = [e for e in audit(engine, ws) if e.action.value == "update"
               and e.actor.startswith("per_8")]
    assert [(e.entity, e.actor, e.changes) for e in updates] == [
        ("milestones", "per_8 via import of b.csv",
         {"name": ["Pilot live", "Pilot in production"]})]


def test_a_jira_sync_names_the_sync_as_the_actor(engine, ws, httpserver):
    jira = FakeJira(httpserver, small())
    setup(engine, ws, jira.url)
    before = {e.id for e in audit(engine, ws)}
    r = run_sync(engine, ws, "jira", actor="per_3")
    assert r.written and not r.errors
    new = [e for e in audit(engine, ws) if e.id not in before]
    tables = Counter(e.entity for e in new if e.actor == "per_3 via jira sync"
                     and e.action.value == "create")
    assert tables["milestones"] == 2 and tables["dependencies"] == 1
    assert tables["initiatives"] == 2  # EX-1 and the project's jira:EX
    assert {e.actor for e in new if e.entity != "connectors"} == {"per_3 via jira sync"}
    # A resync with nothing changed audits nothing but the connector's own bookkeeping.
    seen = {e.id for e in audit(engine, ws)}
    run_sync(engine, ws, "jira", actor="per_3")
    assert {e.entity for e in audit(engine, ws) if e.id not in seen} <= {"connectors"}
    # A renamed issue is an update with before and after.
    jira.issues[2]["fields"]["summary"] = "Docs published"
    jira.issues[2]["fields"]["updated"] = "2026-03-02T08:00:00.000+0000"
    seen = {e.id for e in audit(engine, ws)}
    run_sync(engine, ws, "jira")
    upd = [e for e in audit(engine, ws) if e.id not in seen and e.entity == "milestones"]
    assert [(e.action.value, e.actor, e.changes) for e in upd] == [
        ("update", "system via jira sync", {"name": ["Docs written", "Docs published"]})]


def test_a_strategy_apply_names_itself_as_the_actor(engine, ws):
    text = ("version: 1\norg_units:\n- {code: ACME, name: Acme, kind: company}\n"
            "people:\n- {email: ada@acme.example, name: Ada Lovelace, org_unit: ACME}\n")
    result = plan(engine, ws, text, today=TODAY, apply=True, actor="cli")
    assert result.report.written
    assert {e.actor for e in audit(engine, ws)} == {"cli via apply of strategy.yaml"}

"""A committed import that changed something writes one `import.finished` outbox message
in its own transaction; a dry run, a refused import or a no-change re-run writes none."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.db.models import OutboxMessage
from tests.transfer.conftest import COMPANY, csvs, run


def _events(engine: Engine, ws: int) -> list[dict]:
    with Session(engine) as s:
        return [m.payload for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.workspace_id == ws, OutboxMessage.kind == "event"))]


def test_a_committed_import_announces_what_it_changed_once(engine, ws, tmp_path):
    folder = csvs(tmp_path / "in", COMPANY)
    run(engine, ws, folder, dry_run=True)
    assert _events(engine, ws) == []
    assert run(engine, ws, folder).written
    (ev,) = _events(engine, ws)
    assert ev["event"] == "import.finished"
    assert "Objectives 2 new, 0 updated" in ev["title"]
    assert ev["path"] == "/admin/import"
    run(engine, ws, folder)  # the same files again: nothing changed, nothing said
    assert len(_events(engine, ws)) == 1


def test_a_refused_import_announces_nothing(engine, ws, tmp_path):
    broken = {**COMPANY, "objectives": COMPANY["objectives"] + "\nO9,,,,,\n"}
    report = run(engine, ws, csvs(tmp_path / "bad", broken))
    assert not report.written
    assert _events(engine, ws) == []

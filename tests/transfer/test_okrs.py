"""Sourcegraph's published OKRs (markdown lists) come in with every objective and KR."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from steerco.db.models import Measurement, Metric, Objective
from steerco.transfer.okrs import counts, parse, to_book
from steerco.transfer.run import import_book
from tests.transfer.conftest import TODAY

pytestmark = pytest.mark.shared_data


def _items(text: str) -> tuple[int, int]:
    """(objectives, key results) counted straight from the file's lines: a key result is
    an item labelled '… KR:' or an unlabelled item; every other item is an objective."""
    items = re.findall(r"^\s*\d+\.\s+(.*)$", text, re.M)
    label = re.compile(r"^(\*\*)?[A-Z][^:]{0,60}?:\s")
    krs = [i for i in items if " KR:" in i.split("=>")[0] or not label.match(i)]
    return len(items) - len(krs), len(krs)


@pytest.mark.parametrize(("quarter", "objectives", "krs", "checkins"),
                         [(3, 25, 9, 7), (4, 24, 42, 2)])
def test_every_objective_and_key_result_of_the_file_is_recovered(
        shared_data, engine, ws, quarter, objectives, krs, checkins):
    text = (shared_data / "okrs" / f"sourcegraph_2019_q{quarter}.md").read_text()
    assert _items(text) == (objectives, krs)
    doc = parse(text)
    c = counts(doc)
    assert (c["objectives"], c["key_results"], c["checkins"]) == (objectives, krs, checkins)
    report = import_book(engine, ws, to_book(doc), today=TODAY)
    assert report.written, report.problems
    with Session(engine) as s:
        objs = s.query(Objective).filter_by(workspace_id=ws).all()
        metrics = s.query(Metric).filter_by(workspace_id=ws).all()
        values = sorted(m.value for m in s.query(Measurement).filter_by(workspace_id=ws))
    assert len(objs) == objectives
    # Listed key results, plus one per objective that carries its own end-of-quarter note.
    assert len(metrics) == krs + c["note_key_results"]
    assert len(values) == checkins
    assert {o.period_start.month for o in objs} == {1 + 3 * (quarter - 1)}
    if quarter == 3:
        # "=> 66% on time", "=> Done: …", "=> Not done, …", "=> 62.5% hiring", "shipped …"
        assert values == [0.0, 0.0, 62.5, 66.0, 100.0, 100.0, 100.0]
        unreadable = [m for m in metrics if m.description and "???" in m.description]
        assert unreadable, "a note without a value stays a note"
    again = import_book(engine, ws, to_book(doc), today=TODAY)
    assert again.ok and not again.changed


def test_a_dry_run_of_okrs_prints_the_tree_and_writes_nothing(shared_data, tmp_path):
    from tests.cli.test_cli import steerco

    db = tmp_path / "okr.db"
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Admin", "--workspace",
            "sg", "--password", "correct-horse-1", "--create-workspace", db=db, check=True)
    path = shared_data / "okrs" / "sourcegraph_2019_q4.md"
    proc = steerco("import", "okrs", str(path), "--dry-run", db=db, check=True)
    assert "24 objectives, 42 key results" in proc.stdout
    assert "Net new ARR" in proc.stdout and "dry run: nothing written" in proc.stdout
    info = steerco("info", "--workspace", "sg", "--json", db=db, check=True)
    assert '"objectives": 0' in info.stdout


def test_a_document_without_a_quarter_is_refused_in_one_line():
    from steerco.transfer.okrs import OkrParseError

    with pytest.raises(OkrParseError, match="no quarter"):
        parse("# Our goals\n1. CEO: Grow\n")

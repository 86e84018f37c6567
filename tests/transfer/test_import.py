"""Spreadsheet imports: all or nothing, a dry run that writes nothing, idempotent by keys."""

from __future__ import annotations

from pathlib import Path

from tests.transfer.conftest import COMPANY, counts, csvs, run

EXPECTED = {"org_units": 2, "people": 3, "themes": 1, "objectives": 2, "alignments": 1,
            "metrics": 1, "metric_objectives": 1, "plan_points": 1, "measurements": 2,
            "initiatives": 1, "initiative_metrics": 1, "milestones": 2, "dependencies": 1,
            "budget_lines": 1, "budget_plans": 1, "ledger_entries": 1}


def test_a_whole_company_in_csv_files_imports_with_every_reference_resolved(engine, ws,
                                                                           tmp_path):
    report = run(engine, ws, csvs(tmp_path / "in", COMPANY))
    assert report.problems == []
    assert report.written
    got = counts(engine, ws)
    assert {k: got[k] for k in EXPECTED} == EXPECTED
    from sqlalchemy.orm import Session

    from steerco.db.models import OrgUnit, Person
    with Session(engine) as s:
        units = {u.code: u for u in s.query(OrgUnit).filter_by(workspace_id=ws)}
        people = {p.email: p for p in s.query(Person).filter_by(workspace_id=ws)}
        # Forward references (a head or manager further down the file) are resolved.
        assert units["ACME"].head_id == people["ada@acme.example"].id
        assert units["OPS"].parent_id == units["ACME"].id
        assert people["alan@acme.example"].manager_id == people["grace@acme.example"].id


def test_a_dry_run_reports_every_row_and_writes_nothing(engine, ws, tmp_path):
    before = counts(engine, ws)
    report = run(engine, ws, csvs(tmp_path / "in", COMPANY), dry_run=True)
    assert report.ok and not report.written
    assert counts(engine, ws) == before
    actions = {(o.sheet, o.key): o.action for o in report.outcomes}
    assert actions[("Objectives", "O2")] == "create"
    assert actions[("Alignments", "O2 → O1")] == "create"
    assert report.counts()["Measurements"] == {"create": 2, "update": 0, "unchanged": 0}


def test_importing_the_same_files_again_changes_nothing_and_says_so(engine, ws, tmp_path):
    folder = csvs(tmp_path / "in", COMPANY)
    run(engine, ws, folder)
    after_first = counts(engine, ws)
    again = run(engine, ws, folder)
    assert again.ok
    assert not again.changed
    assert {o.action for o in again.outcomes} == {"unchanged"}
    assert counts(engine, ws) == after_first


def test_a_changed_cell_is_an_update_with_before_and_after(engine, ws, tmp_path):
    run(engine, ws, csvs(tmp_path / "in", COMPANY))
    changed = {**COMPANY, "objectives": COMPANY["objectives"].replace(
        "Onboard in a day", "Onboard in an hour")}
    report = run(engine, ws, csvs(tmp_path / "changed", changed), dry_run=True)
    [update] = [o for o in report.outcomes if o.action == "update"]
    assert (update.sheet, update.row, update.key) == ("Objectives", 3, "O2")
    assert update.changes == {"title": ("Onboard in a day", "Onboard in an hour")}
    # A new value for a measured date is a correction that supersedes the old one.
    corrected = {**COMPANY, "measurements": COMPANY["measurements"].replace("99.5", "99.7")}
    report = run(engine, ws, csvs(tmp_path / "corrected", corrected))
    assert report.counts()["Measurements"] == {"create": 0, "update": 1, "unchanged": 1}
    assert counts(engine, ws)["measurements"] == 3


def test_header_synonyms_and_other_column_orders_are_understood(engine, ws, tmp_path):
    files = {"people": "Full Name;E-Mail;Job Title\nAda Lovelace;ada@acme.example;CEO\n"}
    report = run(engine, ws, csvs(tmp_path / "in", files))
    assert report.ok, report.problems
    assert counts(engine, ws)["people"] == 1


def test_a_decimal_comma_is_read_only_where_the_workspace_locale_says_so(engine, ws,
                                                                        tmp_path):
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.transfer.repository import TransferRepository

    files = {k: COMPANY[k] for k in ("org_units", "people", "metrics")}
    files["metrics"] = files["metrics"].replace(",0.05,", ',"0,05",')
    report = run(engine, ws, csvs(tmp_path / "in", files), dry_run=True)
    [p] = report.problems
    assert (p.sheet, p.row, p.column, p.value) == ("metrics", 2, "tolerance", "0,05")
    assert "decimal comma" in p.reason
    with unit_of_work(make_sessionmaker(engine)) as s:
        TransferRepository(s, ws).set_locale("de")
    files["metrics"] = files["metrics"].replace("2026-01-01", "01.01.2026")
    report = run(engine, ws, csvs(tmp_path / "de", files))
    assert report.ok, report.problems


def test_the_template_imports_as_it_is_and_again_unchanged(engine, ws, tmp_path):
    from steerco.transfer.export import write_xlsx

    path = write_xlsx(None, tmp_path / "template.xlsx", template=True)
    first = run(engine, ws, path)
    assert first.ok, first.problems
    assert not run(engine, ws, path).changed


def test_a_folder_without_csv_files_is_refused(engine, ws, tmp_path):
    (tmp_path / "empty").mkdir()
    report = run(engine, ws, Path(tmp_path / "empty"))
    assert not report.ok and not report.written


def test_milestones_written_in_bulk_keep_the_services_rules_row_by_row(engine, ws, tmp_path):
    """Checked before anything is written: the service's own messages, named by row and
    column, and nothing written when one row is refused."""
    bad = dict(COMPANY, milestones=COMPANY["milestones"]
               + "I1-C,I1,Too early,,2026-01-15,,1,,\n"  # before I1 starts (2026-02-01)
               + "I9-A,I9,Orphan,,2026-05-31,,1,,\n"
               + "I1-D,I1,Negative,,2026-05-31,,-2,,\n")
    before = counts(engine, ws)
    report = run(engine, ws, csvs(tmp_path / "bad", bad))
    got = {(p.row, p.column): p.reason for p in report.problems}
    assert got == {
        (4, "due_date"): "2026-01-15 is before the initiative starts (2026-02-01)",
        (5, "initiative"): "no initiative with key 'I9' in this workspace or this file",
        (6, "duration_days"): got[(6, "duration_days")],
    }
    assert "0" in got[(6, "duration_days")]  # pydantic's "greater than or equal to 0"
    assert not report.written and counts(engine, ws) == before
    # A milestone cannot move to another initiative (the service's rule, on re-import).
    run(engine, ws, csvs(tmp_path / "ok", COMPANY))
    moved = dict(COMPANY, initiatives=COMPANY["initiatives"]
                 + "I2,Other,project,defined,,,,,2026-02-01,2026-09-30,,\n",
                 milestones=COMPANY["milestones"].replace("I1-B,I1,", "I1-B,I2,"))
    report = run(engine, ws, csvs(tmp_path / "moved", moved))
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (3, "initiative", "a milestone cannot move to another initiative")]


def test_a_milestone_owned_by_someone_who_has_left_is_refused(engine, ws, tmp_path):
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from steerco.db.models import Person

    run(engine, ws, csvs(tmp_path / "ok", COMPANY))
    with Session(engine) as s:
        s.execute(update(Person).where(Person.workspace_id == ws,
                                       Person.email == "alan@acme.example").values(active=False))
        s.commit()
    more = dict(COMPANY, milestones=COMPANY["milestones"]
                + "I1-C,I1,Handover,alan@acme.example,2026-06-30,,1,,\n")
    report = run(engine, ws, csvs(tmp_path / "more", more))
    assert [(p.row, p.column) for p in report.problems] == [(4, "owner")]
    assert "Alan Turing" in report.problems[0].reason
    assert "is deactivated; choose an active person" in report.problems[0].reason

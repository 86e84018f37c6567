"""Exports have the templates' layout; importing one into an empty workspace and exporting
again gives the same content."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.org.service import create_workspace
from steerco.transfer.export import collect, write_csv, write_xlsx
from tests.transfer.conftest import COMPANY, csvs, run


def _export(engine, ws):
    with Session(engine) as s:
        return collect(s, ws)


def _empty_workspace(engine):
    with unit_of_work(make_sessionmaker(engine)) as s:
        return create_workspace(s, {"slug": f"t-{uuid.uuid4().hex[:12]}", "name": "Copy"}).id


def test_an_xlsx_export_imported_into_an_empty_workspace_exports_the_same(engine, ws,
                                                                         tmp_path):
    assert run(engine, ws, csvs(tmp_path / "in", COMPANY)).written
    first = _export(engine, ws)
    path = write_xlsx(first, tmp_path / "export.xlsx")
    copy = _empty_workspace(engine)
    report = run(engine, copy, path)
    assert report.ok, report.problems
    second = _export(engine, copy)
    assert second == first
    assert sum(len(r) for r in second.values()) == 21
    # …and byte for byte as CSV files.
    a = write_csv(first, tmp_path / "a")
    b = write_csv(second, tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_a_csv_export_imported_again_into_its_own_workspace_changes_nothing(engine, ws,
                                                                           tmp_path):
    run(engine, ws, csvs(tmp_path / "in", COMPANY))
    folder = tmp_path / "export"
    write_csv(_export(engine, ws), folder)
    again = run(engine, ws, folder)
    assert again.ok and not again.changed


def test_rows_made_without_a_key_are_exported_by_their_public_id(engine, ws, tmp_path):
    from steerco.objectives.service import create_objective
    from steerco.org.service import create_person

    with unit_of_work(make_sessionmaker(engine)) as s:
        p = create_person(s, ws, {"name": "Ada", "email": "ada@x.example"})
        o = create_objective(s, ws, {"title": "Grow", "period_start": "2026-01-01",
                                     "period_end": "2026-12-31", "level": "company",
                                     "perspective": "financial", "owner_id": p.id})
    rows = _export(engine, ws)
    assert rows["objectives"][0][0] == f"obj_{o.id}"
    folder = tmp_path / "export"
    write_csv(rows, folder)
    assert not run(engine, ws, folder).changed

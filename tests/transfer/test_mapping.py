"""A workspace's saved column mapping (headers that are not the template's) and its
locale (dates and decimal commas, never guessed), through the reader, the pipeline and
the command line."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Metric
from steerco.kit.errors import ValidationFailed
from steerco.org.service import create_workspace
from steerco.transfer import mapping
from steerco.transfer.read import read_path
from steerco.transfer.repository import TransferRepository
from tests.transfer.conftest import COMPANY, counts, csvs, run

#: People as another tool exports them: German headers, one column steerco has no use for.
FOREIGN = ("Mitarbeiter;E-Mail-Adresse;Kostenstelle;Job Title\n"
           "Ada Lovelace;ada@acme.example;4711;CEO\n")


def _map(engine: Engine, ws: int, *entries: tuple[str, str, str]) -> None:
    with unit_of_work(make_sessionmaker(engine)) as s:
        for sheet, header, column in entries:
            mapping.save(s, ws, sheet, header, column)


def _saved(engine: Engine, ws: int) -> mapping.Mapping:
    with Session(engine) as s:
        return mapping.load(s, ws)


def test_unknown_headers_are_refused_and_listed_for_mapping(engine, ws, tmp_path):
    path = csvs(tmp_path / "in", {"people": FOREIGN})
    book = read_path(path, mapping=_saved(engine, ws))
    assert book.unmapped == [("people", "Mitarbeiter"), ("people", "E-Mail-Adresse"),
                             ("people", "Kostenstelle")]
    report = run(engine, ws, path)
    assert not report.written and counts(engine, ws)["people"] == 0
    assert {(p.row, p.column) for p in report.problems} >= {(1, "Mitarbeiter"),
                                                            (1, "Kostenstelle")}


def test_a_saved_mapping_applies_to_every_later_import_of_the_workspace(engine, ws, tmp_path):
    _map(engine, ws, ("people", "Mitarbeiter", "name"),
         ("People", "E-Mail-Adresse", "e-mail"),  # a title and a synonym are understood
         ("people", "Kostenstelle", "ignore"))
    assert _saved(engine, ws) == {"people": {"mitarbeiter": "name",
                                             "e_mail_adresse": "email",
                                             "kostenstelle": ""}}
    path = csvs(tmp_path / "in", {"people": FOREIGN})
    report = run(engine, ws, path, mapping=_saved(engine, ws))
    assert report.ok and report.written, report.problems
    with Session(engine) as s:
        from steerco.db.models import Person

        p = s.scalars(select(Person).where(Person.workspace_id == ws)).one()
        assert (p.name, p.email, p.title) == ("Ada Lovelace", "ada@acme.example", "CEO")
    # Another workspace has its own mapping (none): the same file is refused there.
    with unit_of_work(make_sessionmaker(engine)) as s:
        other = create_workspace(s, {"slug": f"o-{uuid.uuid4().hex[:10]}", "name": "O"}).id
    assert read_path(path, mapping=_saved(engine, other)).unmapped


@pytest.mark.parametrize(("sheet", "header", "column", "field", "message"), [
    ("budgets", "Verantwortlich", "owner", "sheet", "no sheet kind 'budgets'"),
    ("objectives", "Verantwortlich", "boss", "column", "Objectives has no column 'boss'"),
    ("objectives", "Owner Email", "title", "header",
     "'Owner Email' is already the Objectives column 'owner' of the template"),
    ("objectives", "  ", "title", "header", "give the file's column header"),
])
def test_a_mapping_that_cannot_be_is_refused_naming_the_field(
        engine, ws, sheet, header, column, field, message) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _map(engine, ws, (sheet, header, column))
    [e] = exc.value.errors
    assert e.field == field and e.message.startswith(message)
    assert _saved(engine, ws) == {}


def test_a_mapping_is_changed_and_removed(engine, ws) -> None:
    _map(engine, ws, ("metrics", "Zielwert", "baseline_value"))
    _map(engine, ws, ("metrics", "Zielwert", "target_value"))
    assert _saved(engine, ws) == {"metrics": {"zielwert": "target_value"}}
    with unit_of_work(make_sessionmaker(engine)) as s:
        assert mapping.remove(s, ws, "Metrics", "Zielwert")
        assert not mapping.remove(s, ws, "Metrics", "Zielwert")
    assert _saved(engine, ws) == {}


# --- the workspace's locale: ISO always, its own forms only where it says so ------------

METRIC = ("key,name,unit,direction,baseline_value,baseline_date,target_value,target_date,"
          "owner\nM1,Revenue,EUR,increase_to,{base},{day},{target},2026-12-31,"
          "ada@acme.example\n")


def _metric_files(base: str, day: str, target: str = "2000") -> dict[str, str]:
    return {"people": "email,name\nada@acme.example,Ada Lovelace\n",
            "metrics": METRIC.format(base=f'"{base}"', day=day, target=f'"{target}"')}


def _set_locale(engine: Engine, ws: int, locale: str) -> None:
    with unit_of_work(make_sessionmaker(engine)) as s:
        TransferRepository(s, ws).set_locale(locale)


def _baseline(engine: Engine, ws: int) -> tuple[float, dt.date]:
    with Session(engine) as s:
        m = s.scalars(select(Metric).where(Metric.workspace_id == ws)).one()
        return float(m.baseline_value), m.baseline_date


def test_a_german_workspace_reads_decimal_commas_and_its_dates_and_iso(engine, ws, tmp_path):
    _set_locale(engine, ws, "de")
    report = run(engine, ws, csvs(tmp_path / "a", _metric_files("1.234,5", "31.01.2026",
                                                                 "2.000")))
    assert report.ok and report.written, report.problems
    assert _baseline(engine, ws) == (1234.5, dt.date(2026, 1, 31))
    report = run(engine, ws, csvs(tmp_path / "b", _metric_files("1234,75", "2026-02-01")))
    assert report.ok, report.problems
    assert _baseline(engine, ws) == (1234.75, dt.date(2026, 2, 1))


def test_a_german_workspace_refuses_a_decimal_point_rather_than_guess(engine, ws, tmp_path):
    _set_locale(engine, ws, "de")
    report = run(engine, ws, csvs(tmp_path / "a", _metric_files("3.5", "2026-01-31")))
    [p] = report.problems
    assert (p.row, p.column, p.value) == (2, "baseline_value", "3.5")
    assert p.reason == "not a number as this workspace writes them (locale de: like 1.234,5)"
    assert counts(engine, ws)["metrics"] == 0


def test_an_english_workspace_refuses_a_decimal_comma_and_a_day_first_date(
        engine, ws, tmp_path):
    report = run(engine, ws, csvs(tmp_path / "a", _metric_files("3,5", "31.01.2026")))
    by_col = {p.column: p for p in report.problems}
    assert by_col["baseline_value"].reason == (
        "not a number (a decimal comma? this workspace's locale is en: write 3.5)")
    assert by_col["baseline_date"].reason == "not a date (write YYYY-MM-DD)"
    assert counts(engine, ws)["metrics"] == 0 and counts(engine, ws)["people"] == 0
    # "1,234" is a thousands separator in English, never a decimal comma.
    report = run(engine, ws, csvs(tmp_path / "b", _metric_files("1,234", "2026-01-31")))
    assert report.ok, report.problems
    assert _baseline(engine, ws)[0] == 1234.0


def test_an_american_workspace_reads_month_first_dates(engine, ws, tmp_path):
    _set_locale(engine, ws, "en-us")
    report = run(engine, ws, csvs(tmp_path / "a", _metric_files("10", "01/31/2026")))
    assert report.ok, report.problems
    assert _baseline(engine, ws)[1] == dt.date(2026, 1, 31)


def test_the_mapping_and_the_locale_work_together(engine, ws, tmp_path):
    _set_locale(engine, ws, "de")
    _map(engine, ws, ("metrics", "Ausgangswert", "baseline_value"),
         ("metrics", "Stichtag", "baseline_date"))
    files = _metric_files("12,5", "01.03.2026")
    files["metrics"] = files["metrics"].replace("baseline_value,baseline_date",
                                                "Ausgangswert,Stichtag")
    report = run(engine, ws, csvs(tmp_path / "a", files), mapping=_saved(engine, ws))
    assert report.ok, report.problems
    assert _baseline(engine, ws) == (12.5, dt.date(2026, 3, 1))
    assert "metrics" in COMPANY  # the template's own headers need no mapping

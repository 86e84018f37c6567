"""A long history of measurements (the column-wise path of transfer.bulk) is stored and
refused exactly as the row-by-row checks store and refuse a short one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.db.models import Measurement
from steerco.transfer import bulk
from tests.transfer.conftest import COMPANY, csvs, run

START = dt.date(2021, 1, 1)


def _history(rows: int, metric: str = "M1") -> list[str]:
    return [f"{metric},{START + dt.timedelta(days=i)},{50 + i * 0.25!r}" for i in range(rows)]


def _company(tmp_path: Path, measurements: list[str]) -> Path:
    files = dict(COMPANY, measurements="metric,as_of,value\n" + "\n".join(measurements) + "\n")
    return csvs(tmp_path / "in", files)


def _stored(engine: Engine, ws: int) -> list[tuple[int, dt.date, float, str, object]]:
    with Session(engine) as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(Measurement.metric_id, Measurement.as_of, Measurement.value,
                   Measurement.source, Measurement.supersedes_id)
            .where(Measurement.workspace_id == ws).order_by(Measurement.as_of))]


def test_a_clean_long_history_takes_the_column_wise_path_and_stores_every_row(
        engine, ws, tmp_path, monkeypatch):
    taken: list[bool] = []
    real = bulk._clean_columns

    def spy(*a, **k):  # type: ignore[no-untyped-def]
        out = real(*a, **k)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(bulk, "_clean_columns", spy)
    report = run(engine, ws, _company(tmp_path, _history(1500)))
    assert report.written, report.problems[:3]
    assert taken == [True]
    assert report.counts()["Measurements"] == {"create": 1500, "update": 0, "unchanged": 0}
    rows = _stored(engine, ws)
    assert len(rows) == 1500
    assert rows[0][1:4] == (START, 50.0, "import")
    assert rows[-1][1:3] == (START + dt.timedelta(days=1499), 50 + 1499 * 0.25)
    # Again: every row already there, through the row checks (they tell unchanged rows).
    again = run(engine, ws, _company(tmp_path, _history(1500)))
    assert again.counts()["Measurements"] == {"create": 0, "update": 0, "unchanged": 1500}
    assert taken == [True, False]


def test_the_column_wise_path_stores_what_the_row_checks_store(engine, ws, tmp_path,
                                                                monkeypatch):
    import uuid

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.org.service import create_workspace

    history = _history(1200)
    assert run(engine, ws, _company(tmp_path / "a", history)).written
    with unit_of_work(make_sessionmaker(engine)) as s:
        other = create_workspace(s, {"slug": f"row-{uuid.uuid4().hex[:12]}",
                                     "name": "Row by row"}).id
    monkeypatch.setattr(bulk, "_clean_columns", lambda *a: None)
    assert run(engine, other, _company(tmp_path / "b", history)).written
    fast, slow = _stored(engine, ws), _stored(engine, other)
    assert [r[1:] for r in fast] == [r[1:] for r in slow]


@pytest.mark.parametrize(("bad", "column", "reason"), [
    ("M1,2021-03-01,1_000", "value", "not a number"),
    ("M1,2021-03-01,nan", "value", "not a finite number"),
    ("M1,2021-3-01,7", "as_of", "date"),
    ("M9,2021-03-01,7", "metric", "no metric with key 'M9'"),
    ("M1,2027-01-01,7", "as_of", "in the future"),
    ("M1,2021-01-05,7", "as_of", "duplicate: row 6 has a value"),
])
def test_one_bad_row_in_a_long_history_is_named_and_nothing_is_written(
        engine, ws, tmp_path, bad, column, reason):
    history = _history(1500)
    history[700] = bad
    report = run(engine, ws, _company(tmp_path, history))
    assert not report.written
    found = [p for p in report.problems if p.sheet == "measurements"]
    assert [(p.row, p.column) for p in found] == [(702, column)], found
    assert reason in found[0].reason
    assert _stored(engine, ws) == []

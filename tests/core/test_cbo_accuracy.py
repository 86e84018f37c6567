"""CBO's published deficit-projection accuracy table, reproduced from its errors file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from steerco.core.accuracy import (
    accuracy_by_horizon,
    forecast_errors,
    horizons,
    periods_of_days,
)
from steerco.kit.dates import to_day

pytestmark = pytest.mark.shared_data


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cbo(shared_data: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    folder = shared_data / "finance"
    return (_rows(folder / "CBO_deficit_projection_errors.csv"),
            _rows(folder / "CBO_deficit_projection_errors_summary_stats.csv"))


def _column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([float(r[name]) for r in rows])


def _assert_matches_published(table, published: list[dict[str, str]]) -> None:
    assert len(table) == len(published) == 11
    for i, row in enumerate(published):
        assert table.horizon[i] == int(row["projected_year_number"])
        assert table.n[i] == int(row["number_of_projections"])
        first, last = row["projection_year_range"].split("-")
        assert (table.first_target[i], table.last_target[i]) == (int(first), int(last))
        # Published to one decimal: our unrounded value must round to it.
        for ours, theirs in ((table.mean_error[i], "average_error"),
                             (table.mean_abs_error[i], "average_absolute_error"),
                             (table.rmse[i], "RMSE"), (table.spread[i], "two_thirds_spread")):
            assert abs(ours - float(row[theirs])) <= 0.05 + 1e-9, (i + 1, theirs, ours)


def test_all_eleven_horizons_of_the_published_table_are_reproduced_from_the_errors(cbo):
    errors, published = cbo
    table = accuracy_by_horizon(
        _column(errors, "projected_year_number").astype(int),
        _column(errors, "projection_error_pct_GDP"),
        target_period=_column(errors, "projected_fiscal_year").astype(int),
    )
    _assert_matches_published(table, published)


def test_the_table_is_reproduced_from_raw_projections_actuals_and_gdp(cbo):
    errors, published = cbo
    issued_day = [to_day(dt.date.fromisoformat(r["baseline_date"])) for r in errors]
    issue_year = periods_of_days(issued_day, "year")
    fiscal_year = _column(errors, "projected_fiscal_year").astype(int)
    horizon = horizons(issue_year, fiscal_year, first=1)
    assert np.array_equal(horizon, _column(errors, "projected_year_number").astype(int))
    # CBO stores deficits as negative numbers and reports errors on the deficit: sign -1.
    error = forecast_errors(_column(errors, "value"), _column(errors, "actual_value"),
                            adjustment=_column(errors, "legislative_deficit_change"),
                            scale=_column(errors, "GDP"), sign=-1.0)
    assert np.allclose(error, _column(errors, "projection_error_pct_GDP"), atol=6e-4)
    _assert_matches_published(accuracy_by_horizon(horizon, error, target_period=fiscal_year),
                              published)

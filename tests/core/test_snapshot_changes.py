"""Which metric rows two versions of a snapshot's inputs differ in (model edits patch
exactly those)."""

from __future__ import annotations

import numpy as np

from steerco.core.plan import PlanSet
from steerco.core.snapshot import (
    Benefits,
    Metrics,
    changed_benefit_rows,
    changed_metric_rows,
    changed_plan_rows,
)


def metrics(**over: object) -> Metrics:
    n = 4
    cols: dict[str, object] = {
        "ids": np.arange(1, n + 1), "direction": np.zeros(n, np.int8),
        "baseline_value": np.full(n, 100.0), "baseline_day": np.zeros(n, np.int64),
        "target_value": np.full(n, 200.0), "target_day": np.full(n, 300),
        "tolerance": np.array([np.nan, 0.1, np.nan, 5.0]),
        "tolerance_kind": np.array([0, 1, 0, 2], np.int8), "cadence_days": np.full(n, 7),
        "owner": np.arange(n), "key_result": np.zeros(n, bool)}
    cols.update(over)
    return Metrics(**cols)  # type: ignore[arg-type]


def test_changed_metric_rows_ignore_nan_equal_and_the_owner():
    assert changed_metric_rows(metrics(), metrics()).tolist() == []
    assert changed_metric_rows(metrics(), metrics(owner=np.array([3, 2, 1, 0]))).tolist() == []
    moved = metrics(target_value=np.array([200.0, 250.0, 200.0, 200.0]),
                    tolerance=np.array([np.nan, 0.1, 0.2, 5.0]))
    assert changed_metric_rows(metrics(), moved).tolist() == [1, 2]


def test_changed_plan_rows_compare_points_and_counts():
    a = PlanSet.from_points([0, 0, 1, 2], [1, 5, 1, 1], [1.0, 2.0, 3.0, 4.0], 4)
    b = PlanSet.from_points([0, 0, 1, 2, 2], [1, 5, 2, 1, 9], [1.0, 2.0, 3.0, 4.0, 5.0], 4)
    assert changed_plan_rows(a, a).tolist() == []
    assert changed_plan_rows(a, b).tolist() == [1, 2]


def test_changed_benefit_rows_compare_multisets_in_any_order():
    def ben(rows: list[int], days: list[int], amounts: list[float]) -> Benefits:
        r = np.array(rows, dtype=np.int64)
        return Benefits(r, np.array(days, dtype=np.int64), np.array(amounts), r * 0)

    a = ben([0, 0, 2, 3], [5, 5, 7, 9], [1.0, 1.0, 2.0, 3.0])
    same = ben([3, 2, 0, 0], [9, 7, 5, 5], [3.0, 2.0, 1.0, 1.0])
    assert changed_benefit_rows(a, same, 4).tolist() == []
    # Row 0 loses a duplicate, row 2's amount moves, row 1 gains one; row 3 unchanged.
    b = ben([0, 2, 3, 1], [5, 7, 9, 4], [1.0, 2.5, 3.0, 1.0])
    assert changed_benefit_rows(a, b, 4).tolist() == [0, 1, 2]

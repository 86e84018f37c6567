"""Brier score, calibration error and per-owner calibration on hand-computed cases."""

from __future__ import annotations

import numpy as np

from steerco.core.calibration import owner_calibration, reliability


def test_a_forecaster_saying_seventy_percent_that_comes_true_seven_times_in_ten_is_calibrated(
) -> None:
    r = reliability([0.7] * 10, [1] * 7 + [0] * 3)
    assert r.n == 10 and abs(r.ece) < 1e-12
    assert abs(r.brier - (7 * 0.09 + 3 * 0.49) / 10) < 1e-12
    assert len(r.table) == 1 and r.table[0][2] == 10
    assert abs(r.table[0][3] - 0.7) < 1e-12 and abs(r.table[0][4] - 0.7) < 1e-12


def test_the_calibration_error_weights_each_bin_by_its_count() -> None:
    # 0.9 said four times, true twice (gap 0.4); 0.1 said four times, never true (gap 0.1)
    r = reliability([0.9] * 4 + [0.1] * 4, [1, 1, 0, 0, 0, 0, 0, 0])
    assert abs(r.ece - (0.5 * 0.4 + 0.5 * 0.1)) < 1e-12
    assert [row[2] for row in r.table] == [4, 4]


def test_an_owner_who_says_ninety_percent_and_hits_half_is_over_confident() -> None:
    cal = owner_calibration([0, 0, 0, 0, 1, 1], [0.9, 0.9, 0.9, 0.9, 0.5, 0.5],
                            [1, 0, 1, 0, 1, 0], n_owners=3)
    assert cal.count.tolist() == [4, 2, 0]
    assert abs(cal.bias[0] - 0.4) < 1e-12 and abs(cal.bias[1]) < 1e-12
    assert abs(cal.brier[0] - (2 * 0.01 + 2 * 0.81) / 4) < 1e-12
    assert abs(cal.brier_base[0] - 0.25) < 1e-12
    assert np.isnan(cal.brier[2])

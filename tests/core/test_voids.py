"""Which rows a void takes out of the evidence: itself and the chain it ends."""

from __future__ import annotations

import numpy as np

from steerco.core.snapshot import voided


def test_a_void_takes_its_row_and_the_corrections_before_it():
    # 1 ← 2 (correction) ← 5 (void); 3 stands alone; 4 is corrected by 6 (not voided).
    keys = [1, 2, 3, 4, 5, 6]
    sup = [-1, 1, -1, -1, 2, 4]
    void = [False, False, False, False, True, False]
    assert voided(keys, sup, void).tolist() == [True, True, False, False, True, False]


def test_without_voids_nothing_goes():
    out = voided(np.array([1, 2]), np.array([-1, 1]), np.array([False, False]))
    assert out.tolist() == [False, False]

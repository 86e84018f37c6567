"""Small vectorised array helpers shared by the engine modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def concat_ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """Concatenate arange(start, stop) for many ranges without a Python loop.

    Contract: `starts` and `stops` have equal length and stop >= start; empty ranges
    contribute nothing; all-empty input gives an empty int64 array.
    """
    lens = stops - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    out: IntArray = np.arange(total, dtype=np.int64) + shift
    return out

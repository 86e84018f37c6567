"""Small vectorised array helpers shared by the engine modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def ranges_with_owner(starts: IntArray, stops: IntArray) -> tuple[IntArray, IntArray]:
    """Concatenate arange(start, stop) for many ranges without a Python loop.

    Returns (flat indices, the position of the range each index came from). Contract:
    `starts` and `stops` have equal length; a range with stop <= start contributes
    nothing; all-empty input gives two empty int64 arrays.
    """
    lens = np.maximum(stops - starts, 0)
    total = int(lens.sum())
    owner = np.repeat(np.arange(lens.shape[0], dtype=np.int64), lens)
    begin = np.cumsum(lens) - lens
    idx: IntArray = np.arange(total, dtype=np.int64) - begin[owner] + starts[owner]
    return idx, owner


def concat_ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """The flat indices of `ranges_with_owner`."""
    return ranges_with_owner(starts, stops)[0]

"""Irregular check-ins → a regular grid on each metric's cadence, ready for `forecast`.

Owners report when they report: twice in one month, not at all the next. The forecaster
needs one value per cadence step, so each step takes the LAST observation that falls in
it (the latest evidence supersedes earlier evidence of the same period, as a correction
does). Steps without any observation stay NaN here rather than being carried forward:
"nothing was reported" must stay visible to the staleness and hygiene signals, and the
forecaster itself carries the last value over gaps when it fits.

Histories arrive as ragged arrays (CSR style): one flat `values` array, one flat `days`
array (int day numbers, `steerco.kit.dates`) and `offsets` of length n + 1, so series i
is `values[offsets[i]:offsets[i+1]]`. The grid of every series ends with the step that
closes on `end_day` (typically `as_of`), so the latest step is the last column.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from steerco.core.forecast_methods import FloatArray

#: Cap on grid length when it is inferred from the data (guards against a stray date).
MAX_STEPS = 1040


def resample_ragged(values: npt.ArrayLike, days: npt.ArrayLike, offsets: npt.ArrayLike,
                    cadence_days: npt.ArrayLike, end_day: npt.ArrayLike,
                    n_steps: int | None = None) -> FloatArray:
    """Resample n ragged histories to an n × n_steps grid ending at each row's `end_day`.

    Contract:
    - step j of row i (0 … n_steps−1) covers the days
      (end_day − (n_steps − j)·cadence, end_day − (n_steps − 1 − j)·cadence], so the last
      column is the step closing on `end_day`; `cadence_days` and `end_day` are scalars or
      one per row. Non-positive cadences count as 1 day.
    - a step's value is the last observation in it (by day; on equal days the later entry
      in the array, i.e. the newer row); NaN values are ignored; steps without any stay
      NaN; observations after `end_day` or before the first step are dropped.
    - `n_steps` defaults to what covers the oldest observation of any row, capped at
      `MAX_STEPS`. Unsorted days and empty rows are fine; the result is NaN-padded on the
      left for rows that start later.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    d = np.asarray(days, dtype=np.int64).ravel()
    off = np.asarray(offsets, dtype=np.int64).ravel()
    n = max(off.size - 1, 0)
    cad = np.maximum(np.broadcast_to(np.asarray(cadence_days, dtype=np.int64), (n,)), 1)
    end = np.broadcast_to(np.asarray(end_day, dtype=np.int64), (n,))
    lengths = np.diff(off) if n else np.zeros(0, dtype=np.int64)
    row = np.repeat(np.arange(n), lengths)
    v = v[off[0]:off[0] + row.size] if n else v[:0]
    d = d[off[0]:off[0] + row.size] if n else d[:0]
    back = (end[row] - d) // cad[row]  # 0 = the step closing on end_day
    keep = (d <= end[row]) & ~np.isnan(v)
    if n_steps is None:
        deepest = int(back[keep].max()) + 1 if keep.any() else 1
        n_steps = min(deepest, MAX_STEPS)
    n_steps = max(int(n_steps), 1)
    keep &= back < n_steps
    row, col, d, v = row[keep], n_steps - 1 - back[keep], d[keep], v[keep]
    order = np.arange(row.size)
    out = np.full((n, n_steps), np.nan)
    if row.size == 0:
        return out
    # Sort by (row, column, day, position) and keep the last entry of each (row, column).
    # Histories usually arrive sorted by (row, day) — the snapshot keeps them so — and
    # then columns are already in order: skip the sort (a 10M-row lexsort costs seconds).
    same = row[1:] == row[:-1]
    if not (np.all(row[1:] >= row[:-1]) and np.all(d[1:][same] >= d[:-1][same])):
        idx = np.lexsort((order, d, col, row))
        row, col, v = row[idx], col[idx], v[idx]
    last = np.ones(row.size, dtype=bool)
    last[:-1] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    out[row[last], col[last]] = v[last]
    return out


def resample_to_cadence(days: npt.ArrayLike, values: npt.ArrayLike, cadence_days: int,
                        end_day: int, n_steps: int | None = None) -> FloatArray:
    """Resample one irregular history to its cadence grid (1-D; see `resample_ragged`)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    grid = resample_ragged(v, days, np.array([0, v.size]), cadence_days, end_day, n_steps)
    return np.asarray(grid[0], dtype=np.float64)

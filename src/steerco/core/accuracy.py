"""Forecast accuracy by horizon, the way CBO publishes its projection-error table.

A *record* is one forecast of one target period, made in one issue period, later met by
an actual. Its *horizon* is ``target_period - issue_period + first`` (CBO counts the
year a baseline is published as projection year 1), and its *error* is

    error = sign * (forecast + adjustment - actual) / scale * 100   (scale given)
    error = sign * (forecast + adjustment - actual)                  (no scale)

i.e. forecast minus actual, so a positive error is an over-forecast. CBO's conventions
map onto this: ``adjustment`` is the legislative change made after the baseline (so
only the forecasting error remains), ``scale`` is GDP (errors in percent of GDP), and
``sign = -1`` for deficits, because CBO stores deficits as negative numbers but reports
errors on the deficit itself (a positive error = deficit over-projected).

Per (group, horizon) `accuracy_by_horizon` reports exactly CBO's columns
(US-CBO/eval-projections ``src/summary.py``): number of projections, average error,
average absolute error, RMSE (``sqrt(mean(error**2))``, population form), and the
two-thirds spread — the 5/6 quantile minus the 1/6 quantile, with linear interpolation
between order statistics (pandas' and numpy's default) — plus the first and last target
period (CBO's "projection_year_range").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


PeriodUnit = Literal["year", "quarter", "month", "week", "day"]


def periods_of_days(days: npt.ArrayLike, unit: PeriodUnit = "year") -> IntArray:
    """Return the calendar period of each day number, as an int usable by `horizons`.

    "year": the calendar year (2026); "quarter": ``4 * year + quarter - 1``; "month":
    ``12 * year + month - 1``; "week": whole weeks since 1970-01-01 (a Thursday);
    "day": the day itself. Consecutive periods always differ by 1.
    """
    d = np.asarray(days, dtype=np.int64)
    if unit == "day":
        return d
    if unit == "week":
        return np.asarray(d // 7, dtype=np.int64)
    months = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12
    if unit == "month":
        return np.asarray(months, dtype=np.int64)
    if unit == "quarter":
        return np.asarray((months // 12) * 4 + (months % 12) // 3, dtype=np.int64)
    return np.asarray(months // 12, dtype=np.int64)


def horizons(issue_period: npt.ArrayLike, target_period: npt.ArrayLike,
             first: int = 1) -> IntArray:
    """Return each record's horizon: ``target_period - issue_period + first``.

    Periods are ints in one unit (years, months as ``12 * year + month``, or
    ``day // period_days``). ``first=1`` counts the issue period as horizon 1 (CBO);
    ``first=0`` counts it as 0.
    """
    i = np.asarray(issue_period, dtype=np.int64)
    t = np.asarray(target_period, dtype=np.int64)
    return np.asarray(t - i + int(first), dtype=np.int64)


def forecast_errors(forecast: npt.ArrayLike, actual: npt.ArrayLike, *,
                    adjustment: npt.ArrayLike = 0.0, scale: npt.ArrayLike | None = None,
                    sign: npt.ArrayLike = 1.0) -> FloatArray:
    """Return ``sign * (forecast + adjustment - actual)``, in percent of ``scale`` if given.

    NaN anywhere (or a zero / NaN scale) gives a NaN error, which
    `accuracy_by_horizon` leaves out.
    """
    f = np.asarray(forecast, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    adj = np.asarray(adjustment, dtype=np.float64)
    s = np.asarray(sign, dtype=np.float64)
    err = s * (f + adj - a)
    if scale is not None:
        sc = np.asarray(scale, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            err = np.where(sc != 0.0, err / np.where(sc != 0.0, sc, 1.0) * 100.0, np.nan)
    return np.asarray(err, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class AccuracyTable:
    """One row per (group, horizon), sorted by group keys then horizon.

    ``groups`` is ``(rows, n_keys)`` (zero columns for the overall table). ``spread`` is
    the two-thirds spread (q(5/6) - q(1/6) by default). ``first_target`` /
    ``last_target`` are the smallest and largest target period in the row (-1 when no
    target periods were given).
    """

    groups: IntArray
    horizon: IntArray
    n: IntArray
    mean_error: FloatArray
    mean_abs_error: FloatArray
    rmse: FloatArray
    spread: FloatArray
    first_target: IntArray
    last_target: IntArray

    def __len__(self) -> int:
        return int(self.horizon.shape[0])


def _quantile_sorted(x: FloatArray, start: IntArray, n: IntArray, q: float) -> FloatArray:
    """Linear-interpolation quantile of each group of the group-wise sorted ``x``."""
    pos = q * (n - 1).astype(np.float64)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    x_lo = x[start + lo]
    x_hi = x[start + hi]
    return np.asarray(x_lo + frac * (x_hi - x_lo), dtype=np.float64)


def accuracy_by_horizon(horizon: npt.ArrayLike, error: npt.ArrayLike, *,
                        groups: Sequence[npt.ArrayLike] = (),
                        target_period: npt.ArrayLike | None = None,
                        spread_quantiles: tuple[float, float] = (1 / 6, 5 / 6)
                        ) -> AccuracyTable:
    """Summarise forecast errors per group keys and horizon (see the module docstring).

    ``horizon`` and ``error`` have one entry per record (e.g. from `horizons` and
    `forecast_errors`); ``groups`` is a sequence of int key arrays of the same length
    (e.g. ``(metric_id, owner_id)``); omit it for the overall table. Records with a
    non-finite error are left out; groups left empty do not appear. With one record the
    spread is 0. Empty input gives an empty table.
    """
    h = np.asarray(horizon, dtype=np.int64).ravel()
    e = np.asarray(error, dtype=np.float64).ravel()
    keys = [np.asarray(g, dtype=np.int64).ravel() for g in groups]
    size = min([h.shape[0], e.shape[0], *(k.shape[0] for k in keys)])
    has_target = target_period is not None
    tp = (np.asarray(target_period, dtype=np.int64).ravel() if target_period is not None
          else np.full(size, -1, dtype=np.int64))
    size = min(size, tp.shape[0])
    ok = np.isfinite(e[:size])
    h, e, tp = h[:size][ok], e[:size][ok], tp[:size][ok]
    keys = [k[:size][ok] for k in keys]

    order = np.lexsort((e, h, *reversed(keys)))  # last key is the primary sort key
    h, e, tp = h[order], e[order], tp[order]
    keys = [k[order] for k in keys]
    cols = [*keys, h]
    if e.shape[0] == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return AccuracyTable(groups=np.zeros((0, len(keys)), dtype=np.int64), horizon=empty_i,
                             n=empty_i, mean_error=empty_f, mean_abs_error=empty_f,
                             rmse=empty_f, spread=empty_f, first_target=empty_i,
                             last_target=empty_i)
    new = np.zeros(e.shape[0], dtype=np.bool_)
    new[0] = True
    for c in cols:
        new[1:] |= c[1:] != c[:-1]
    start = np.flatnonzero(new).astype(np.int64)
    n = np.diff(np.append(start, e.shape[0])).astype(np.int64)
    nf = n.astype(np.float64)
    mean_error = np.add.reduceat(e, start) / nf
    mean_abs = np.add.reduceat(np.abs(e), start) / nf
    rmse = np.sqrt(np.add.reduceat(e * e, start) / nf)
    q_lo, q_hi = spread_quantiles
    spread = _quantile_sorted(e, start, n, q_hi) - _quantile_sorted(e, start, n, q_lo)
    if has_target:
        first_t = np.minimum.reduceat(tp, start)
        last_t = np.maximum.reduceat(tp, start)
    else:
        first_t = last_t = np.full(start.shape[0], -1, dtype=np.int64)
    grp = (np.stack([k[start] for k in keys], axis=1) if keys
           else np.zeros((start.shape[0], 0), dtype=np.int64))
    return AccuracyTable(
        groups=np.asarray(grp, dtype=np.int64), horizon=h[start], n=n,
        mean_error=np.asarray(mean_error, dtype=np.float64),
        mean_abs_error=np.asarray(mean_abs, dtype=np.float64),
        rmse=np.asarray(rmse, dtype=np.float64), spread=spread,
        first_target=np.asarray(first_t, dtype=np.int64),
        last_target=np.asarray(last_t, dtype=np.int64),
    )

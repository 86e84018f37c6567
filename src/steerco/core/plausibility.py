"""Is a value plausible for a metric? Its bounds, and how far it lies from its history.

Bounds are a metric's optional `min_value`/`max_value`, tightened by what its unit
implies: a count, a duration or a percentage cannot be negative (units are free text, so
the common spellings are recognised; anything else implies nothing).

An *outlier* lies far outside the metric's own history. The reference is the extremes of
the metric's accepted values (confirmed outliers left out, so one confirmed 1e20 does
not widen the scale for ever: two numbers an index range scan returns, however long the
history) plus its baseline and target, which give a new metric a scale before its first
check-in. "Far" is measured from the reference's median in
units of its scale = max(range, median magnitude): the range alone collapses on a flat
history (every week 120), the magnitude alone on values around zero; when both are zero
(a history of zeros) the scale is one unit. A value more than `factor` scales from the
median is an outlier: with the default factor of 100 a lead time of ~20 days must reach
~2,000 days, a revenue of 4e6 ~4e8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Lower-cased units that cannot be negative: counts, durations and percentages.
NON_NEGATIVE_UNITS = frozenset({
    # counts
    "count", "counts", "#", "number", "no.", "units", "items", "pieces", "pcs", "orders",
    "people", "persons", "fte", "headcount", "tickets", "customers", "users", "incidents",
    # durations
    "ms", "milliseconds", "s", "sec", "secs", "second", "seconds", "min", "mins", "minute",
    "minutes", "h", "hr", "hrs", "hour", "hours", "d", "day", "days", "wk", "week", "weeks",
    "month", "months", "yr", "year", "years",
    # percentages
    "%", "percent", "pct", "percentage",
})


def unit_floor(unit: str) -> float | None:
    """0.0 when `unit` names a count, a duration or a percentage; None otherwise."""
    return 0.0 if unit.strip().lower() in NON_NEGATIVE_UNITS else None


@dataclass(frozen=True, slots=True)
class Bounds:
    """The effective range of a metric's values and where each end comes from."""

    low: float | None
    high: float | None
    low_why: str = ""
    high_why: str = ""

    def violation(self, value: float) -> str | None:
        """Why `value` is outside the bounds (naming the bound), or None."""
        if self.low is not None and value < self.low:
            return f"{value:g} is below the minimum {self.low_why}"
        if self.high is not None and value > self.high:
            return f"{value:g} is above the maximum {self.high_why}"
        return None


def bounds_of(min_value: float | None, max_value: float | None, unit: str) -> Bounds:
    """Explicit bounds tightened by the unit's (the higher minimum wins)."""
    floor = unit_floor(unit)
    low, low_why = min_value, "" if min_value is None else f"min_value {min_value:g}"
    if floor is not None and (low is None or floor >= low):
        low, low_why = floor, f"{floor:g}: a value in '{unit}' cannot be negative"
    high_why = "" if max_value is None else f"max_value {max_value:g}"
    return Bounds(low, max_value, low_why, high_why)


@dataclass(frozen=True, slots=True)
class Scale:
    """Where a metric's values usually are: their median and their scale (> 0)."""

    center: float
    scale: float

    def is_outlier(self, value: float, factor: float) -> bool:
        return abs(value - self.center) > factor * self.scale


def history_scale(reference: Sequence[float]) -> Scale:
    """The median and scale of the reference values (see the module docstring)."""
    ref = np.asarray([v for v in reference if math.isfinite(v)], dtype=np.float64)
    if ref.size == 0:
        return Scale(0.0, 1.0)
    center = float(np.median(ref))
    scale = max(float(np.ptp(ref)), float(np.median(np.abs(ref))))
    if not math.isfinite(scale) or scale <= 0:
        scale = 1.0
    return Scale(center, scale)

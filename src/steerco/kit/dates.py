"""Dates as integer day numbers, the representation the engine computes with.

The engine works on numpy arrays, so every date is an int: days since 1970-01-01
(`DAY0`). Conversions live here so every layer agrees on them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

DAY0 = dt.date(1970, 1, 1)
#: Marker for "no date" inside int arrays (dates are never this far in the past).
NO_DAY = np.iinfo(np.int32).min


def to_day(d: dt.date | dt.datetime) -> int:
    """Return the day number of a date (a datetime is truncated to its date)."""
    if isinstance(d, dt.datetime):
        d = d.date()
    return (d - DAY0).days


def from_day(n: int) -> dt.date:
    """Return the date of a day number."""
    return DAY0 + dt.timedelta(days=int(n))


def days_array(dates: list[dt.date]) -> npt.NDArray[np.int32]:
    """Convert a list of dates to an int32 array of day numbers."""
    return np.fromiter((to_day(d) for d in dates), dtype=np.int32, count=len(dates))


def spoken(d: dt.date) -> str:
    """A date as a person writes it in a message: 1 Jan 2026."""
    return f"{d.day} {d:%b %Y}"


def ends_before(end: dt.date, start: dt.date) -> str:
    """The message for a period that ends before it starts."""
    return f"the end date {spoken(end)} is before the start date {spoken(start)}"


def due_before(due: dt.date, start: dt.date) -> str:
    """The message for something due before it starts."""
    return f"the due date {spoken(due)} is before the start date {spoken(start)}"


def target_not_after(target: dt.date, baseline: dt.date) -> str:
    """The message for a metric's target date not after its baseline date."""
    return (f"the target date {spoken(target)} must be after the baseline date "
            f"{spoken(baseline)}")

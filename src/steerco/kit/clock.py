"""The only place that reads the wall clock; the engine never does (it gets `as_of`)."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Return today's date in UTC."""
    return now().date()

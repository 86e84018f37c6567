"""The only place that reads the wall clock; the engine never does (it gets `as_of`)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = "UTC"


def now() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Return today's date in UTC."""
    return now().date()


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError naming it when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name}' is not a known time zone (IANA names such as "
                         f"'Europe/Berlin' or 'UTC')") from None


def today_in(name: str, at: dt.datetime | None = None) -> dt.date:
    """The calendar date in time zone `name` now (or at `at`): a workspace's "today"."""
    if at is None and name == UTC:
        return today()
    return (at or now()).astimezone(zone(name)).date()

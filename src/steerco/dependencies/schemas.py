"""Request schemas of dependencies."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from steerco.db.enums import DepType
from steerco.kit.schema import Strict


class DependencyCreate(Strict):
    #: A milestone (`mil_12`) or an initiative (`ini_3`) that delivers.
    provider: str
    #: A milestone or an initiative that needs it.
    consumer: str
    dep_type: DepType = DepType.FS
    lag_days: int = Field(default=0, ge=-3660, le=3660)
    need_date: dt.date | None = None
    committed_date: dt.date | None = None
    note: str | None = None

"""Request schemas of dependencies."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field

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


# --- API: reads and partial updates -----------------------------------------------------


class DependencyRead(BaseModel):
    id_kind: ClassVar[str] = "dependency"
    id: str
    provider: str
    consumer: str
    dep_type: DepType
    lag_days: int
    need_date: dt.date | None
    committed_date: dt.date | None
    note: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DependencyUpdate(Strict):
    dep_type: DepType | None = None
    lag_days: int | None = Field(default=None, ge=-3660, le=3660)
    need_date: dt.date | None = None
    committed_date: dt.date | None = None
    note: str | None = None

"""Request schemas of the org domain."""

from __future__ import annotations

import datetime as _dt
from typing import ClassVar

from pydantic import BaseModel, Field, field_validator

from steerco.db.enums import OrgKind
from steerco.kit import clock
from steerco.kit.schema import Email, Name, Ref, Strict


def _known_zone(name: str | None) -> str | None:
    if name is not None:
        clock.zone(name)  # ValueError naming the zone when it is unknown
    return name


class WorkspaceCreate(Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: Name
    time_zone: str = Field(default="UTC", min_length=1, max_length=64)

    check_zone = field_validator("time_zone")(_known_zone)


class WorkspaceRead(BaseModel):
    """A workspace and its settings: `time_zone` decides its "today" (due, overdue, stale,
    the escalation day, the default date of a check-in)."""

    id_kind: ClassVar[str] = "workspace"
    id: str
    slug: str
    name: str
    time_zone: str
    fiscal_year_start: int
    currency: str
    locale: str
    outlier_factor: float
    version: int
    created_at: _dt.datetime
    updated_at: _dt.datetime


class WorkspaceUpdate(Strict):
    name: Name | None = None
    time_zone: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="An IANA time zone such as Europe/Berlin")
    fiscal_year_start: int | None = Field(default=None, ge=1, le=12,
                                          description="Month the fiscal year starts in")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$",
                                 description="ISO 4217 code, e.g. EUR")
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[A-Z]{2})?$",
                               description="How numbers and dates read, e.g. en or de-DE")
    outlier_factor: float | None = Field(
        default=None, gt=1, le=1e6,
        description="A check-in this many times outside a metric's own history needs "
                    "confirm_outlier")

    check_zone = field_validator("time_zone")(_known_zone)


class OrgUnitCreate(Strict):
    name: Name
    kind: OrgKind
    code: str | None = Field(default=None, max_length=64)
    parent_id: Ref | None = None
    head_id: Ref | None = None


class PersonCreate(Strict):
    name: Name
    email: Email
    title: str | None = Field(default=None, max_length=200)
    manager_id: Ref | None = None
    org_unit_id: Ref | None = None


# --- API: reads and partial updates -----------------------------------------------------


class OrgUnitRead(BaseModel):
    id_kind: ClassVar[str] = "org_unit"
    refs: ClassVar[dict[str, str]] = {"parent_id": "org_unit", "head_id": "person"}
    id: str
    name: str
    code: str | None
    kind: OrgKind
    parent_id: str | None
    head_id: str | None
    version: int
    created_at: _dt.datetime
    updated_at: _dt.datetime


class OrgUnitUpdate(Strict):
    name: Name | None = None
    code: str | None = Field(default=None, max_length=64)
    parent_id: Ref | None = None
    head_id: Ref | None = None


class PersonRead(BaseModel):
    id_kind: ClassVar[str] = "person"
    refs: ClassVar[dict[str, str]] = {"manager_id": "person", "org_unit_id": "org_unit"}
    id: str
    name: str
    email: str
    title: str | None
    manager_id: str | None
    org_unit_id: str | None
    active: bool
    version: int
    created_at: _dt.datetime
    updated_at: _dt.datetime


class PersonUpdate(Strict):
    name: Name | None = None
    email: Email | None = None
    title: str | None = Field(default=None, max_length=200)
    manager_id: Ref | None = None
    org_unit_id: Ref | None = None
    active: bool | None = None

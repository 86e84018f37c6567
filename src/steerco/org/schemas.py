"""Request schemas of the org domain."""

from __future__ import annotations

import datetime as _dt
from typing import ClassVar

from pydantic import BaseModel, Field

from steerco.db.enums import OrgKind
from steerco.kit.schema import Email, Name, Ref, Strict


class WorkspaceCreate(Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    name: Name


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

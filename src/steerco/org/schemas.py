"""Request schemas of the org domain."""

from __future__ import annotations

from pydantic import Field

from steerco.db.enums import OrgKind
from steerco.kit.schema import Name, Ref, Strict


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
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    title: str | None = Field(default=None, max_length=200)
    manager_id: Ref | None = None
    org_unit_id: Ref | None = None

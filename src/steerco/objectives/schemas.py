"""Request schemas of the objectives domain."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from steerco.db.enums import ObjectiveLevel, Perspective
from steerco.kit.dates import ends_before
from steerco.kit.errors import FieldValueError
from steerco.kit.schema import Name, Ref, Strict, Weight


class ThemeCreate(Strict):
    name: Name
    description: str | None = None
    owner_id: Ref | None = None
    active: bool = True


class ParentLink(Strict):
    objective_id: Ref
    weight: Weight = 1.0


class ObjectiveCreate(Strict):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = None
    period_start: dt.date
    period_end: dt.date
    level: ObjectiveLevel
    perspective: Perspective
    owner_id: Ref
    org_unit_id: Ref | None = None
    theme_id: Ref | None = None
    parents: list[ParentLink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _period_in_order(self) -> ObjectiveCreate:
        if self.period_end < self.period_start:
            raise FieldValueError("period_end", ends_before(self.period_end,
                                                            self.period_start))
        return self


# --- API: reads and partial updates -----------------------------------------------------


class ThemeRead(BaseModel):
    id_kind: ClassVar[str] = "theme"
    refs: ClassVar[dict[str, str]] = {"owner_id": "person"}
    id: str
    name: str
    description: str | None
    owner_id: str | None
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ThemeUpdate(Strict):
    name: Name | None = None
    description: str | None = None
    owner_id: Ref | None = None
    active: bool | None = None


class ParentRead(BaseModel):
    objective_id: str
    weight: float


class ObjectiveRead(BaseModel):
    id_kind: ClassVar[str] = "objective"
    refs: ClassVar[dict[str, str]] = {"owner_id": "person", "org_unit_id": "org_unit",
                                      "theme_id": "theme"}
    id: str
    title: str
    description: str | None
    period_start: dt.date
    period_end: dt.date
    level: ObjectiveLevel
    perspective: Perspective
    owner_id: str
    org_unit_id: str | None
    theme_id: str | None
    archived: bool
    parents: list[ParentRead]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ObjectiveUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    level: ObjectiveLevel | None = None
    perspective: Perspective | None = None
    owner_id: Ref | None = None
    org_unit_id: Ref | None = None
    theme_id: Ref | None = None

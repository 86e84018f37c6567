"""Request schemas of the objectives domain."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from steerco.db.enums import ObjectiveLevel, Perspective
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
            raise ValueError(f"period_end {self.period_end} is before period_start "
                             f"{self.period_start}")
        return self

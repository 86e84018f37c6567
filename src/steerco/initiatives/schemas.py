"""Request schemas of the initiatives domain."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from steerco.db.enums import BenefitKind, InitiativeKind, StageGate
from steerco.kit.schema import Finite, Name, Ref, Strict


class InitiativeCreate(Strict):
    name: Name
    description: str | None = None
    kind: InitiativeKind = InitiativeKind.PROJECT
    stage: StageGate = StageGate.DEFINED
    owner_id: Ref | None = None
    sponsor_id: Ref | None = None
    controller_id: Ref | None = None
    org_unit_id: Ref | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    metric_ids: list[Ref] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> InitiativeCreate:
        if self.start_date and self.due_date and self.due_date < self.start_date:
            raise ValueError(f"due_date {self.due_date} is before start_date {self.start_date}")
        if self.stage not in (StageGate.DEFINED, StageGate.IDENTIFIED, StageGate.DETAILED):
            raise ValueError("a new initiative starts at defined, identified or detailed; "
                             "later stages are reached through the stage gate")
        return self


class MilestoneCreate(Strict):
    initiative_id: Ref
    name: Name
    due_date: dt.date
    owner_id: Ref | None = None
    duration_days: int = Field(default=1, ge=0, le=3660)
    forecast_date: dt.date | None = None
    external_ref: str | None = Field(default=None, max_length=200)


class BenefitCreate(Strict):
    initiative_id: Ref
    kind: BenefitKind
    amount: Finite
    due_date: dt.date
    metric_id: Ref | None = None
    budget_line_id: Ref | None = None

    @model_validator(mode="after")
    def _target(self) -> BenefitCreate:
        if self.kind is BenefitKind.METRIC_IMPACT and self.metric_id is None:
            raise ValueError("a metric_impact benefit needs metric_id")
        if self.kind is BenefitKind.SAVINGS and self.budget_line_id is None:
            raise ValueError("a savings benefit needs budget_line_id")
        return self

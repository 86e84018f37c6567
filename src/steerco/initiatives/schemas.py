"""Request schemas of the initiatives domain."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from steerco.db.enums import BenefitKind, InitiativeKind, StageGate
from steerco.kit.dates import due_before
from steerco.kit.errors import FieldValueError
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
            raise FieldValueError("due_date", due_before(self.due_date, self.start_date))
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


# --- API: reads and partial updates -----------------------------------------------------


class InitiativeRead(BaseModel):
    id_kind: ClassVar[str] = "initiative"
    refs: ClassVar[dict[str, str]] = {"owner_id": "person", "sponsor_id": "person",
                                      "controller_id": "person", "org_unit_id": "org_unit"}
    id: str
    name: str
    description: str | None
    kind: InitiativeKind
    stage: StageGate
    owner_id: str | None
    sponsor_id: str | None
    controller_id: str | None
    org_unit_id: str | None
    start_date: dt.date | None
    due_date: dt.date | None
    percent_complete: float
    dependencies_declared: bool
    stopped: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class InitiativeUpdate(Strict):
    name: Name | None = None
    description: str | None = None
    kind: InitiativeKind | None = None
    owner_id: Ref | None = None
    sponsor_id: Ref | None = None
    controller_id: Ref | None = None
    org_unit_id: Ref | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    percent_complete: float | None = Field(default=None, ge=0, le=1)
    dependencies_declared: bool | None = None


class StageMove(Strict):
    stage: StageGate


class MetricLinkIn(Strict):
    metric_id: Ref


class MilestoneRead(BaseModel):
    id_kind: ClassVar[str] = "milestone"
    refs: ClassVar[dict[str, str]] = {"initiative_id": "initiative", "owner_id": "person"}
    id: str
    initiative_id: str
    name: str
    owner_id: str | None
    due_date: dt.date
    baseline_date: dt.date | None
    forecast_date: dt.date | None
    duration_days: int
    completed_on: dt.date | None
    evidence_url: str | None
    external_ref: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MilestoneUpdate(Strict):
    name: Name | None = None
    owner_id: Ref | None = None
    due_date: dt.date | None = None
    forecast_date: dt.date | None = None
    duration_days: int | None = Field(default=None, ge=0, le=3660)
    completed_on: dt.date | None = None
    evidence_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    external_ref: str | None = Field(default=None, max_length=200)


class BenefitRead(BaseModel):
    id_kind: ClassVar[str] = "benefit"
    refs: ClassVar[dict[str, str]] = {"initiative_id": "initiative", "metric_id": "metric",
                                      "budget_line_id": "budget_line",
                                      "signed_off_by_id": "person"}
    id: str
    initiative_id: str
    kind: BenefitKind
    metric_id: str | None
    budget_line_id: str | None
    amount: float
    due_date: dt.date
    realised_amount: float | None
    signed_off_by_id: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class BenefitUpdate(Strict):
    amount: Finite | None = None
    due_date: dt.date | None = None


class BenefitSignOff(Strict):
    realised_amount: Finite

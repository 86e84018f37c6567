"""Request schemas of the metrics domain."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator

from steerco.db.enums import (
    Cadence,
    Direction,
    IndicatorType,
    MetricKind,
    Source,
    ToleranceMode,
)
from steerco.kit.dates import target_not_after
from steerco.kit.errors import FieldValueError
from steerco.kit.schema import Name, Plausible, Ref, Strict, Weight


class PlanPointIn(Strict):
    on: dt.date
    value: Plausible


class ObjectiveLink(Strict):
    objective_id: Ref
    weight: Weight = 1.0


def check_plan_order(points: list[PlanPointIn], field: str = "plan") -> None:
    """Plan points must be strictly increasing in date; say which one is out of order."""
    for i in range(1, len(points)):
        if points[i].on <= points[i - 1].on:
            raise ValueError(
                f"{field}.{i}.on {points[i].on} is not after {field}.{i - 1}.on "
                f"{points[i - 1].on}: plan points must be in date order without repeats")


BOUND_DOC = ("A check-in outside [min_value, max_value] is refused; a count, duration or "
             "percentage unit implies min_value 0")


class MetricCreate(Strict):
    name: Name
    kind: MetricKind = MetricKind.KEY_RESULT
    unit: str = Field(min_length=1, max_length=32)
    direction: Direction
    baseline_value: Plausible
    baseline_date: dt.date
    target_value: Plausible
    target_date: dt.date
    tolerance: Plausible | None = Field(default=None, ge=0)
    tolerance_mode: ToleranceMode = ToleranceMode.RELATIVE
    indicator: IndicatorType = IndicatorType.LAGGING
    cadence: Cadence = Cadence.MONTHLY
    owner_id: Ref
    source: Source = Source.MANUAL
    description: str | None = None
    min_value: Plausible | None = Field(default=None, description=BOUND_DOC)
    max_value: Plausible | None = Field(default=None, description=BOUND_DOC)
    objectives: list[ObjectiveLink] = Field(default_factory=list)
    plan: list[PlanPointIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates_and_plan(self) -> MetricCreate:
        if self.target_date <= self.baseline_date:
            raise FieldValueError("target_date", target_not_after(self.target_date,
                                                                  self.baseline_date))
        check_plan_order(self.plan)
        return self


class CausalLinkCreate(Strict):
    driver_id: Ref
    driven_id: Ref
    sign: int = Field(description="+1 when the driver moves the driven metric the same way")
    lag_days: int = Field(default=0, ge=0, le=3660)
    note: str | None = None

    @model_validator(mode="after")
    def _sign(self) -> CausalLinkCreate:
        if self.sign not in (-1, 1):
            raise ValueError(f"sign must be +1 or -1, got {self.sign}")
        return self


# --- API: reads and partial updates -----------------------------------------------------


class MetricRead(BaseModel):
    id_kind: ClassVar[str] = "metric"
    refs: ClassVar[dict[str, str]] = {"owner_id": "person"}
    id: str
    name: str
    kind: MetricKind
    unit: str
    direction: Direction
    baseline_value: float
    baseline_date: dt.date
    target_value: float
    target_date: dt.date
    tolerance: float | None
    tolerance_mode: ToleranceMode
    indicator: IndicatorType
    cadence: Cadence
    owner_id: str
    source: Source
    description: str | None
    min_value: float | None
    max_value: float | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MetricUpdate(Strict):
    name: Name | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=32)
    direction: Direction | None = None
    baseline_value: Plausible | None = None
    baseline_date: dt.date | None = None
    target_value: Plausible | None = None
    target_date: dt.date | None = None
    tolerance: Plausible | None = Field(default=None, ge=0)
    tolerance_mode: ToleranceMode | None = None
    indicator: IndicatorType | None = None
    cadence: Cadence | None = None
    owner_id: Ref | None = None
    source: Source | None = None
    description: str | None = None
    min_value: Plausible | None = Field(default=None, description=BOUND_DOC)
    max_value: Plausible | None = Field(default=None, description=BOUND_DOC)


class PlanPointRead(BaseModel):
    on: dt.date
    value: float


class CausalLinkRead(BaseModel):
    id_kind: ClassVar[str] = "causal_link"
    refs: ClassVar[dict[str, str]] = {"driver_id": "metric", "driven_id": "metric"}
    id: str
    driver_id: str
    driven_id: str
    sign: int
    lag_days: int
    note: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class CausalLinkUpdate(Strict):
    sign: int | None = Field(default=None, ge=-1, le=1)
    lag_days: int | None = Field(default=None, ge=0, le=3660)
    note: str | None = None

    @model_validator(mode="after")
    def _sign(self) -> CausalLinkUpdate:
        if self.sign == 0:
            raise ValueError("sign must be +1 or -1, got 0")
        return self


# --- delegated updaters -----------------------------------------------------------------


class UpdaterCreate(Strict):
    person_id: Ref = Field(description="The person who may check in on the metric too")


class UpdaterRead(BaseModel):
    """A delegation: `person_id` may check in on `metric_id` (and nothing more)."""

    refs: ClassVar[dict[str, str]] = {"metric_id": "metric", "person_id": "person"}
    metric_id: str
    person_id: str
    created_at: dt.datetime

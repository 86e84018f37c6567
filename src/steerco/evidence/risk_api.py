"""JSON routes of schedule risk: P(on time), 50/80/95 % finish dates, criticality, what-if.

Thin: every answer comes from the read model `steerco.views.schedule_risk` (the same the
initiative page and the dependency explorer show).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from steerco.http.auth import Reader
from steerco.http.items import IdPath
from steerco.http.rest import READ_ERRORS, path_key
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import parse_key
from steerco.views import schedule_risk as view

router = APIRouter(tags=["engine"])
Prob = Annotated[float | None, Field(description="Share of sampled futures (0–1); None "
                                                 "without a date to meet")]


class FinishDates(BaseModel):
    p50: str | None = Field(description="Finished by this date in half of the futures")
    p80: str | None
    p95: str | None


class MilestoneRisk(FinishDates):
    id: str
    due: str | None
    done: bool
    p_on_time: Prob
    criticality: float = Field(description="Share of futures in which it lies on the chain "
                                           "that makes something late")


class DependencyRisk(BaseModel):
    id: str
    need: str | None
    p_on_time: Prob = Field(description="P(the provider's date plus the lag meets the need "
                                        "date)")
    criticality: float


class SlipLawSummary(BaseModel):
    samples: int
    completed_milestones: int = Field(description="Completed milestones the slip law "
                                                  "learned from")
    prior_p_late: float
    prior_median_days_late: float


class BenefitRisk(BaseModel):
    metric_id: str
    metric_name: str
    amount: float
    p_arrives: float = Field(description="P(the benefit lands by the metric's target date)")
    p_hit: float | None = Field(description="The metric's P(hit), counting the benefit")
    p_hit_without: float | None = Field(description="P(hit) if the benefit never lands")
    p_hit_with_schedule_risk: float | None = Field(
        description="p_arrives · p_hit + (1 − p_arrives) · p_hit_without")


class InitiativeRisk(FinishDates):
    id: str
    due: str | None
    p_on_time: Prob
    criticality: float
    milestones: list[MilestoneRisk]
    dependencies: list[DependencyRisk]
    benefits: list[BenefitRisk] = Field(description="Schedule risk carried into the "
                                                    "metrics its benefits feed")
    law: SlipLawSummary


class Change(BaseModel):
    id: str
    before: float | None
    after: float | None


class RiskWhatIf(BaseModel):
    milestone: str
    days: int
    samples: int
    initiatives: list[Change]
    milestones: list[Change]
    dependencies: list[Change]


class RiskWhatIfIn(BaseModel):
    model_config = {"extra": "forbid"}

    milestone_id: str = Field(pattern=r"^mil_\d{1,15}$", description="The milestone that "
                                                                     "slips")
    days: int = Field(ge=1, le=730, description="Days later than its forecast")


@router.get("/initiatives/{id}/schedule-risk", response_model=InitiativeRisk,
            responses=READ_ERRORS,
            summary="How likely an initiative, its milestones and dependencies land on time")
def initiative_schedule_risk(id: IdPath, ctx: Reader) -> dict[str, Any]:
    key = path_key(id, "initiative")
    with ctx.read() as s:
        out = view.initiative_risk(s, ctx.ws, key)
    if out is None:
        raise NotFound("initiative", id)
    return out


@router.post("/schedule-risk/whatif", response_model=RiskWhatIf, responses=READ_ERRORS,
             summary="How a milestone's slip changes every P(on time) (nothing is written)")
def schedule_risk_whatif(body: RiskWhatIfIn, ctx: Reader) -> dict[str, Any]:
    key = parse_key(body.milestone_id.partition("_")[2])
    with ctx.read() as s:
        out = None if key is None else view.slip_what_if(s, ctx.ws, key, body.days)
    if out is None:
        raise ValidationFailed(FieldError("milestone_id", "no open milestone has this id",
                                          body.milestone_id))
    return out

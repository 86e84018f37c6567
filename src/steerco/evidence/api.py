"""JSON routes of the engine's outputs: status with reasons, forecasts, accuracy,
schedule risk.

The engine evaluates a per-process cached snapshot of the workspace (caught up with
every committed measurement before each read), so these answers are cheap after the
first. An entity created after the snapshot was built triggers one rebuild.
"""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from steerco.core.snapshot import rows_of
from steerco.evidence import service as engine
from steerco.evidence.history import accuracy_report, changes_since_last_review
from steerco.http.auth import Reader
from steerco.http.items import IdPath
from steerco.http.rest import READ_ERRORS, model_response, path_key
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import parse_key
from steerco.metrics.repository import MetricRepository
from steerco.objectives.repository import ObjectiveRepository
from steerco.org.service import workspace_today
from steerco.views import schedule_risk as risk_view
from steerco.views.accuracy import owner_accuracy as accuracy_view

router = APIRouter(tags=["engine"])
AsOf = Annotated[dt.date | None, Query(
    ge=dt.date(1971, 1, 1), le=dt.date(2199, 12, 31),
    description="Evaluate as of this date (default: today in the workspace's time zone)")]


class MetricStatus(BaseModel):
    id: str
    status: str = Field(description="on_track, at_risk, off_track, stale, no_data, achieved "
                                    "or missed")
    reasons: list[str]
    explanation: str
    last_value: float | None
    last_as_of: str | None
    forecast: float | None = Field(description="Point forecast at the target date")
    interval80: list[float | None]
    interval95: list[float | None]
    p_hit: float | None = Field(description="Probability that the target is met")
    plan_value: float | None
    progress: float | None
    owner_confidence: float | None
    target_value: float | None
    target_date: str | None


class WorstReason(BaseModel):
    reason: str
    metric_id: str


class ObjectiveStatus(BaseModel):
    id: str
    status: str
    progress: float | None
    coverage: float | None = Field(description="Share of the weight below that has evidence; "
                                               "below 1 the status is at best at_risk")
    measured_metrics: int = Field(description="Metrics below (each once) with evidence")
    total_metrics: int = Field(description="Metrics below (each once): "
                                           "\"measured_metrics of total_metrics measured\"")
    reasons: list[str]
    worst: list[WorstReason]
    explanation: str = Field(description="Why: the roll-up rule that decided the status "
                                         "and the worst metrics below, with their reasons")


class NamedMetricStatus(MetricStatus):
    name: str
    unit: str


class StatusNode(ObjectiveStatus):
    title: str
    metrics: list[NamedMetricStatus]
    child_count: int
    children: list["StatusNode"]


class StatusCounts(BaseModel):
    metrics: dict[str, int]
    objectives: dict[str, int]


class AccuracyRow(BaseModel):
    horizon_months: int
    n: int
    mean_error: float | None
    mean_abs_error: float | None
    rmse: float | None
    owner_id: str | None = None
    metric_id: str | None = None


class OwnerCalibrationRow(BaseModel):
    """How an owner's check-in confidences fared once their targets' dates passed."""

    owner_id: str
    checkins: int
    brier: float
    brier_base: float
    mean_confidence: float
    hit_rate: float
    bias: float  # mean confidence − hit rate: > 0 optimistic
    verdict: str  # over-confident, under-confident or calibrated


class AccuracyReport(BaseModel):
    forecasts_judged: int
    overall: list[AccuracyRow]
    per_owner: list[AccuracyRow]
    per_metric: list[AccuracyRow]
    owner_calibration: list[OwnerCalibrationRow]


class ForecastChange(BaseModel):
    metric_id: str
    status_before: str | None
    status_now: str
    worse: bool
    forecast_before: float | None
    forecast_now: float | None
    p_hit_before: float | None
    p_hit_now: float | None


class ForecastChanges(BaseModel):
    since: str | None = Field(description="Issue date of the last recorded review (None: "
                                          "no review recorded yet)")
    changes: list[ForecastChange]


#: Reads accept an evaluation caught up this recently (other processes' check-ins show
#: within it; this process's own at once).
READ_FRESHNESS_S = 0.25


def _state(s: Session, ws: int, as_of: dt.date | None) -> engine.EngineState:
    return engine.CACHE.state(s, ws, as_of, fresh_within=READ_FRESHNESS_S)


def _rebuild(s: Session, ws: int) -> None:
    # The cache rebuilds a workspace on a new day; an entity newer than the snapshot
    # needs it now.
    engine.CACHE.invalidate(s, ws)


def _row(s: Session, ws: int, as_of: dt.date | None, ids_of: Any,
         key: int) -> tuple[engine.EngineState, int]:
    st = _state(s, ws, as_of)
    ids = ids_of(st)
    row = int(rows_of(ids, [key])[0])
    # Keys only grow: a key above the snapshot's largest is an entity created since it
    # was built (rebuild once); a smaller missing key is one the engine leaves out on
    # purpose (an archived objective), and rebuilding would not bring it back.
    if row < 0 and (len(ids) == 0 or key > int(ids.max())):
        _rebuild(s, ws)
        st = _state(s, ws, as_of)
        row = int(rows_of(ids_of(st), [key])[0])
    return st, row


@router.get("/metrics/{id}/forecast", response_model=MetricStatus, responses=READ_ERRORS,
            summary="A metric's status with reasons, forecast, intervals and P(hit)")
def metric_forecast(id: IdPath, ctx: Reader, as_of: AsOf = None) -> Response:
    key = path_key(id, "metric")
    with ctx.read() as s:
        metric = MetricRepository(s, ctx.ws).get(key)
        st, row = _row(s, ctx.ws, as_of, lambda st: st.snapshot.metrics.ids, key)
        if row < 0:
            from steerco.kit.errors import NotFound
            raise NotFound("metric", id)
        return model_response(MetricStatus, engine.metric_view(st, row, metric.unit))


@router.get("/objectives/{id}/status", response_model=ObjectiveStatus,
            responses=READ_ERRORS,
            summary="An objective's computed status with its worst reasons")
def objective_status(id: IdPath, ctx: Reader, as_of: AsOf = None) -> Response:
    key = path_key(id, "objective")
    with ctx.read() as s:
        st = _state(s, ctx.ws, as_of)
        row = int(rows_of(st.snapshot.objective_ids, [key])[0])
        if row < 0:
            # Not in the snapshot: missing (404 here), or newer than it (rebuild once).
            ObjectiveRepository(s, ctx.ws).get(key)
            st, row = _row(s, ctx.ws, as_of, lambda st: st.snapshot.objective_ids, key)
        if row < 0:
            from steerco.kit.errors import NotFound
            raise NotFound("status of objective", f"{id} (archived objectives have none)")
        labels = engine.objective_labels(s, ctx.ws, st, [row])
        return model_response(ObjectiveStatus, engine.objective_view(st, row, labels))


@router.get("/status/tree", response_model=list[StatusNode], responses=READ_ERRORS,
            summary="The status tree: objectives with metrics and children, worst first")
def status_tree(ctx: Reader, as_of: AsOf = None,
                objective_id: Annotated[str | None, Query(max_length=40)] = None,
                depth: Annotated[int, Query(ge=0, le=6)] = 2,
                max_children: Annotated[int, Query(ge=1, le=200)] = 50,
                ) -> list[dict[str, Any]]:
    with ctx.read() as s:
        key = None
        if objective_id is not None:
            key = path_key(objective_id, "objective", "objective_id")
            ObjectiveRepository(s, ctx.ws).get(key)
            st, _ = _row(s, ctx.ws, as_of, lambda st: st.snapshot.objective_ids, key)
        else:
            st = _state(s, ctx.ws, as_of)
        return engine.status_tree(s, ctx.ws, st, key, depth, max_children)


@router.get("/status/counts", response_model=StatusCounts, responses=READ_ERRORS,
            summary="How many metrics and objectives are in each status")
def status_counts(ctx: Reader, as_of: AsOf = None) -> dict[str, Any]:
    with ctx.read() as s:
        return engine.counts_by_status(_state(s, ctx.ws, as_of))


@router.get("/forecasts/changes", response_model=ForecastChanges, responses=READ_ERRORS,
            summary="What moved since the last recorded review: statuses, forecasts, P(hit)")
def forecast_changes(ctx: Reader, as_of: AsOf = None) -> dict[str, Any]:
    with ctx.read() as s:
        return changes_since_last_review(s, ctx.ws, _state(s, ctx.ws, as_of))


@router.get("/forecasts/accuracy", response_model=AccuracyReport, responses=READ_ERRORS,
            summary="How accurate stored forecasts were, by horizon, owner and metric")
def forecast_accuracy(ctx: Reader, up_to: AsOf = None) -> dict[str, Any]:
    with ctx.read() as s:
        st = _state(s, ctx.ws, None)
        return accuracy_report(s, ctx.ws, st, up_to or workspace_today(s, ctx.ws))


class NamedOwnerCalibration(OwnerCalibrationRow):
    name: str = Field(description="The owner's name")


class ReliabilityRow(BaseModel):
    bin: str = Field(description="Confidence decile, e.g. 0.7-0.8")
    n: int
    mean_confidence: float
    share_hit: float = Field(description="Share of these check-ins whose target was met")


class ConfidenceReliability(BaseModel):
    n: int = Field(description="Judged check-in confidences (all owners)")
    brier: float | None
    ece: float | None = Field(description="Expected calibration error over the deciles")
    table: list[ReliabilityRow]


class OwnerAccuracy(BaseModel):
    up_to: str = Field(description="Targets due by this date are judged")
    owners: list[NamedOwnerCalibration] = Field(description="Worst Brier score first")
    overall: ConfidenceReliability
    bias_threshold: float = Field(description="|bias| from which an owner is called over- "
                                              "or under-confident")


@router.get("/accuracy/owners", response_model=OwnerAccuracy, responses=READ_ERRORS,
            summary="How well each owner's check-in confidences predicted their targets")
def owner_accuracy(ctx: Reader, up_to: AsOf = None) -> dict[str, Any]:
    """Brier score and over/under-confidence per owner, from every check-in confidence
    whose metric's target date has passed (by `up_to`), and a reliability table of all."""
    with ctx.read() as s:
        return accuracy_view(s, ctx.ws, up_to)


# --- findings and what-if (steerco.findings) -----------------------------------------


class FindingSubject(BaseModel):
    kind: str
    id: str | None


class Finding(BaseModel):
    kind: str
    severity: int
    severity_name: str
    subject: FindingSubject
    person_id: str | None
    explanation: str
    evidence: dict[str, Any]


class WhatIfIn(BaseModel):
    model_config = {"extra": "forbid"}

    slips: list[Annotated[str, Field(pattern=r"^(mil|ini)_\d{1,15}:-?\d{1,4}$")]] = Field(
        default_factory=list, max_length=100,
        description="`mil_12:14` = milestone 12 slips 14 days (initiatives: `ini_3:30`)")
    stops: list[Annotated[str, Field(pattern=r"^ini_\d{1,15}$")]] = Field(
        default_factory=list, max_length=100, description="Initiatives to stop")
    as_of: dt.date | None = Field(default=None, ge=dt.date(1971, 1, 1),
                                  le=dt.date(2199, 12, 31))


@router.get("/findings", response_model=list[Finding], responses=READ_ERRORS,
            summary="Every finding (hygiene, signals, ripple), worst first")
def list_findings(ctx: Reader, as_of: AsOf = None,
                  kind: Annotated[str | None, Query(max_length=64)] = None,
                  ) -> list[dict[str, Any]]:
    from steerco.findings.service import findings

    with ctx.read() as s:
        return findings(s, ctx.ws, as_of or workspace_today(s, ctx.ws), kind)


@router.post("/whatif", response_model=dict[str, Any], responses=READ_ERRORS,
             summary="What if these slip or stop? Moved dates, broken dependencies, outcomes "
                     "(nothing is written)")
def post_whatif(body: WhatIfIn, ctx: Reader) -> dict[str, Any]:
    from steerco.findings.service import whatif

    with ctx.read() as s:
        return whatif(s, ctx.ws, body.as_of or workspace_today(s, ctx.ws), body.slips, body.stops)


# --- schedule risk (steerco.views.schedule_risk: the same the pages show) ------------

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
        out = risk_view.initiative_risk(s, ctx.ws, key)
    if out is None:
        raise NotFound("initiative", id)
    return out


@router.post("/schedule-risk/whatif", response_model=RiskWhatIf, responses=READ_ERRORS,
             summary="How a milestone's slip changes every P(on time) (nothing is written)")
def schedule_risk_whatif(body: RiskWhatIfIn, ctx: Reader) -> dict[str, Any]:
    key = parse_key(body.milestone_id.partition("_")[2])
    with ctx.read() as s:
        out = None if key is None else risk_view.slip_what_if(s, ctx.ws, key, body.days)
    if out is None:
        raise ValidationFailed(FieldError("milestone_id", "no open milestone has this id",
                                          body.milestone_id))
    return out

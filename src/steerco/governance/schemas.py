"""Request and response schemas of the governance domain: rules, escalations, decisions,
reviews."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from steerco.core.finding import Severity
from steerco.core.status import Status
from steerco.db.enums import DecisionKind, EscalationState, ReviewKind
from steerco.findings.service import KINDS as FINDING_KINDS
from steerco.kit.schema import Name, Plausible, Ref, Strict

#: What a rule may escalate: every finding kind the engine emits (signals and hygiene),
#: and every metric status that is a breach (an `off_track` rule acts on the status).
STATUS_SIGNALS: tuple[str, ...] = tuple(
    s.name.lower() for s in Status if s not in (Status.ON_TRACK, Status.ACHIEVED))
SIGNAL_KINDS: tuple[str, ...] = FINDING_KINDS + STATUS_SIGNALS
MIN_SEVERITY, MAX_SEVERITY = int(min(Severity)), int(max(Severity))
MAX_RUNGS = 8
MAX_GRACE_DAYS = 3650
#: Kinds of subject a decision may be about (those the engine's findings name).
SUBJECT_KINDS: tuple[str, ...] = ("metric", "objective", "initiative", "milestone",
                                  "dependency", "causal_link", "benefit", "budget_line")


def _signal_kind(value: str) -> str:
    if value not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal kind {value!r}; one of {', '.join(SIGNAL_KINDS)}")
    return value


def _subject_kind(value: str) -> str:
    if value not in SUBJECT_KINDS:
        raise ValueError(f"unknown subject kind {value!r}; one of {', '.join(SUBJECT_KINDS)}")
    return value


def _ladder(days: list[int]) -> list[int]:
    bad = [d for d in days if d <= 0 or d > MAX_GRACE_DAYS]
    if bad:
        raise ValueError(f"grace days must be between 1 and {MAX_GRACE_DAYS}, got {bad[0]}")
    for a, b in itertools.pairwise(days):
        if b <= a:
            raise ValueError(f"must increase strictly from rung to rung: {b} after {a}")
    return days


SignalKind = Annotated[str, AfterValidator(_signal_kind), Field(
    max_length=64, json_schema_extra={"enum": list(SIGNAL_KINDS)},
    description="A signal kind the engine emits: " + ", ".join(SIGNAL_KINDS))]
SubjectKind = Annotated[str, AfterValidator(_subject_kind), Field(
    max_length=32, json_schema_extra={"enum": list(SUBJECT_KINDS)})]
Ladder = Annotated[list[int], Field(min_length=1, max_length=MAX_RUNGS,
                                    description="Grace days at each rung: owner → manager → "
                                                "org-unit head → steering committee"),
                   AfterValidator(_ladder)]
MinSeverity = Annotated[int, Field(ge=MIN_SEVERITY, le=MAX_SEVERITY,
                                   description="1 info, 2 warning, 3 critical")]


# --- rules ------------------------------------------------------------------------------


class RuleCreate(Strict):
    name: Name
    signal_kind: SignalKind
    min_severity: MinSeverity = 2
    metric_id: Ref | None = None
    objective_id: Ref | None = None
    org_unit_id: Ref | None = None
    ladder_days: Ladder = Field(default_factory=lambda: [3, 7, 14])
    active: bool = True


class RuleUpdate(Strict):
    name: Name | None = None
    signal_kind: SignalKind | None = None
    min_severity: MinSeverity | None = None
    metric_id: Ref | None = None
    objective_id: Ref | None = None
    org_unit_id: Ref | None = None
    ladder_days: Ladder | None = None
    active: bool | None = None


class RuleRead(BaseModel):
    id_kind: ClassVar[str] = "rule"
    refs: ClassVar[dict[str, str]] = {"metric_id": "metric", "objective_id": "objective",
                                      "org_unit_id": "org_unit"}
    id: str
    name: str
    signal_kind: str
    min_severity: int
    metric_id: str | None
    objective_id: str | None
    org_unit_id: str | None
    ladder_days: list[int]
    active: bool
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# --- escalations ------------------------------------------------------------------------


class EscalationRead(BaseModel):
    id_kind: ClassVar[str] = "escalation"
    refs: ClassVar[dict[str, str]] = {"rule_id": "rule", "assignee_id": "person"}
    id: str
    rule_id: str | None
    signal_kind: str
    subject_kind: str
    subject_id: str = Field(description="The public id of the subject, like `met_3`")
    summary: str
    rung: int = Field(description="0 owner, 1 manager, 2 org-unit head, 3 steering "
                                  "committee")
    state: EscalationState
    assignee_id: str | None
    opened_at: dt.datetime
    escalated_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    snoozed_until: dt.date | None = None
    snooze_reason: str | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class EscalationAssign(Strict):
    assignee_id: Ref


class EscalationSnooze(Strict):
    until: dt.date = Field(description="Back in the inbox on this day")
    reason: str = Field(min_length=1, max_length=2000, description="Why it can wait")


# --- decisions --------------------------------------------------------------------------


class DecisionCreate(Strict):
    kind: DecisionKind
    rationale: str = Field(min_length=1, max_length=20_000)
    escalation_id: Ref | None = Field(
        default=None, description="The escalation this decision resolves")
    review_id: Ref | None = Field(default=None, description="The review it was taken at")
    subject_kind: SubjectKind | None = Field(
        default=None, description="Only needed when subject_id is a bare integer key")
    subject_id: Ref | None = Field(
        default=None, description="What was decided about (like `ini_4`), when there is no "
                                  "escalation; with one, its subject")
    decided_on: dt.date | None = Field(default=None, description="Default: today")
    new_target_value: Plausible | None = Field(
        default=None,
        description="replan_target on a metric: its new target value (carried out with "
                    "the decision, in the same transaction)")
    new_target_date: dt.date | None = Field(
        default=None, description="replan_target / replan_date on a metric: its new "
                                  "target date")


class DecisionRead(BaseModel):
    id_kind: ClassVar[str] = "decision"
    refs: ClassVar[dict[str, str]] = {"escalation_id": "escalation", "review_id": "review",
                                      "decided_by_id": "person"}
    id: str
    kind: DecisionKind
    rationale: str
    escalation_id: str | None
    review_id: str | None
    subject_kind: str | None
    subject_id: str | None
    decided_by_id: str
    decided_on: dt.date
    effect: dict[str, Any] | None = Field(
        default=None, description="The change it carried out: entity, id and "
                                  "changes {field: [before, after]}")
    subject_then: dict[str, Any] | None = Field(
        default=None, description="Its subject's status and forecast when decided")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# --- reviews ----------------------------------------------------------------------------


MAX_ATTENDEES = 100
Attendees = Annotated[list[Ref], Field(
    max_length=MAX_ATTENDEES,
    description="People the pack is mailed to when the review is scheduled (the chair "
                "always is)")]


class ReviewCreate(Strict):
    kind: ReviewKind
    title: Name
    scheduled_for: dt.date
    chair_id: Ref | None = None
    org_unit_id: Ref | None = Field(
        default=None, description="The org-unit subtree it reviews (none: the workspace)")
    attendee_ids: Attendees = Field(default_factory=list)


class ReviewUpdate(Strict):
    kind: ReviewKind | None = None
    title: Name | None = None
    scheduled_for: dt.date | None = None
    held_on: dt.date | None = None
    chair_id: Ref | None = None
    org_unit_id: Ref | None = None
    attendee_ids: Attendees | None = None


def _people(value: Any) -> list[str]:
    return [v if isinstance(v, str) else f"per_{v}" for v in value or []]


class ReviewRead(BaseModel):
    id_kind: ClassVar[str] = "review"
    refs: ClassVar[dict[str, str]] = {"chair_id": "person", "org_unit_id": "org_unit"}
    id: str
    kind: ReviewKind
    title: str
    scheduled_for: dt.date
    held_on: dt.date | None
    chair_id: str | None
    org_unit_id: str | None
    agenda: list[dict[str, Any]] | None = Field(
        description="Generated by POST /reviews/{id}/agenda from exceptions only, one item "
                    "per subject (`key`, named by `title`, linked by `link`): decisions "
                    "requested (`type` escalation), benefits at risk (benefit), findings "
                    "new or worse since the previous review of the series (finding), "
                    "forecast and status changes (change)")
    attendee_ids: Annotated[list[str], BeforeValidator(_people)] = Field(
        description="The people the pack is mailed to")
    discussed: Annotated[list[str], BeforeValidator(lambda v: list(v or []))] = Field(
        description="Keys of the agenda items marked discussed")
    closed_at: dt.datetime | None = Field(
        description="When the meeting was closed (its forecasts were recorded then)")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ItemDiscussed(Strict):
    item: str = Field(min_length=1, max_length=64, description="An agenda item's `key`")
    discussed: bool = True


class ActionCreate(Strict):
    title: Name
    owner_id: Ref
    due_on: dt.date
    item: str | None = Field(default=None, max_length=64,
                             description="The agenda item's `key` it follows from")


class ActionRead(BaseModel):
    id_kind: ClassVar[str] = "review_action"
    refs: ClassVar[dict[str, str]] = {"review_id": "review", "owner_id": "person",
                                      "done_by_id": "person"}
    id: str
    review_id: str
    item_key: str | None
    title: str
    owner_id: str
    due_on: dt.date
    done: bool
    done_on: dt.date | None = Field(default=None, description="The day it was marked done")
    done_by_id: str | None = Field(default=None, description="Who marked it done")
    overdue: bool = Field(default=False, description="Not done and due before today "
                                                     "(the workspace's time zone)")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class SinceLastReview(BaseModel):
    """What a review follows up from the previous review of its series."""

    review_id: str
    previous_review_id: str | None = Field(
        description="The previous review of the series (same kind and org unit), if any")
    since: dt.date = Field(description="The day the period starts: the previous review's "
                                       "day (else one cadence step before this review)")
    actions: list[ActionRead] = Field(
        description="Actions given at earlier reviews of the series: done since, or still "
                    "open (`overdue` when past their due date)")
    decisions: list[DecisionRead] = Field(
        description="Decisions taken since then about subjects in the review's scope "
                    "(newest first, at most 40)")
    more_decisions: int = Field(description="Decisions in scope beyond the ones listed")


class SeriesState(BaseModel):
    """Whether a review series (kind and org unit) goes on at its cadence or was ended."""

    review_id: str = Field(description="The latest review of the series (it carries the end)")
    ended: bool = Field(description="The daily `reviews` job schedules no more of it")
    ended_on: dt.date | None = Field(default=None, description="The day it was ended")
    ended_by_id: str | None = Field(default=None, description="Who ended it")

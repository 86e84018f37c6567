"""Rules that turn signals into escalations, decisions that close them, and reviews."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, str_enum
from steerco.db.enums import DecisionKind, EscalationState, ReviewKind, TriageState


class Rule(Entity, Base):
    """When a signal of `signal_kind` at or above `min_severity` fires, escalate it.

    `ladder_days` lists the grace days at each rung: owner → manager → org-unit head →
    steering committee.
    """

    __tablename__ = "rules"
    name: Mapped[str] = mapped_column(String(200))
    signal_kind: Mapped[str] = mapped_column(String(64))
    min_severity: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    metric_id: Mapped[int | None] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="CASCADE"))
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"))
    ladder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [3, 7, 14])
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    __table_args__ = (Index("ix_rules_ws_signal", "workspace_id", "signal_kind"),)


class Escalation(Entity, Base):
    """A breach climbing the ladder until someone records a decision."""

    __tablename__ = "escalations"
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    signal_kind: Mapped[str] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    rung: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[EscalationState] = mapped_column(
        str_enum(EscalationState, "escalation_state"), default=EscalationState.OPEN)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Out of the inbox until this day (the workspace's calendar), and why.
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    snooze_reason: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        Index("ix_escalations_ws_state", "workspace_id", "state"),
        Index("ix_escalations_ws_subject", "workspace_id", "subject_kind", "subject_id"),
        Index("ix_escalations_ws_assignee", "workspace_id", "assignee_id"),
    )


class Review(Entity, Base):
    """A governance meeting on a cadence, with its generated agenda."""

    __tablename__ = "reviews"
    kind: Mapped[ReviewKind] = mapped_column(str_enum(ReviewKind, "review_kind"))
    title: Mapped[str] = mapped_column(String(300))
    scheduled_for: Mapped[dt.date] = mapped_column(Date)
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"))
    agenda: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    #: People the pack is mailed to when the review is scheduled (person keys).
    attendee_ids: Mapped[list[int] | None] = mapped_column(JSON)
    #: Agenda item keys (a subject's public id) marked discussed in the meeting; kept
    #: apart from `agenda` so that regenerating the agenda keeps what was discussed.
    discussed: Mapped[list[str] | None] = mapped_column(JSON)
    #: When the meeting was closed; the forecasts are recorded then (forecasts.review_id).
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: What the next review of the series compares against: {"forecasts_on": ISO date,
    #: "findings": {finding key: severity}} (see governance.agenda).
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_reviews_ws_scheduled", "workspace_id", "scheduled_for"),)


class ReviewAction(Entity, Base):
    """An action recorded at a review: what, who, by when, about which agenda item."""

    __tablename__ = "review_actions"
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    item_key: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The day it was marked done (workspace time zone) and who did; None while open.
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))
    __table_args__ = (Index("ix_review_actions_ws_review", "workspace_id", "review_id"),)


class Decision(Entity, Base):
    """What was decided about a breach, by whom and why; resolves its escalation."""

    __tablename__ = "decisions"
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind, "decision_kind"))
    rationale: Mapped[str] = mapped_column(Text)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalations.id", ondelete="SET NULL"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"))
    subject_kind: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    #: The change the decision carried out, if any: {"entity": "metric", "id": 3,
    #: "changes": {"target_value": [before, after]}}.
    effect: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Its subject when decided: {"status": "off_track", "forecast": 88.0, ...}.
    subject_then: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_decisions_ws_escalation", "workspace_id", "escalation_id"),)


class FindingTriage(Entity, Base):
    """What people did about one finding, kept under its stable key (kind + subject,
    like ``stale_metric:met_12``) so it survives the findings being recomputed."""

    __tablename__ = "finding_triage"
    finding_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[TriageState | None] = mapped_column(str_enum(TriageState, "triage_state"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    snooze_reason: Mapped[str | None] = mapped_column(Text)
    #: The severity it had when last triaged: worse than this is "new" again.
    seen_severity: Mapped[int | None] = mapped_column(Integer)
    seen_on: Mapped[dt.date | None] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    __table_args__ = (UniqueConstraint("workspace_id", "finding_key",
                                       name="uq_finding_triage_ws_key"),)

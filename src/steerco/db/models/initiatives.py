"""Initiatives, their milestones, planned benefits and cross-team dependencies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, IdType, Tenant, str_enum
from steerco.db.enums import BenefitKind, DepType, InitiativeKind, StageGate


class Initiative(Entity, Base):
    """A program, project or cost measure that should move metrics or save money."""

    __tablename__ = "initiatives"
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[InitiativeKind] = mapped_column(str_enum(InitiativeKind, "initiative_kind"))
    stage: Mapped[StageGate] = mapped_column(str_enum(StageGate, "stage_gate"),
                                             default=StageGate.DEFINED)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    controller_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    #: Share of the work done as reported by the owner (0–1); evidence lives in milestones.
    percent_complete: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    #: The owner has declared its dependencies: True even when the list is empty, so
    #: "none" is an explicit statement rather than a silent gap.
    dependencies_declared: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default="0")
    stopped: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The key a spreadsheet or strategy file names this row by (unique per workspace), so
    #: importing the same file again finds the row instead of adding a second one.
    external_key: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_key", name="uq_initiatives_ws_external_key"),
        CheckConstraint("due_date IS NULL OR start_date IS NULL OR due_date >= start_date",
                        name="date_order"),
        Index("ix_initiatives_ws_owner", "workspace_id", "owner_id"),
        Index("ix_initiatives_ws_org_unit", "workspace_id", "org_unit_id"),
    )


class InitiativeMetric(Tenant, Base):
    """An initiative is expected to move this metric."""

    __tablename__ = "initiative_metrics"
    initiative_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True)
    metric_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_initiative_metrics_ws_metric", "workspace_id", "metric_id"),)


class Milestone(Entity, Base):
    """A dated deliverable of an initiative; done when its completion has evidence."""

    __tablename__ = "milestones"
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    #: The date the owner committed to; `baseline_date` is the first commitment.
    due_date: Mapped[dt.date] = mapped_column(Date)
    baseline_date: Mapped[dt.date | None] = mapped_column(Date)
    #: The owner's current forecast of completion (None = as committed).
    forecast_date: Mapped[dt.date | None] = mapped_column(Date)
    duration_days: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        CheckConstraint("duration_days >= 0", name="duration_nonneg"),
        Index("ix_milestones_ws_initiative", "workspace_id", "initiative_id"),
    )


class Dependency(Entity, Base):
    """Provider → consumer between milestones or initiatives, possibly across org units.

    Exactly one of each pair of provider/consumer columns is set (a milestone or an
    initiative); the check constraints say so in the database too.
    """

    __tablename__ = "dependencies"
    provider_milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"))
    provider_initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"))
    consumer_milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"))
    consumer_initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"))
    dep_type: Mapped[DepType] = mapped_column(str_enum(DepType, "dep_type"), default=DepType.FS)
    lag_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    need_date: Mapped[dt.date | None] = mapped_column(Date)
    committed_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("(provider_milestone_id IS NULL) <> (provider_initiative_id IS NULL)",
                        name="one_provider"),
        CheckConstraint("(consumer_milestone_id IS NULL) <> (consumer_initiative_id IS NULL)",
                        name="one_consumer"),
        Index("ix_dependencies_ws_provider_ms", "workspace_id", "provider_milestone_id"),
        Index("ix_dependencies_ws_consumer_ms", "workspace_id", "consumer_milestone_id"),
        Index("ix_dependencies_ws_provider_ini", "workspace_id", "provider_initiative_id"),
        Index("ix_dependencies_ws_consumer_ini", "workspace_id", "consumer_initiative_id"),
    )


class PlannedBenefit(Entity, Base):
    """What an initiative promises: an impact on a metric, or savings on a budget line."""

    __tablename__ = "planned_benefits"
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"))
    kind: Mapped[BenefitKind] = mapped_column(str_enum(BenefitKind, "benefit_kind"))
    metric_id: Mapped[int | None] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    budget_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="CASCADE"))
    amount: Mapped[float] = mapped_column(Float)
    #: Impact by this date, or savings in the period starting on this date.
    due_date: Mapped[dt.date] = mapped_column(Date)
    #: Realised amount signed off by a controller (None = not signed off).
    realised_amount: Mapped[float | None] = mapped_column(Float)
    signed_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))
    __table_args__ = (
        CheckConstraint(
            "(kind = 'metric_impact' AND metric_id IS NOT NULL) OR "
            "(kind = 'savings' AND budget_line_id IS NOT NULL)", name="target_matches_kind"),
        Index("ix_planned_benefits_ws_initiative", "workspace_id", "initiative_id"),
        Index("ix_planned_benefits_ws_metric", "workspace_id", "metric_id"),
        Index("ix_planned_benefits_ws_budget_line", "workspace_id", "budget_line_id"),
    )

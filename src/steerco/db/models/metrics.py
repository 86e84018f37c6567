"""Metrics (KPIs and key results), their plans, measurements and causal links."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, IdType, Keyed, Tenant, str_enum, utcnow
from steerco.db.enums import (
    Cadence,
    Direction,
    IndicatorType,
    MetricKind,
    Source,
    ToleranceMode,
)


class Metric(Entity, Base):
    """A number that measures an objective: a standing KPI or a time-bound key result."""

    __tablename__ = "metrics"
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[MetricKind] = mapped_column(str_enum(MetricKind, "metric_kind"))
    unit: Mapped[str] = mapped_column(String(32))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "direction"))
    baseline_value: Mapped[float] = mapped_column(Float)
    baseline_date: Mapped[dt.date] = mapped_column(Date)
    target_value: Mapped[float] = mapped_column(Float)
    target_date: Mapped[dt.date] = mapped_column(Date)
    #: Width of the band around plan that still counts as on plan; None = no tolerance set
    #: (a hygiene finding).
    tolerance: Mapped[float | None] = mapped_column(Float)
    tolerance_mode: Mapped[ToleranceMode] = mapped_column(
        str_enum(ToleranceMode, "tolerance_mode"), default=ToleranceMode.RELATIVE)
    indicator: Mapped[IndicatorType] = mapped_column(str_enum(IndicatorType, "indicator"))
    cadence: Mapped[Cadence] = mapped_column(str_enum(Cadence, "cadence"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    source: Mapped[Source] = mapped_column(str_enum(Source, "source"), default=Source.MANUAL)
    description: Mapped[str | None] = mapped_column(Text)
    #: The key a spreadsheet or strategy file names this row by (unique per workspace), so
    #: importing the same file again finds the row instead of adding a second one.
    external_key: Mapped[str | None] = mapped_column(String(200))
    #: Plausible range of a value (None: open); a unit may imply a bound too (see
    #: metrics.bounds), so a count can never be negative even without one.
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_key", name="uq_metrics_ws_external_key"),
        CheckConstraint("target_date > baseline_date", name="date_order"),
        CheckConstraint("min_value IS NULL OR max_value IS NULL OR min_value < max_value",
                        name="bounds_order"),
        CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance_nonneg"),
        Index("ix_metrics_ws_owner", "workspace_id", "owner_id"),
    )


class MetricObjective(Tenant, Base):
    """A metric measures an objective with a contribution weight (many-to-many)."""

    __tablename__ = "metric_objectives"
    metric_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        Index("ix_metric_objectives_ws_objective", "workspace_id", "objective_id"),
    )


class PlanPoint(Tenant, Base):
    """An explicit plan value on a date; without any, the plan is linear."""

    __tablename__ = "plan_points"
    metric_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("metrics.id", ondelete="CASCADE"), primary_key=True)
    on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class Measurement(Keyed, Tenant, Base):
    """Append-only evidence: a value as of a date. Corrections supersede, never overwrite."""

    __tablename__ = "measurements"
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    value: Mapped[float] = mapped_column(Float)
    as_of: Mapped[dt.date] = mapped_column(Date)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    evidence_file: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[Source] = mapped_column(str_enum(Source, "measurement_source"),
                                           default=Source.MANUAL)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confidence: Mapped[float | None] = mapped_column(Float)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("measurements.id", ondelete="RESTRICT"))
    #: Far outside the metric's own history, and confirmed as such by its submitter.
    outlier: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: This row voids the one it supersedes: that row and the corrections before it leave
    #: the evidence (the void itself carries no value; its `note` is the reason).
    void: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    __table_args__ = (
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
                        name="confidence_range"),
        Index("ix_measurements_ws_metric_as_of", "workspace_id", "metric_id", "as_of"),
        # Finds the correction of a row (each row is corrected at most once).
        Index("ix_measurements_ws_supersedes", "workspace_id", "supersedes_id"),
    )


class CausalLink(Entity, Base):
    """Driver metric moves driven metric (sign +1/-1) after a lag: the driver tree."""

    __tablename__ = "causal_links"
    driver_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    driven_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    sign: Mapped[int] = mapped_column(Integer)
    lag_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("sign IN (-1, 1)", name="sign_unit"),
        CheckConstraint("driver_id <> driven_id", name="not_self"),
        Index("ix_causal_links_ws_driven", "workspace_id", "driven_id"),
        Index("ix_causal_links_ws_driver", "workspace_id", "driver_id"),
    )


class ForecastRecord(Keyed, Tenant, Base):
    """A forecast as issued on a review date, kept so its accuracy can be judged later."""

    __tablename__ = "forecasts"
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    target_date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float)
    lower80: Mapped[float | None] = mapped_column(Float)
    upper80: Mapped[float | None] = mapped_column(Float)
    lower95: Mapped[float | None] = mapped_column(Float)
    upper95: Mapped[float | None] = mapped_column(Float)
    p_hit: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"))
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric_id", "issued_on",
                         name="uq_forecasts_ws_metric_issued"),
        Index("ix_forecasts_ws_issued", "workspace_id", "issued_on"),
    )


class MetricUpdater(Entity, Base):
    """A person the metric's owner delegates check-ins to (check-in only: not steer/model).

    The unique key leads with (workspace_id, metric_id), so it also serves the lookups of
    a metric's (or a check-in batch's) updaters; the second index serves "what may this
    person check in on" and the cascade when a person is deleted.
    """

    __tablename__ = "metric_updaters"
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    __table_args__ = (
        UniqueConstraint("workspace_id", "metric_id", "person_id",
                         name="uq_metric_updaters_ws_metric_person"),
        Index("ix_metric_updaters_ws_person", "workspace_id", "person_id"),
    )

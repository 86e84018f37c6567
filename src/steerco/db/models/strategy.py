"""Themes, objectives and their weighted multi-parent alignment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, IdType, Tenant, str_enum
from steerco.db.enums import ObjectiveLevel, Perspective


class Theme(Entity, Base):
    """A strategic priority; more than five active ones is a focus problem."""

    __tablename__ = "themes"
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: The key a spreadsheet or strategy file names this row by (unique per workspace), so
    #: importing the same file again finds the row instead of adding a second one.
    external_key: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_key", name="uq_themes_ws_external_key"),
        Index("ix_themes_ws_active", "workspace_id", "active"),
    )


class Objective(Entity, Base):
    """A qualitative goal for a period, owned by one person, measured by metrics."""

    __tablename__ = "objectives"
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    level: Mapped[ObjectiveLevel] = mapped_column(str_enum(ObjectiveLevel, "objective_level"))
    perspective: Mapped[Perspective] = mapped_column(str_enum(Perspective, "perspective"))
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: The key a spreadsheet or strategy file names this row by (unique per workspace), so
    #: importing the same file again finds the row instead of adding a second one.
    external_key: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_key", name="uq_objectives_ws_external_key"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        Index("ix_objectives_ws_org_unit", "workspace_id", "org_unit_id"),
        Index("ix_objectives_ws_owner", "workspace_id", "owner_id"),
        Index("ix_objectives_ws_theme", "workspace_id", "theme_id"),
    )


class Alignment(Tenant, Base):
    """Child objective contributes to a parent with a weight (the DAG's edges)."""

    __tablename__ = "alignments"
    child_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("objectives.id", ondelete="CASCADE"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("child_id <> parent_id", name="not_self"),
        Index("ix_alignments_ws_parent", "workspace_id", "parent_id"),
    )

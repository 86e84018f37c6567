"""Workspaces, the org tree and people."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, IdType, Keyed, Tenant, Timestamped, Versioned, str_enum
from steerco.db.enums import OrgKind


class Workspace(Keyed, Timestamped, Versioned, Base):
    """A tenant: one company's strategy. Nothing crosses workspaces."""

    __tablename__ = "workspaces"
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: How people here write numbers and dates in files ('de': 1.234,5 and 31.12.2026);
    #: imports read text cells by it and never guess (steerco.transfer.values).
    locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    #: IANA zone whose calendar day is the workspace's "today" (due, overdue, stale, the
    #: escalation day, the default as_of of a check-in).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: Month (1–12) the fiscal year starts in.
    fiscal_year_start: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    #: A check-in this many times outside a metric's own history needs a confirmation.
    outlier_factor: Mapped[float] = mapped_column(Float, default=100.0, server_default="100")
    #: Days before a check-in is due that its owner and updaters are reminded ("3,1").
    reminder_days: Mapped[str] = mapped_column(String(40), default="3", server_default="3")
    __table_args__ = (
        CheckConstraint("fiscal_year_start BETWEEN 1 AND 12", name="fiscal_month"),
        CheckConstraint("outlier_factor > 1", name="outlier_factor_above_one"),
    )


class OrgUnit(Entity, Base):
    """A node of the org tree: company → business unit → department → team."""

    __tablename__ = "org_units"
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL", use_alter=True))
    __table_args__ = (
        Index("ix_org_units_ws_parent", "workspace_id", "parent_id"),
        UniqueConstraint("workspace_id", "code", name="uq_org_units_ws_code"),
    )


class Person(Entity, Base):
    """A person who can own, update, sponsor or decide; has a manager for escalation."""

    __tablename__ = "people"
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    __table_args__ = (
        UniqueConstraint("workspace_id", "email", name="uq_people_ws_email"),
        Index("ix_people_ws_org_unit", "workspace_id", "org_unit_id"),
        Index("ix_people_ws_manager", "workspace_id", "manager_id"),
    )


class Membership(Tenant, Base):
    """A person's membership of a further org unit (beyond the primary one)."""

    __tablename__ = "memberships"
    person_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("org_units.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (Index("ix_memberships_ws_org_unit", "workspace_id", "org_unit_id"),)

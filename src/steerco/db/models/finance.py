"""Budget lines with planned amounts per period, and ledger actuals from finance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, IdType, Keyed, Tenant, str_enum
from steerco.db.enums import BudgetKind, Source


class BudgetLine(Entity, Base):
    """A line of the budget (cost centre × account), optionally funding one initiative."""

    __tablename__ = "budget_lines"
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[BudgetKind] = mapped_column(str_enum(BudgetKind, "budget_kind"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"))
    initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiatives.id", ondelete="SET NULL"))
    controller_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))
    __table_args__ = (
        UniqueConstraint("workspace_id", "code", name="uq_budget_lines_ws_code"),
        Index("ix_budget_lines_ws_initiative", "workspace_id", "initiative_id"),
    )


class BudgetPlan(Tenant, Base):
    """Planned amount of a budget line for one period (the first day of the month)."""

    __tablename__ = "budget_plans"
    budget_line_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("budget_lines.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    amount: Mapped[float] = mapped_column(Float)


class LedgerEntry(Keyed, Tenant, Base):
    """An actual posted by finance; append-only (a correction is a reversing entry)."""

    __tablename__ = "ledger_entries"
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="CASCADE"))
    period: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)
    posted_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[Source] = mapped_column(str_enum(Source, "ledger_source"),
                                           default=Source.IMPORT)
    __table_args__ = (
        Index("ix_ledger_entries_ws_line_period", "workspace_id", "budget_line_id", "period"),
    )

"""Read models of the finance pages: budget lines with plan vs ledger actuals.

Amounts are in the budget line's currency; periods are first days of months. The
ledger is append-only, so a period's actual is the sum of its entries (corrections
included: a reversal cancels the wrong amount, its replacement adds the right one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from steerco.db.models import BudgetLine, BudgetPlan, Initiative, LedgerEntry, PlannedBenefit


@dataclass
class LineRow:
    """One budget line of the finance list: plan (whole and to date), actual, variance
    (actual − plan to date: positive is overspent)."""

    id: int
    code: str
    name: str
    currency: str
    initiative_id: int | None
    initiative: str | None
    planned_total: float
    planned_to_date: float
    actual: float

    @property
    def variance(self) -> float:
        return self.actual - self.planned_to_date


def lines_overview(s: Session, ws: int, today: dt.date,
                   initiative: int | None = None) -> list[LineRow]:
    """Every budget line (or those funding `initiative`), by initiative name (lines of no
    initiative last), then code."""
    where = [BudgetLine.workspace_id == ws]
    if initiative is not None:
        where.append(BudgetLine.initiative_id == initiative)
    lines = s.execute(select(BudgetLine.id, BudgetLine.code, BudgetLine.name,
                             BudgetLine.currency, BudgetLine.initiative_id, Initiative.name)
                      .outerjoin(Initiative, Initiative.id == BudgetLine.initiative_id)
                      .where(*where)).all()
    keys = [k for k, *_ in lines] if initiative is not None else None

    def sums(col: Any, amount: Any, key: Any, *cond: Any) -> dict[int, float]:
        if keys is not None:
            cond = (*cond, key.in_(keys or [-1]))
        return dict(s.execute(select(key, func.sum(amount)).where(col == ws, *cond)
                              .group_by(key)).all())

    total = sums(BudgetPlan.workspace_id, BudgetPlan.amount, BudgetPlan.budget_line_id)
    to_date = sums(BudgetPlan.workspace_id, BudgetPlan.amount, BudgetPlan.budget_line_id,
                   BudgetPlan.period <= today)
    actual = sums(LedgerEntry.workspace_id, LedgerEntry.amount, LedgerEntry.budget_line_id)
    rows = [LineRow(k, code, name, cur, ik, iname, float(total.get(k) or 0.0),
                    float(to_date.get(k) or 0.0), float(actual.get(k) or 0.0))
            for k, code, name, cur, ik, iname in lines]
    rows.sort(key=lambda r: (r.initiative is None, (r.initiative or "").lower(), r.code))
    return rows


@dataclass
class LineDetail:
    """One budget line: its plan and actual per period, its ledger entries (newest
    first) and the planned benefits on it or its initiative."""

    line: BudgetLine
    initiative: str | None
    planned: dict[dt.date, float]
    actual: dict[dt.date, float]
    entries: list[LedgerEntry] = field(default_factory=list)
    benefits: list[PlannedBenefit] = field(default_factory=list)


def line_detail(s: Session, ws: int, key: int) -> LineDetail | None:
    line = s.scalar(select(BudgetLine).where(BudgetLine.workspace_id == ws,
                                             BudgetLine.id == key))
    if line is None:
        return None
    planned = {p: float(a) for p, a in s.execute(
        select(BudgetPlan.period, func.sum(BudgetPlan.amount)).where(
            BudgetPlan.workspace_id == ws, BudgetPlan.budget_line_id == key)
        .group_by(BudgetPlan.period)).all()}
    entries = list(s.scalars(select(LedgerEntry).where(
        LedgerEntry.workspace_id == ws, LedgerEntry.budget_line_id == key)
        .order_by(LedgerEntry.id.desc())))
    actual: dict[dt.date, float] = {}
    for e in entries:
        actual[e.period] = actual.get(e.period, 0.0) + float(e.amount)
    cond = PlannedBenefit.budget_line_id == key
    if line.initiative_id is not None:
        cond = or_(cond, PlannedBenefit.initiative_id == line.initiative_id)
    benefits = list(s.scalars(select(PlannedBenefit).where(
        PlannedBenefit.workspace_id == ws, cond).order_by(PlannedBenefit.due_date)))
    name = None
    if line.initiative_id is not None:
        name = s.scalar(select(Initiative.name).where(Initiative.workspace_id == ws,
                                                      Initiative.id == line.initiative_id))
    return LineDetail(line, name, planned, actual, entries, benefits)


def ledger_entry(s: Session, ws: int, key: int) -> LedgerEntry | None:
    return s.scalar(select(LedgerEntry).where(LedgerEntry.workspace_id == ws,
                                              LedgerEntry.id == key))


def benefit(s: Session, ws: int, key: int) -> PlannedBenefit | None:
    return s.scalar(select(PlannedBenefit).where(PlannedBenefit.workspace_id == ws,
                                                 PlannedBenefit.id == key))

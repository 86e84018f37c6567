"""Queries of the finance domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import BudgetLine, BudgetPlan, LedgerEntry, Workspace
from steerco.db.repository import Repository


class BudgetLineRepository(Repository[BudgetLine]):
    model = BudgetLine
    kind = "budget_line"

    def by_code(self, code: str) -> BudgetLine | None:
        return self.session.scalar(select(BudgetLine).where(
            BudgetLine.workspace_id == self.workspace_id, BudgetLine.code == code))

    def plan_of(self, key: int) -> list[tuple[dt.date, float]]:
        """The planned amount of line `key` per period, in period order."""
        return [(p, float(a)) for p, a in self.session.execute(
            select(BudgetPlan.period, BudgetPlan.amount).where(
                BudgetPlan.workspace_id == self.workspace_id,
                BudgetPlan.budget_line_id == key).order_by(BudgetPlan.period)).all()]

    def replace_plan(self, key: int, plan: list[tuple[dt.date, float]]) -> None:
        """Make `plan` the line's planned amounts: periods it drops are deleted, changed
        ones updated, new ones added (each change audited as a row of budget_plans)."""
        rows = {r.period: r for r in self.session.scalars(select(BudgetPlan).where(
            BudgetPlan.workspace_id == self.workspace_id, BudgetPlan.budget_line_id == key))}
        wanted = dict(plan)
        for period, row in rows.items():
            if period not in wanted:
                self.session.delete(row)
            elif row.amount != wanted[period]:
                row.amount = wanted[period]
        self.session.add_all(BudgetPlan(workspace_id=self.workspace_id, budget_line_id=key,
                                        period=p, amount=a)
                             for p, a in plan if p not in rows)
        self.session.flush()


class LedgerRepository(Repository[LedgerEntry]):
    model = LedgerEntry
    kind = "ledger_entry"

    def reversal_of(self, key: int) -> LedgerEntry | None:
        """The entry that reversed entry `key` (see finance.service.correct_ledger_entry)."""
        return self.session.scalar(select(LedgerEntry).where(
            LedgerEntry.workspace_id == self.workspace_id,
            LedgerEntry.reference.like(f"{REVERSES} led\\_{int(key)}:%", escape="\\"))
            .limit(1))


#: How a reversing entry's reference starts: "reverses led_12: <reason>".
REVERSES = "reverses"


#: The currency of a workspace without a setting (or whose setting is not a code).
DEFAULT_CURRENCY = "EUR"


def workspace_currency(session: Session, workspace_id: int) -> str:
    """The workspace's currency: its `currency` setting when it has one, else EUR.

    Read defensively: the setting lives in the workspace's settings when present (a
    column or an entry of a settings mapping), and an older schema has neither.
    """
    ws = session.get(Workspace, workspace_id)
    found: Any = getattr(ws, "currency", None)
    settings = getattr(ws, "settings", None)
    if found is None and settings is not None:
        found = (settings.get("currency") if isinstance(settings, dict)
                 else getattr(settings, "currency", None))
    code = str(found or "").strip().upper()
    return code if len(code) == 3 and code.isalpha() else DEFAULT_CURRENCY

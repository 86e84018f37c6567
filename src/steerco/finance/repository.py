"""Queries of the finance domain."""

from __future__ import annotations

from sqlalchemy import select

from steerco.db.models import BudgetLine, LedgerEntry
from steerco.db.repository import Repository


class BudgetLineRepository(Repository[BudgetLine]):
    model = BudgetLine
    kind = "budget_line"

    def by_code(self, code: str) -> BudgetLine | None:
        return self.session.scalar(select(BudgetLine).where(
            BudgetLine.workspace_id == self.workspace_id, BudgetLine.code == code))


class LedgerRepository(Repository[LedgerEntry]):
    model = LedgerEntry
    kind = "ledger_entry"

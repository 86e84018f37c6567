"""Queries of the initiatives domain."""

from __future__ import annotations

from sqlalchemy import func, select

from steerco.db.models import (
    BudgetLine,
    Initiative,
    InitiativeMetric,
    Milestone,
    PlannedBenefit,
)
from steerco.db.repository import Repository


class InitiativeRepository(Repository[Initiative]):
    model = Initiative
    kind = "initiative"

    def linked_metric_count(self, key: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(InitiativeMetric).where(
            InitiativeMetric.workspace_id == self.workspace_id,
            InitiativeMetric.initiative_id == key)) or 0)

    def budget_line_count(self, key: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(BudgetLine).where(
            BudgetLine.workspace_id == self.workspace_id, BudgetLine.initiative_id == key)) or 0)

    def is_linked(self, key: int, metric_id: int) -> bool:
        return self.session.get(InitiativeMetric, (key, metric_id)) is not None


class MilestoneRepository(Repository[Milestone]):
    model = Milestone
    kind = "milestone"


class BenefitRepository(Repository[PlannedBenefit]):
    model = PlannedBenefit
    kind = "benefit"

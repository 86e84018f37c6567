"""Where an entity is shown: the parent whose page carries a milestone, dependency,
benefit, budget line or causal link (for /go/<id>)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import BudgetLine, CausalLink, Dependency, Milestone, PlannedBenefit


def initiative_of_milestone(s: Session, ws: int, key: int | None) -> int | None:
    if key is None:
        return None
    return s.scalar(select(Milestone.initiative_id).where(
        Milestone.workspace_id == ws, Milestone.id == key))


def dependency(s: Session, ws: int, key: int) -> Dependency | None:
    d = s.get(Dependency, key)
    return d if d is not None and d.workspace_id == ws else None


def initiative_of_benefit(s: Session, ws: int, key: int) -> int | None:
    return s.scalar(select(PlannedBenefit.initiative_id).where(
        PlannedBenefit.workspace_id == ws, PlannedBenefit.id == key))


def initiative_of_budget_line(s: Session, ws: int, key: int) -> int | None:
    return s.scalar(select(BudgetLine.initiative_id).where(
        BudgetLine.workspace_id == ws, BudgetLine.id == key))


def driven_metric_of(s: Session, ws: int, key: int) -> int | None:
    return s.scalar(select(CausalLink.driven_id).where(
        CausalLink.workspace_id == ws, CausalLink.id == key))

"""Read models of the execution forms: initiatives, metrics and milestones typed by name.

A milestone is typed as "Initiative › Milestone" (its name alone works when only one
milestone has it), so a dependency picks both ends by titles with the initiative named.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.models import (
    BudgetLine,
    Dependency,
    Initiative,
    InitiativeMetric,
    Metric,
    Milestone,
)

#: Between an initiative's name and its milestone's in a milestone's label.
SEP = " › "


def milestone_label(initiative: str, milestone: str) -> str:
    return f"{initiative}{SEP}{milestone}"


def initiatives_named(s: Session, ws: int, text: str, limit: int = 5) -> list[Initiative]:
    t = text.strip().lower()
    if not t:
        return []
    return list(s.scalars(select(Initiative).where(
        Initiative.workspace_id == ws, func.lower(Initiative.name) == t)
        .order_by(Initiative.id).limit(limit)))


def metrics_named(s: Session, ws: int, text: str, limit: int = 5) -> list[Metric]:
    t = text.strip().lower()
    if not t:
        return []
    return list(s.scalars(select(Metric).where(
        Metric.workspace_id == ws, func.lower(Metric.name) == t)
        .order_by(Metric.id).limit(limit)))


def milestones_labelled(s: Session, ws: int, text: str, limit: int = 5) -> list[Milestone]:
    """The milestones a label names: "Initiative › Milestone", or a milestone's name."""
    t = text.strip().lower()
    if not t:
        return []
    stmt = select(Milestone).join(Initiative, Initiative.id == Milestone.initiative_id).where(
        Milestone.workspace_id == ws)
    if SEP.strip() in t:
        ini, _, ms = t.rpartition(SEP.strip())
        stmt = stmt.where(func.lower(Initiative.name) == ini.strip(),
                          func.lower(Milestone.name) == ms.strip())
    else:
        stmt = stmt.where(func.lower(Milestone.name) == t)
    return list(s.scalars(stmt.order_by(Milestone.id).limit(limit)))


def milestone_labels(s: Session, ws: int, keys: list[int]) -> dict[int, str]:
    """Milestone key → "Initiative › Milestone"."""
    if not keys:
        return {}
    rows = s.execute(select(Milestone.id, Initiative.name, Milestone.name).join(
        Initiative, Initiative.id == Milestone.initiative_id).where(
        Milestone.workspace_id == ws, Milestone.id.in_(sorted(set(keys))))).all()
    return {k: milestone_label(i, m) for k, i, m in rows}


@dataclass
class WorkChoices:
    """What the pickers of the execution forms offer, by name."""

    initiatives: list[str]
    metrics: list[str]
    milestones: list[str]


def work_choices(s: Session, ws: int, limit: int = 3000) -> WorkChoices:
    return WorkChoices(
        list(s.scalars(select(Initiative.name).where(Initiative.workspace_id == ws)
                       .order_by(Initiative.name).limit(limit))),
        list(s.scalars(select(Metric.name).where(Metric.workspace_id == ws)
                       .order_by(Metric.name).limit(limit))),
        [milestone_label(i, m) for i, m in s.execute(
            select(Initiative.name, Milestone.name).join(
                Initiative, Initiative.id == Milestone.initiative_id).where(
                Milestone.workspace_id == ws).order_by(Initiative.name, Milestone.due_date)
            .limit(limit)).all()])


def linked_metrics(s: Session, ws: int, key: int) -> list[tuple[int, str]]:
    """(metric key, name) of the metrics an initiative should move."""
    return [(int(k), n) for k, n in s.execute(select(Metric.id, Metric.name).join(
        InitiativeMetric, InitiativeMetric.metric_id == Metric.id).where(
        InitiativeMetric.workspace_id == ws, InitiativeMetric.initiative_id == key)
        .order_by(Metric.name)).all()]


def lines_of(s: Session, ws: int, key: int) -> list[BudgetLine]:
    return list(s.scalars(select(BudgetLine).where(
        BudgetLine.workspace_id == ws, BudgetLine.initiative_id == key)
        .order_by(BudgetLine.code)))


def find_milestone(s: Session, ws: int, key: int) -> Milestone | None:
    return s.scalar(select(Milestone).where(Milestone.workspace_id == ws, Milestone.id == key))


def find_dependency(s: Session, ws: int, key: int) -> Dependency | None:
    return s.scalar(select(Dependency).where(Dependency.workspace_id == ws,
                                             Dependency.id == key))

"""Read models of the initiative pages: the list, and one initiative's milestones,
dependencies (with the names at their other ends), budget and benefits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from steerco.db.enums import STAGE_ORDER
from steerco.db.models import (
    BudgetLine,
    BudgetPlan,
    Dependency,
    Initiative,
    LedgerEntry,
    Milestone,
    PlannedBenefit,
)


def _filtered(stmt: Any, q: str, stage: str) -> Any:
    if q:
        stmt = stmt.where(Initiative.name.ilike(f"%{q[:100]}%"))
    if stage in {x.value for x in STAGE_ORDER}:
        stmt = stmt.where(Initiative.stage == stage)
    return stmt


def listed_count(s: Session, ws: int, q: str = "", stage: str = "") -> int:
    return int(s.scalar(_filtered(select(func.count()).select_from(Initiative).where(
        Initiative.workspace_id == ws), q, stage)) or 0)


def listed_page(s: Session, ws: int, q: str, stage: str, offset: int,
                limit: int) -> list[Any]:
    """(id, name, stage, owner_id, due_date, stopped, kind) of one page, in key order."""
    stmt = _filtered(select(Initiative.id, Initiative.name, Initiative.stage,
                            Initiative.owner_id, Initiative.due_date, Initiative.stopped,
                            Initiative.kind).where(Initiative.workspace_id == ws), q, stage)
    return list(s.execute(stmt.order_by(Initiative.id).offset(offset).limit(limit)).all())


def find(s: Session, ws: int, key: int) -> Initiative | None:
    return s.scalar(select(Initiative).where(Initiative.workspace_id == ws,
                                             Initiative.id == key))


def milestones_of(s: Session, ws: int, key: int) -> list[Milestone]:
    return list(s.execute(select(Milestone).where(
        Milestone.workspace_id == ws, Milestone.initiative_id == key).order_by(
        Milestone.due_date)).scalars().all())


@dataclass
class DependencyEnds:
    """The dependencies touching an initiative, and what sits at their ends:
    milestone key → (id, name, initiative_id, owner_id), initiative key → (id, name,
    owner_id)."""

    dependencies: list[Dependency]
    milestones: dict[int, Any]
    initiatives: dict[int, Any]


def dependencies_of(s: Session, ws: int, key: int, milestone_keys: list[int]) -> DependencyEnds:
    deps = list(s.execute(select(Dependency).where(
        Dependency.workspace_id == ws,
        or_(Dependency.consumer_initiative_id == key,
            Dependency.provider_initiative_id == key,
            Dependency.consumer_milestone_id.in_(milestone_keys or [-1]),
            Dependency.provider_milestone_id.in_(milestone_keys or [-1])))).scalars().all())
    other_ms = {d.provider_milestone_id for d in deps} | {d.consumer_milestone_id
                                                         for d in deps}
    other_ms.discard(None)
    ms_info = {r[0]: r for r in s.execute(select(
        Milestone.id, Milestone.name, Milestone.initiative_id, Milestone.owner_id).where(
        Milestone.workspace_id == ws, Milestone.id.in_(sorted(other_ms)))).all()}
    ini_keys = {d.provider_initiative_id for d in deps} | {d.consumer_initiative_id
                                                          for d in deps}
    ini_keys |= {r[2] for r in ms_info.values()}
    ini_keys.discard(None)
    ini_info = {r[0]: r for r in s.execute(select(
        Initiative.id, Initiative.name, Initiative.owner_id).where(
        Initiative.workspace_id == ws, Initiative.id.in_(sorted(ini_keys)))).all()}
    return DependencyEnds(deps, ms_info, ini_info)


@dataclass
class Budget:
    """An initiative's budget lines and, per period, the planned and booked amounts."""

    lines: list[BudgetLine]
    planned: dict[dt.date, float]
    actual: dict[dt.date, float]


def budget_of(s: Session, ws: int, key: int) -> Budget:
    lines = list(s.execute(select(BudgetLine).where(
        BudgetLine.workspace_id == ws, BudgetLine.initiative_id == key)).scalars().all())
    lkeys = [b.id for b in lines] or [-1]
    plans = s.execute(select(BudgetPlan.period, func.sum(BudgetPlan.amount)).where(
        BudgetPlan.workspace_id == ws, BudgetPlan.budget_line_id.in_(lkeys))
        .group_by(BudgetPlan.period)).all()
    actuals = s.execute(select(LedgerEntry.period, func.sum(LedgerEntry.amount)).where(
        LedgerEntry.workspace_id == ws, LedgerEntry.budget_line_id.in_(lkeys))
        .group_by(LedgerEntry.period)).all()
    return Budget(lines, dict(plans), dict(actuals))


def benefits_of(s: Session, ws: int, key: int) -> list[PlannedBenefit]:
    return list(s.execute(select(PlannedBenefit).where(
        PlannedBenefit.workspace_id == ws, PlannedBenefit.initiative_id == key).order_by(
        PlannedBenefit.due_date)).scalars().all())

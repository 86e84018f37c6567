"""Where each entity sits for authorization: its org unit and its owners.

A metric sits where its owner sits; a milestone, benefit or budget line's ledger where
its parent does; a dependency where its consumer does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from steerco.finance.repository import BudgetLineRepository
from steerco.initiatives.repository import InitiativeRepository, MilestoneRepository
from steerco.metrics.repository import MetricRepository
from steerco.org.repository import PersonRepository
from steerco.web.rest import Scope


def person_unit(s: Session, ws: int, person_id: int | None) -> int | None:
    if person_id is None:
        return None
    p = PersonRepository(s, ws).find(person_id)
    return None if p is None else p.org_unit_id


def of_unit(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.id)


def of_person(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.org_unit_id)


def workspace_level(_s: Session, _ws: int, _row: Any) -> Scope:
    return Scope(None)


def of_objective(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.org_unit_id, [row.owner_id])


def of_metric(s: Session, ws: int, row: Any) -> Scope:
    return Scope(person_unit(s, ws, row.owner_id), [row.owner_id])


def of_metric_id(s: Session, ws: int, metric_id: int) -> Scope:
    m = MetricRepository(s, ws).find(metric_id)
    return Scope(None) if m is None else of_metric(s, ws, m)


def of_causal_link(s: Session, ws: int, row: Any) -> Scope:
    return of_metric_id(s, ws, row.driven_id)


def of_initiative(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.org_unit_id, [row.owner_id])


def of_initiative_id(s: Session, ws: int, key: int | None) -> Scope:
    ini = None if key is None else InitiativeRepository(s, ws).find(key)
    return Scope(None) if ini is None else of_initiative(s, ws, ini)


def of_milestone(s: Session, ws: int, row: Any) -> Scope:
    sc = of_initiative_id(s, ws, row.initiative_id)
    return Scope(sc.unit, [row.owner_id, *sc.owners])


def of_benefit(s: Session, ws: int, row: Any) -> Scope:
    return of_initiative_id(s, ws, row.initiative_id)


def of_dependency(s: Session, ws: int, row: Any) -> Scope:
    if row.consumer_initiative_id is not None:
        return of_initiative_id(s, ws, row.consumer_initiative_id)
    ms = MilestoneRepository(s, ws).find(row.consumer_milestone_id)
    return Scope(None) if ms is None else of_milestone(s, ws, ms)


def of_budget_line(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.org_unit_id, [row.controller_id])


def of_ledger_entry(s: Session, ws: int, row: Any) -> Scope:
    line = BudgetLineRepository(s, ws).find(row.budget_line_id)
    return Scope(None) if line is None else of_budget_line(s, ws, line)


def of_measurement(s: Session, ws: int, row: Any) -> Scope:
    return of_metric_id(s, ws, row.metric_id)

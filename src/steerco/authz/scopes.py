"""Where each entity sits for authorization: its org unit and its owners.

A metric sits where its owner sits; a milestone, benefit or budget line's ledger where
its parent does; a dependency where its consumer does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from steerco.finance.repository import BudgetLineRepository
from steerco.http.rest import Scope
from steerco.initiatives.repository import InitiativeRepository, MilestoneRepository
from steerco.metrics.repository import MetricRepository
from steerco.org.repository import PersonRepository


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


def of_metric_for_checkin(s: Session, ws: int, row: Any,
                          updaters: dict[int, list[int]] | None = None) -> Scope:
    """Like `of_metric`, but the metric's delegated updaters count as owners.

    For the "checkin" action only: a delegate may check in, never steer or model. Pass
    `updaters` (metric key → person keys, e.g. loaded once for a whole check-in batch) to
    avoid a query per metric; without it the metric's updaters are read here.
    """
    sc = of_metric(s, ws, row)
    if updaters is None:
        updaters = MetricRepository(s, ws).updaters_of([row.id])
    return Scope(sc.unit, [*sc.owners, *updaters.get(row.id, [])])


# --- governance -------------------------------------------------------------------------


def of_subject(s: Session, ws: int, kind: str | None, key: int | None) -> Scope:
    """Where the subject of an escalation or decision sits (`("metric", 3)`); a subject
    of another kind, or one not found, sits at workspace level."""
    from steerco.dependencies.repository import DependencyRepository
    from steerco.initiatives.repository import BenefitRepository
    from steerco.metrics.repository import CausalLinkRepository
    from steerco.objectives.repository import ObjectiveRepository

    if kind is None or key is None:
        return Scope(None)
    if kind == "metric":
        return of_metric_id(s, ws, key)
    if kind == "initiative":
        return of_initiative_id(s, ws, key)
    repos: dict[str, tuple[Any, Any]] = {
        "objective": (ObjectiveRepository, of_objective),
        "milestone": (MilestoneRepository, of_milestone),
        "benefit": (BenefitRepository, of_benefit),
        "dependency": (DependencyRepository, of_dependency),
        "causal_link": (CausalLinkRepository, of_causal_link),
        "budget_line": (BudgetLineRepository, of_budget_line),
    }
    if kind not in repos:
        return Scope(None)
    repo, scope = repos[kind]
    row = repo(s, ws).find(key)
    return Scope(None) if row is None else scope(s, ws, row)


def of_escalation(s: Session, ws: int, row: Any) -> Scope:
    """An escalation sits where its subject does; its assignee owns it too."""
    sc = of_subject(s, ws, row.subject_kind, row.subject_id)
    return Scope(sc.unit, [*sc.owners, row.assignee_id])


def of_escalation_id(s: Session, ws: int, key: int | None) -> Scope:
    from steerco.governance.repository import EscalationRepository

    esc = None if key is None else EscalationRepository(s, ws).find(key)
    return Scope(None) if esc is None else of_escalation(s, ws, esc)


def of_rule(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.org_unit_id)


def of_review(_s: Session, _ws: int, row: Any) -> Scope:
    return Scope(row.org_unit_id)

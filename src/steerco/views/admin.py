"""Read models of the administration pages: people with their roles, themes, cadences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.models import (
    Credential,
    Metric,
    Objective,
    OrgUnit,
    Person,
    Review,
    RoleGrant,
    Rule,
    Theme,
)
from steerco.kit.ids import parse_key


def _people(stmt: Any, q: str) -> Any:
    key = parse_key(q[4:]) if q.startswith("per_") else None
    if key is not None:
        return stmt.where(Person.id == key)
    if q:
        like = f"%{q[:100]}%"
        return stmt.where(Person.name.ilike(like) | Person.email.ilike(like))
    return stmt


def people_count(s: Session, ws: int, q: str = "") -> int:
    """How many people match `q` (a name or e-mail fragment, or a person's id)."""
    return int(s.scalar(_people(select(func.count()).select_from(Person).where(
        Person.workspace_id == ws), q)) or 0)


def people_page(s: Session, ws: int, q: str, offset: int, limit: int) -> list[Person]:
    return list(s.execute(_people(select(Person).where(Person.workspace_id == ws), q)
                          .order_by(Person.name).offset(offset).limit(limit))
                .scalars().all())


def grants_of(s: Session, ws: int, people: list[int]) -> list[Any]:
    """(person_id, role, org_unit_id) of every role grant of these people."""
    return list(s.execute(select(RoleGrant.person_id, RoleGrant.role, RoleGrant.org_unit_id)
                          .where(RoleGrant.workspace_id == ws,
                                 RoleGrant.person_id.in_(people or [-1]))).all())


def themes_with_use(s: Session, ws: int) -> list[Any]:
    """(theme, number of objectives under it), by name."""
    return list(s.execute(select(Theme, func.count(Objective.id)).outerjoin(
        Objective, (Objective.theme_id == Theme.id) & (Objective.workspace_id == ws))
        .where(Theme.workspace_id == ws).group_by(Theme.id).order_by(Theme.name)).all())


def metric_cadences(s: Session, ws: int) -> list[Any]:
    """(cadence, number of metrics)."""
    return list(s.execute(select(Metric.cadence, func.count()).where(
        Metric.workspace_id == ws).group_by(Metric.cadence)).all())


def recent_reviews(s: Session, ws: int, limit: int = 50) -> list[Review]:
    return list(s.execute(select(Review).where(Review.workspace_id == ws).order_by(
        Review.scheduled_for.desc()).limit(limit)).scalars().all())


def all_units(s: Session, ws: int, limit: int = 5000) -> list[Any]:
    """Every org unit (the admin list), by name."""
    return list(s.execute(select(OrgUnit).where(OrgUnit.workspace_id == ws)
                          .order_by(OrgUnit.name).limit(limit)).scalars().all())


def people_in_units(s: Session, ws: int) -> dict[int, int]:
    """How many active people each org unit has, by unit key."""
    return {int(k or 0): int(n) for k, n in s.execute(
        select(Person.org_unit_id, func.count()).where(
            Person.workspace_id == ws, Person.active.is_(True),
            Person.org_unit_id.is_not(None)).group_by(Person.org_unit_id)).all()}


def grant_rows(s: Session, ws: int, person: int) -> list[RoleGrant]:
    """The role grants of one person, workspace-wide first."""
    return list(s.execute(select(RoleGrant).where(
        RoleGrant.workspace_id == ws, RoleGrant.person_id == person).order_by(
        RoleGrant.org_unit_id.is_not(None), RoleGrant.role, RoleGrant.id)).scalars().all())


def login_of(s: Session, ws: int, person: int) -> str | None:
    """The person's login, if they have one."""
    return s.scalar(select(Credential.login).where(Credential.workspace_id == ws,
                                                   Credential.person_id == person))


def rules(s: Session, ws: int, limit: int = 500) -> list[Rule]:
    """The escalation rules, active first, by name."""
    return list(s.execute(select(Rule).where(Rule.workspace_id == ws).order_by(
        Rule.active.desc(), Rule.name).limit(limit)).scalars().all())


def find_rule(s: Session, ws: int, key: int) -> Rule | None:
    return s.scalar(select(Rule).where(Rule.workspace_id == ws, Rule.id == key))


def find_theme(s: Session, ws: int, key: int) -> Theme | None:
    return s.scalar(select(Theme).where(Theme.workspace_id == ws, Theme.id == key))

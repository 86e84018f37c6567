"""Read models of the administration pages: people with their roles, themes, cadences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.models import Metric, Objective, Person, Review, RoleGrant, Theme
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

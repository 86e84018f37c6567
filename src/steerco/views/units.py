"""Read models of the org-unit pages: the list and one unit's scorecard."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.models import OrgUnit, Person


def page(s: Session, ws: int, q: str, offset: int, limit: int) -> list[OrgUnit]:
    """One page of the org units whose name contains `q`, by kind and name."""
    stmt = select(OrgUnit).where(OrgUnit.workspace_id == ws)
    if q:
        stmt = stmt.where(OrgUnit.name.ilike(f"%{q[:100]}%"))
    return list(s.execute(stmt.order_by(OrgUnit.kind, OrgUnit.name).offset(offset)
                          .limit(limit)).scalars().all())


def count(s: Session, ws: int, q: str = "") -> int:
    stmt = select(func.count()).select_from(OrgUnit).where(OrgUnit.workspace_id == ws)
    if q:
        stmt = stmt.where(OrgUnit.name.ilike(f"%{q[:100]}%"))
    return int(s.scalar(stmt) or 0)


def find(s: Session, ws: int, key: int) -> OrgUnit | None:
    return s.scalar(select(OrgUnit).where(OrgUnit.workspace_id == ws, OrgUnit.id == key))


def people_in(s: Session, ws: int, units: list[int]) -> int:
    return int(s.scalar(select(func.count()).select_from(Person).where(
        Person.workspace_id == ws, Person.org_unit_id.in_(units))) or 0)


def children(s: Session, ws: int, key: int, limit: int = 60) -> list[Any]:
    """(id, name) of the units directly below `key`, by name."""
    return list(s.execute(select(OrgUnit.id, OrgUnit.name).where(
        OrgUnit.workspace_id == ws, OrgUnit.parent_id == key).order_by(OrgUnit.name)
        .limit(limit)).all())

"""Names by key, for pages that show people, units and other things by name, never id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.models import Initiative, Metric, Milestone, Objective, OrgUnit, Person

#: Keys per query: below SQLite's bound-parameter limit.
CHUNK = 900


def _keys(keys: Iterable[Any]) -> list[int]:
    return sorted({int(k) for k in keys if k is not None and int(k) >= 0})


def _named(s: Session, ws: int, model: Any, col: Any, keys: Iterable[Any]) -> dict[int, str]:
    want = _keys(keys)
    out: dict[int, str] = {}
    for i in range(0, len(want), CHUNK):
        out.update(s.execute(select(model.id, col).where(
            model.workspace_id == ws, model.id.in_(want[i:i + CHUNK]))).all())
    return out


def person_names(s: Session, ws: int, keys: Iterable[Any]) -> dict[int, str]:
    return _named(s, ws, Person, Person.name, keys)


def unit_names(s: Session, ws: int, keys: Iterable[Any]) -> dict[int, str]:
    return _named(s, ws, OrgUnit, OrgUnit.name, keys)


def milestone_names(s: Session, ws: int, keys: Iterable[Any]) -> dict[int, str]:
    return _named(s, ws, Milestone, Milestone.name, keys)


def initiative_names(s: Session, ws: int, keys: Iterable[Any]) -> dict[int, str]:
    return _named(s, ws, Initiative, Initiative.name, keys)


def metric_names(s: Session, ws: int, keys: Iterable[Any]) -> dict[int, str]:
    return _named(s, ws, Metric, Metric.name, keys)


def objective_titles(s: Session, ws: int, keys: Iterable[Any]) -> dict[int, str]:
    return _named(s, ws, Objective, Objective.title, keys)


def unit_name(s: Session, ws: int, key: int | None) -> str | None:
    return None if key is None else unit_names(s, ws, [key]).get(key)


def subtree(s: Session, ws: int, root: int) -> set[int]:
    """The org unit `root` and every unit below it."""
    rows = s.execute(select(OrgUnit.id, OrgUnit.parent_id).where(
        OrgUnit.workspace_id == ws)).all()
    kids: dict[int | None, list[int]] = {}
    for k, parent in rows:
        kids.setdefault(parent, []).append(k)
    out, todo = set(), [root]
    while todo:
        u = todo.pop()
        if u not in out:
            out.add(u)
            todo.extend(kids.get(u, []))
    return out


def units_of_kinds(s: Session, ws: int, kinds: list[str], limit: int,
                   by_name: bool = False) -> list[Any]:
    """(id, name, kind) of the org units of `kinds` (for scope pickers)."""
    return list(s.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.kind).where(
        OrgUnit.workspace_id == ws, OrgUnit.kind.in_(kinds)).order_by(
        OrgUnit.name if by_name else OrgUnit.id).limit(limit)).all())


def people_named(s: Session, ws: int, text: str, limit: int = 5) -> list[Person]:
    """The active people whose name or e-mail is `text` (case-insensitive), for a form
    field that takes a person by name."""
    t = text.strip().lower()
    if not t:
        return []
    return list(s.execute(select(Person).where(
        Person.workspace_id == ws, Person.active.is_(True),
        (func.lower(Person.name) == t) | (func.lower(Person.email) == t)).order_by(Person.id)
        .limit(limit)).scalars().all())


def units_named(s: Session, ws: int, text: str, limit: int = 5) -> list[OrgUnit]:
    t = text.strip().lower()
    if not t:
        return []
    return list(s.execute(select(OrgUnit).where(
        OrgUnit.workspace_id == ws, func.lower(OrgUnit.name) == t).order_by(OrgUnit.id)
        .limit(limit)).scalars().all())


def objectives_titled(s: Session, ws: int, text: str, limit: int = 5) -> list[Objective]:
    t = text.strip().lower()
    if not t:
        return []
    return list(s.execute(select(Objective).where(
        Objective.workspace_id == ws, Objective.archived.is_(False),
        func.lower(Objective.title) == t).order_by(Objective.id).limit(limit))
        .scalars().all())


def choices(s: Session, ws: int, limit: int = 2000) -> dict[str, list[str]]:
    """Names the pickers of a form offer (people, org units, active objectives)."""
    return {
        "people": list(s.scalars(select(Person.name).where(Person.workspace_id == ws,
                                                           Person.active.is_(True))
                                 .order_by(Person.name).limit(limit))),
        "units": list(s.scalars(select(OrgUnit.name).where(OrgUnit.workspace_id == ws)
                                .order_by(OrgUnit.name).limit(limit))),
        "objectives": list(s.scalars(select(Objective.title).where(
            Objective.workspace_id == ws, Objective.archived.is_(False))
            .order_by(Objective.title).limit(limit))),
    }

"""Use-cases of the objectives domain (never commits)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.models import Alignment, Objective, Theme
from steerco.kit.dates import ends_before
from steerco.kit.errors import CycleRefused, FieldError, NotFound, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.validation import Checks, parse
from steerco.objectives.repository import ObjectiveRepository, ThemeRepository
from steerco.objectives.schemas import (
    ObjectiveCreate,
    ObjectiveUpdate,
    ThemeCreate,
    ThemeUpdate,
)
from steerco.org.service import (
    apply_changes,
    optional_org_unit,
    optional_person,
    require_person,
)


def create_theme(session: Session, workspace_id: int,
                 data: ThemeCreate | dict[str, Any]) -> Theme:
    """Add a strategic theme."""
    body = parse(ThemeCreate, data)
    owner = optional_person(session, workspace_id, body.owner_id, "owner_id")
    theme = Theme(workspace_id=workspace_id, name=body.name, description=body.description,
                  owner_id=owner.id if owner else None, active=body.active)
    return ThemeRepository(session, workspace_id).add(theme)


def create_objective(session: Session, workspace_id: int,
                     data: ObjectiveCreate | dict[str, Any]) -> Objective:
    """Add an objective and align it to its parents (all checked before any write)."""
    body = parse(ObjectiveCreate, data)
    repo = ObjectiveRepository(session, workspace_id)
    checks = Checks()  # every bad reference named at once
    owner = checks(lambda: require_person(session, workspace_id, body.owner_id, "owner_id"))
    unit = checks(lambda: optional_org_unit(session, workspace_id, body.org_unit_id,
                                            "org_unit_id"))
    theme = None
    if body.theme_id is not None:
        theme = checks(lambda: ThemeRepository(session, workspace_id).require(
            parse_id(body.theme_id, "theme", "theme_id"), "theme_id"))
    parents: list[tuple[Objective, float]] = []
    seen: set[int] = set()
    for i, link in enumerate(body.parents):
        field = f"parents.{i}.objective_id"
        parent = checks(partial(_require, repo, link.objective_id, field))
        if parent is None:
            continue
        if parent.id in seen:
            checks.add(field, f"{format_id('objective', parent.id)} is listed twice",
                       link.objective_id)
        seen.add(parent.id)
        parents.append((parent, link.weight))
    checks.done()
    assert owner is not None
    obj = repo.add(Objective(
        workspace_id=workspace_id, title=body.title, description=body.description,
        period_start=body.period_start, period_end=body.period_end, level=body.level,
        perspective=body.perspective, owner_id=owner.id,
        org_unit_id=unit.id if unit else None, theme_id=theme.id if theme else None))
    for parent, weight in parents:
        session.add(Alignment(workspace_id=workspace_id, child_id=obj.id, parent_id=parent.id,
                              weight=weight))
    session.flush()
    return obj


def _require(repo: ObjectiveRepository, ref: Any, field: str) -> Objective:
    return repo.require(parse_id(ref, "objective", field), field)


def _path_up(repo: ObjectiveRepository, start: int, goal: int) -> list[int] | None:
    """Alignment path from `start` up to `goal`, or None (one query a level)."""
    return path_up(start, goal, repo.parents_of)


def path_up(start: int, goal: int,
            parents_of: Callable[[list[int]], Iterable[tuple[int, int]]]) -> list[int] | None:
    """The alignment path from `start` up to `goal`, or None: breadth-first over
    `parents_of(frontier)`, which gives the (child, parent) pairs of a level (read from
    the database by the service, from a graph in memory by an import)."""
    came_from: dict[int, int] = {start: start}
    frontier = [start]
    while frontier:
        nxt = []
        for child, parent in parents_of(frontier):
            if parent in came_from:
                continue
            came_from[parent] = child
            if parent == goal:
                path = [goal]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            nxt.append(parent)
        frontier = nxt
    return None


def check_alignment(child: int, parent: int, weight: float,
                    path_up: Callable[[int, int], list[int] | None]) -> None:
    """Refuse a weight out of range, a self-link or a link that would close a cycle
    (`path_up(start, goal)`: the alignment path from start up to goal; an import checks
    its rows with this rule on the graph in memory)."""
    if not (0 < weight <= 1000):
        raise ValidationFailed(FieldError("weight", "must be > 0 and ≤ 1000", weight))
    if child == parent:
        raise CycleRefused("parent_id", [format_id("objective", child)] * 2)
    # The new edge child → parent closes a cycle iff child is already above parent.
    path = path_up(parent, child)
    if path is not None:
        raise CycleRefused("parent_id", [format_id("objective", k) for k in [child, *path]])


def align(session: Session, workspace_id: int, child_ref: Any, parent_ref: Any,
          weight: float = 1.0) -> Alignment:
    """Align child under parent; refuse a self-link or one that would close a cycle."""
    repo = ObjectiveRepository(session, workspace_id)
    child = repo.require(parse_id(child_ref, "objective", "child_id"), "child_id")
    parent = repo.require(parse_id(parent_ref, "objective", "parent_id"), "parent_id")
    check_alignment(child.id, parent.id, weight, lambda a, b: _path_up(repo, a, b))
    existing = repo.alignment(child.id, parent.id)
    if existing is not None:
        existing.weight = weight
        session.flush()
        return existing
    link = Alignment(workspace_id=workspace_id, child_id=child.id, parent_id=parent.id,
                     weight=weight)
    session.add(link)
    session.flush()
    return link


def update_theme(session: Session, workspace_id: int, key: int,
                 data: ThemeUpdate | dict[str, Any]) -> Theme:
    """Change a theme (deactivating it is how it is archived)."""
    body = parse(ThemeUpdate, data)
    theme = ThemeRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        owner = optional_person(session, workspace_id, changes.pop("owner_id"), "owner_id")
        theme.owner_id = owner.id if owner else None
    apply_changes(theme, changes, {"name", "active"})
    session.flush()
    return theme


def update_objective(session: Session, workspace_id: int, key: int,
                     data: ObjectiveUpdate | dict[str, Any]) -> Objective:
    """Change an objective's fields; the period stays in order, the owner a person."""
    body = parse(ObjectiveUpdate, data)
    obj = ObjectiveRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    checks = Checks()  # every refusal named at once, nothing changed before
    owner = unit = theme = None
    if "owner_id" in changes:
        if changes["owner_id"] is None:
            checks.add("owner_id", "an objective needs an owner")
        else:
            owner = checks(lambda: require_person(session, workspace_id, changes["owner_id"],
                                                  "owner_id"))
    if "org_unit_id" in changes:
        unit = checks(lambda: optional_org_unit(session, workspace_id, changes["org_unit_id"],
                                                "org_unit_id"))
    if changes.get("theme_id") is not None:
        theme = checks(lambda: ThemeRepository(session, workspace_id).require(
            parse_id(changes["theme_id"], "theme", "theme_id"), "theme_id"))
    start = changes.get("period_start") or obj.period_start
    end = changes.get("period_end") or obj.period_end
    if end < start:
        checks.add("period_end", ends_before(end, start), end.isoformat())
    checks.done()
    if owner is not None:
        obj.owner_id = owner.id
    if "org_unit_id" in changes:
        obj.org_unit_id = unit.id if unit else None
    if "theme_id" in changes:
        obj.theme_id = theme.id if theme else None
    for f in ("owner_id", "org_unit_id", "theme_id"):
        changes.pop(f, None)
    apply_changes(obj, changes, {"title", "period_start", "period_end", "level",
                                 "perspective"})
    session.flush()
    return obj


def archive_objective(session: Session, workspace_id: int, key: int) -> Objective:
    """Archive an objective (it stays, with its history, out of the active model)."""
    obj = ObjectiveRepository(session, workspace_id).get(key)
    obj.archived = True
    session.flush()
    return obj


def unalign(session: Session, workspace_id: int, child: int, parent: int) -> None:
    """Remove an alignment edge; NotFound when there is none."""
    repo = ObjectiveRepository(session, workspace_id)
    link = repo.alignment(child, parent)
    if link is None or link.workspace_id != workspace_id:
        raise NotFound("alignment", f"{format_id('objective', child)} → "
                                    f"{format_id('objective', parent)}")
    session.delete(link)
    session.flush()

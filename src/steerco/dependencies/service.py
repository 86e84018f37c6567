"""Declare cross-team dependencies; refuse ones that would close a cycle (never commits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.orm import Session

from steerco.db.models import Dependency
from steerco.dependencies.repository import DependencyRepository, Node
from steerco.dependencies.schemas import DependencyCreate, DependencyUpdate
from steerco.initiatives.repository import InitiativeRepository, MilestoneRepository
from steerco.kit.errors import CycleRefused, FieldError, NotFound, ValidationFailed
from steerco.kit.ids import article, format_id, parse_any
from steerco.kit.validation import Checks, parse


def _node(session: Session, workspace_id: int, ref: str, field: str) -> Node:
    kind, key = parse_any(ref, field)
    if kind == "milestone":
        MilestoneRepository(session, workspace_id).require(key, field)
    elif kind == "initiative":
        InitiativeRepository(session, workspace_id).require(key, field)
    else:
        raise ValidationFailed(FieldError(
            field, f"must be a milestone or an initiative, got {article(kind)} ({ref})",
            ref))
    return kind, key


def _path(repo: DependencyRepository, start: Node, goal: Node) -> list[Node] | None:
    """Dependency path from start down to goal, breadth-first, one query per level."""
    came_from: dict[Node, Node] = {start: start}
    frontier = [start]
    while frontier:
        nxt = []
        for prov, cons in repo.successors(frontier):
            if cons in came_from:
                continue
            came_from[cons] = prov
            if cons == goal:
                path = [goal]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            nxt.append(cons)
        frontier = nxt
    return None


#: start, goal → the dependency path from start down to goal, or None (see `_path`).
PathFinder = Callable[[Node, Node], list[Node] | None]


def check_new(prov: Node, cons: Node, initiative_of: Callable[[int], int],
              find_path: PathFinder) -> None:
    """Refuse a new dependency provider → consumer that would close a cycle, with its path
    (`initiative_of`: a milestone's initiative; `find_path`: the dependency graph's walk).
    An import checks thousands of links with this rule and the graph in memory."""
    if prov == cons:
        raise CycleRefused("consumer", [format_id(*prov)] * 2)
    if prov[0] == "milestone" and cons[0] == "initiative" and \
            initiative_of(prov[1]) == cons[1]:
        # A milestone is part of its initiative (the schedule links its finish to the
        # initiative's): the initiative cannot wait for its own milestone.
        raise CycleRefused("consumer", [format_id(*prov), format_id(*cons), format_id(*prov)])
    back = find_path(cons, prov)
    if back is not None:
        raise CycleRefused("consumer", [format_id(*n) for n in [prov, *back]])


def create_dependency(session: Session, workspace_id: int,
                      data: DependencyCreate | dict[str, Any], *,
                      find_path: PathFinder | None = None) -> Dependency:
    """Declare that `consumer` needs `provider`; a cycle is refused with its path.

    `find_path` replaces the database walk of the cycle check with the caller's own
    (an import of thousands of links keeps the whole graph in memory); the rule and its
    message are the same.
    """
    body = parse(DependencyCreate, data)
    checks = Checks()  # both ends named at once when both are wrong
    found = (checks(lambda: _node(session, workspace_id, body.provider, "provider")),
             checks(lambda: _node(session, workspace_id, body.consumer, "consumer")))
    checks.done()
    prov, cons = cast(tuple[Node, Node], found)
    repo = DependencyRepository(session, workspace_id)
    check_new(prov, cons, lambda m: MilestoneRepository(session, workspace_id).require(
        m, "provider").initiative_id,
        find_path if find_path is not None else lambda a, b: _path(repo, a, b))
    dep = Dependency(workspace_id=workspace_id, dep_type=body.dep_type,
                     lag_days=body.lag_days, need_date=body.need_date,
                     committed_date=body.committed_date, note=body.note)
    if prov[0] == "milestone":
        dep.provider_milestone_id = prov[1]
    else:
        dep.provider_initiative_id = prov[1]
    if cons[0] == "milestone":
        dep.consumer_milestone_id = cons[1]
    else:
        dep.consumer_initiative_id = cons[1]
    _declared(session, workspace_id, cons)
    return repo.add(dep)


def _declared(session: Session, workspace_id: int, consumer: Node) -> None:
    """Naming what an initiative needs declares its dependencies (the hygiene finding
    "dependencies not declared" is for one that named none and said nothing)."""
    key = consumer[1] if consumer[0] == "initiative" else MilestoneRepository(
        session, workspace_id).require(consumer[1], "consumer").initiative_id
    ini = InitiativeRepository(session, workspace_id).find(key)
    if ini is not None and not ini.dependencies_declared:
        ini.dependencies_declared = True


def update_dependency(session: Session, workspace_id: int, key: int,
                      data: DependencyUpdate | dict[str, Any]) -> Dependency:
    """Change a dependency's type, lag or dates (its ends are fixed: delete and re-add)."""
    from steerco.org.service import apply_changes

    body = parse(DependencyUpdate, data)
    dep = DependencyRepository(session, workspace_id).get(key)
    apply_changes(dep, body.model_dump(exclude_unset=True), {"dep_type", "lag_days"})
    session.flush()
    return dep


def delete_dependency(session: Session, workspace_id: int, key: int) -> None:
    """Remove a dependency (the audit log keeps what it was)."""
    dep = DependencyRepository(session, workspace_id).find(key)
    if dep is None:
        raise NotFound("dependency", format_id("dependency", key))
    session.delete(dep)
    session.flush()

"""Use-cases of the org domain. Services validate, stage and flush; they never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.models import OrgUnit, Person, Workspace
from steerco.kit import clock
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.schema import Ref
from steerco.kit.validation import parse
from steerco.org.repository import OrgUnitRepository, PersonRepository, WorkspaceRepository
from steerco.org.schemas import (
    OrgUnitCreate,
    OrgUnitUpdate,
    PersonCreate,
    PersonUpdate,
    WorkspaceCreate,
    WorkspaceUpdate,
)


def create_workspace(session: Session, data: WorkspaceCreate | dict[str, Any]) -> Workspace:
    """Create a tenant; the slug must be unused."""
    body = parse(WorkspaceCreate, data)
    if WorkspaceRepository(session).by_slug(body.slug) is not None:
        raise ValidationFailed(FieldError("slug", f"workspace '{body.slug}' already exists",
                                          body.slug))
    ws = Workspace(slug=body.slug, name=body.name, time_zone=body.time_zone)
    session.add(ws)
    session.flush()
    return ws


def get_workspace(session: Session, workspace_id: int) -> Workspace:
    """The workspace itself (its settings); NotFound when it does not exist."""
    ws = WorkspaceRepository(session).get(workspace_id)
    if ws is None:
        raise NotFound("workspace", str(workspace_id))
    return ws


def update_workspace(session: Session, workspace_id: int,
                     data: WorkspaceUpdate | dict[str, Any]) -> Workspace:
    """Rename a workspace or change its settings (time zone, fiscal year, currency,
    locale, the factor that makes a check-in an outlier)."""
    body = parse(WorkspaceUpdate, data)
    ws = get_workspace(session, workspace_id)
    apply_changes(ws, body.model_dump(exclude_unset=True),
                  {"name", "time_zone", "fiscal_year_start", "currency", "locale",
                   "outlier_factor"})
    session.flush()
    return ws


def workspace_today(session: Session, workspace_id: int,
                    now: dt.datetime | None = None) -> dt.date:
    """Today in the workspace's time zone: the day "due", "overdue" and "stale" are
    judged on, the escalation day and the default date of a check-in."""
    ws = WorkspaceRepository(session).get(workspace_id)
    return clock.today_in(ws.time_zone if ws is not None else clock.UTC, now)


def require_person(session: Session, workspace_id: int, ref: Ref, field: str,
                   active: bool = True) -> Person:
    """Resolve an accountable person; a team, a missing or a foreign id is refused, and
    so is a deactivated person (someone who has left cannot own or be assigned
    anything) unless `active` is False (their own login and roles)."""
    person = PersonRepository(session, workspace_id).require(parse_id(ref, "person", field),
                                                             field)
    if active:
        check_active(person, field)
    return person


def check_active(person: Person, field: str) -> None:
    """Someone who has left cannot own or be assigned anything (an import checks its rows
    with this rule, the people read once)."""
    if not person.active:
        raise ValidationFailed(FieldError(
            field, f"{person.name} ({format_id('person', person.id)}) is deactivated; "
                   "choose an active person", format_id("person", person.id)))


def optional_person(session: Session, workspace_id: int, ref: Ref | None,
                    field: str) -> Person | None:
    return None if ref is None else require_person(session, workspace_id, ref, field)


def optional_org_unit(session: Session, workspace_id: int, ref: Ref | None,
                      field: str) -> OrgUnit | None:
    if ref is None:
        return None
    return OrgUnitRepository(session, workspace_id).require(parse_id(ref, "org_unit", field),
                                                           field)


def create_org_unit(session: Session, workspace_id: int,
                    data: OrgUnitCreate | dict[str, Any]) -> OrgUnit:
    """Add a unit under its parent (the tree cannot get a cycle: the unit is new)."""
    body = parse(OrgUnitCreate, data)
    parent = optional_org_unit(session, workspace_id, body.parent_id, "parent_id")
    head = optional_person(session, workspace_id, body.head_id, "head_id")
    unit = OrgUnit(workspace_id=workspace_id, name=body.name, kind=body.kind, code=body.code,
                   parent_id=parent.id if parent else None, head_id=head.id if head else None)
    return OrgUnitRepository(session, workspace_id).add(unit)


def create_person(session: Session, workspace_id: int,
                  data: PersonCreate | dict[str, Any]) -> Person:
    """Add a person; e-mail addresses are unique within a workspace."""
    body = parse(PersonCreate, data)
    people = PersonRepository(session, workspace_id)
    if people.by_email(body.email) is not None:
        raise ValidationFailed(FieldError("email", f"{body.email} is already a person here",
                                          body.email))
    manager = optional_person(session, workspace_id, body.manager_id, "manager_id")
    unit = optional_org_unit(session, workspace_id, body.org_unit_id, "org_unit_id")
    person = Person(workspace_id=workspace_id, name=body.name, email=body.email,
                    title=body.title, manager_id=manager.id if manager else None,
                    org_unit_id=unit.id if unit else None)
    return people.add(person)


def apply_changes(row: Any, changes: dict[str, Any], required: set[str]) -> None:
    """Set plain fields of a partial update; refuse null for the `required` ones."""
    nulls = [FieldError(k, "may not be null") for k, v in changes.items()
             if v is None and k in required]
    if nulls:
        raise ValidationFailed(nulls)
    for k, v in changes.items():
        setattr(row, k, v)


def _unit_path_up(parent_of: Callable[[int], int | None], start: int) -> list[int]:
    path, node = [start], parent_of(start)
    while node is not None and node not in path:
        path.append(node)
        node = parent_of(node)
    return path


def check_unit_parent(unit: int, parent: int, parent_of: Callable[[int], int | None],
                      ref: Any) -> None:
    """A unit is never put under itself (`parent_of`: a unit's parent; an import checks
    its rows with this rule on the tree in memory)."""
    if unit in _unit_path_up(parent_of, parent):
        raise ValidationFailed(FieldError("parent_id", "would put the unit under itself", ref))


def check_manager(person: int, manager: int, ref: Any) -> None:
    """Nobody manages themselves."""
    if manager == person:
        raise ValidationFailed(FieldError("manager_id", "nobody manages themselves", ref))


def update_org_unit(session: Session, workspace_id: int, key: int,
                    data: OrgUnitUpdate | dict[str, Any]) -> OrgUnit:
    """Rename, re-code, re-parent (never under itself) or re-head an org unit."""
    body = parse(OrgUnitUpdate, data)
    repo = OrgUnitRepository(session, workspace_id)
    unit = repo.get(key)
    changes = body.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        parent = optional_org_unit(session, workspace_id, changes.pop("parent_id"), "parent_id")
        if parent is not None:
            check_unit_parent(unit.id, parent.id, repo.parent_of, body.parent_id)
        unit.parent_id = parent.id if parent else None
    if "head_id" in changes:
        head = optional_person(session, workspace_id, changes.pop("head_id"), "head_id")
        unit.head_id = head.id if head else None
    apply_changes(unit, changes, {"name"})
    session.flush()
    return unit


def update_person(session: Session, workspace_id: int, key: int,
                  data: PersonUpdate | dict[str, Any]) -> Person:
    """Change a person's details; e-mail stays unique, a manager is never oneself."""
    body = parse(PersonUpdate, data)
    people = PersonRepository(session, workspace_id)
    person = people.get(key)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("email") is not None:
        other = people.by_email(changes["email"])
        if other is not None and other.id != person.id:
            raise ValidationFailed(FieldError("email", f"{body.email} is already a person here",
                                              body.email))
    if "manager_id" in changes:
        manager = optional_person(session, workspace_id, changes.pop("manager_id"),
                                  "manager_id")
        if manager is not None:
            check_manager(person.id, manager.id, body.manager_id)
        person.manager_id = manager.id if manager else None
    if "org_unit_id" in changes:
        unit = optional_org_unit(session, workspace_id, changes.pop("org_unit_id"),
                                 "org_unit_id")
        person.org_unit_id = unit.id if unit else None
    apply_changes(person, changes, {"name", "email", "active"})
    session.flush()
    return person

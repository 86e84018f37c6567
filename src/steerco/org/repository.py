"""Queries of the org domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import OrgUnit, Person, Workspace
from steerco.db.repository import Repository


class OrgUnitRepository(Repository[OrgUnit]):
    model = OrgUnit
    kind = "org_unit"

    def parent_of(self, key: int) -> int | None:
        return self.session.scalar(select(OrgUnit.parent_id).where(
            OrgUnit.workspace_id == self.workspace_id, OrgUnit.id == key))


class PersonRepository(Repository[Person]):
    model = Person
    kind = "person"

    def by_email(self, email: str) -> Person | None:
        found: Person | None = self.session.scalar(self.scoped().where(Person.email == email))
        return found


class WorkspaceRepository:
    """Workspaces are the tenants themselves, so they are not workspace-scoped."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: int) -> Workspace | None:
        """One workspace by key (served from the session's identity map on repeats)."""
        return self.session.get(Workspace, key)

    def by_slug(self, slug: str) -> Workspace | None:
        return self.session.scalar(select(Workspace).where(Workspace.slug == slug))

    def all(self) -> list[Workspace]:
        return list(self.session.scalars(select(Workspace).order_by(Workspace.id)))

"""Queries of accounts and access (sessions and tokens are looked up by their hash)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from steerco.db.models import (
    ApiToken,
    AuditEntry,
    BudgetLine,
    Credential,
    IdempotencyKey,
    LoginThrottle,
    Metric,
    OrgUnit,
    PasswordReset,
    Person,
    RoleGrant,
    WebSession,
)
from steerco.db.repository import Repository


class CredentialRepository:
    """Logins are global (a login names one person in one workspace)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_login(self, login: str) -> Credential | None:
        return self.session.scalar(select(Credential).where(Credential.login == login))

    def by_person(self, person_id: int) -> Credential | None:
        return self.session.scalar(select(Credential).where(Credential.person_id == person_id))

    def throttle(self, login: str) -> LoginThrottle | None:
        return self.session.get(LoginThrottle, login)

    def session_by_hash(self, key: str) -> WebSession | None:
        return self.session.get(WebSession, key)

    def end_sessions_of(self, person_id: int) -> None:
        self.session.execute(delete(WebSession).where(WebSession.person_id == person_id))

    def token_with_grants(self, digest: str) -> Sequence[Any]:
        """The token behind a hash joined with its person's grants: one row per grant (a
        single row with a null role if there are none), in one round trip, as plain rows
        rather than ORM objects; this runs on every API request."""
        # Table columns, not ORM attributes: a Core statement skips the ORM's per-query
        # compile and loading steps (half of this query's cost, measured).
        tt, gt = ApiToken.__table__, RoleGrant.__table__
        t, g = tt.c, gt.c
        return self.session.execute(
            select(t.id, t.workspace_id, t.person_id, t.scopes, t.expires_at, t.revoked_at,
                   t.last_used_at, g.role, g.org_unit_id).select_from(tt)
            .outerjoin(gt, and_(g.workspace_id == t.workspace_id, g.person_id == t.person_id))
            .where(t.token_hash == digest).order_by(g.id)).all()

    def session_with_grants(self, key: str) -> Sequence[Any]:
        """The web session behind a hash joined with its person's grants (as above)."""
        wt, gt = WebSession.__table__, RoleGrant.__table__
        w, g = wt.c, gt.c
        return self.session.execute(
            select(w.id, w.workspace_id, w.person_id, w.csrf_token, w.created_at,
                   w.expires_at, w.last_seen_at, g.role, g.org_unit_id).select_from(wt)
            .outerjoin(gt, and_(g.workspace_id == w.workspace_id, g.person_id == w.person_id))
            .where(w.id == key).order_by(g.id)).all()

    def reset_by_hash(self, digest: str) -> PasswordReset | None:
        return self.session.scalar(select(PasswordReset).where(
            PasswordReset.token_hash == digest))


class TokenRepository(Repository[ApiToken]):
    model = ApiToken
    kind = "token"

    def of_person(self, person_id: int) -> Sequence[ApiToken]:
        return self.session.scalars(self.scoped().where(ApiToken.person_id == person_id)
                                    .order_by(ApiToken.id)).all()


class GrantRepository(Repository[RoleGrant]):
    model = RoleGrant
    kind = "grant"

    def of_person(self, person_id: int) -> Sequence[RoleGrant]:
        return self.session.scalars(self.scoped().where(RoleGrant.person_id == person_id)
                                    .order_by(RoleGrant.id)).all()

    def same(self, person_id: int, role: str, org_unit_id: int | None) -> RoleGrant | None:
        q = self.scoped().where(RoleGrant.person_id == person_id, RoleGrant.role == role)
        q = q.where(RoleGrant.org_unit_id.is_(None) if org_unit_id is None
                    else RoleGrant.org_unit_id == org_unit_id)
        found: RoleGrant | None = self.session.scalar(q)
        return found

    def unit_parents(self) -> dict[int, int | None]:
        """Every org unit of the workspace with its parent (for subtree checks)."""
        rows = self.session.execute(select(OrgUnit.id, OrgUnit.parent_id).where(
            OrgUnit.workspace_id == self.workspace_id))
        return {k: p for k, p in rows}


class IdempotencyRepository:
    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def find(self, principal: str, key: str) -> IdempotencyKey | None:
        return self.session.get(IdempotencyKey, (self.workspace_id, principal, key))


class AuditRepository(Repository[AuditEntry]):
    """The audit log, read per entity (it is written only by the flush listener)."""

    model = AuditEntry
    kind = "audit"

    def of_entity(self, entity: str, key: int, limit: int,
                  after: int | None) -> Sequence[AuditEntry]:
        q = self.scoped().where(AuditEntry.entity == entity, AuditEntry.entity_id == key)
        if after is not None:
            q = q.where(AuditEntry.id > after)
        return self.session.scalars(q.order_by(AuditEntry.id).limit(limit + 1)).all()


class DemoCastRepository:
    """Finds the people of a demo company who play each demo role."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def company_head(self) -> int | None:
        return self.session.scalar(select(OrgUnit.head_id).where(
            OrgUnit.workspace_id == self.workspace_id, OrgUnit.parent_id.is_(None))
            .order_by(OrgUnit.id).limit(1))

    def first_controller(self) -> int | None:
        return self.session.scalar(select(BudgetLine.controller_id).where(
            BudgetLine.workspace_id == self.workspace_id,
            BudgetLine.controller_id.is_not(None)).order_by(BudgetLine.id).limit(1))

    def busiest_metric_owner(self, exclude: set[int]) -> int | None:
        """The person owning the most metrics (a realistic owner to check in as)."""
        q = select(Metric.owner_id).where(Metric.workspace_id == self.workspace_id).group_by(
            Metric.owner_id).order_by(func.count().desc(), Metric.owner_id)
        return next((p for p in self.session.scalars(q.limit(50)) if p not in exclude), None)

    def people(self, exclude: set[int], limit: int) -> list[int]:
        q = select(Person.id).where(Person.workspace_id == self.workspace_id).order_by(
            Person.id).limit(limit + len(exclude))
        return [p for p in self.session.scalars(q) if p not in exclude][:limit]

    def logins(self) -> list[tuple[str, str, str]]:
        """(login, person name, roles) of everyone with a login, for listing."""
        rows = self.session.execute(
            select(Credential.login, Person.name, RoleGrant.role)
            .join(Person, Person.id == Credential.person_id)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(Credential.workspace_id == self.workspace_id)
            .order_by(RoleGrant.role, Credential.login))
        return [(login, name, getattr(role, "value", role)) for login, name, role in rows]

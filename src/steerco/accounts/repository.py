"""Queries of accounts and access (sessions and tokens are looked up by their hash)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    """Logins are unique per workspace; the same login may exist in several."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def by_login(self, login: str) -> list[tuple[Credential, bool]]:
        """Every credential with this login, with whether its person is active (oldest
        first: the order in which a password is tried against them)."""
        rows = self.session.execute(
            select(Credential, Person.active).join(Person, Person.id == Credential.person_id)
            .where(Credential.login == login).order_by(Credential.id).limit(20)).all()
        return [(c, bool(a)) for c, a in rows]

    def by_login_in(self, workspace_id: int, login: str) -> Credential | None:
        return self.session.scalar(select(Credential).where(
            Credential.workspace_id == workspace_id, Credential.login == login))

    def by_person(self, person_id: int) -> Credential | None:
        return self.session.scalar(select(Credential).where(Credential.person_id == person_id))

    def throttle(self, login: str) -> LoginThrottle | None:
        return self.session.get(LoginThrottle, login)

    def count_attempt(self, key: str, now: dt.datetime,
                      window: dt.timedelta) -> tuple[int, dt.datetime | None]:
        """Count one attempt on `key` atomically; return (attempts in the current window,
        this one included; the lock's end or None).

        One `INSERT … ON CONFLICT DO NOTHING` and one `UPDATE … SET failures = failures
        + 1 … RETURNING`: concurrent attempts cannot read the same count and write it
        back (which let 30 parallel guesses through 12–14 password checks instead of 5).
        """
        t = cast(Table, LoginThrottle.__table__)
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" \
            else sqlite_insert
        self.session.execute(insert(t).values(login=key, failures=0, window_start=now)
                             .on_conflict_do_nothing(index_elements=["login"]))
        expired = t.c.window_start < now - window
        row = self.session.execute(
            update(t).where(t.c.login == key)
            .values(failures=case((expired, 1), else_=t.c.failures + 1),
                    window_start=case((expired, now), else_=t.c.window_start))
            .returning(t.c.failures, t.c.locked_until)).one()
        return int(row[0]), row[1]

    def lock(self, key: str, until: dt.datetime) -> None:
        t = cast(Table, LoginThrottle.__table__)
        self.session.execute(update(t).where(t.c.login == key).values(locked_until=until))

    def clear_attempts(self, key: str) -> None:
        self.session.execute(delete(LoginThrottle).where(LoginThrottle.login == key))

    def outstanding_resets(self, credential_id: int) -> Sequence[PasswordReset]:
        return self.session.scalars(select(PasswordReset).where(
            PasswordReset.credential_id == credential_id,
            PasswordReset.used_at.is_(None))).all()

    def session_by_hash(self, key: str) -> WebSession | None:
        return self.session.get(WebSession, key)

    def end_sessions_of(self, person_id: int) -> None:
        self.session.execute(delete(WebSession).where(WebSession.person_id == person_id))

    def token_with_grants(self, digest: str) -> Sequence[Any]:
        """The token behind a hash joined with its person's grants: one row per grant (a
        single row with a null role if there are none), in one round trip, as plain rows
        rather than ORM objects; this runs on every API request. Nothing for a
        deactivated person: their tokens stop working at once."""
        # Table columns, not ORM attributes: a Core statement skips the ORM's per-query
        # compile and loading steps (half of this query's cost, measured).
        tt, gt, pt = ApiToken.__table__, RoleGrant.__table__, Person.__table__
        t, g = tt.c, gt.c
        return self.session.execute(
            select(t.id, t.workspace_id, t.person_id, t.scopes, t.expires_at, t.revoked_at,
                   t.last_used_at, g.role, g.org_unit_id).select_from(tt)
            .join(pt, and_(pt.c.id == t.person_id, pt.c.active.is_(True)))
            .outerjoin(gt, and_(g.workspace_id == t.workspace_id, g.person_id == t.person_id))
            .where(t.token_hash == digest).order_by(g.id)).all()

    def session_with_grants(self, key: str) -> Sequence[Any]:
        """The web session behind a hash joined with its person's grants (as above)."""
        wt, gt, pt = WebSession.__table__, RoleGrant.__table__, Person.__table__
        w, g = wt.c, gt.c
        return self.session.execute(
            select(w.id, w.workspace_id, w.person_id, w.csrf_token, w.created_at,
                   w.expires_at, w.last_seen_at, g.role, g.org_unit_id).select_from(wt)
            .join(pt, and_(pt.c.id == w.person_id, pt.c.active.is_(True)))
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
        """(login, person name, role) of the logins the demo made (and only those: real
        users added later are nobody's business on a public page)."""
        rows = self.session.execute(
            select(Credential.login, Person.name, RoleGrant.role)
            .join(Person, Person.id == Credential.person_id)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(Credential.workspace_id == self.workspace_id,
                   Credential.demo.is_(True), Person.active.is_(True))
            .order_by(RoleGrant.role, Credential.login))
        return [(login, name, getattr(role, "value", role)) for login, name, role in rows]

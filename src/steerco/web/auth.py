"""Who is asking, and may they: the authentication dependency and the authorization rules.

A request authenticates with a bearer API token (`Authorization: Bearer stc_…`) or with
the session cookie. Cookie-authenticated writes must echo the session's CSRF token in
`X-CSRF-Token` (a cross-site form cannot read it). The principal always belongs to one
workspace, and every repository query is scoped to it, so anything of another workspace
is simply not found (404), never forbidden (403).

Roles (granted per workspace or per org-unit subtree) allow actions:

| action   | who                                                                    |
|----------|------------------------------------------------------------------------|
| read     | every role, anywhere in the workspace                                  |
| model    | admin, strategy_office (create/change the strategy model)              |
| steer    | admin, strategy_office, executive; the owner of the entity             |
| checkin  | admin, strategy_office; the metric's owner                             |
| finance  | admin, controller                                                      |
| signoff  | controller only (realised benefits)                                    |
| admin    | admin (people, org units, grants, credentials)                         |

A subtree grant covers entities whose org unit lies in the subtree; an entity with no
org unit is covered by workspace-wide grants only. Ownership-based rights need any role
but viewer. Token scopes narrow further: `read` tokens only read, `checkin` tokens only
check in, `write` tokens do whatever their person may.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from steerco.accounts import service as accounts
from steerco.accounts.errors import Forbidden, Unauthenticated
from steerco.db.engine import unit_of_work
from steerco.db.models.accounts import Role, TokenScope

SESSION_COOKIE = "steerco_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

ACTIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"model", "steer", "checkin", "finance", "admin"}),
    Role.STRATEGY_OFFICE: frozenset({"model", "steer", "checkin"}),
    Role.EXECUTIVE: frozenset({"steer"}),
    Role.CONTROLLER: frozenset({"finance", "signoff"}),
    Role.OWNER: frozenset(),
    Role.VIEWER: frozenset(),
}
#: Granted by owning the entity (with any role but viewer).
OWNER_ACTIONS = frozenset({"steer", "checkin"})


def makers(request: Request) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    state = request.app.state
    return state.write_sessions, state.read_sessions


@dataclass
class Principal:
    """The authenticated person (or token) of a request."""

    workspace_id: int
    person_id: int
    token_id: int | None
    scopes: frozenset[TokenScope]
    grants: list[tuple[Role, int | None]]
    csrf_token: str | None = None
    _parents: dict[int, int | None] | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}" if self.token_id is not None else f"per_{self.person_id}"

    @property
    def roles(self) -> set[Role]:
        return {r for r, _ in self.grants}

    def _covers(self, session: Session, root: int | None, unit: int | None) -> bool:
        if root is None:
            return True
        if unit is None:
            return False
        if self._parents is None:
            self._parents = accounts.unit_parents(session, self.workspace_id)
        seen = 0
        node: int | None = unit
        while node is not None and seen < 10_000:
            if node == root:
                return True
            node = self._parents.get(node)
            seen += 1
        return False

    def can(self, session: Session, action: str, unit: int | None = None,
            owners: Iterable[int | None] = ()) -> bool:
        """May this principal do `action` on an entity in org unit `unit`?"""
        if action in OWNER_ACTIONS and self.person_id in set(owners) and any(
                r is not Role.VIEWER for r, _ in self.grants):
            return True
        return any(action in ACTIONS[role] and self._covers(session, root, unit)
                   for role, root in self.grants)

    def require(self, session: Session, action: str, unit: int | None = None,
                owners: Iterable[int | None] = (), units: Iterable[int | None] = ()) -> None:
        """Raise Forbidden unless allowed on `unit` (and on every one of `units`)."""
        owners = list(owners)
        for u in [unit, *units]:
            if not self.can(session, action, u, owners):
                raise Forbidden(f"your roles do not allow '{action}' here")

    def require_role(self, *roles: Role) -> None:
        """Raise Forbidden unless a workspace-wide grant of one of `roles` is held."""
        if not any(r in roles and root is None for r, root in self.grants):
            raise Forbidden("this needs a workspace-wide "
                            + " or ".join(r.value for r in roles) + " role")


@dataclass
class Ctx:
    """A request's principal and its unit-of-work factories."""

    principal: Principal
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]

    @property
    def ws(self) -> int:
        return self.principal.workspace_id

    @contextmanager
    def read(self) -> Iterator[Session]:
        with unit_of_work(self.read_sessions) as s:
            s.info["actor"] = self.principal.actor
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        with unit_of_work(self.write_sessions) as s:
            s.info["actor"] = self.principal.actor
            yield s


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return value.strip()


def authenticate(request: Request) -> Ctx:
    """Resolve the bearer token or session cookie into a principal, or raise 401/403."""
    write, read = makers(request)
    secret = _bearer(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    touch: int | None = None
    touch_session: str | None = None
    with unit_of_work(read) as s:
        if secret is not None:
            token = accounts.resolve_token(s, secret)
            if token is None:
                raise Unauthenticated("the API token is invalid, expired or revoked")
            ws, person, csrf = token.workspace_id, token.person_id, None
            token_id: int | None = token.id
            scopes = frozenset(accounts.scopes_of(token))
            if accounts.token_needs_touch(token):
                touch = token.id
        elif cookie:
            row = accounts.resolve_session(s, cookie)
            if row is None:
                raise Unauthenticated("the session has ended; log in again")
            ws, person, csrf, token_id = row.workspace_id, row.person_id, row.csrf_token, None
            scopes = frozenset(TokenScope)
            if accounts.session_needs_touch(row):
                touch_session = row.id
        else:
            raise Unauthenticated("log in or send 'Authorization: Bearer <token>'")
        grants = [(g.role, g.org_unit_id) for g in accounts.grants_of(s, ws, person)]
    if touch is not None:
        with unit_of_work(write) as s:
            accounts.touch_token(s, touch)
    elif touch_session is not None:
        with unit_of_work(write) as s:
            accounts.touch_session(s, touch_session)
    principal = Principal(ws, person, token_id, scopes, grants, csrf)
    if csrf is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if not sent or not _same(csrf, sent):
            raise Forbidden(f"cookie-authenticated writes need the {CSRF_HEADER} header "
                            "of the session")
    if not grants:
        raise Forbidden("you hold no role in this workspace")
    return Ctx(principal, write, read)


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def reader(ctx: Annotated[Ctx, Depends(authenticate)]) -> Ctx:
    """Any read: sessions, read and write tokens."""
    if not ctx.principal.scopes & {TokenScope.READ, TokenScope.WRITE}:
        raise Forbidden("this token may only check in")
    return ctx


def writer(ctx: Annotated[Ctx, Depends(authenticate)]) -> Ctx:
    """Any write but check-ins: sessions and write tokens."""
    if TokenScope.WRITE not in ctx.principal.scopes:
        raise Forbidden("this token's scopes do not allow writes")
    return ctx


def checkiner(ctx: Annotated[Ctx, Depends(authenticate)]) -> Ctx:
    """Check-ins: sessions, write and check-in tokens."""
    if not ctx.principal.scopes & {TokenScope.CHECKIN, TokenScope.WRITE}:
        raise Forbidden("this token's scopes do not allow check-ins")
    return ctx


Reader = Annotated[Ctx, Depends(reader)]
Writer = Annotated[Ctx, Depends(writer)]
Checkiner = Annotated[Ctx, Depends(checkiner)]
Authenticated = Annotated[Ctx, Depends(authenticate)]

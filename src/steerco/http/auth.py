"""Who is asking, and may they: the authentication dependency and the authorization rules.

A request authenticates with a bearer API token (`Authorization: Bearer stc_…`) or with
the session cookie, resolved inside the handler's first unit of work (or taken from the
per-process credential cache) through the credential directory the app factory installs
(`install_directory`; the accounts domain provides it, so this foundation imports no
domain). Cookie-authenticated writes must
echo the session's CSRF token in `X-CSRF-Token` (a cross-site form cannot read it). The
principal always belongs to one workspace, and every repository query is scoped to it, so
anything of another workspace is simply not found (404), never forbidden (403).

Roles (granted per workspace or per org-unit subtree) allow actions:

| action   | who                                                                    |
|----------|------------------------------------------------------------------------|
| read     | every role, anywhere in the workspace                                  |
| model    | admin, strategy_office (create/change the strategy model)              |
| steer    | admin, strategy_office, executive; the owner of the entity             |
| checkin  | admin, strategy_office; the metric's owner (whatever their role) and   |
|          | its delegated updaters                                                 |
| finance  | admin, controller                                                      |
| signoff  | controller only (realised benefits)                                    |
| admin    | admin (people, org units, grants, credentials)                         |

A subtree grant covers entities whose org unit lies in the subtree; an entity with no
org unit is covered by workspace-wide grants only. Ownership-based rights need any role
but viewer — except checking in on a metric one owns, which any role allows (as in most
OKR tools: the person accountable for a number reports it, even from a read-only seat;
My work offers exactly these check-ins, and the metric page says the same).
Token scopes narrow further: `read` tokens only read, `checkin` tokens only
check in, `write` tokens do whatever their person may, and only `admin` tokens (and
sessions) may also manage tokens.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from steerco.db.engine import unit_of_work
from steerco.db.models.accounts import Role, TokenScope
from steerco.kit.errors import Forbidden, Unauthenticated

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


class Found(Protocol):
    """What a credential names, as the directory resolved it."""

    @property
    def workspace_id(self) -> int: ...
    @property
    def person_id(self) -> int: ...
    @property
    def token_id(self) -> int | None: ...
    @property
    def session_key(self) -> str | None: ...
    @property
    def scopes(self) -> frozenset[TokenScope]: ...
    @property
    def grants(self) -> list[tuple[Role, int | None]]: ...
    @property
    def csrf_token(self) -> str | None: ...
    @property
    def touch_due(self) -> float:
        """When (POSIX time) the credential's use is next worth recording."""


class Directory(Protocol):
    """Who credentials name, where org units sit and who holds which grants (the
    accounts domain answers; see steerco.accounts.directory)."""

    def resolve(self, session: Session, bearer: str | None, cookie: str | None,
                now: float) -> Found | None: ...

    def record_use(self, session: Session, token_id: int | None,
                   session_key: str | None) -> None: ...

    def unit_parents(self, session: Session, workspace_id: int) -> dict[int, int | None]: ...

    def grants_of(self, session: Session, workspace_id: int,
                  person_id: int) -> list[tuple[Role, int | None]]: ...


_DIRECTORY: list[Directory] = []


def install_directory(directory: Directory) -> None:
    """Make `directory` the one every request resolves credentials with (the app
    factory installs the accounts domain's)."""
    _DIRECTORY[:] = [directory]


def directory() -> Directory:
    if not _DIRECTORY:
        raise RuntimeError("no credential directory installed: build the app with "
                           "steerco.web.app.create_app (it installs the accounts one)")
    return _DIRECTORY[0]


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
            self._parents = directory().unit_parents(session, self.workspace_id)
        seen = 0
        node: int | None = unit
        while node is not None and seen < 10_000:
            if node == root:
                return True
            node = self._parents.get(node)
            seen += 1
        return False

    def can(self, session: Session, action: str, unit: int | None = None,
            owners: Iterable[int | None] = (), owner: int | None = None) -> bool:
        """May this principal do `action` on an entity in org unit `unit`?

        `owners` hold ownership-based rights with any role but viewer (delegates count
        here for check-ins); `owner`, the metric's owner proper, may check in whatever
        their role.
        """
        if action == "checkin" and owner is not None and owner == self.person_id:
            return True
        if action in OWNER_ACTIONS and self.person_id in set(owners) and any(
                r is not Role.VIEWER for r, _ in self.grants):
            return True
        return any(action in ACTIONS[role] and self._covers(session, root, unit)
                   for role, root in self.grants)

    def require(self, session: Session, action: str, unit: int | None = None,
                owners: Iterable[int | None] = (), units: Iterable[int | None] = (),
                owner: int | None = None) -> None:
        """Raise Forbidden unless allowed on `unit` (and on every one of `units`)."""
        owners = list(owners)
        for u in [unit, *units]:
            if not self.can(session, action, u, owners, owner):
                raise Forbidden(f"your roles do not allow '{action}' here")

    def reaches(self, session: Session, grants: Iterable[tuple[Role, int | None]]) -> bool:
        """True if this principal's admin grants cover every one of `grants` (a grant on
        a subtree is covered by an admin grant on that subtree or above it; a
        workspace-wide grant only by a workspace-wide admin)."""
        mine = [root for role, root in self.grants if "admin" in ACTIONS[role]]
        return all(any(self._covers(session, root, where) for root in mine)
                   for _role, where in grants)

    def require_over_person(self, session: Session, person_id: int) -> None:
        """Refuse to change the login, activity or roles of someone whose roles reach
        beyond this principal's admin scope (else a subtree admin could take over a
        workspace-wide admin by setting their password)."""
        theirs = directory().grants_of(session, self.workspace_id, person_id)
        if not self.reaches(session, theirs):
            raise Forbidden("this person holds roles beyond your admin scope; only an admin "
                            "over all of them may change their login, activity or roles")

    def holds_everywhere(self, action: str) -> bool:
        """True if a workspace-wide grant allows `action` on anything in the workspace
        (then where an entity sits need not be looked up)."""
        return any(root is None and action in ACTIONS[role] for role, root in self.grants)

    def require_role(self, *roles: Role) -> None:
        """Raise Forbidden unless a workspace-wide grant of one of `roles` is held."""
        if not any(r in roles and root is None for r, root in self.grants):
            raise Forbidden("this needs a workspace-wide "
                            + " or ".join(r.value for r in roles) + " role")


@dataclass
class Credential:
    """What a request presented, read from its headers (no database yet)."""

    bearer: str | None
    cookie: str | None
    method: str
    csrf_sent: str | None
    #: The token scopes of which at least one is needed (set by reader/writer/checkiner).
    needs: frozenset[TokenScope] = frozenset(TokenScope)
    needs_message: str = ""


class Ctx:
    """A request's credential, its principal once resolved, and its units of work.

    The principal is resolved inside the first unit of work the handler opens, in the
    same transaction as the handler's own queries: one connection checkout, one commit
    and one extra query per request instead of a transaction of its own (measured: the
    separate authentication transaction was a third of a status read's time).
    """

    def __init__(self, credential: Credential, write_sessions: sessionmaker[Session],
                 read_sessions: sessionmaker[Session]) -> None:
        self.credential = credential
        self.write_sessions = write_sessions
        self.read_sessions = read_sessions
        self._principal: Principal | None = None
        self._touch: tuple[int | None, str | None] = (None, None)

    @classmethod
    def resolved(cls, principal: Principal, write_sessions: sessionmaker[Session],
                 read_sessions: sessionmaker[Session]) -> Ctx:
        """A context whose principal is already known (the pages resolve their own)."""
        ctx = cls(Credential(None, None, "GET", None), write_sessions, read_sessions)
        ctx._principal = principal
        return ctx

    @property
    def principal(self) -> Principal:
        """The principal (resolved in a transaction of its own if no unit of work has
        been opened yet)."""
        if self._principal is None:
            with self.read():
                pass
        assert self._principal is not None
        return self._principal

    @property
    def ws(self) -> int:
        return self.principal.workspace_id

    def _resolve(self, s: Session) -> Principal:
        c = self.credential
        found = self._lookup(s)
        if found is None:
            raise Unauthenticated("the API token is invalid, expired or revoked"
                                  if c.bearer is not None
                                  else "the session has ended; log in again")
        if (found.csrf_token is not None and c.method not in SAFE_METHODS
                and not (c.csrf_sent and _same(found.csrf_token, c.csrf_sent))):
            raise Forbidden(f"cookie-authenticated writes need the {CSRF_HEADER} header "
                            "of the session")
        if not found.grants:
            raise Forbidden("you hold no role in this workspace")
        if not found.scopes & c.needs:
            raise Forbidden(c.needs_message)
        return Principal(found.workspace_id, found.person_id, found.token_id, found.scopes,
                         found.grants, found.csrf_token)

    def _lookup(self, s: Session) -> Found | None:
        """The credential's resolution (the directory may answer from a cache), noting
        when its use is due to be recorded."""
        c = self.credential
        now = time.time()
        found = directory().resolve(s, c.bearer, c.cookie, now)
        if found is not None and now >= found.touch_due:
            self._touch = (found.token_id, found.session_key)
        return found

    @contextmanager
    def _unit(self, factory: sessionmaker[Session]) -> Iterator[Session]:
        with unit_of_work(factory) as s:
            if self._principal is None:
                self._principal = self._resolve(s)
            s.info["actor"] = self._principal.actor
            yield s
        self._record_use()

    def _record_use(self) -> None:
        # At most once a minute per credential, after the request's own commit.
        token, web_session = self._touch
        if token is None and web_session is None:
            return
        self._touch = (None, None)
        with unit_of_work(self.write_sessions) as s:
            directory().record_use(s, token, web_session)

    def read(self) -> AbstractContextManager[Session]:
        return self._unit(self.read_sessions)

    def write(self) -> AbstractContextManager[Session]:
        return self._unit(self.write_sessions)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return value.strip()


async def authenticate(request: Request) -> Ctx:
    """Read the request's credential (bearer token or session cookie); 401 without one.

    Async and free of I/O, so FastAPI does not hop to a worker thread for it; the
    credential is checked against the database when the handler opens its unit of work.
    """
    secret = _bearer(request)
    cookie = None if secret is not None else request.cookies.get(SESSION_COOKIE)
    if secret is None and not cookie:
        raise Unauthenticated("log in or send 'Authorization: Bearer <token>'")
    write, read = makers(request)
    return Ctx(Credential(secret, cookie, request.method, request.headers.get(CSRF_HEADER)),
               write, read)


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _needing(ctx: Ctx, scopes: set[TokenScope], message: str) -> Ctx:
    ctx.credential.needs, ctx.credential.needs_message = frozenset(scopes), message
    return ctx


# Each takes the request itself rather than depending on `authenticate`: one dependency
# to solve per request instead of two.


async def reader(request: Request) -> Ctx:
    """Any read: sessions, read, write and admin tokens."""
    return _needing(await authenticate(request),
                    {TokenScope.READ, TokenScope.WRITE, TokenScope.ADMIN},
                    "this token may only check in")


async def writer(request: Request) -> Ctx:
    """Any write but check-ins: sessions, write and admin tokens."""
    return _needing(await authenticate(request), {TokenScope.WRITE, TokenScope.ADMIN},
                    "this token's scopes do not allow writes")


async def checkiner(request: Request) -> Ctx:
    """Check-ins: sessions, write, admin and check-in tokens."""
    return _needing(await authenticate(request),
                    {TokenScope.CHECKIN, TokenScope.WRITE, TokenScope.ADMIN},
                    "this token's scopes do not allow check-ins")


async def token_manager(request: Request) -> Ctx:
    """Managing tokens: sessions and admin tokens only (a read or check-in token that
    leaked must not be able to revoke the others)."""
    return _needing(await authenticate(request), {TokenScope.ADMIN},
                    "managing tokens needs a logged-in session or a token with the "
                    "admin scope")


Reader = Annotated[Ctx, Depends(reader)]
Writer = Annotated[Ctx, Depends(writer)]
Checkiner = Annotated[Ctx, Depends(checkiner)]
TokenManager = Annotated[Ctx, Depends(token_manager)]
Authenticated = Annotated[Ctx, Depends(authenticate)]

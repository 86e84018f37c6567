"""Use-cases of accounts and access (never commits; the request boundary does).

Secrets: passwords are hashed with argon2id (pwdlib); session ids, API tokens and reset
tokens are 256-bit random values of which only the SHA-256 is stored, so a database leak
yields nothing that logs in. Hash comparisons go through the database index, and the
CSRF token is compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steerco.accounts.errors import IdempotencyMismatch, Throttled
from steerco.accounts.repository import (
    CredentialRepository,
    GrantRepository,
    IdempotencyRepository,
    TokenRepository,
)
from steerco.accounts.schemas import CredentialSet, GrantCreate, TokenCreate
from steerco.db.enums import AuditAction
from steerco.db.models import (
    ApiToken,
    AuditEntry,
    Credential,
    IdempotencyKey,
    LoginThrottle,
    OutboxMessage,
    PasswordReset,
    Person,
    RoleGrant,
    WebSession,
)
from steerco.db.models.accounts import Role, TokenScope
from steerco.kit import clock
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import parse_id
from steerco.kit.validation import parse
from steerco.org.service import optional_org_unit, require_person

HASHER = PasswordHash((Argon2Hasher(),))
#: A precomputed hash verified against when the login is unknown, so an unknown login
#: costs the same time as a wrong password (no user enumeration by timing).
_DUMMY_HASH = HASHER.hash("not a password of anyone")

SESSION_IDLE = dt.timedelta(hours=12)
SESSION_MAX = dt.timedelta(days=7)
#: last_seen_at / last_used_at are written at most this often (a write per request
#: would serialise every client of one token on one row).
TOUCH_EVERY = dt.timedelta(seconds=60)
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = dt.timedelta(minutes=15)
THROTTLE_LOCK = dt.timedelta(minutes=15)
RESET_TTL = dt.timedelta(hours=1)
TOKEN_PREFIX = "stc_"


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (session id, API token, reset token)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored UTC.
    if t is None or t.tzinfo is not None:
        return t
    return t.replace(tzinfo=dt.UTC)


def grant_id(key: int) -> str:
    return f"grt_{key}"


def token_id(key: int) -> str:
    return f"tok_{key}"


def parse_prefixed(value: str, prefix: str, field: str) -> int:
    """Parse `grt_5`/`tok_5` style ids of the accounts tables."""
    head, sep, rest = value.partition("_")
    if sep and head == prefix and rest.isdigit() and len(rest) < 19:
        return int(rest)
    raise ValidationFailed(FieldError(field, f"{value!r} is not an id like '{prefix}_12'",
                                      value))


def _audit(session: Session, workspace_id: int, entity: str, key: int, action: AuditAction,
           changes: dict[str, Any]) -> None:
    """Write an audit entry by hand for tables the flush listener deliberately skips."""
    session.add(AuditEntry(workspace_id=workspace_id, entity=entity, entity_id=key,
                           action=action, actor=str(session.info.get("actor", "system")),
                           at=clock.now(), changes=changes))


# --- credentials and login -------------------------------------------------------------


def normalise_login(login: str) -> str:
    return login.strip().lower()


def set_credential(session: Session, workspace_id: int, person_ref: Any,
                   data: CredentialSet | dict[str, Any]) -> Credential:
    """Give a person of this workspace a login and password (replacing any old one)."""
    body = parse(CredentialSet, data)
    person = require_person(session, workspace_id, person_ref, "person_id")
    repo = CredentialRepository(session)
    login = normalise_login(body.login)
    other = repo.by_login(login)
    if other is not None and other.person_id != person.id:
        raise ValidationFailed(FieldError("login", "this login is taken", body.login))
    cred = repo.by_person(person.id)
    now = clock.now()
    if cred is None:
        cred = Credential(workspace_id=workspace_id, person_id=person.id, login=login,
                          password_hash=HASHER.hash(body.password), created_at=now,
                          password_changed_at=now)
        session.add(cred)
        session.flush()
        _audit(session, workspace_id, "credentials", cred.id, AuditAction.CREATE,
               {"person_id": person.id, "login": login})
    else:
        cred.login = login
        cred.password_hash = HASHER.hash(body.password)
        cred.password_changed_at = now
        repo.end_sessions_of(person.id)
        _audit(session, workspace_id, "credentials", cred.id, AuditAction.UPDATE,
               {"login": login, "password": "changed"})
    session.flush()
    return cred


@dataclass(frozen=True)
class LoginResult:
    """Either a credential (success) or why not; failures must be committed too."""

    credential: Credential | None
    retry_after: int | None = None


def _throttle_row(session: Session, login: str, now: dt.datetime,
                  workspace_id: int | None) -> LoginThrottle:
    repo = CredentialRepository(session)
    row = repo.throttle(login)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(login=login, failures=0, window_start=now,
                                workspace_id=workspace_id)
            session.add(row)
        return row
    except IntegrityError:  # a concurrent first failure created it
        found = repo.throttle(login)
        assert found is not None
        return found


def authenticate(session: Session, login: str, password: str,
                 now: dt.datetime | None = None) -> LoginResult:
    """Check a password, counting failures per login; a locked login is refused outright.

    After THROTTLE_FAILURES failures inside THROTTLE_WINDOW the login is locked for
    THROTTLE_LOCK, even for the right password (so guessing cannot continue). Unknown
    logins are counted the same way and cost the same time.
    """
    now = now or clock.now()
    key = normalise_login(login)[:320]
    repo = CredentialRepository(session)
    throttle = repo.throttle(key)
    if throttle is not None:
        locked = _aware(throttle.locked_until)
        if locked is not None and locked > now:
            return LoginResult(None, max(1, int((locked - now).total_seconds())))
    cred = repo.by_login(key)
    ok, rehashed = HASHER.verify_and_update(password,
                                            cred.password_hash if cred else _DUMMY_HASH)
    if ok and cred is not None:
        if throttle is not None:
            session.delete(throttle)
        if rehashed is not None:
            cred.password_hash = rehashed
        session.flush()
        return LoginResult(cred)
    row = _throttle_row(session, key, now, cred.workspace_id if cred else None)
    start = _aware(row.window_start) or now
    if now - start > THROTTLE_WINDOW:
        row.window_start, row.failures = now, 0
    row.failures += 1
    if row.failures >= THROTTLE_FAILURES:
        row.locked_until = now + THROTTLE_LOCK
    session.flush()
    return LoginResult(None)


def check_throttle(result: LoginResult) -> None:
    """Raise Throttled when the login is locked."""
    if result.retry_after is not None:
        raise Throttled(f"too many failed logins; try again in {result.retry_after} s",
                        result.retry_after)


def change_password(session: Session, person_id: int, current: str, new: str) -> None:
    """Change one's own password (the current one is required); other sessions end."""
    repo = CredentialRepository(session)
    cred = repo.by_person(person_id)
    if cred is None or not HASHER.verify(current, cred.password_hash):
        raise ValidationFailed(FieldError("current_password", "is not your password"))
    cred.password_hash = HASHER.hash(new)
    cred.password_changed_at = clock.now()
    repo.end_sessions_of(person_id)
    _audit(session, cred.workspace_id, "credentials", cred.id, AuditAction.UPDATE,
           {"password": "changed"})
    session.flush()


# --- sessions --------------------------------------------------------------------------


def create_session(session: Session, cred: Credential,
                   now: dt.datetime | None = None) -> tuple[str, WebSession]:
    """Start a new server-side session; return (cookie value, row). Always a fresh id."""
    now = now or clock.now()
    value = secrets.token_urlsafe(32)
    row = WebSession(id=digest(value), workspace_id=cred.workspace_id,
                     person_id=cred.person_id, csrf_token=secrets.token_urlsafe(32),
                     created_at=now, expires_at=now + SESSION_IDLE, last_seen_at=now)
    session.add(row)
    session.flush()
    return value, row


def end_session(session: Session, cookie_value: str | None) -> None:
    """Delete the session behind a cookie value (no error when there is none)."""
    if not cookie_value:
        return
    row = CredentialRepository(session).session_by_hash(digest(cookie_value))
    if row is not None:
        session.delete(row)
        session.flush()


def touch_session(session: Session, key: str, now: dt.datetime | None = None) -> None:
    """Slide a session's idle expiry (at most once a minute), within its maximum age."""
    now = now or clock.now()
    row = session.get(WebSession, key)
    if row is not None:
        created = _aware(row.created_at) or now
        row.last_seen_at = now
        row.expires_at = min(now + SESSION_IDLE, created + SESSION_MAX)
        session.flush()


# --- API tokens ------------------------------------------------------------------------


def create_token(session: Session, workspace_id: int, person_id: int,
                 data: TokenCreate | dict[str, Any],
                 now: dt.datetime | None = None) -> tuple[str, ApiToken]:
    """Issue a token for `person_id`; return (the secret, shown once; the row)."""
    body = parse(TokenCreate, data)
    now = now or clock.now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = None if body.expires_in_days is None else now + dt.timedelta(
        days=body.expires_in_days)
    row = ApiToken(workspace_id=workspace_id, person_id=person_id, name=body.name,
                   prefix=secret[:10], token_hash=digest(secret),
                   scopes=sorted({s.value for s in body.scopes}), created_at=now,
                   expires_at=expires)
    session.add(row)
    session.flush()
    _audit(session, workspace_id, "api_tokens", row.id, AuditAction.CREATE,
           {"name": row.name, "person_id": person_id, "scopes": row.scopes,
            "expires_at": expires.isoformat() if expires else None})
    return secret, row


def touch_token(session: Session, key: int, now: dt.datetime | None = None) -> None:
    """Record that a token was used (called at most once a minute per token)."""
    row = session.get(ApiToken, key)
    if row is not None:
        row.last_used_at = now or clock.now()
        session.flush()


@dataclass(frozen=True)
class Resolved:
    """Who a request's credential names: its person, grants and scopes, until when that
    holds (`valid_until`) and when its use is next worth recording (`touch_due`), both as
    POSIX timestamps."""

    workspace_id: int
    person_id: int
    token_id: int | None
    session_key: str | None
    scopes: frozenset[TokenScope]
    grants: list[tuple[Role, int | None]]
    csrf_token: str | None
    valid_until: float
    touch_due: float


_FOREVER = float("inf")


def resolve_credential(session: Session, secret: str | None, cookie: str | None,
                       now: dt.datetime | None = None) -> Resolved | None:
    """Resolve a bearer token (preferred) or a session cookie with its grants in one
    query; None when the credential is unknown, revoked, expired or idle."""
    now = now or clock.now()
    repo = CredentialRepository(session)
    if secret is not None:
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        rows = repo.token_with_grants(digest(secret))
        if not rows or rows[0].revoked_at is not None:
            return None
        t = rows[0]
        expires = _aware(t.expires_at)
        if expires is not None and expires <= now:
            return None
        last = _aware(t.last_used_at)
        return Resolved(
            t.workspace_id, t.person_id, t.id, None,
            frozenset(TokenScope(v) for v in t.scopes if v in TokenScope._value2member_map_),
            [(Role(r.role), r.org_unit_id) for r in rows if r.role is not None], None,
            valid_until=expires.timestamp() if expires is not None else _FOREVER,
            touch_due=0.0 if last is None else (last + TOUCH_EVERY).timestamp())
    if cookie is None or len(cookie) > 200:
        return None
    rows = repo.session_with_grants(digest(cookie))
    if not rows:
        return None
    w = rows[0]
    expires, created = _aware(w.expires_at), _aware(w.created_at)
    assert expires is not None and created is not None
    if expires <= now or now - created > SESSION_MAX:
        return None
    seen = _aware(w.last_seen_at)
    return Resolved(
        w.workspace_id, w.person_id, None, w.id, frozenset(TokenScope),
        [(Role(r.role), r.org_unit_id) for r in rows if r.role is not None], w.csrf_token,
        valid_until=min(expires, created + SESSION_MAX).timestamp(),
        touch_due=0.0 if seen is None else (seen + TOUCH_EVERY).timestamp())


def list_tokens(session: Session, workspace_id: int, person_id: int) -> list[ApiToken]:
    return list(TokenRepository(session, workspace_id).of_person(person_id))


def find_token(session: Session, workspace_id: int, token_ref: str) -> ApiToken:
    """A token of this workspace by its public id, or NotFound."""
    key = parse_prefixed(token_ref, "tok", "token_id")
    row = TokenRepository(session, workspace_id).find(key)
    if row is None:
        raise NotFound("token", token_ref)
    return row


def revoke_token(session: Session, row: ApiToken, now: dt.datetime | None = None) -> ApiToken:
    """Revoke a token; it stops working with the next request (idempotent)."""
    if row.revoked_at is None:
        row.revoked_at = now or clock.now()
        _audit(session, row.workspace_id, "api_tokens", row.id, AuditAction.UPDATE,
               {"revoked_at": [None, row.revoked_at.isoformat()]})
        session.flush()
    return row


# --- role grants -----------------------------------------------------------------------


def grants_of(session: Session, workspace_id: int, person_id: int) -> list[RoleGrant]:
    return list(GrantRepository(session, workspace_id).of_person(person_id))


def add_grant(session: Session, workspace_id: int,
              data: GrantCreate | dict[str, Any]) -> RoleGrant:
    """Grant a role in the workspace or in one org-unit subtree (idempotent)."""
    body = parse(GrantCreate, data)
    person = require_person(session, workspace_id, body.person_id, "person_id")
    unit = optional_org_unit(session, workspace_id, body.org_unit_id, "org_unit_id")
    repo = GrantRepository(session, workspace_id)
    found = repo.same(person.id, body.role.value, unit.id if unit else None)
    if found is not None:
        return found
    return repo.add(RoleGrant(workspace_id=workspace_id, person_id=person.id, role=body.role,
                              org_unit_id=unit.id if unit else None))


def find_grant(session: Session, workspace_id: int, grant_ref: str) -> RoleGrant:
    key = parse_prefixed(grant_ref, "grt", "grant_id")
    row = GrantRepository(session, workspace_id).find(key)
    if row is None:
        raise NotFound("grant", grant_ref)
    return row


def remove_grant(session: Session, row: RoleGrant) -> None:
    session.delete(row)
    session.flush()


def unit_parents(session: Session, workspace_id: int) -> dict[int, int | None]:
    return GrantRepository(session, workspace_id).unit_parents()


# --- password reset --------------------------------------------------------------------


def request_password_reset(session: Session, login: str,
                           now: dt.datetime | None = None) -> str | None:
    """Issue a single-use reset token into the outbox; None (silently) for unknown logins.

    The caller answers the same way either way, so the endpoint reveals nothing about
    which logins exist.
    """
    now = now or clock.now()
    cred = CredentialRepository(session).by_login(normalise_login(login))
    if cred is None:
        return None
    secret = secrets.token_urlsafe(32)
    session.add(PasswordReset(workspace_id=cred.workspace_id, credential_id=cred.id,
                              token_hash=digest(secret),
                              created_at=now, expires_at=now + RESET_TTL))
    session.add(OutboxMessage(workspace_id=cred.workspace_id, kind="password_reset",
                              recipient=cred.login, created_at=now,
                              payload={"token": secret, "expires_at":
                                       (now + RESET_TTL).isoformat(),
                                       "person_id": cred.person_id}))
    session.flush()
    return secret


def confirm_password_reset(session: Session, token: str, new_password: str,
                           now: dt.datetime | None = None) -> Credential:
    """Set a new password with a reset token: once, before it expires; sessions end."""
    now = now or clock.now()
    repo = CredentialRepository(session)
    row = repo.reset_by_hash(digest(token))
    expires = _aware(row.expires_at) if row else None
    if row is None or row.used_at is not None or expires is None or expires <= now:
        raise ValidationFailed(FieldError("token", "invalid, used or expired reset token"))
    row.used_at = now
    cred = session.get(Credential, row.credential_id)
    assert cred is not None  # the foreign key cascades
    cred.password_hash = HASHER.hash(new_password)
    cred.password_changed_at = now
    repo.end_sessions_of(cred.person_id)
    session.info.setdefault("actor", f"per_{cred.person_id}")
    _audit(session, cred.workspace_id, "credentials", cred.id, AuditAction.UPDATE,
           {"password": "reset"})
    session.flush()
    return cred


# --- idempotency -----------------------------------------------------------------------


def request_hash(body: Any) -> str:
    import json

    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def stored_response(session: Session, workspace_id: int, principal: str, key: str,
                    body_hash: str) -> IdempotencyKey | None:
    """The stored answer of an earlier request with this key, or None.

    The same key with a different body is refused: it is a client bug, not a retry.
    """
    row = IdempotencyRepository(session, workspace_id).find(principal, key)
    if row is not None and row.request_hash != body_hash:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used with a different request body",
            [FieldError("Idempotency-Key", "reused with a different body")])
    return row


def store_response(session: Session, workspace_id: int, principal: str, key: str,
                   body_hash: str, status_code: int, response: dict[str, Any]) -> None:
    """Remember the answer in the same transaction as the writes it describes."""
    session.add(IdempotencyKey(workspace_id=workspace_id, principal=principal, key=key,
                               request_hash=body_hash, status_code=status_code,
                               response=response, created_at=clock.now()))
    session.flush()


# --- first admin -----------------------------------------------------------------------


def create_admin(session: Session, workspace_id: int, email: str, name: str,
                 password: str) -> Person:
    """Create (or reuse) a person, give them a login and a workspace-wide admin grant."""
    from steerco.org.repository import PersonRepository
    from steerco.org.service import create_person

    person = PersonRepository(session, workspace_id).by_email(email)
    if person is None:
        person = create_person(session, workspace_id, {"name": name, "email": email})
    set_credential(session, workspace_id, person.id, {"login": email, "password": password})
    add_grant(session, workspace_id, {"person_id": person.id, "role": Role.ADMIN.value})
    return person


def parse_person(ref: Any, field: str = "person_id") -> int:
    return parse_id(ref, "person", field)

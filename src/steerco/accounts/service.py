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
    OutboxMessage,
    PasswordReset,
    Person,
    RoleGrant,
    WebSession,
)
from steerco.db.models.accounts import Role, TokenScope
from steerco.kit import clock
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import parse_id, parse_key
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
#: Reset requests allowed per login, and per client address, inside RESET_WINDOW.
RESET_PER_LOGIN = 3
RESET_PER_ADDRESS = 50
RESET_WINDOW = dt.timedelta(minutes=15)
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
    key = parse_key(rest) if sep and head == prefix else None
    if key is not None:
        return key
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
    person = require_person(session, workspace_id, person_ref, "person_id", active=False)
    repo = CredentialRepository(session)
    login = normalise_login(body.login)
    # Logins are unique per workspace, so only this workspace's are compared: whether a
    # login exists elsewhere is never revealed.
    other = repo.by_login_in(workspace_id, login)
    if other is not None and other.person_id != person.id:
        raise ValidationFailed(FieldError("login", "another person here has this login",
                                          body.login))
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
        _void_resets(session, cred.id, now)
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


def authenticate(session: Session, login: str, password: str,
                 now: dt.datetime | None = None) -> LoginResult:
    """Check a password, counting attempts per login; a locked login is refused outright.

    The attempt is counted (atomically, before the password is checked), so however many
    guesses arrive at once, at most THROTTLE_FAILURES passwords are checked inside
    THROTTLE_WINDOW; the last failure locks the login for THROTTLE_LOCK, even for the
    right password. Unknown logins are counted the same way and cost the same time. A
    deactivated person's password is checked but never lets them in.
    """
    now = now or clock.now()
    key = normalise_login(login)[:320]
    repo = CredentialRepository(session)
    attempts, locked = repo.count_attempt(key, now, THROTTLE_WINDOW)
    locked = _aware(locked)
    if locked is not None and locked > now:
        return LoginResult(None, max(1, int((locked - now).total_seconds())))
    if attempts > THROTTLE_FAILURES:  # guesses raced past the lock: lock and refuse
        repo.lock(key, now + THROTTLE_LOCK)
        return LoginResult(None, int(THROTTLE_LOCK.total_seconds()))
    found = None
    candidates = repo.by_login(key)
    for cred, active in candidates:
        ok, rehashed = HASHER.verify_and_update(password, cred.password_hash)
        if ok and active and found is None:
            found = cred
            if rehashed is not None:
                cred.password_hash = rehashed
    if not candidates:
        HASHER.verify(password, _DUMMY_HASH)
    if found is not None:
        repo.clear_attempts(key)
        session.flush()
        return LoginResult(found)
    if attempts >= THROTTLE_FAILURES:
        repo.lock(key, now + THROTTLE_LOCK)
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
    _void_resets(session, cred.id, cred.password_changed_at)
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


def end_access(session: Session, workspace_id: int, person_id: int,
               now: dt.datetime | None = None) -> None:
    """End everything that lets a person in: their web sessions (deleted) and API tokens
    (revoked, so reactivating them does not bring old tokens back). The credential cache
    of every process forgets them when this commits (steerco.accounts.cache)."""
    now = now or clock.now()
    CredentialRepository(session).end_sessions_of(person_id)
    for row in TokenRepository(session, workspace_id).of_person(person_id):
        revoke_token(session, row, now)


def update_person(session: Session, workspace_id: int, key: int, data: Any) -> Person:
    """Change a person (steerco.org.service.update_person); deactivating them ends their
    sessions and tokens in the same transaction."""
    from steerco.org.service import update_person as change

    person = change(session, workspace_id, key, data)
    if not person.active:
        end_access(session, workspace_id, person.id)
    return person


# --- role grants -----------------------------------------------------------------------


def grants_of(session: Session, workspace_id: int, person_id: int) -> list[RoleGrant]:
    return list(GrantRepository(session, workspace_id).of_person(person_id))


def add_grant(session: Session, workspace_id: int,
              data: GrantCreate | dict[str, Any]) -> RoleGrant:
    """Grant a role in the workspace or in one org-unit subtree (idempotent)."""
    body = parse(GrantCreate, data)
    person = require_person(session, workspace_id, body.person_id, "person_id", active=False)
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


def _void_resets(session: Session, credential_id: int, now: dt.datetime) -> None:
    """Use up every outstanding reset token of a credential (on a reset and on any
    password change: an older link must not work after a newer one or a new password)."""
    for row in CredentialRepository(session).outstanding_resets(credential_id):
        row.used_at = now


def throttle_reset(session: Session, login: str, address: str,
                   now: dt.datetime | None = None) -> None:
    """Count a reset request per login and per client address; raise Throttled past
    RESET_PER_LOGIN / RESET_PER_ADDRESS inside RESET_WINDOW. Known and unknown logins
    are counted alike, so the answer reveals nothing."""
    now = now or clock.now()
    repo = CredentialRepository(session)
    # A space cannot be part of a login, so these keys never meet a login's own row.
    for key, limit in ((f"reset {normalise_login(login)}", RESET_PER_LOGIN),
                       (f"reset-from {address}", RESET_PER_ADDRESS)):
        attempts, _ = repo.count_attempt(key[:320], now, RESET_WINDOW)
        if attempts > limit:
            wait = int(RESET_WINDOW.total_seconds())
            raise Throttled(f"too many password reset requests; try again in {wait} s",
                            wait)


def request_password_reset(session: Session, login: str,
                           now: dt.datetime | None = None) -> list[str]:
    """Issue a single-use reset token into the outbox for each credential with this login
    (one per workspace that has it); nothing, silently, for unknown logins.

    The endpoint answers before this runs (a background task), so neither what it
    answers nor how fast reveals which logins exist.
    """
    now = now or clock.now()
    secrets_out = [issue_reset(session, cred, now)
                   for cred, active in CredentialRepository(session).by_login(
                       normalise_login(login)) if active]
    session.flush()
    return secrets_out


def issue_reset(session: Session, cred: Credential, now: dt.datetime | None = None) -> str:
    """Queue a single-use reset link for one credential in the outbox; return its secret.

    The message names its person (`person_name`) so that a body rendered from it never
    shows an id."""
    now = now or clock.now()
    secret = secrets.token_urlsafe(32)
    person = session.get(Person, cred.person_id)
    session.add(PasswordReset(workspace_id=cred.workspace_id, credential_id=cred.id,
                              token_hash=digest(secret),
                              created_at=now, expires_at=now + RESET_TTL))
    session.add(OutboxMessage(workspace_id=cred.workspace_id, kind="password_reset",
                              recipient=cred.login, created_at=now,
                              payload={"token": secret, "expires_at":
                                       (now + RESET_TTL).isoformat(),
                                       "person_id": cred.person_id,
                                       "person_name": person.name if person else None}))
    session.flush()
    return secret


def send_reset_link(session: Session, workspace_id: int, person_id: int) -> str:
    """An admin sends a person a link to set their own password (their login must exist)."""
    cred = CredentialRepository(session).by_person(person_id)
    if cred is None or cred.workspace_id != workspace_id:
        raise ValidationFailed(FieldError("login", "this person has no login yet; set a "
                                                   "login first"))
    return issue_reset(session, cred)


def confirm_password_reset(session: Session, token: str, new_password: str,
                           now: dt.datetime | None = None) -> Credential:
    """Set a new password with a reset token: once, before it expires, and only if it
    is newer than the password; every other outstanding token dies; sessions end."""
    now = now or clock.now()
    repo = CredentialRepository(session)
    row = repo.reset_by_hash(digest(token))
    expires = _aware(row.expires_at) if row else None
    cred = session.get(Credential, row.credential_id) if row is not None else None
    changed = _aware(cred.password_changed_at) if cred is not None else None
    created = _aware(row.created_at) if row is not None else None
    if (row is None or cred is None or row.used_at is not None or expires is None
            or expires <= now or (changed is not None and created is not None
                                  and created < changed)):
        raise ValidationFailed(FieldError("token", "invalid, used or expired reset token"))
    cred.password_hash = HASHER.hash(new_password)
    cred.password_changed_at = now
    _void_resets(session, cred.id, now)
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

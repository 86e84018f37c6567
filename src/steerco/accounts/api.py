"""JSON routes of accounts and access: login, sessions, API tokens, role grants, audit."""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response
from pydantic import BaseModel

from steerco.accounts import service as accounts
from steerco.accounts.errors import Forbidden, Unauthenticated
from steerco.accounts.repository import AuditRepository
from steerco.accounts.schemas import (
    CredentialSet,
    GrantCreate,
    GrantRead,
    LoginIn,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    SessionRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from steerco.authz import scopes
from steerco.db.engine import unit_of_work
from steerco.db.models import ApiToken, RoleGrant
from steerco.db.models.accounts import Role, TokenScope
from steerco.http.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Authenticated,
    Reader,
    TokenManager,
    Writer,
    makers,
)
from steerco.http.items import IdPath
from steerco.http.rest import (
    AUTH_ERRORS,
    CURSOR,
    LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    Problem,
    aware,
    decode_cursor,
    encode_cursor,
    optional_unit,
    path_key,
    ref_filter,
)
from steerco.kit.errors import NotFound
from steerco.kit.ids import KINDS, format_id, parse_any
from steerco.org.repository import PersonRepository

router = APIRouter(tags=["accounts"])


def _grant_read(g: RoleGrant) -> GrantRead:
    return GrantRead(id=accounts.grant_id(g.id), person_id=format_id("person", g.person_id),
                     role=g.role, org_unit_id=None if g.org_unit_id is None
                     else format_id("org_unit", g.org_unit_id), version=g.version,
                     created_at=aware(g.created_at))


def _token_read(t: ApiToken, cls: type[TokenRead] = TokenRead, **extra: Any) -> Any:
    return cls(id=accounts.token_id(t.id), name=t.name, prefix=t.prefix,
               person_id=format_id("person", t.person_id),
               scopes=[TokenScope(x) for x in t.scopes], created_at=aware(t.created_at),
               expires_at=aware(t.expires_at), revoked_at=aware(t.revoked_at),
               last_used_at=aware(t.last_used_at),
               **extra)


def _session_read(ctx_ws: int, person_id: int, name: str, grants: list[RoleGrant],
                  csrf: str | None, via: str, scopes_: set[TokenScope]) -> SessionRead:
    return SessionRead(person_id=format_id("person", person_id),
                       workspace_id=format_id("workspace", ctx_ws), name=name,
                       csrf_token=csrf, roles=[_grant_read(g) for g in grants], via=via,
                       scopes=sorted(scopes_))


@router.post("/auth/login", response_model=SessionRead,
             responses={**AUTH_ERRORS, 429: {"model": Problem,
                                              "description": "Too many failed logins"}},
             summary="Log in with a password: sets the session cookie (HttpOnly, SameSite)")
def login(body: LoginIn, request: Request, response: Response) -> SessionRead:
    write, _ = makers(request)
    # Never reuse a session id the client brings (session fixation): the old one ends.
    with unit_of_work(write) as s:
        accounts.end_session(s, request.cookies.get(SESSION_COOKIE))
        result = accounts.authenticate(s, body.login, body.password)
    accounts.check_throttle(result)
    if result.credential is None:
        raise Unauthenticated("wrong login or password")
    cred = result.credential
    with unit_of_work(write) as s:
        s.info["actor"] = format_id("person", cred.person_id)
        value, row = accounts.create_session(s, cred)
        person = PersonRepository(s, cred.workspace_id).find(cred.person_id)
        grants = accounts.grants_of(s, cred.workspace_id, cred.person_id)
        out = _session_read(cred.workspace_id, cred.person_id, person.name if person else "",
                            grants, row.csrf_token, "session", set(TokenScope))
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/",
                        max_age=int(accounts.SESSION_MAX.total_seconds()))
    return out


@router.post("/auth/logout", status_code=204, response_class=Response,
             responses={422: AUTH_ERRORS[422]}, summary="End the session (idempotent)")
def logout(request: Request) -> Response:
    write, _ = makers(request)
    with unit_of_work(write) as s:
        accounts.end_session(s, request.cookies.get(SESSION_COOKIE))
    out = Response(status_code=204)
    out.delete_cookie(SESSION_COOKIE, path="/")
    return out


@router.get("/auth/session", response_model=SessionRead, responses=AUTH_ERRORS,
            summary=f"Who you are, your roles, and the {CSRF_HEADER} for cookie writes")
def whoami(ctx: Authenticated) -> SessionRead:
    p = ctx.principal
    with ctx.read() as s:
        person = PersonRepository(s, ctx.ws).find(p.person_id)
        grants = accounts.grants_of(s, ctx.ws, p.person_id)
        return _session_read(ctx.ws, p.person_id, person.name if person else "", grants,
                             p.csrf_token, "token" if p.token_id else "session",
                             set(p.scopes))


@router.post("/auth/password", status_code=204, response_class=Response,
             responses=AUTH_ERRORS, summary="Change your own password (ends other sessions)")
def change_password(body: PasswordChange, ctx: Authenticated) -> Response:
    if ctx.principal.token_id is not None:
        raise Forbidden("log in with your password to change it")
    with ctx.write() as s:
        accounts.change_password(s, ctx.principal.person_id, body.current_password,
                                 body.new_password)
    return Response(status_code=204)


@router.post("/auth/password-reset", status_code=202, response_class=Response,
             responses={422: AUTH_ERRORS[422],
                        429: {"model": Problem, "description": "Too many reset requests"}},
             summary="Send a single-use reset link (the same answer for unknown logins)")
def password_reset(body: PasswordResetRequest, request: Request,
                   background: BackgroundTasks) -> Response:
    write, _ = makers(request)
    address = request.client.host if request.client else "unknown"
    with unit_of_work(write) as s:
        accounts.throttle_reset(s, body.login, address)
    # The login is looked up after the answer is sent: the same answer, as fast, whether
    # or not it exists.
    background.add_task(_send_reset, write, body.login)
    return Response(status_code=202)


def _send_reset(write: Any, login: str) -> None:
    with unit_of_work(write) as s:
        s.info["actor"] = "password-reset"
        accounts.request_password_reset(s, login)


@router.post("/auth/password-reset/confirm", status_code=204, response_class=Response,
             responses={422: AUTH_ERRORS[422]},
             summary="Set a new password with a reset token (once, before it expires)")
def password_reset_confirm(body: PasswordResetConfirm, request: Request) -> Response:
    write, _ = makers(request)
    with unit_of_work(write) as s:
        accounts.confirm_password_reset(s, body.token, body.new_password)
    return Response(status_code=204)


@router.get("/tokens", response_model=list[TokenRead], responses=AUTH_ERRORS,
            summary="Your API tokens (never their secrets)")
def list_tokens(ctx: Reader) -> list[TokenRead]:
    with ctx.read() as s:
        return [_token_read(t) for t in
                accounts.list_tokens(s, ctx.ws, ctx.principal.person_id)]


@router.post("/tokens", status_code=201, response_model=TokenCreated, responses=WRITE_ERRORS,
             summary="Create an API token for yourself: the secret is shown once")
def create_token(body: TokenCreate, ctx: Writer) -> TokenCreated:
    if ctx.principal.token_id is not None:
        raise Forbidden("tokens are created from a logged-in session, not by other tokens")
    with ctx.write() as s:
        secret, row = accounts.create_token(s, ctx.ws, ctx.principal.person_id, body)
        out: TokenCreated = _token_read(row, TokenCreated, token=secret)
        return out


@router.delete("/tokens/{id}", status_code=204, response_class=Response,
               responses=WRITE_ERRORS,
               summary="Revoke a token (yours; admins: anyone's); effective immediately. "
                       "Needs a session or a token with the admin scope")
def revoke_token(id: IdPath, ctx: TokenManager) -> Response:
    with ctx.write() as s:
        try:
            row = accounts.find_token(s, ctx.ws, id)
        except Exception as exc:
            raise NotFound("token", id) from exc
        if row.person_id != ctx.principal.person_id:
            ctx.principal.require_role(Role.ADMIN)
        accounts.revoke_token(s, row)
    return Response(status_code=204)


@router.get("/grants", response_model=list[GrantRead], responses=READ_ERRORS,
            summary="Role grants of a person (default: yours)")
def list_grants(ctx: Reader,
                person_id: Annotated[str | None, Query(max_length=40)] = None,
                ) -> list[GrantRead]:
    key = ref_filter(person_id, "person", "person_id") or ctx.principal.person_id
    with ctx.read() as s:
        return [_grant_read(g) for g in accounts.grants_of(s, ctx.ws, key)]


@router.post("/grants", status_code=201, response_model=GrantRead, responses=WRITE_ERRORS,
             summary="Grant a role in the workspace or an org-unit subtree (admins)")
def post_grant(body: GrantCreate, ctx: Writer) -> GrantRead:
    with ctx.write() as s:
        unit = optional_unit(body.org_unit_id)
        ctx.principal.require(s, "admin", unit)
        person = PersonRepository(s, ctx.ws).find(
            ref_filter(str(body.person_id), "person", "person_id") or 0)
        if person is not None:
            ctx.principal.require_over_person(s, person.id)
        return _grant_read(accounts.add_grant(s, ctx.ws, body))


@router.delete("/grants/{id}", status_code=204, response_class=Response,
               responses=WRITE_ERRORS, summary="Withdraw a role grant (admins)")
def delete_grant(id: IdPath, ctx: Writer) -> Response:
    with ctx.write() as s:
        try:
            row = accounts.find_grant(s, ctx.ws, id)
        except Exception as exc:
            raise NotFound("grant", id) from exc
        ctx.principal.require(s, "admin", row.org_unit_id)
        ctx.principal.require_over_person(s, row.person_id)
        accounts.remove_grant(s, row)
    return Response(status_code=204)


@router.put("/people/{id}/credential", status_code=204, response_class=Response,
            responses=WRITE_ERRORS, summary="Set a person's login and password (admins)")
def put_credential(id: IdPath, body: CredentialSet, ctx: Writer) -> Response:
    key = path_key(id, "person")
    with ctx.write() as s:
        person = PersonRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "admin", scopes.of_person(s, ctx.ws, person).unit)
        ctx.principal.require_over_person(s, person.id)
        accounts.set_credential(s, ctx.ws, key, body)
    return Response(status_code=204)


# --- the audit log ---------------------------------------------------------------------

TABLES = {
    "org_unit": "org_units", "person": "people", "theme": "themes",
    "objective": "objectives", "metric": "metrics", "measurement": "measurements",
    "causal_link": "causal_links", "initiative": "initiatives", "milestone": "milestones",
    "dependency": "dependencies", "budget_line": "budget_lines",
    "ledger_entry": "ledger_entries", "benefit": "planned_benefits", "rule": "rules",
    "escalation": "escalations", "decision": "decisions", "review": "reviews",
    "grant": "role_grants", "token": "api_tokens",
}


class AuditRead(BaseModel):
    id: int
    entity: str
    entity_id: str
    action: str
    actor: str
    at: dt.datetime
    changes: dict[str, Any]


def _entity_of(ref: str) -> tuple[str, int]:
    head = ref.partition("_")[0]
    if head == "grt":
        return "grant", accounts.parse_prefixed(ref, "grt", "entity_id")
    if head == "tok":
        return "token", accounts.parse_prefixed(ref, "tok", "entity_id")
    if head not in KINDS or KINDS[head] == "workspace":
        raise NotFound("entity", ref)
    kind, key = parse_any(ref, "entity_id")
    return kind, key


@router.get("/audit/{entity_id}", response_model=Page[AuditRead], responses=READ_ERRORS,
            tags=["audit"], summary="The audit log of one entity, oldest first")
def audit_log(entity_id: Annotated[str, Path(max_length=40)], ctx: Reader,
              limit: int = LIMIT, cursor: str | None = CURSOR) -> dict[str, object]:
    try:
        kind, key = _entity_of(entity_id)
    except Exception as exc:
        raise NotFound("entity", entity_id) from exc
    if key > 2**62:
        raise NotFound("entity", entity_id)
    after = decode_cursor(cursor, "id", int)
    with ctx.read() as s:
        rows = list(AuditRepository(s, ctx.ws).of_entity(TABLES[kind], key, limit,
                                                        after[1] if after else None))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [AuditRead(id=r.id, entity=r.entity, entity_id=entity_id,
                                action=str(r.action.value if hasattr(r.action, "value")
                                           else r.action),
                                actor=r.actor, at=aware(r.at), changes=r.changes) for r in rows],
            "next_cursor": encode_cursor("id", rows[-1].id, rows[-1].id) if more else None}



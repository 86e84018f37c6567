"""Log in, log out, the start page and /go/<id> (the page of any public id)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from steerco.accounts import service as accounts
from steerco.accounts.demo import demo_logins
from steerco.db.engine import unit_of_work
from steerco.http.auth import SESSION_COOKIE, makers
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id, parse_any
from steerco.org.repository import WorkspaceRepository
from steerco.views import links
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, User, optional_user

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _safe_next(value: str | None) -> str:
    # Only same-site paths: never redirect to another host after a log-in.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _demo_users(request: Request) -> list[dict[str, str]]:
    """Logins of the demo workspace (only it), so a fresh `make run` shows whom to try."""
    _, read = makers(request)
    with unit_of_work(read) as s:
        ws = WorkspaceRepository(s).by_slug("demo")
        if ws is None:
            return []
        rows = demo_logins(s, ws.id)[:12]
    seen: dict[str, str] = {}
    for login, _name, role in rows:
        seen.setdefault(login, role)
    return [{"login": k, "role": v} for k, v in seen.items()]


#: Log-in CSRF (a cross-site form logging the victim into the attacker's account): the
#: log-in form carries a random value that must equal this cookie's, which another site
#: can neither read nor set. (Double submit: there is no session yet to tie it to.)
LOGIN_CSRF_COOKIE = "steerco_login_csrf"


def _login_form(request: Request, status_code: int = 200, **ctx: Any) -> Response:
    """The log-in page with a fresh CSRF value in its form and its cookie."""
    request.state.page_user = None
    token = secrets.token_urlsafe(32)
    out = render(request, "login.html", status_code=status_code, login_csrf=token,
                 demo_users=_demo_users(request), **ctx)
    out.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                   secure=request.url.scheme == "https", path="/login", max_age=3600)
    return out


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, next=_safe_next(next), login="", error=None)


@router.post("/login")
def login_submit(request: Request, login: Annotated[str, Form(max_length=320)] = "",
                 password: Annotated[str, Form(max_length=1000)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/",
                 csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and csrf_token
            and hmac.compare_digest(expected.encode(), csrf_token.encode())):
        return _login_form(request, status_code=403, next=_safe_next(next), login=login,
                           error="This log-in form has expired or did not come from this "
                                 "site. Please log in again.")
    write, _ = makers(request)
    with unit_of_work(write) as s:
        accounts.end_session(s, request.cookies.get(SESSION_COOKIE))
        result = accounts.authenticate(s, login, password)
    error = None
    if result.retry_after is not None:
        error = (f"Too many failed attempts. Try again in {result.retry_after // 60 + 1} "
                 "minutes.")
    elif result.credential is None:
        error = "That login and password do not match. Check both and try again."
    if error is not None or result.credential is None:
        return _login_form(request, status_code=401 if result.retry_after is None else 429,
                           next=_safe_next(next), login=login, error=error)
    cred = result.credential
    with unit_of_work(write) as s:
        s.info["actor"] = format_id("person", cred.person_id)
        value, _row = accounts.create_session(s, cred)
    out = RedirectResponse(_safe_next(next), status_code=303)
    out.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    out.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="lax",
                   secure=request.url.scheme == "https", path="/",
                   max_age=int(accounts.SESSION_MAX.total_seconds()))
    return out


@router.post("/logout")
def logout(request: Request, user: FormUser) -> Response:
    write, _ = makers(request)
    with unit_of_work(write) as s:
        accounts.end_session(s, request.cookies.get(SESSION_COOKIE))
    out = RedirectResponse("/login", status_code=303)
    out.delete_cookie(SESSION_COOKIE, path="/")
    return out


@router.get("/")
def home(request: Request) -> Response:
    user = optional_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/cockpit" if user.steers else "/my-work", status_code=303)


def _where(s: Any, ws: int, kind: str, key: int) -> str:
    """The page on which an entity of `kind` is shown."""
    if kind in ("metric", "objective", "initiative"):
        return f"/{kind}s/{format_id(kind, key)}"
    if kind == "org_unit":
        return f"/units/{format_id(kind, key)}"
    if kind == "person":
        return f"/admin/people?q={format_id(kind, key)}"
    if kind == "milestone":
        row = links.initiative_of_milestone(s, ws, key)
        if row is not None:
            return f"/initiatives/{format_id('initiative', row)}#{format_id(kind, key)}"
    elif kind == "dependency":
        d = links.dependency(s, ws, key)
        if d is not None:
            if d.consumer_initiative_id is not None:
                return f"/initiatives/{format_id('initiative', d.consumer_initiative_id)}"
            ini = links.initiative_of_milestone(s, ws, d.consumer_milestone_id)
            if ini is not None:
                return f"/initiatives/{format_id('initiative', ini)}#deps"
    elif kind == "benefit":
        ini = links.initiative_of_benefit(s, ws, key)
        if ini is not None:
            return f"/initiatives/{format_id('initiative', ini)}#benefits"
    elif kind == "budget_line":
        ini = links.initiative_of_budget_line(s, ws, key)
        if ini is not None:
            return f"/initiatives/{format_id('initiative', ini)}#budget"
    elif kind == "causal_link":
        driven = links.driven_metric_of(s, ws, key)
        if driven is not None:
            return f"/metrics/{format_id('metric', driven)}#drivers"
    raise NotFound(kind, format_id(kind, key))


@router.get("/go/{public_id}")
def go(public_id: str, user: User) -> Response:
    kind, key = parse_any(public_id, "id")
    with user.ctx.read() as s:
        return RedirectResponse(_where(s, user.ctx.ws, kind, key), status_code=303)

"""Log in, log out, the start page and /go/<id> (the page of any public id)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from steerco.accounts import service as accounts
from steerco.accounts.demo import demo_logins
from steerco.db.engine import unit_of_work
from steerco.db.models import (
    BudgetLine,
    CausalLink,
    Dependency,
    Milestone,
    PlannedBenefit,
)
from steerco.http.auth import SESSION_COOKIE, makers
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id, parse_any
from steerco.org.repository import WorkspaceRepository
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


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if optional_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    request.state.page_user = None
    return render(request, "login.html", next=_safe_next(next), login="", error=None,
                  demo_users=_demo_users(request))


@router.post("/login")
def login_submit(request: Request, login: Annotated[str, Form(max_length=320)] = "",
                 password: Annotated[str, Form(max_length=1000)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
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
        return render(request, "login.html", status_code=401 if result.retry_after is None
                      else 429, next=_safe_next(next), login=login, error=error,
                      demo_users=_demo_users(request))
    cred = result.credential
    with unit_of_work(write) as s:
        s.info["actor"] = format_id("person", cred.person_id)
        value, _row = accounts.create_session(s, cred)
    out = RedirectResponse(_safe_next(next), status_code=303)
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
        row = s.scalar(select(Milestone.initiative_id).where(
            Milestone.workspace_id == ws, Milestone.id == key))
        if row is not None:
            return f"/initiatives/{format_id('initiative', row)}#{format_id(kind, key)}"
    elif kind == "dependency":
        d = s.get(Dependency, key)
        if d is not None and d.workspace_id == ws:
            if d.consumer_initiative_id is not None:
                return f"/initiatives/{format_id('initiative', d.consumer_initiative_id)}"
            ini = s.scalar(select(Milestone.initiative_id).where(
                Milestone.id == d.consumer_milestone_id))
            if ini is not None:
                return f"/initiatives/{format_id('initiative', ini)}#deps"
    elif kind == "benefit":
        ini = s.scalar(select(PlannedBenefit.initiative_id).where(
            PlannedBenefit.workspace_id == ws, PlannedBenefit.id == key))
        if ini is not None:
            return f"/initiatives/{format_id('initiative', ini)}#benefits"
    elif kind == "budget_line":
        ini = s.scalar(select(BudgetLine.initiative_id).where(
            BudgetLine.workspace_id == ws, BudgetLine.id == key))
        if ini is not None:
            return f"/initiatives/{format_id('initiative', ini)}#budget"
    elif kind == "causal_link":
        driven = s.scalar(select(CausalLink.driven_id).where(
            CausalLink.workspace_id == ws, CausalLink.id == key))
        if driven is not None:
            return f"/metrics/{format_id('metric', driven)}#drivers"
    raise NotFound(kind, format_id(kind, key))


@router.get("/go/{public_id}")
def go(public_id: str, user: User) -> Response:
    kind, key = parse_any(public_id, "id")
    with user.ctx.read() as s:
        return RedirectResponse(_where(s, user.ctx.ws, kind, key), status_code=303)

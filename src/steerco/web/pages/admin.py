"""Administration: org units, people and roles, themes, cadences and your API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from steerco.accounts import service as accounts
from steerco.accounts.errors import Forbidden
from steerco.kit.errors import ValidationFailed
from steerco.views import admin as views
from steerco.views.names import unit_names
from steerco.web.pages import admin_governance, admin_people, admin_settings, admin_units
from steerco.web.pages.common import pager, person_names
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# The editing pages live in their own modules, mounted with this one.
router.include_router(admin_units.router)
router.include_router(admin_people.router)
router.include_router(admin_settings.router)
router.include_router(admin_governance.router)


def _require_office(user: PageUser) -> None:
    if not (user.models or user.administers):
        raise Forbidden("administration is for admins and the strategy office")


@router.get("/admin")
def admin_home(request: Request, user: User) -> Response:
    return render(request, "admin/index.html")


@router.get("/admin/people")
def people(request: Request, user: User, page: int = 1, q: str = "") -> Response:
    _require_office(user)
    ws = user.ctx.ws
    with user.ctx.read() as s:
        p = pager(page, views.people_count(s, ws, q))
        rows = views.people_page(s, ws, q, p.offset, p.per_page)
        grants = views.grants_of(s, ws, [r.id for r in rows])
        units = unit_names(s, ws, {r.org_unit_id for r in rows}
                           | {g.org_unit_id for g in grants})
        managers = person_names(s, ws, [r.manager_id for r in rows])
    roles: dict[int, list[str]] = {}
    for g in grants:
        where = f" in {units.get(g.org_unit_id, '?')}" if g.org_unit_id else ""
        roles.setdefault(g.person_id, []).append(f"{g.role.value.replace('_', ' ')}{where}")
    return render(request, "admin/people.html", items=rows, pager=p, roles=roles, units=units,
                  managers=managers, q=q)


@router.get("/admin/themes")
def themes(request: Request, user: User) -> Response:
    _require_office(user)
    ws = user.ctx.ws
    with user.ctx.read() as s:
        rows = views.themes_with_use(s, ws)
        owners = person_names(s, ws, [t.owner_id for t, _ in rows])
    active = sum(1 for t, _ in rows if t.active)
    return render(request, "admin/themes.html", items=rows, owners=owners, active=active)


@router.get("/admin/tokens")
def tokens(request: Request, user: User, created: str | None = None) -> Response:
    with user.ctx.read() as s:
        rows = accounts.list_tokens(s, user.ctx.ws, user.person_id)
    return render(request, "admin/tokens.html", items=rows, secret=None, errors={},
                  form={"name": "", "scope": "read", "days": "90"})


@router.post("/admin/tokens")
def create_token(request: Request, user: FormUser,
                 name: Annotated[str, Form(max_length=300)] = "",
                 scope: Annotated[str, Form(max_length=20)] = "read",
                 days: Annotated[str, Form(max_length=10)] = "") -> Response:
    errors: dict[str, str] = {}
    secret = None
    # An empty field means the default expiry, never "no expiry"; anything but a whole
    # number of days is refused (it used to become a token that never expires).
    body: dict[str, object] = {"name": name.strip(), "scopes": [scope]}
    if days.strip():
        body["expires_in_days"] = days.strip()
    with user.ctx.write() as s:
        try:
            secret, _ = accounts.create_token(s, user.ctx.ws, user.person_id, body)
        except ValidationFailed as exc:
            s.rollback()
            errors = {e.field.split(".")[0]: e.message for e in exc.errors}
            if "expires_in_days" in errors:
                errors["expires_in_days"] = ("Enter after how many days the token expires: "
                                             "a whole number from 1 to 3660.")
    with user.ctx.read() as s:
        rows = accounts.list_tokens(s, user.ctx.ws, user.person_id)
    return render(request, "admin/tokens.html", status_code=422 if errors else 200,
                  items=rows, secret=secret, errors=errors,
                  form={"name": name, "scope": scope, "days": days})


@router.post("/admin/tokens/{tid}/revoke")
def revoke_token(tid: str, user: FormUser) -> Response:
    with user.ctx.write() as s:
        row = accounts.find_token(s, user.ctx.ws, tid)
        if row.person_id != user.person_id and not user.is_admin:
            raise Forbidden("you can revoke only your own tokens")
        accounts.revoke_token(s, row)
    return RedirectResponse("/admin/tokens", status_code=303)

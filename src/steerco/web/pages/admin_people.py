"""People, their logins and role grants in the browser.

The same services and rules as the JSON API (steerco.org.api, steerco.accounts.api):
adding a person is "admin" over their org unit; changing, deactivating, giving a login
or a role, or withdrawing one is "admin" over where the person sits AND over every role
they already hold (`Principal.require_over_person`: a subtree admin cannot take over a
workspace-wide admin). A grant is "admin" over the subtree it is granted in.
Deactivating someone ends their sessions and tokens (accounts.update_person).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.accounts import service as accounts
from steerco.authz import scopes
from steerco.db.models import Person
from steerco.db.models.accounts import Role
from steerco.kit.errors import NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.org.repository import PersonRepository
from steerco.org.service import create_person
from steerco.views import Session
from steerco.views import admin as views
from steerco.views.names import choices, people_named, person_names, unit_names, units_named
from steerco.web.pages import forms as fw
from steerco.web.pages.common import key_of
from steerco.web.pages.render import PageRoute
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = ("name", "email", "title", "manager", "unit")
LABELS = {"name": "Name", "email": "E-mail", "title": "Job title", "manager": "Manager",
          "unit": "Org unit", "active": "Active", "manager_id": "Manager",
          "org_unit_id": "Org unit", "login": "Login", "password": "Password",
          "role": "Role", "scope": "Where"}
FIELD_OF = {"manager_id": "manager", "org_unit_id": "unit", "person_id": "name"}
ROLES = [(r.value, r.value.replace("_", " ").capitalize()) for r in Role]


def _find(s: Session, ws: int, pid: str) -> Person:
    return fw.found(PersonRepository(s, ws).find(key_of(pid, "person")), "person", pid)


def _values(s: Session, ws: int, p: Person) -> dict[str, str]:
    return {"name": p.name, "email": p.email, "title": p.title or "",
            "manager": person_names(s, ws, [p.manager_id]).get(p.manager_id or -1, ""),
            "unit": unit_names(s, ws, [p.org_unit_id]).get(p.org_unit_id or -1, ""),
            "active": "1" if p.active else "", "version": str(p.version)}


def _access(s: Session, ws: int, p: Person) -> dict[str, Any]:
    grants = views.grant_rows(s, ws, p.id)
    units = unit_names(s, ws, [g.org_unit_id for g in grants])
    return {"login": views.login_of(s, ws, p.id),
            "grants": [{"id": accounts.grant_id(g.id),
                        "role": g.role.value.replace("_", " ").capitalize(),
                        "where": units.get(g.org_unit_id, "?") if g.org_unit_id
                        else "the whole workspace"} for g in grants]}


def _render(request: Request, s: Session, ws: int, p: Person | None, form: dict[str, str],
            errors: dict[str, str] | None = None, conflict_: dict[str, Any] | None = None,
            status_code: int = 200, access: dict[str, str] | None = None,
            access_errors: dict[str, str] | None = None, notice: str = "") -> Response:
    grants = _access(s, ws, p) if p else None
    return fw.render_form(request, "admin/person_edit.html", "p", "person", p, form, errors,
                          conflict_, status_code, choices=choices(s, ws), access=grants,
                          roles=ROLES,
                          acc=access or {"login": (grants or {}).get("login") or "",
                                      "password": "", "role": "viewer", "scope": ""},
                          acc_errors=access_errors or {}, notice=notice)


def _body(s: Session, ws: int, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    manager = fw.one(people_named(s, ws, form["manager"]), "manager", form["manager"],
                   "person", errors)
    unit = fw.one(units_named(s, ws, form["unit"]), "unit", form["unit"], "org unit", errors)
    return {"name": form["name"], "email": form["email"], "title": form["title"] or None,
            "manager_id": format_id("person", manager) if manager else None,
            "org_unit_id": format_id("org_unit", unit) if unit else None}


def _over(s: Session, user: PageUser, p: Person) -> None:
    """The API's rule for changing a person: admin where they sit and over their roles."""
    user.principal.require(s, "admin", scopes.of_person(s, user.ctx.ws, p).unit)
    user.principal.require_over_person(s, p.id)


@router.get("/admin/people/new")
def new(request: Request, user: User) -> Response:
    fw.require_some_admin(user)
    with user.ctx.read() as s:
        return _render(request, s, user.ctx.ws, None, dict.fromkeys(FIELDS, ""))


@router.post("/admin/people/new")
async def create(request: Request, user: FormUser) -> Response:
    form = await fw.read_form(request, FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _body(s, ws, form, errors)
        unit = key_of(body["org_unit_id"], "org_unit") if body["org_unit_id"] else None
        user.principal.require(s, "admin", unit)
        row = fw.attempt(s, errors, lambda: create_person(s, ws, body),
                         lambda exc: fw.labelled_messages(exc, form, FIELD_OF, LABELS, "name"))
        if row is not None:
            target = f"/admin/people/{format_id('person', row.id)}/edit?saved=1#access"
        if errors:
            return _render(request, s, ws, None, form, errors, status_code=422)
    return fw.done(request, target)


@router.get("/admin/people/{pid}/edit")
def edit(request: Request, pid: str, user: User, saved: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        p = _find(s, ws, pid)
        _over(s, user, p)
        notice = NOTICES.get(saved, "Saved." if saved else "")
        return _render(request, s, ws, p, _values(s, ws, p), notice=notice)


@router.post("/admin/people/{pid}/edit")
async def save(request: Request, pid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, (*FIELDS, "active", "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        p = _find(s, ws, pid)
        _over(s, user, p)
        if (conflict := fw.stale(s, ws, form, p, LABELS, fw.PEOPLE_AND_UNITS)):
            return _render(request, s, ws, p, {**form, "version": str(p.version)},
                           conflict_=conflict, status_code=409)
        body = _body(s, ws, form, errors) | {"active": form["active"] == "1"}
        if body["org_unit_id"]:  # moving them needs the right where they go, too
            user.principal.require(s, "admin", key_of(body["org_unit_id"], "org_unit"))
        fw.attempt(s, errors, lambda: accounts.update_person(s, ws, p.id, body),
                   lambda exc: fw.labelled_messages(exc, form, FIELD_OF, LABELS, "name"))
        if errors:
            return _render(request, s, ws, _find(s, ws, pid), form, errors, status_code=422)
    return fw.done(request, f"/admin/people/{pid}/edit?saved=1")


# --- login and roles -------------------------------------------------------------------


async def _access_form(request: Request, pid: str, user: PageUser, what: str) -> Response:
    acc = await fw.read_form(request, ("login", "password", "role", "scope", "how"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    notice = ""
    with user.ctx.write() as s:
        p = _find(s, ws, pid)
        _over(s, user, p)
        try:
            notice = _apply_access(s, user, p, what, acc, errors)
        except ValidationFailed as exc:
            s.rollback()
            errors = fw.labelled_messages(exc, acc, {"person_id": "login", "org_unit_id": "scope",
                                         "new_password": "password"}, LABELS,
                              "login" if what == "login" else "role")
        p = _find(s, ws, pid)
        if errors:
            acc["password"] = ""  # never sent back to the browser
            return _render(request, s, ws, p, _values(s, ws, p), access=acc,
                           access_errors=errors, status_code=422)
    return fw.done(request, f"/admin/people/{pid}/edit?saved={notice}#access")


NOTICES = {"login": "Login saved.", "reset": "A link to set the password is in the outbox.",
           "grant": "Role granted.", "revoked": "Role revoked."}


def _apply_access(s: Session, user: PageUser, p: Person, what: str, acc: dict[str, str],
                  errors: dict[str, str]) -> str:
    ws = user.ctx.ws
    if what == "login":
        if acc["how"] == "reset":
            if not acc["login"]:
                errors["login"] = "Login: empty — type the e-mail address they log in with."
                return ""
            # A random password nobody knows; the person sets their own by the link.
            accounts.set_credential(s, ws, p.id, {"login": acc["login"],
                                                  "password": secrets.token_urlsafe(24)})
            accounts.send_reset_link(s, ws, p.id)
            return "reset"
        accounts.set_credential(s, ws, p.id, {"login": acc["login"],
                                              "password": acc["password"]})
        return "login"
    unit = fw.one(units_named(s, ws, acc["scope"]), "scope", acc["scope"], "org unit", errors)
    if errors:
        return ""
    user.principal.require(s, "admin", unit)
    accounts.add_grant(s, ws, {"person_id": p.id, "role": acc["role"],
                               "org_unit_id": format_id("org_unit", unit) if unit else None})
    return "grant"


@router.post("/admin/people/{pid}/login")
async def set_login(request: Request, pid: str, user: FormUser) -> Response:
    return await _access_form(request, pid, user, "login")


@router.post("/admin/people/{pid}/grants")
async def add_grant(request: Request, pid: str, user: FormUser) -> Response:
    return await _access_form(request, pid, user, "grant")


@router.post("/admin/people/{pid}/grants/{gid}/revoke")
def revoke_grant(request: Request, pid: str, gid: str, user: FormUser) -> Response:
    ws = user.ctx.ws
    with user.ctx.write() as s:
        p = _find(s, ws, pid)
        try:
            row = accounts.find_grant(s, ws, gid)
        except ValidationFailed:
            raise NotFound("grant", gid) from None
        if row.person_id != p.id:
            raise NotFound("grant", gid)
        user.principal.require(s, "admin", row.org_unit_id)
        user.principal.require_over_person(s, p.id)
        accounts.remove_grant(s, row)
    return fw.done(request, f"/admin/people/{pid}/edit?saved=revoked#access")

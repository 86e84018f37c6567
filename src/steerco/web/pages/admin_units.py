"""Org units in the browser: list, create and edit (name, code, kind, parent, head).

The same services and rules as POST/PATCH /api/v1/org-units: adding a unit is "admin"
over its parent (workspace-wide for a root), changing one is "admin" over it and over a
new parent. Parents and heads are typed by name; a save against a newer version is
refused with who changed the unit, when and what.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.accounts.errors import Forbidden
from steerco.db.enums import OrgKind
from steerco.db.models import OrgUnit
from steerco.kit.ids import format_id
from steerco.org.repository import OrgUnitRepository
from steerco.org.service import create_org_unit, update_org_unit
from steerco.views import Session
from steerco.views import admin as views
from steerco.views.names import choices, people_named, person_names, unit_names, units_named
from steerco.web.pages import forms as fw
from steerco.web.pages.common import key_of
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = ("name", "code", "kind", "parent", "head")
LABELS = {"name": "Name", "code": "Code", "kind": "Kind", "parent": "Parent unit",
          "head": "Head", "parent_id": "Parent unit", "head_id": "Head"}
FIELD_OF = {"parent_id": "parent", "head_id": "head"}


def _find(s: Session, ws: int, uid: str) -> OrgUnit:
    return fw.found(OrgUnitRepository(s, ws).find(key_of(uid, "org_unit")), "org_unit", uid)


def _values(s: Session, ws: int, u: OrgUnit) -> dict[str, str]:
    return {"name": u.name, "code": u.code or "", "kind": u.kind.value,
            "parent": unit_names(s, ws, [u.parent_id]).get(u.parent_id or -1, ""),
            "head": person_names(s, ws, [u.head_id]).get(u.head_id or -1, ""),
            "version": str(u.version)}


def _render(request: Request, s: Session, ws: int, u: OrgUnit | None, form: dict[str, str],
            errors: dict[str, str] | None = None, conflict_: dict[str, Any] | None = None,
            status_code: int = 200) -> Response:
    return fw.render_form(request, "admin/unit_edit.html", "u", "org_unit", u, form, errors,
                          conflict_, status_code, choices=choices(s, ws),
                          kinds=[(k.value, k.value.replace("_", " ").capitalize())
                              for k in OrgKind])


def _body(s: Session, ws: int, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    parent = fw.one(units_named(s, ws, form["parent"]), "parent", form["parent"], "org unit",
                  errors)
    head = fw.one(people_named(s, ws, form["head"]), "head", form["head"], "person", errors)
    return {"name": form["name"], "code": form["code"] or None,
            "parent_id": format_id("org_unit", parent) if parent else None,
            "head_id": format_id("person", head) if head else None}


@router.get("/admin/units")
def units(request: Request, user: User, saved: str = "") -> Response:
    may_admin = user.administers
    if not (user.models or may_admin):
        raise Forbidden("the org units list is for admins and the strategy office")
    ws = user.ctx.ws
    with user.ctx.read() as s:
        rows = views.all_units(s, ws)
        heads = person_names(s, ws, [u.head_id for u in rows])
        counts = views.people_in_units(s, ws)
    names = {u.id: u.name for u in rows}
    return render(request, "admin/units.html", items=rows, heads=heads, parents=names,
                  counts=counts, saved=saved, may_admin=may_admin)


@router.get("/admin/units/new")
def new(request: Request, user: User) -> Response:
    with user.ctx.read() as s:
        fw.require_some_admin(user)
        return _render(request, s, user.ctx.ws, None,
                       dict.fromkeys(FIELDS, "") | {"kind": OrgKind.TEAM.value})


@router.post("/admin/units/new")
async def create(request: Request, user: FormUser) -> Response:
    form = await fw.read_form(request, FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _body(s, ws, form, errors) | {"kind": form["kind"]}
        parent = key_of(body["parent_id"], "org_unit") if body["parent_id"] else None
        user.principal.require(s, "admin", parent)
        row = fw.attempt(s, errors, lambda: create_org_unit(s, ws, body),
                         lambda exc: fw.labelled_messages(exc, form, FIELD_OF, LABELS, "name"))
        if row is not None:
            target = f"/admin/units?saved={format_id('org_unit', row.id)}"
        if errors:
            return _render(request, s, ws, None, form, errors, status_code=422)
    return fw.done(request, target)


def _allow(s: Session, user: PageUser, u: OrgUnit) -> None:
    user.principal.require(s, "admin", u.id)


@router.get("/admin/units/{uid}/edit")
def edit(request: Request, uid: str, user: User) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        u = _find(s, ws, uid)
        _allow(s, user, u)
        return _render(request, s, ws, u, _values(s, ws, u))


@router.post("/admin/units/{uid}/edit")
async def save(request: Request, uid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, (*FIELDS, "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        u = _find(s, ws, uid)
        _allow(s, user, u)
        if (conflict := fw.stale(s, ws, form, u, LABELS, fw.PEOPLE_AND_UNITS)):
            return _render(request, s, ws, u, {**form, "version": str(u.version)},
                           conflict_=conflict, status_code=409)
        body = _body(s, ws, form, errors)
        if body["parent_id"]:
            user.principal.require(s, "admin", key_of(body["parent_id"], "org_unit"))
        fw.attempt(s, errors, lambda: update_org_unit(s, ws, u.id, body),
                   lambda exc: fw.labelled_messages(exc, form, FIELD_OF, LABELS, "name"))
        if errors:
            return _render(request, s, ws, _find(s, ws, uid), form, errors, status_code=422)
    return fw.done(request, f"/admin/units?saved={uid}")

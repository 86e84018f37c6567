"""Workspace settings and themes in the browser.

The API's services and rules: workspace settings are a workspace-wide admin's
(PATCH /workspace); themes change the strategy model ("model": the strategy office or an
admin). Every form carries the version it was read at; a stale save is refused with who
changed what, when.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.accounts.errors import Forbidden
from steerco.db.models import Theme, Workspace
from steerco.db.models.accounts import Role
from steerco.kit.errors import ValidationFailed
from steerco.kit.ids import format_id
from steerco.objectives.service import create_theme, update_theme
from steerco.org.service import get_workspace, update_workspace
from steerco.views import Session
from steerco.views import admin as views
from steerco.views.names import (
    choices,
    people_named,
    person_names,
)
from steerco.web.pages import forms as fw
from steerco.web.pages.common import key_of
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def model_only(user: PageUser) -> None:
    """Refuse anyone who may not change the strategy model workspace-wide."""
    if not user.models:
        raise Forbidden("themes and escalation rules are for admins and the strategy office")


# --- workspace settings -----------------------------------------------------------------

WS_FIELDS = ("name", "time_zone", "fiscal_year_start", "currency", "locale")
WS_LABELS = {"name": "Name", "time_zone": "Time zone", "fiscal_year_start":
             "Fiscal year starts in", "currency": "Currency", "locale": "Locale"}


def _ws_values(w: Workspace) -> dict[str, str]:
    return {"name": w.name, "time_zone": w.time_zone,
            "fiscal_year_start": str(w.fiscal_year_start), "currency": w.currency,
            "locale": w.locale, "version": str(w.version)}


def _ws_render(request: Request, form: dict[str, str], errors: dict[str, str] | None = None,
               conflict_: dict[str, Any] | None = None, status_code: int = 200,
               saved: bool = False) -> Response:
    return render(request, "admin/workspace.html",
                  status_code=fw.status(request, status_code), form=form,
                  errors=errors or {}, conflict=conflict_, saved=saved,
                  months=[(str(i + 1), m) for i, m in enumerate(MONTHS)])


@router.get("/admin/workspace")
def workspace(request: Request, user: User, saved: str = "") -> Response:
    user.principal.require_role(Role.ADMIN)
    with user.ctx.read() as s:
        return _ws_render(request, _ws_values(get_workspace(s, user.ctx.ws)),
                          saved=bool(saved))


@router.post("/admin/workspace")
async def save_workspace(request: Request, user: FormUser) -> Response:
    user.principal.require_role(Role.ADMIN)
    form = await fw.read_form(request, (*WS_FIELDS, "version"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        w = get_workspace(s, ws)
        if form["version"] != str(w.version):
            return _ws_render(request, {**form, "version": str(w.version)},
                              conflict_=fw.changed_by(s, ws, Workspace.__tablename__, w.id,
                                                 WS_LABELS, fw.PEOPLE_AND_UNITS), status_code=409)
        try:
            update_workspace(s, ws, {k: form[k] for k in WS_FIELDS})
        except ValidationFailed as exc:
            s.rollback()
            return _ws_render(request, form, fw.labelled_messages(exc, form, {}, WS_LABELS, "name"),
                              status_code=422)
    return fw.done(request, "/admin/workspace?saved=1")


# --- themes -----------------------------------------------------------------------------

TH_FIELDS = ("name", "description", "owner")
TH_LABELS = {"name": "Name", "description": "Description", "owner": "Owner",
             "owner_id": "Owner", "active": "Active"}


def _theme(s: Session, ws: int, tid: str) -> Theme:
    return fw.found(views.find_theme(s, ws, key_of(tid, "theme")), "theme", tid)


def _th_render(request: Request, s: Session, ws: int, t: Theme | None, form: dict[str, str],
               errors: dict[str, str] | None = None, conflict_: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:
    return fw.render_form(request, "admin/theme_edit.html", "t", "theme", t, form, errors,
                          conflict_, status_code, choices=choices(s, ws))


def _th_body(s: Session, ws: int, form: dict[str, str],
             errors: dict[str, str]) -> dict[str, Any]:
    owner = fw.one(people_named(s, ws, form["owner"]), "owner", form["owner"], "person", errors)
    return {"name": form["name"], "description": form["description"] or None,
            "owner_id": format_id("person", owner) if owner else None}


@router.get("/admin/themes/new")
def new_theme(request: Request, user: User) -> Response:
    model_only(user)
    with user.ctx.read() as s:
        return _th_render(request, s, user.ctx.ws, None,
                          dict.fromkeys(TH_FIELDS, "") | {"owner": user.name})


@router.post("/admin/themes/new")
async def create_theme_page(request: Request, user: FormUser) -> Response:
    model_only(user)
    form = await fw.read_form(request, TH_FIELDS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _th_body(s, ws, form, errors)
        fw.attempt(s, errors, lambda: create_theme(s, ws, body),
                   lambda exc: fw.labelled_messages(exc, form, {"owner_id": "owner"},
                                                    TH_LABELS, "name"))
        if errors:
            return _th_render(request, s, ws, None, form, errors, status_code=422)
    return fw.done(request, "/admin/themes?saved=1")


@router.get("/admin/themes/{tid}/edit")
def edit_theme(request: Request, tid: str, user: User) -> Response:
    model_only(user)
    ws = user.ctx.ws
    with user.ctx.read() as s:
        t = _theme(s, ws, tid)
        form = {"name": t.name, "description": t.description or "",
                "owner": person_names(s, ws, [t.owner_id]).get(t.owner_id or -1, ""),
                "active": "1" if t.active else "", "version": str(t.version)}
        return _th_render(request, s, ws, t, form)


@router.post("/admin/themes/{tid}/edit")
async def save_theme(request: Request, tid: str, user: FormUser) -> Response:
    model_only(user)
    form = await fw.read_form(request, (*TH_FIELDS, "active", "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        t = _theme(s, ws, tid)
        if (conflict := fw.stale(s, ws, form, t, TH_LABELS, fw.PEOPLE_AND_UNITS)):
            return _th_render(request, s, ws, t, {**form, "version": str(t.version)},
                              conflict_=conflict, status_code=409)
        body = _th_body(s, ws, form, errors) | {"active": form["active"] == "1"}
        fw.attempt(s, errors, lambda: update_theme(s, ws, t.id, body),
                   lambda exc: fw.labelled_messages(exc, form, {"owner_id": "owner"},
                                                    TH_LABELS, "name"))
        if errors:
            return _th_render(request, s, ws, _theme(s, ws, tid), form, errors,
                              status_code=422)
    return fw.done(request, "/admin/themes?saved=1")

"""Creating, editing, aligning and archiving objectives in the browser, on the API's own
services and rules.

Who may do what is the API's rule, stated once here (`RULES`): editing an objective is
"steer" on it (its owner, or an executive / strategy office / admin over its org unit);
creating, aligning and archiving change the strategy model ("model": strategy office or
admin over the org unit). The edit form carries the version it was read at; a save
against a newer version is refused with who changed the objective, when, and what (from
the audit log), and the user's input is kept, never silently overwritten. People, org
units and parent objectives are typed by name, never by id.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.authz import scopes
from steerco.db.enums import ObjectiveLevel, Perspective
from steerco.db.models import Objective
from steerco.kit.errors import CycleRefused, Forbidden, ValidationFailed
from steerco.kit.ids import format_id
from steerco.objectives.service import (
    align,
    archive_objective,
    create_objective,
    unalign,
    update_objective,
)
from steerco.views import Session
from steerco.views import objectives as views
from steerco.views.names import (
    choices,
    objective_titles,
    objectives_titled,
    people_named,
    person_names,
    unit_names,
    units_named,
)
from steerco.web.pages import forms as fw
from steerco.web.pages.common import key_of, pid_key, today
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

#: What each form needs, in the API's terms (see steerco.http.auth for who holds which).
RULES = {"edit": "steer", "create": "model", "align": "model", "archive": "model"}
REFUSED = {"edit": "only the objective's owner, an executive or the strategy office over "
                   "its org unit can change it",
           "create": "only the strategy office (or an admin) can add objectives here",
           "align": "only the strategy office (or an admin) can change the alignment",
           "archive": "only the strategy office (or an admin) can archive objectives"}
FIELDS = ("title", "description", "period_start", "period_end", "level", "perspective",
          "owner", "unit", "theme")
LABELS = {"title": "Title", "description": "Description", "period_start": "Start",
          "period_end": "End", "level": "Level", "perspective": "Perspective",
          "owner_id": "Owner", "org_unit_id": "Org unit", "theme_id": "Theme"}
#: Service field → form field.
FORM_FIELD = {"owner_id": "owner", "org_unit_id": "unit", "theme_id": "theme",
              "parents": "parent", "parent_id": "parent", "weight": "weight"}


def _allow(s: Session, user: PageUser, what: str, unit: int | None,
           owners: list[int | None] | None = None) -> None:
    if not user.can(s, RULES[what], unit, owners or []):
        raise Forbidden(REFUSED[what])


def _find(s: Session, ws: int, oid: str) -> Objective:
    return fw.found(views.find(s, ws, key_of(oid, "objective")), "objective", oid)


def _values(s: Session, ws: int, o: Objective) -> dict[str, str]:
    return {"title": o.title, "description": o.description or "",
            "period_start": o.period_start.isoformat(),
            "period_end": o.period_end.isoformat(), "level": o.level.value,
            "perspective": o.perspective.value,
            "owner": person_names(s, ws, [o.owner_id]).get(o.owner_id, ""),
            "unit": unit_names(s, ws, [o.org_unit_id]).get(o.org_unit_id or -1, ""),
            "theme": format_id("theme", o.theme_id) if o.theme_id else "",
            "version": str(o.version)}


def _messages(exc: ValidationFailed, titles: dict[str, str],
              form: dict[str, str] | None = None) -> dict[str, str]:
    """The service's refusals, by form field, naming objectives by their titles and
    saying what a date field got and what it wants."""
    out: dict[str, str] = {}
    for e in exc.errors:
        head = e.field.split(".")[0]
        field = FORM_FIELD.get(head, head)
        msg = e.message
        if field in ("period_start", "period_end") and "valid date" in msg:
            got = (form or {}).get(field, "")
            msg = (f"“{got}” is not a date; enter one like 2026-01-31." if got
                   else "Enter a date like 2026-01-31.")
        if isinstance(exc, CycleRefused):
            path = " → ".join(f"“{titles.get(p, p)}”" for p in exc.path)
            msg = f"This would close a cycle: {path}. An objective cannot sit above itself."
        out.setdefault(field if field in (*FIELDS, "parent", "weight") else "title", msg)
    return out or {"title": exc.detail}


def _conflict(s: Session, ws: int, o: Objective) -> dict[str, Any]:
    """Who changed the objective last, when, and what (owners and units by name)."""
    return fw.changed_by(s, ws, Objective.__tablename__, o.id, LABELS, fw.PEOPLE_AND_UNITS,
                         hidden=("theme_id",))


def _render(request: Request, s: Session, ws: int, o: Objective | None,
            form: dict[str, str], errors: dict[str, str] | None = None,
            conflict: dict[str, Any] | None = None, status_code: int = 200,
            user: PageUser | None = None) -> Response:
    ctx: dict[str, Any] = {
        "o": o, "form": form, "errors": errors or {}, "conflict": conflict,
        "oid": format_id("objective", o.id) if o else None,
        "levels": [lv.value for lv in ObjectiveLevel],
        "perspectives": [p.value for p in Perspective],
        "themes": [(format_id("theme", k), n) for k, n in views.active_themes(s, ws)],
        "choices": choices(s, ws),
        "parents": views.parents_with_weights(s, ws, o.id) if o else [],
        "may_model": bool(o and user and user.can(s, "model", o.org_unit_id)),
    }
    return render(request, "objective_edit.html", status_code=fw.status(request, status_code),
                  **ctx)


def _body(s: Session, ws: int, form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    owner = fw.one(people_named(s, ws, form["owner"]), "owner", form["owner"], "person", errors)
    unit = fw.one(units_named(s, ws, form["unit"]), "unit", form["unit"], "org unit", errors)
    body: dict[str, Any] = {k: form[k] or None for k in
                            ("title", "period_start", "period_end", "level", "perspective")}
    body.update(description=form["description"] or None, theme_id=form["theme"] or None,
                org_unit_id=format_id("org_unit", unit) if unit else None)
    if owner is not None:
        body["owner_id"] = format_id("person", owner)
    elif not form["owner"]:
        errors["owner"] = "Type the name of the person who owns this objective."
    return body


# --- create -----------------------------------------------------------------------------


@router.get("/objectives/new")
def new(request: Request, user: User) -> Response:
    if not user.models:
        raise Forbidden(REFUSED["create"])
    with user.ctx.read() as s:
        year = today(s, user.ctx.ws).year
        form = dict.fromkeys(FIELDS, "") | {"level": "company", "perspective": "financial",
                                             "owner": user.name, "parent": "",
                                             "weight": "1",
                                             "period_start": f"{year}-01-01",
                                             "period_end": f"{year}-12-31"}
        return _render(request, s, user.ctx.ws, None, form, user=user)


@router.post("/objectives/new")
async def create(request: Request, user: FormUser) -> Response:
    form = await fw.read_form(request, (*FIELDS, "parent", "weight"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        body = _body(s, ws, form, errors)
        parent = fw.one(objectives_titled(s, ws, form["parent"]), "parent", form["parent"],
                      "objective", errors)
        if parent is not None:
            try:
                weight = float(form["weight"] or "1")
            except ValueError:
                errors["weight"] = f"“{form['weight']}” is not a number; enter e.g. 1 or 0.5."
                weight = 1.0
            body["parents"] = [{"objective_id": format_id("objective", parent),
                                "weight": weight}]
        unit = key_of(body["org_unit_id"], "org_unit") if body["org_unit_id"] else None
        _allow(s, user, "create", unit)
        row = fw.attempt(s, errors, lambda: create_objective(s, ws, body),
                         lambda exc: _messages(exc, {}, form))
        if errors or row is None:
            return _render(request, s, ws, None, form, errors, status_code=422, user=user)
        target = f"/objectives/{format_id('objective', row.id)}?saved=1"
    return fw.done(request, target)


# --- edit -------------------------------------------------------------------------------


@router.get("/objectives/{oid}/edit")
def edit(request: Request, oid: str, user: User) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        o = _find(s, ws, oid)
        _allow(s, user, "edit", *_where(s, ws, o))
        return _render(request, s, ws, o, _values(s, ws, o) | {"parent": "", "weight": "1"},
                       user=user)


def _where(s: Session, ws: int, o: Objective) -> tuple[int | None, list[int | None]]:
    sc = scopes.of_objective(s, ws, o)
    return sc.unit, list(sc.owners)


@router.post("/objectives/{oid}/edit")
async def save(request: Request, oid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, (*FIELDS, "version"))
    form |= {"parent": "", "weight": "1"}
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        o = _find(s, ws, oid)
        _allow(s, user, "edit", *_where(s, ws, o))
        if form["version"] != str(o.version):
            return _render(request, s, ws, o, {**form, "version": str(o.version)},
                           conflict=_conflict(s, ws, o), status_code=409, user=user)
        body = _body(s, ws, form, errors)
        new_unit = key_of(body["org_unit_id"], "org_unit") if body["org_unit_id"] else None
        if new_unit != o.org_unit_id:  # moving it needs the right where it goes, too
            _allow(s, user, "edit", new_unit, [o.owner_id])
        fw.attempt(s, errors, lambda: update_objective(s, ws, o.id, body),
                   lambda exc: _messages(exc, {}, form))
        if errors:
            o = _find(s, ws, oid)
            return _render(request, s, ws, o, form, errors, status_code=422, user=user)
    return fw.done(request, f"/objectives/{oid}?saved=1")


# --- alignment and archive --------------------------------------------------------------


@router.post("/objectives/{oid}/parents")
async def add_parent(request: Request, oid: str, user: FormUser) -> Response:
    """Align under a parent typed by title, or re-weight an existing alignment."""
    form = await fw.read_form(request, ("parent", "weight"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        o = _find(s, ws, oid)
        _allow(s, user, "align", o.org_unit_id)
        parent = fw.one(objectives_titled(s, ws, form["parent"]), "parent", form["parent"],
                      "objective", errors)
        if not form["parent"]:
            errors["parent"] = "Type the title of the objective this one contributes to."
        try:
            weight = float(form["weight"] or "1")
        except ValueError:
            errors["weight"] = f"“{form['weight']}” is not a number; enter e.g. 1 or 0.5."
            weight = 1.0
        if not errors and parent is not None:
            try:
                align(s, ws, o.id, parent, weight)
            except ValidationFailed as exc:
                s.rollback()
                keys = [pid_key(p) for p in getattr(exc, "path", [])]
                titles = {format_id("objective", k): t
                          for k, t in objective_titles(s, ws, keys).items()}
                errors = _messages(exc, titles)
        if errors:
            o = _find(s, ws, oid)
            return _render(request, s, ws, o, _values(s, ws, o) | form, errors,
                           status_code=422, user=user)
    return fw.done(request, f"/objectives/{oid}/edit#parents")


@router.post("/objectives/{oid}/parents/{parent}/remove")
def remove_parent(oid: str, parent: str, user: FormUser) -> Response:
    with user.ctx.write() as s:
        o = _find(s, user.ctx.ws, oid)
        _allow(s, user, "align", o.org_unit_id)
        unalign(s, user.ctx.ws, o.id, key_of(parent, "objective"))
    return RedirectResponse(f"/objectives/{oid}/edit#parents", status_code=303)


@router.post("/objectives/{oid}/archive")
def archive(oid: str, user: FormUser) -> Response:
    with user.ctx.write() as s:
        o = _find(s, user.ctx.ws, oid)
        _allow(s, user, "archive", o.org_unit_id)
        archive_objective(s, user.ctx.ws, o.id)
    return RedirectResponse(f"/objectives/{oid}?saved=1", status_code=303)

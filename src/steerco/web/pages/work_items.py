"""Milestones and dependencies in the browser, on the API's own services and rules.

Milestones are added on their initiative's edit page, changed on their own and completed
with an evidence link (the page asks for one: a completion the steering committee can
check). A dependency is declared from milestone to milestone (or initiative), both typed
as "Initiative › Milestone"; a cycle is refused with its path by those titles. Changing
a milestone or a dependency is "steer" on it (for a dependency: on its consumer), the
API's rule; forms carry the version they were read at and a lost race is refused with
who changed what, keeping the input.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile

from steerco.authz import scopes
from steerco.checkins import files
from steerco.db.enums import DepType
from steerco.db.models import Dependency, Initiative, Milestone
from steerco.dependencies.service import create_dependency, delete_dependency, update_dependency
from steerco.initiatives.service import add_milestone, delete_milestone, update_milestone
from steerco.kit.errors import CycleRefused, Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id, parse_any
from steerco.views import Session
from steerco.views import initiatives as views
from steerco.views import work_forms as wf
from steerco.views.names import choices, initiative_names, people_named, person_names
from steerco.web.pages import forms as fw
from steerco.web.pages.common import key_of, today
from steerco.web.pages.initiative_edit import _values, find, render_edit
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MS_FIELDS = ("name", "owner", "due_date", "forecast_date", "duration_days")
DONE_FIELDS = ("completed_on", "evidence_url")
NEW_MS = ("ms_name", "ms_due", "ms_owner")
NEW_DEP = ("dep_provider", "dep_consumer", "dep_type", "dep_lag", "dep_need", "dep_committed")
DEP_FIELDS = ("dep_type", "dep_lag", "dep_need", "dep_committed")
MS_LABELS = {"name": "Title", "owner_id": "Owner", "due_date": "Committed date",
             "forecast_date": "Forecast", "duration_days": "Duration (days)",
             "completed_on": "Completed on", "evidence_url": "Evidence"}
DEP_LABELS = {"dep_type": "Type", "lag_days": "Lag (days)", "need_date": "Needed by",
              "committed_date": "Committed by", "note": "Note"}
REFUSED = ("only the owner, an executive or the strategy office over its org unit can "
           "change this")


def _allow(s: Session, user: PageUser, sc: Any) -> None:
    if not user.can(s, "steer", sc.unit, list(sc.owners)):
        raise Forbidden(REFUSED)


def _label(s: Session, ws: int, ms: int | None, ini: int | None) -> str:
    if ms is not None:
        return wf.milestone_labels(s, ws, [ms]).get(ms, format_id("milestone", ms))
    return initiative_names(s, ws, [ini]).get(ini or -1, format_id("initiative", ini or 0))


def sections(s: Session, ws: int, ini: Initiative) -> dict[str, Any]:
    """The milestones and dependencies of an initiative's edit page, by titles."""
    milestones = views.milestones_of(s, ws, ini.id)
    ends = views.dependencies_of(s, ws, ini.id, [m.id for m in milestones])
    labels = wf.milestone_labels(s, ws, [k for d in ends.dependencies for k in
                                         (d.provider_milestone_id, d.consumer_milestone_id)
                                         if k is not None])
    inis = {k: r[1] for k, r in ends.initiatives.items()}

    def end(ms: int | None, ik: int | None) -> str:
        return labels.get(ms, "?") if ms is not None else inis.get(ik or -1, "?")

    deps = [{"d": d, "id": format_id("dependency", d.id),
             "provider": end(d.provider_milestone_id, d.provider_initiative_id),
             "consumer": end(d.consumer_milestone_id, d.consumer_initiative_id)}
            for d in ends.dependencies]
    return {"milestones": milestones, "deps": deps,
            "ms_people": person_names(s, ws, [m.owner_id for m in milestones]),
            "dep_types": [t.value for t in DepType],
            "ms_labels": [wf.milestone_label(ini.name, m.name) for m in milestones]}


# --- milestones -------------------------------------------------------------------------


@router.post("/initiatives/{iid}/milestones")
async def new_milestone(request: Request, iid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, NEW_MS)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        _allow(s, user, scopes.of_initiative(s, ws, ini))
        owner = fw.one(people_named(s, ws, form["ms_owner"]), "ms_owner", form["ms_owner"],
                       "person", errors)
        if not form["ms_name"]:
            errors["ms_name"] = "Give the milestone a title."
        due = fw.day(form["ms_due"], "ms_due", errors)
        body = {"initiative_id": format_id("initiative", ini.id), "name": form["ms_name"],
                "due_date": due, "owner_id": format_id("person", owner) if owner else None}
        fw.attempt(s, errors, lambda: add_milestone(s, ws, body),
                   lambda exc: fw.messages(exc, {"name": "ms_name", "due_date": "ms_due",
                                                 "owner_id": "ms_owner"}, NEW_MS, "ms_name",
                                           form))
        if errors:
            ini = find(s, ws, iid)
            return render_edit(request, s, user, ini, _values(s, ws, ini) | form, errors, 422)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#milestones")


def _milestone(s: Session, ws: int, mid: str) -> Milestone:
    return fw.found(wf.find_milestone(s, ws, key_of(mid, "milestone")), "milestone", mid)


def _ms_values(s: Session, ws: int, ms: Milestone) -> dict[str, str]:
    return {"name": ms.name, "owner": person_names(s, ws, [ms.owner_id]).get(
                ms.owner_id or -1, ""),
            "due_date": ms.due_date.isoformat(),
            "forecast_date": ms.forecast_date.isoformat() if ms.forecast_date else "",
            "duration_days": str(ms.duration_days),
            "completed_on": ms.completed_on.isoformat() if ms.completed_on else "",
            "evidence_url": ms.evidence_url or "", "version": str(ms.version)}


def _render_ms(request: Request, s: Session, user: PageUser, ms: Milestone,
               form: dict[str, str], errors: dict[str, str] | None = None, code: int = 200,
               conflict: dict[str, Any] | None = None) -> Response:
    ws = user.ctx.ws
    ini = views.find(s, ws, ms.initiative_id)
    return render(request, "milestone_edit.html", status_code=fw.status(request, code),
                  m=ms, i=ini, iid=format_id("initiative", ms.initiative_id),
                  mid=format_id("milestone", ms.id), form=form, errors=errors or {},
                  conflict=conflict, choices=choices(s, ws), today=today(s, ws))


def _ms_conflict(s: Session, ws: int, ms: Milestone) -> dict[str, Any]:
    return fw.changed_by(s, ws, Milestone.__tablename__, ms.id, MS_LABELS,
                         {"owner_id": person_names})


@router.get("/milestones/{mid}/edit")
def edit_milestone(request: Request, mid: str, user: User) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        ms = _milestone(s, ws, mid)
        _allow(s, user, scopes.of_milestone(s, ws, ms))
        form = _ms_values(s, ws, ms)
        if not form["completed_on"]:
            form["completed_on"] = today(s, ws).isoformat()
        return _render_ms(request, s, user, ms, form)


def _ms_open(request: Request, s: Session, user: PageUser, mid: str,
             form: dict[str, str]) -> tuple[Milestone, dict[str, str], Response | None]:
    """The milestone a form posts to, once the user may steer it, the values to show
    again (as stored, overlaid with the form's), and the 409 answer — who changed what —
    when the form was read at an older version (else None)."""
    ws = user.ctx.ws
    ms = _milestone(s, ws, mid)
    _allow(s, user, scopes.of_milestone(s, ws, ms))
    shown = _ms_values(s, ws, ms) | form
    c = fw.stale(s, ws, form, ms, MS_LABELS, {"owner_id": person_names})
    if c is None:
        return ms, shown, None
    return ms, shown, _render_ms(request, s, user, ms, shown | {"version": str(ms.version)},
                                 code=409, conflict=c)


@router.post("/milestones/{mid}/edit")
async def save_milestone(request: Request, mid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, (*MS_FIELDS, "version"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ms, shown, refused = _ms_open(request, s, user, mid, form)
        if refused is not None:
            return refused
        owner = fw.one(people_named(s, ws, form["owner"]), "owner", form["owner"],
                       "person", errors)
        body: dict[str, Any] = {
            "name": form["name"] or None,
            "due_date": fw.day(form["due_date"], "due_date", errors),
            "forecast_date": fw.day(form["forecast_date"], "forecast_date", errors,
                                    required=False),
            "owner_id": format_id("person", owner) if owner else None}
        days = fw.number(form["duration_days"] or "1", "duration_days", errors, "5")
        body["duration_days"] = int(days) if days is not None and days == int(days) else days
        if not form["name"]:
            errors["name"] = "Give the milestone a title."
        fw.attempt(s, errors, lambda: update_milestone(s, ws, ms.id, body),
                   lambda exc: fw.messages(exc, {"owner_id": "owner"}, MS_FIELDS, "name",
                                           form))
        if errors:
            ms = _milestone(s, ws, mid)
            return _render_ms(request, s, user, ms, shown, errors, 422)
        target = f"/initiatives/{format_id('initiative', ms.initiative_id)}/edit?saved=1"
    return fw.done_again(request, target + "#milestones")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


@router.post("/milestones/{mid}/complete")
async def complete_milestone(request: Request, mid: str, user: FormUser) -> Response:
    """Complete a milestone with its evidence: a link, or a file (stored with the other
    evidence files, at most 20 MB, and linked from the milestone as the API's
    `evidence_url`: this app's address of it, served only to people of the workspace)."""
    raw = await request.form()
    form = {k: str(raw.get(k) or "").strip() for k in (*DONE_FIELDS, "version")}
    upload = raw.get("evidence_file")
    data = b""
    errors: dict[str, str] = {}
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(files.MAX_UPLOAD + 1)
        if len(data) > files.MAX_UPLOAD:
            errors["evidence_file"] = (
                f"“{upload.filename}” is larger than {_mb(files.MAX_UPLOAD)}; an evidence "
                f"file may be at most {_mb(files.MAX_UPLOAD)}. Link a larger one instead.")
    ws = user.ctx.ws
    with user.ctx.write() as s:
        ms, shown, refused = _ms_open(request, s, user, mid, form)
        if refused is not None:
            return refused
        done_on = fw.day(form["completed_on"], "completed_on", errors)
        has_file = isinstance(upload, UploadFile) and bool(upload.filename)
        if has_file and form["evidence_url"]:
            errors["evidence_url"] = ("Give the evidence as a link or as a file, not both: "
                                      "clear the link to keep the file.")
        elif not has_file and not form["evidence_url"]:
            errors["evidence_url"] = ("Link the evidence that it is done (a document, a "
                                      "ticket, a sign-off), starting with https://, or "
                                      "attach it as a file.")
        url: str | None = form["evidence_url"] or None
        handle = None
        if not errors and has_file and isinstance(upload, UploadFile):
            handle = files.stage(ws, upload.filename, data)
            rel = files.claim_into(s, ws, handle, f"milestones/{ms.id}")
            url = (str(request.base_url).rstrip("/")
                   + f"/milestones/{format_id('milestone', ms.id)}/evidence/"
                   + rel.rsplit("/", 1)[-1])

        def in_place(exc: ValidationFailed) -> dict[str, str]:
            out = fw.messages(exc, {}, DONE_FIELDS, "completed_on", form)
            if "evidence_url" in out and "pattern" in out["evidence_url"]:
                out["evidence_url"] = (f"“{form['evidence_url']}” is not a web link; "
                                       "enter one starting with https://.")
            return out

        fw.attempt(s, errors, lambda: update_milestone(
            s, ws, ms.id, {"completed_on": done_on, "evidence_url": url}), in_place)
        if errors:
            if handle is not None:
                files.discard(ws, handle)  # the rollback moved it back to staging
            if has_file:
                errors.setdefault("evidence_file", "Nothing was saved: choose the file "
                                                   "again after correcting the above.")
            ms = _milestone(s, ws, mid)
            return _render_ms(request, s, user, ms, shown, errors, 422)
        target = f"/initiatives/{format_id('initiative', ms.initiative_id)}/edit?saved=1"
    return fw.done_again(request, target + "#milestones")


@router.get("/milestones/{mid}/evidence/{name}")
def milestone_evidence(mid: str, name: str, user: User) -> Response:
    """The evidence file a milestone's completion links to (people of its workspace)."""
    ws = user.ctx.ws
    with user.ctx.read() as s:
        ms = _milestone(s, ws, mid)
        if not (ms.evidence_url or "").endswith(f"/evidence/{name}"):
            raise NotFound("evidence file", name)
        key = ms.id
    path = files.stored_path(ws, f"{ws}/milestones/{key}/{name}")
    if path is None:  # only a file inside this workspace's own folder is served
        raise NotFound("evidence file", name)
    return FileResponse(path, filename=path.name.split("_", 1)[-1],
                        content_disposition_type="attachment")


@router.post("/milestones/{mid}/delete")
async def remove_milestone(request: Request, mid: str, user: FormUser) -> Response:
    """Delete a milestone and the dependencies on it (the API's DELETE; the audit log
    keeps them)."""
    form = await fw.read_form(request, ("version",))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        ms, _shown, refused = _ms_open(request, s, user, mid, form)
        if refused is not None:
            return refused
        target = f"/initiatives/{format_id('initiative', ms.initiative_id)}/edit?saved=1"
        delete_milestone(s, ws, ms.id)
    return fw.done_again(request, target + "#milestones")


# --- dependencies -----------------------------------------------------------------------


def _cycle(s: Session, ws: int, exc: CycleRefused) -> str:
    parts = []
    for p in exc.path:
        kind, key = parse_any(p, "path")
        parts.append(f"“{_label(s, ws, key if kind == 'milestone' else None, key)}”")
    return (f"This would close a cycle: {' → '.join(parts)}. Work cannot wait for "
            "itself.")


def _end(s: Session, ws: int, text: str, field: str, errors: dict[str, str]) -> str | None:
    """A dependency end typed as "Initiative › Milestone", a milestone's name, or an
    initiative's name: its public id."""
    if not text:
        errors[field] = "Type a milestone as “Initiative › Milestone”, or pick one."
        return None
    found = wf.milestones_labelled(s, ws, text)
    if found:
        key = fw.one(found, field, text, "milestone", errors)
        return format_id("milestone", key) if key else None
    key = fw.one(wf.initiatives_named(s, ws, text), field, text, "milestone or initiative",
                 errors)
    return format_id("initiative", key) if key else None


def _dep_body(form: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    lag = fw.number(form["dep_lag"] or "0", "dep_lag", errors, "5")
    if lag is not None and lag != int(lag):
        errors["dep_lag"] = f"“{form['dep_lag']}” is not a whole number of days."
    return {"dep_type": form["dep_type"] or "FS", "lag_days": int(lag or 0),
            "need_date": fw.day(form["dep_need"], "dep_need", errors, required=False),
            "committed_date": fw.day(form["dep_committed"], "dep_committed", errors,
                                     required=False)}


DEP_FORM = {"dep_type": "dep_type", "lag_days": "dep_lag", "need_date": "dep_need",
            "committed_date": "dep_committed", "provider": "dep_provider",
            "consumer": "dep_consumer"}


@router.post("/initiatives/{iid}/dependencies")
async def new_dependency(request: Request, iid: str, user: FormUser) -> Response:
    form = await fw.read_form(request, NEW_DEP)
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        ini = find(s, ws, iid)
        prov = _end(s, ws, form["dep_provider"], "dep_provider", errors)
        cons = _end(s, ws, form["dep_consumer"], "dep_consumer", errors)
        body = _dep_body(form, errors) | {"provider": prov, "consumer": cons}
        if cons is not None:  # the API's rule: "steer" where the consumer sits
            kind, key = parse_any(cons, "consumer")
            if kind == "milestone":
                sc = scopes.of_milestone(s, ws, wf.find_milestone(s, ws, key))
            else:
                sc = scopes.of_initiative_id(s, ws, key)
            _allow(s, user, sc)
        else:
            _allow(s, user, scopes.of_initiative(s, ws, ini))
        fw.attempt(s, errors, lambda: create_dependency(s, ws, body),
                   lambda exc: {"dep_consumer": _cycle(s, ws, exc)}
                   if isinstance(exc, CycleRefused)
                   else fw.messages(exc, DEP_FORM, NEW_DEP, "dep_provider", form))
        if errors:
            ini = find(s, ws, iid)
            return render_edit(request, s, user, ini, _values(s, ws, ini) | form, errors, 422)
    return fw.done_again(request, f"/initiatives/{iid}/edit?saved=1#dependencies")


def _dependency(s: Session, ws: int, did: str) -> Dependency:
    return fw.found(wf.find_dependency(s, ws, key_of(did, "dependency")), "dependency", did)


def _dep_values(d: Dependency) -> dict[str, str]:
    return {"dep_type": d.dep_type.value, "dep_lag": str(d.lag_days),
            "dep_need": d.need_date.isoformat() if d.need_date else "",
            "dep_committed": d.committed_date.isoformat() if d.committed_date else "",
            "version": str(d.version)}


def _render_dep(request: Request, s: Session, user: PageUser, d: Dependency,
                form: dict[str, str], errors: dict[str, str] | None = None, code: int = 200,
                conflict: dict[str, Any] | None = None, back: str = "") -> Response:
    ws = user.ctx.ws
    return render(request, "dependency_edit.html", status_code=fw.status(request, code),
                  d=d, did=format_id("dependency", d.id), form=form, errors=errors or {},
                  conflict=conflict, dep_types=[t.value for t in DepType], back=back,
                  provider=_label(s, ws, d.provider_milestone_id, d.provider_initiative_id),
                  consumer=_label(s, ws, d.consumer_milestone_id, d.consumer_initiative_id))


def _back(iid: str) -> str:
    try:
        return f"/initiatives/{format_id('initiative', key_of(iid, 'initiative'))}/edit"
    except NotFound:
        return "/initiatives"


@router.get("/dependencies/{did}/edit")
def edit_dependency(request: Request, did: str, user: User, back: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        d = _dependency(s, ws, did)
        _allow(s, user, scopes.of_dependency(s, ws, d))
        return _render_dep(request, s, user, d, _dep_values(d), back=back)


@router.post("/dependencies/{did}/edit")
async def save_dependency(request: Request, did: str, user: FormUser) -> Response:
    form = await fw.read_form(request, (*DEP_FIELDS, "version", "back"))
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        d = _dependency(s, ws, did)
        _allow(s, user, scopes.of_dependency(s, ws, d))
        if form["version"] != str(d.version):
            return _render_dep(request, s, user, d, form | {"version": str(d.version)},
                               code=409, back=form["back"], conflict=fw.changed_by(
                                   s, ws, Dependency.__tablename__, d.id, DEP_LABELS))
        body = _dep_body(form, errors)
        fw.attempt(s, errors, lambda: update_dependency(s, ws, d.id, body),
                   lambda exc: fw.messages(exc, DEP_FORM, DEP_FIELDS, "dep_type", form))
        if errors:
            return _render_dep(request, s, user, _dependency(s, ws, did), form, errors, 422,
                               back=form["back"])
    return fw.done_again(request, (_back(form["back"]) if form["back"] else "/initiatives")
                   + "?saved=1#dependencies")


@router.post("/dependencies/{did}/remove")
async def remove_dependency(request: Request, did: str, user: FormUser) -> Response:
    form = await fw.read_form(request, ("back",))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        d = _dependency(s, ws, did)
        _allow(s, user, scopes.of_dependency(s, ws, d))
        delete_dependency(s, ws, d.id)
    target = _back(form["back"]) if form["back"] else "/initiatives"
    return fw.done_again(request, target + "?saved=1#dependencies")

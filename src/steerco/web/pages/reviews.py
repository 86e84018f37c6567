"""Review meetings in the browser: the reviews per unit, a review with its agenda and
pack, and meeting mode (walk the agenda item by item, record decisions and actions on
the spot, mark items discussed, close the review).

Every change goes through the API's own services and rules: a decision is
`governance.service.record_decision` behind the same "steer" check as POST /decisions;
actions, discussed marks, generating the agenda and closing are "model" on the review's
org unit, as their API routes. Forms keep the input and name the field on a refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from steerco.authz import scopes
from steerco.db.enums import DecisionKind
from steerco.db.models import Review
from steerco.evidence.service import CACHE
from steerco.governance.agenda import LEVEL, SECTIONS
from steerco.governance.service import (
    add_action,
    close_review,
    end_series,
    generate_agenda,
    record_decision,
    series_end,
    set_action_done,
    set_discussed,
)
from steerco.kit.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    SteercoError,
)
from steerco.kit.ids import format_id, parse_any
from steerco.reports.pack import (
    KIND_LABELS,
    RUNGS,
    PdfUnavailable,
    pack_data,
    pack_html,
    pack_pdf,
    since_json,
)
from steerco.views import Session
from steerco.views import reviews as views
from steerco.views.labels import titled_agenda
from steerco.views.names import choices, people_named, person_names, unit_names
from steerco.web.pages import forms as fw
from steerco.web.pages.common import WORK, key_of, today
from steerco.web.pages.render import PageRoute, error_page, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
REFUSED = "only the strategy office (or an admin) over the review's org unit can run it"
DECISION_KINDS = [k.value for k in DecisionKind]


def _find(s: Session, ws: int, rid: str) -> Review:
    r = views.find(s, ws, key_of(rid, "review"))
    if r is None:
        raise NotFound("review", rid)
    return r


def _may_run(s: Session, user: PageUser, r: Review) -> bool:
    return user.can(s, "model", scopes.of_review(s, user.ctx.ws, r).unit)


def _allow(s: Session, user: PageUser, r: Review) -> None:
    if not _may_run(s, user, r):
        raise Forbidden(REFUSED)


def _done(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# --- the list ---------------------------------------------------------------------------


@router.get("/reviews")
def review_list(request: Request, user: User) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        now = today(s, ws)
        rows = views.reviews(s, ws)
        units = unit_names(s, ws, [r.org_unit_id for r in rows])
        chairs = person_names(s, ws, [r.chair_id for r in rows])
    groups: dict[str, list[dict[str, Any]]] = {}
    for (unit, kind), series in views.series_of(rows).items():
        coming = [r for r in series if r.closed_at is None and r.scheduled_for >= now]
        # Held: closed, or marked held (a held review need not have been closed).
        held = [r for r in series if r.closed_at is not None or r.held_on is not None]
        groups.setdefault(units.get(unit or -1, "The whole company"), []).append({
            "kind": KIND_LABELS.get(kind, kind), "next": coming[0] if coming else None,
            "last": held[-1] if held else None,
            "reviews": [{"r": r, "id": format_id("review", r.id),
                         "chair": chairs.get(r.chair_id or -1, "—")}
                        for r in reversed(series)][:8],
            "count": len(series)})
    ordered = sorted(groups.items(), key=lambda g: (g[0] != "The whole company", g[0]))
    return render(request, "reviews.html", groups=ordered, today=now)


# --- one review -------------------------------------------------------------------------


def _context(s: Session, user: PageUser, r: Review) -> dict[str, Any]:
    ws = user.ctx.ws
    agenda = titled_agenda(s, ws, r.agenda or [])
    decisions = views.decisions_of(s, ws, r.id)
    actions = views.actions_of(s, ws, r.id)
    assignees = [int(i["assignee_id"].split("_")[1]) for i in agenda if i.get("assignee_id")]
    people = person_names(s, ws, [r.chair_id, *(r.attendee_ids or []), *assignees,
                                  *(d.decided_by_id for d in decisions),
                                  *(a.owner_id for a in actions)])
    esc_keys = [parse_any(i["escalation_id"], "escalation_id")[1] for i in agenda
                if i.get("escalation_id")]
    resolved = views.resolved_escalations(s, ws, esc_keys)
    for i in agenda:
        aid = i.get("assignee_id")
        i["assignee"] = people.get(int(aid.split("_")[1]), "nobody") if aid else None
        esc = i.get("escalation_id")
        i["decided"] = bool(esc) and parse_any(esc, "escalation_id")[1] in resolved
    titles = {i["key"]: i["title"] for i in agenda}
    now = today(s, ws)
    may_run = _may_run(s, user, r)
    since = since_json(s, ws, r, now)
    for a in since["actions"]:
        a["may_mark"] = may_run or a["owner_id"] == user.person_id
    return {
        "r": r, "rid": format_id("review", r.id),
        "kind": KIND_LABELS.get(r.kind.value, r.kind.value),
        "level": RUNGS[LEVEL.get(r.kind, 0)],
        "unit": unit_names(s, ws, [r.org_unit_id]).get(r.org_unit_id or -1,
                                                       "The whole company"),
        "chair": people.get(r.chair_id or -1), "agenda": agenda,
        "attendees": [people[p] for p in r.attendee_ids or [] if p in people],
        "sections": [(name, [i for i in agenda if i["type"] == t])
                     for t, name in SECTIONS.items()],
        "discussed": set(r.discussed or []),
        "decisions": [{"kind": d.kind.value, "rationale": d.rationale, "on": d.decided_on,
                       "by": people.get(d.decided_by_id, "?"),
                       "about": titles.get(format_id(d.subject_kind, d.subject_id), "")
                       if d.subject_kind and d.subject_id else ""} for d in decisions],
        "actions": [{"id": format_id("review_action", a.id), "title": a.title,
                     "owner": people.get(a.owner_id, "?"), "due": a.due_on,
                     "about": titles.get(a.item_key or "", ""), "done": a.done,
                     "done_on": a.done_on, "overdue": not a.done and a.due_on < now,
                     "may_mark": may_run or a.owner_id == user.person_id}
                    for a in actions],
        "may_run": may_run, "since": since, "today": now, "series": _series(s, ws, r),
        "series_error": None,
    }


def _series(s: Session, ws: int, r: Review) -> dict[str, Any]:
    """Whether the review's series goes on (the daily job schedules its next review) or
    was ended, when and by whom; its latest review."""
    last = views.latest_in_series(s, ws, r)
    ended = series_end(last)
    by = person_names(s, ws, [ended["by"]]).get(ended["by"]) if ended and ended.get(
        "by") else None
    return {"ended": ended, "on": dt.date.fromisoformat(ended["on"]) if ended else None,
            "by": by, "last": last, "last_id": format_id("review", last.id)}


@router.get("/reviews/{rid}")
def review_page(request: Request, rid: str, user: User) -> Response:
    with user.ctx.read() as s:
        ctx = _context(s, user, _find(s, user.ctx.ws, rid))
    return render(request, "review.html", **ctx)


@router.post("/reviews/{rid}/agenda")
def review_agenda(request: Request, rid: str, user: FormUser) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        _allow(s, user, _find(s, ws, rid))
        st = CACHE.state(s, ws, today(s, ws))
        found = WORK.get(s, ws).findings
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        try:
            generate_agenda(s, ws, r.id, st, found)
        except Conflict as exc:  # held meanwhile (another tab): its agenda is its record
            s.rollback()
            ctx = _context(s, user, _find(s, ws, rid))
            return render(request, "review.html", status_code=fw.status(request, 409),
                          **ctx, agenda_error=exc.detail)
    return _done(request, f"/reviews/{rid}")


def _pack(user: PageUser, rid: str) -> tuple[str, str]:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        r = _find(s, ws, rid)
        st = CACHE.state(s, ws, today(s, ws))
        return pack_html(pack_data(s, ws, r.id, st)), f"review-{r.scheduled_for}-{r.id}"


@router.get("/reviews/{rid}/pack")
def review_pack_html(rid: str, user: User) -> Response:
    html, name = _pack(user, rid)
    return HTMLResponse(html, headers={"Content-Disposition": f'inline; filename="{name}.html"'})


@router.get("/reviews/{rid}/pack.pdf")
def review_pack_pdf(request: Request, rid: str, user: User) -> Response:
    html, name = _pack(user, rid)
    try:
        pdf = pack_pdf(html, base_url=str(request.base_url))
    except PdfUnavailable as exc:
        return error_page(request, 503, exc.title, exc.detail)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


# --- meeting mode -----------------------------------------------------------------------


def _meeting(request: Request, s: Session, user: PageUser, r: Review, at: int,
             form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
             status_code: int = 200) -> Response:
    ctx = _context(s, user, r)
    agenda = ctx["agenda"]
    at = min(max(0, at), max(0, len(agenda) - 1))
    item = agenda[at] if agenda else None
    defaults = {"kind": "replan_date", "rationale": "", "title": "", "owner": "",
                "due": (today(s, user.ctx.ws) + dt.timedelta(days=7)).isoformat()}
    if request.headers.get("hx-request"):
        status_code = 200
    return render(request, "review_meeting.html", status_code=status_code, **ctx, at=at,
                  item=item, form=defaults | (form or {}), errors=errors or {},
                  kinds=DECISION_KINDS, choices=choices(s, user.ctx.ws))


@router.get("/reviews/{rid}/meeting")
def meeting(request: Request, rid: str, user: User, item: int = 0) -> Response:
    with user.ctx.read() as s:
        r = _find(s, user.ctx.ws, rid)
        _allow(s, user, r)
        return _meeting(request, s, user, r, item)


async def _form(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    raw = await request.form()
    return {k: str(raw.get(k) or "").strip() for k in names}


def _at(form: dict[str, str]) -> int:
    return int(form["at"]) if form.get("at", "").isdigit() else 0


def _item_of(r: Review, at: int) -> dict[str, Any]:
    agenda = r.agenda or []
    if not agenda:
        raise Conflict("the review has no agenda yet: generate it first")
    return dict(agenda[min(at, len(agenda) - 1)])


def _check(s: Session, errors: dict[str, str], call: Callable[[], Any],
           field: Callable[[FieldError], str], fallback: str) -> None:
    """Run a meeting form's service `call` (a check only when the form has `errors`):
    every refusal lands next to its `field`, with what the form found itself."""
    def refused(exc: SteercoError) -> dict[str, str]:
        return {field(e): e.message for e in exc.errors} or {fallback: exc.detail}
    try:
        fw.attempt(s, errors, call, refused)
    except Conflict as exc:  # the review was held meanwhile
        s.rollback()
        fw.merge(errors, refused(exc))


def _closed(r: Review) -> dict[str, str]:
    return {"form": "The review is closed: nothing can be added to it."} if r.closed_at else {}


@router.post("/reviews/{rid}/meeting/decision")
async def meeting_decision(request: Request, rid: str, user: FormUser) -> Response:
    form = await _form(request, ("at", "kind", "rationale"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        at = _at(form)
        item = _item_of(r, at)
        errors = _closed(r)
        if not form["rationale"]:
            errors["rationale"] = "Say why: the rationale is kept with the decision."
        if form["kind"] not in DECISION_KINDS:
            errors["kind"] = f"“{form['kind']}” is not a kind of decision; pick one."
        body: dict[str, Any] = {"kind": form["kind"], "rationale": form["rationale"],
                                "review_id": format_id("review", r.id)}
        if item.get("escalation_id") and not item.get("decided"):
            body["escalation_id"] = item["escalation_id"]
            sc = scopes.of_escalation_id(s, ws, parse_any(item["escalation_id"], "id")[1])
        else:
            body["subject_id"] = item["subject_id"]
            sc = scopes.of_subject(s, ws, *parse_any(item["subject_id"], "subject_id"))
        # The same rule as POST /decisions: "steer" on what the decision is about.
        if not user.can(s, "steer", sc.unit, list(sc.owners)):
            errors["kind"] = ("Only the owner of this item, an executive or the strategy "
                              "office over its org unit can decide about it.")
        _check(s, errors, lambda: record_decision(s, ws, body, user.person_id),
               lambda e: "rationale" if e.field == "rationale" else "kind", "kind")
        if errors:
            return _meeting(request, s, user, r, at, form, errors, status_code=422)
    return _done(request, f"/reviews/{rid}/meeting?item={at}&saved=decision")


@router.post("/reviews/{rid}/meeting/action")
async def meeting_action(request: Request, rid: str, user: FormUser) -> Response:
    form = await _form(request, ("at", "title", "owner", "due"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        at = _at(form)
        item = _item_of(r, at)
        errors = _closed(r)
        found = people_named(s, ws, form["owner"]) if form["owner"] else []
        if not form["owner"]:
            errors["owner"] = "Type the name of the person who owns this action."
        elif not found:
            errors["owner"] = f"No person is called “{form['owner']}”. Pick one from the list."
        elif len(found) > 1:
            errors["owner"] = (f"{len(found)} people are called “{form['owner']}”; type the "
                               "e-mail to say which.")
        if not form["title"]:
            errors["title"] = "Say what is to be done."
        due: dt.date | None = None
        try:
            due = dt.date.fromisoformat(form["due"])
        except ValueError:
            errors["due"] = (f"“{form['due']}” is not a date; enter one like 2026-01-31."
                             if form["due"] else "Enter the date it is due.")
        action = {"title": form["title"], "due_on": due, "item": item["key"],
                  "owner_id": format_id("person", found[0].id) if len(found) == 1 else None}
        field = {"owner_id": "owner", "due_on": "due"}
        _check(s, errors, lambda: add_action(s, ws, r.id, action),
               lambda e: field.get(e.field, "title"), "title")
        if errors:
            return _meeting(request, s, user, r, at, form, errors, status_code=422)
    return _done(request, f"/reviews/{rid}/meeting?item={at}&saved=action")


@router.post("/reviews/{rid}/meeting/discussed")
async def meeting_discussed(request: Request, rid: str, user: FormUser) -> Response:
    form = await _form(request, ("at", "discussed"))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        at = _at(form)
        item = _item_of(r, at)
        set_discussed(s, ws, r.id, {"item": item["key"], "discussed": form["discussed"] != "0"})
        last = len(r.agenda or []) - 1
    nxt = min(at + 1, last) if form["discussed"] != "0" else at
    return _done(request, f"/reviews/{rid}/meeting?item={nxt}")


@router.post("/reviews/{rid}/meeting/close")
def meeting_close(request: Request, rid: str, user: FormUser) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        _allow(s, user, _find(s, ws, rid))
        st = CACHE.state(s, ws, today(s, ws))
        found = WORK.get(s, ws).findings
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        close_review(s, ws, r.id, st, found)
    return _done(request, f"/reviews/{rid}?closed=1")


# --- actions: done and reopened (from the review page and My work) ----------------------

ACTION_REFUSED = ("only the action's owner, or the strategy office (or an admin) over its "
                  "review's org unit, can mark it done or reopen it")


def _back(target: str, fallback: str) -> str:
    """A local page to go back to (never another site)."""
    return target if target.startswith("/") and not target.startswith("//") else fallback


async def _mark_action(request: Request, aid: str, user: PageUser, done: bool) -> Response:
    form = await _form(request, ("next",))
    ws = user.ctx.ws
    with user.ctx.write() as s:
        found = views.action(s, ws, key_of(aid, "review_action"))
        if found is None:
            raise NotFound("review action", aid)
        a, r = found
        if a.owner_id != user.person_id and not _may_run(s, user, r):
            raise Forbidden(ACTION_REFUSED)
        set_action_done(s, ws, a.id, done, user.person_id, today(s, ws))
        rid = format_id("review", r.id)
    return _done(request, _back(form["next"], f"/reviews/{rid}"))


@router.post("/review-actions/{aid}/done")
async def action_done(request: Request, aid: str, user: FormUser) -> Response:
    return await _mark_action(request, aid, user, True)


@router.post("/review-actions/{aid}/reopen")
async def action_reopen(request: Request, aid: str, user: FormUser) -> Response:
    return await _mark_action(request, aid, user, False)


# --- a series ended (the daily job schedules no more of it) or resumed -----------------

SERIES_CONFIRM = ("Tick 'Yes, end this series' to confirm it: nothing was changed, and "
                  "its reviews are still scheduled at its cadence.")


@router.post("/reviews/{rid}/series/end")
async def series_end_page(request: Request, rid: str, user: FormUser) -> Response:
    form = await _form(request, ("confirm",))
    ws = user.ctx.ws
    if form["confirm"] != "1":
        with user.ctx.read() as s:
            r = _find(s, ws, rid)
            _allow(s, user, r)
            # htmx swaps only a 2xx answer in: the refusal then comes as 200.
            return render(request, "review.html",
                          status_code=200 if request.headers.get("hx-request") else 422,
                          **_context(s, user, r) | {"series_error": SERIES_CONFIRM})
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        end_series(s, ws, r.id, True, user.person_id, today(s, ws))
    return _done(request, f"/reviews/{rid}?series=ended#h-series")


@router.post("/reviews/{rid}/series/resume")
async def series_resume_page(request: Request, rid: str, user: FormUser) -> Response:
    await _form(request, ())
    ws = user.ctx.ws
    with user.ctx.write() as s:
        r = _find(s, ws, rid)
        _allow(s, user, r)
        end_series(s, ws, r.id, False, user.person_id, today(s, ws))
    return _done(request, f"/reviews/{rid}?series=resumed#h-series")

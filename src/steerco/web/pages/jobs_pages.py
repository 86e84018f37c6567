"""Background jobs and deliveries for admins (/admin/jobs: every job's last and next
run, duration and last error; webhook deliveries that gave up, with "Resend"), and the
in-app inbox: the unread count in the header, the list in My work, "mark all read".

The header and My work call the template globals `inbox_unread(user)` and
`inbox_of(user)` registered here, so no other page module needs to know the inbox.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.accounts.errors import Forbidden
from steerco.jobs import service
from steerco.jobs.events import EVENT_TYPES
from steerco.kit import clock
from steerco.kit.errors import NotFound, ValidationFailed
from steerco.kit.ids import parse_key
from steerco.views import jobs as views
from steerco.web.pages.forms import status as shown_status
from steerco.web.pages.render import ENV, PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _require_admin(user: PageUser) -> None:
    if not user.models:
        raise Forbidden("jobs and deliveries are for admins and the strategy office")


def inbox_unread(user: PageUser | None) -> int:
    """How many inbox items of the signed-in person are unread (0 when signed out)."""
    if user is None:
        return 0
    with user.ctx.read() as s:
        return views.unread_count(s, user.ctx.ws, user.person_id)


def inbox_of(user: PageUser | None, limit: int = 8) -> list[Any]:
    """The signed-in person's newest inbox items."""
    if user is None:
        return []
    with user.ctx.read() as s:
        return views.inbox(s, user.ctx.ws, user.person_id, limit)


ENV.globals["inbox_unread"] = inbox_unread
ENV.globals["inbox_of"] = inbox_of


def _jobs(request: Request, user: PageUser, status_code: int = 200, **extra: Any) -> Response:
    """The jobs page; `extra`: resent, hook_form, hook_errors, created (url, secret),
    hook_done (what happened to a subscription)."""
    ws = user.ctx.ws
    with user.ctx.read() as s:
        rows = views.job_rows(s, clock.now(), ws)
        failed = views.failed_deliveries(s, ws)
        summary = views.delivery_summary(s, ws)
        subs = views.webhook_subscriptions(s, ws)
    ctx: dict[str, Any] = {"resent": "", "hook_form": {"url": "", "events": [],
                                                       "description": ""},
                           "hook_errors": {}, "created": None, "hook_done": ""} | extra
    return render(request, "admin/jobs.html", status_code, jobs=rows, failed=failed,
                  summary=summary, subs=subs, event_types=EVENT_TYPES, **ctx)


@router.get("/admin/jobs")
def jobs_page(request: Request, user: User, resent: str = "", done: str = "") -> Response:
    _require_admin(user)
    return _jobs(request, user, resent=resent, hook_done=done)


@router.post("/admin/jobs/webhooks")
async def add_hook(request: Request, user: FormUser) -> Response:
    """Subscribe a URL (the same service as `steerco webhooks add`); the secret is shown
    on this one response and never again."""
    _require_admin(user)
    raw = await request.form()
    form = {"url": str(raw.get("url") or "").strip(),
            "events": [str(e) for e in raw.getlist("events")],
            "description": str(raw.get("description") or "").strip()}
    try:
        with user.ctx.write() as s:
            sub, secret = service.add_webhook(s, user.ctx.ws, form)
            created = {"url": sub.url, "secret": secret}
    except ValidationFailed as exc:
        return _jobs(request, user, shown_status(request, 422), hook_form=form,
                     hook_errors=_hook_errors(exc, form))
    return _jobs(request, user, 201, created=created)


def _hook_errors(exc: ValidationFailed, form: dict[str, Any]) -> dict[str, str]:
    """Field → message naming the value and why (events: 'choose at least one')."""
    out: dict[str, str] = {}
    for e in exc.errors:
        field = e.field.split(".")[0]
        if field == "url":
            out.setdefault("url", f"“{form['url']}” is not a web address: it must start "
                           "with http:// or https:// and name a host, e.g. "
                           "https://hooks.example.com/steerco." if form["url"] else
                           "Enter the address steerco should POST events to.")
        elif field == "events":
            out.setdefault("events", "Choose at least one event type to send.")
        else:
            out.setdefault(field, e.message)
    return out


@router.post("/admin/jobs/webhooks/{key}/{action}")
def change_hook(key: str, action: str, user: FormUser) -> Response:
    """Pause, resume or remove a subscription."""
    _require_admin(user)
    found = parse_key(key)
    if found is None or action not in ("pause", "resume", "remove"):
        raise NotFound("webhook", key)
    with user.ctx.write() as s:
        if action == "remove":
            url = service.remove_webhook(s, user.ctx.ws, found)
        else:
            url = service.set_webhook_active(s, user.ctx.ws, found, action == "resume").url
    done = {"pause": "paused", "resume": "resumed", "remove": "removed"}[action]
    return RedirectResponse(f"/admin/jobs?{urlencode({'done': f'{url} {done}'})}#h-hooks",
                            status_code=303)


@router.post("/admin/jobs/deliveries/{key}/resend")
def resend(key: str, user: FormUser) -> Response:
    _require_admin(user)
    from steerco.jobs import repository as repo

    found = parse_key(key)
    with user.ctx.write() as s:
        ok = found is not None and repo.resend(s, user.ctx.ws, found, clock.now())
    return RedirectResponse(f"/admin/jobs?resent={key if ok else ''}", status_code=303)


@router.post("/inbox/read")
def mark_read(user: FormUser) -> Response:
    with user.ctx.write() as s:
        views.mark_read(s, user.ctx.ws, user.person_id, clock.now())
    return RedirectResponse("/my-work#h-inbox", status_code=303)


# --- notification preferences (the same service as PUT /me/notification-preferences) ---

#: What each e-mail choice means, in the order the page offers them.
EMAIL_CHOICES = (("immediate", "E-mail me at once"),
                 ("digest", "One e-mail a day (the daily digest)"),
                 ("off", "No e-mail: the inbox in My work only"))


def _prefs_page(request: Request, form: dict[str, Any], errors: dict[str, str],
                saved: bool = False, status_code: int = 200) -> Response:
    return render(request, "notifications.html", status_code, form=form, errors=errors,
                  saved=saved, event_types=EVENT_TYPES, email_choices=EMAIL_CHOICES)


@router.get("/my-work/notifications")
def prefs_page(request: Request, user: User, saved: str = "") -> Response:
    with user.ctx.read() as s:
        p = service.get_prefs(s, user.ctx.ws, user.person_id)
    form = {"events": list(EVENT_TYPES) if p.events is None else p.events, "email": p.email,
            "quiet_start": "" if p.quiet_start is None else str(p.quiet_start),
            "quiet_end": "" if p.quiet_end is None else str(p.quiet_end)}
    return _prefs_page(request, form, {}, saved=bool(saved))


@router.post("/my-work/notifications")
async def save_prefs(request: Request, user: FormUser) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {"events": [str(e) for e in raw.getlist("events")],
                            "email": str(raw.get("email") or ""),
                            "quiet_start": str(raw.get("quiet_start") or "").strip(),
                            "quiet_end": str(raw.get("quiet_end") or "").strip()}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"email": form["email"],
                            # Every type ticked means every type, including future ones.
                            "events": None if set(EVENT_TYPES) <= set(form["events"])
                            else form["events"]}
    for f, label in (("quiet_start", "start"), ("quiet_end", "end")):
        v = form[f]
        if v and not (v.isdigit() and 0 <= int(v) <= 23):
            errors[f] = f"“{v}” is not an hour; the quiet hours {label} is an hour from 0 to 23."
        body[f] = int(v) if v.isdigit() else None
    if not errors:
        try:
            with user.ctx.write() as s:
                service.set_prefs(s, user.ctx.ws, user.person_id, body)
        except ValidationFailed as exc:
            errors = _pref_errors(exc, form)
    if errors:
        return _prefs_page(request, form, errors, status_code=shown_status(request, 422))
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": "/my-work/notifications?saved=1"})
    return RedirectResponse("/my-work/notifications?saved=1", status_code=303)


def _pref_errors(exc: ValidationFailed, form: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        field = e.field.split(".")[0]
        if field == "email":
            out["email"] = (f"“{form['email']}” is not a choice; pick how e-mail reaches you."
                            if form["email"] else "Pick how e-mail reaches you.")
        elif field in ("quiet_start", "quiet_end"):
            out[field] = e.message[:1].upper() + e.message[1:] + "."
        else:
            out.setdefault(field, e.message)
    return out

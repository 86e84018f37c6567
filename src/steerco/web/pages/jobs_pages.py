"""Background jobs and deliveries for admins (/admin/jobs: every job's last and next
run, duration and last error; webhook deliveries that gave up, with "Resend"), and the
in-app inbox: the unread count in the header, the list in My work, "mark all read".

The header and My work call the template globals `inbox_unread(user)` and
`inbox_of(user)` registered here, so no other page module needs to know the inbox.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.accounts.errors import Forbidden
from steerco.kit import clock
from steerco.kit.ids import parse_key
from steerco.views import jobs as views
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


@router.get("/admin/jobs")
def jobs_page(request: Request, user: User, resent: str = "") -> Response:
    _require_admin(user)
    ws = user.ctx.ws
    with user.ctx.read() as s:
        rows = views.job_rows(s, clock.now(), ws)
        failed = views.failed_deliveries(s, ws)
        summary = views.delivery_summary(s, ws)
        subs = views.webhook_subscriptions(s, ws)
    return render(request, "admin/jobs.html", jobs=rows, failed=failed, summary=summary,
                  subs=subs, resent=resent)


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

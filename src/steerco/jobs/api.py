"""Your notifications and your notification preferences (thin routes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from steerco.http.auth import Reader, Writer
from steerco.http.rest import AUTH_ERRORS
from steerco.jobs import service
from steerco.jobs.delivery import message_id
from steerco.kit import clock
from steerco.views import jobs as views

router = APIRouter(tags=["notifications"])


@router.get("/me/notifications", responses=AUTH_ERRORS,
            summary="Your inbox: unread count and newest items")
def my_notifications(ctx: Reader) -> dict[str, Any]:
    with ctx.read() as s:
        items = views.inbox(s, ctx.ws, ctx.principal.person_id, 50)
        return {"unread": views.unread_count(s, ctx.ws, ctx.principal.person_id),
                "items": [{"message_id": message_id(int(i.message_id)), "event": i.event,
                           "title": i.title, "link": i.link,
                           "created_at": i.created_at.isoformat(),
                           "read": i.read_at is not None} for i in items]}


@router.post("/me/notifications/read", responses=AUTH_ERRORS,
             summary="Mark every notification of yours read")
def read_all(ctx: Writer) -> dict[str, int]:
    with ctx.write() as s:
        return {"marked": views.mark_read(s, ctx.ws, ctx.principal.person_id, clock.now())}


@router.get("/me/notification-preferences", response_model=service.Prefs,
            responses=AUTH_ERRORS,
            summary="Which events reach you, e-mail at once or as a daily digest, quiet hours")
def get_preferences(ctx: Reader) -> service.Prefs:
    with ctx.read() as s:
        return service.get_prefs(s, ctx.ws, ctx.principal.person_id)


@router.put("/me/notification-preferences", response_model=service.Prefs,
            responses=AUTH_ERRORS,
            summary="Set which events reach you, how e-mail comes, and your quiet hours")
def put_preferences(body: service.Prefs, ctx: Writer) -> service.Prefs:
    with ctx.write() as s:
        return service.set_prefs(s, ctx.ws, ctx.principal.person_id, body)

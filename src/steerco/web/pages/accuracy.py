"""Accuracy: how well each owner's check-in confidences predicted their targets.

A strategy office wants to know whose "90 % sure" means 90 %: once a metric's target
date passes, every confidence its owner gave at check-in before that date is judged
against whether the target was met (steerco.views.accuracy, the same answer as
GET /api/v1/accuracy/owners and `steerco accuracy`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.views.accuracy import owner_accuracy
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import User

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/accuracy")
def accuracy(request: Request, user: User) -> Response:
    with user.ctx.read() as s:
        report = owner_accuracy(s, user.ctx.ws)
    return render(request, "accuracy.html", report=report)

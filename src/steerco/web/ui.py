"""The web pages: mount them (and their static files) on the app built by `create_app`.

`mount_ui(app)` adds the HTML routes, `/static`, a friendly HTML 404 for unknown page
addresses (the API keeps its JSON problems), and warms the engine caches of every
workspace in a background thread so the first visitor does not wait for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.requests import Request

from steerco.kit import heap
from steerco.web.pages import (
    accuracy,
    admin,
    auth_pages,
    cockpit,
    connectors,
    corrections,
    deciding,
    explorer,
    finance,
    imports,
    initiative_edit,
    initiatives,
    jobs_pages,
    metric_edit,
    metrics,
    objective_edit,
    objectives,
    reviews,
    units,
    work_items,
)
from steerco.web.pages import findings_page as findings_page
from steerco.web.pages.render import STATIC, error_page

log = logging.getLogger("steerco.web.ui")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                Awaitable[None]]
#: Paths that are not pages: their 404s stay JSON.
NOT_PAGES = ("/api", "/docs", "/healthz", "/static", "/openapi")


class HtmlNotFound:
    """Answer a browser's 404 on a page address with the friendly HTML page."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:
        if (scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD")
                or str(scope.get("path", "")).startswith(NOT_PAGES)):
            await self.app(scope, receive, send)
            return
        accept = dict(scope.get("headers") or []).get(b"accept", b"")
        if b"text/html" not in accept:
            await self.app(scope, receive, send)
            return
        swallowed = False

        async def guarded(message: Message) -> None:
            nonlocal swallowed
            if message["type"] == "http.response.start" and message["status"] == 404:
                ctype = dict(message.get("headers") or []).get(b"content-type", b"")
                if b"text/html" not in ctype:
                    swallowed = True
                    return
            if swallowed:
                return
            await send(message)

        await self.app(scope, receive, guarded)
        if swallowed:
            page = error_page(Request(scope), 404, "Page not found",
                              "There is no page at this address. It may have moved, or the "
                              "link is mistyped.")
            await page(scope, receive, send)


def _warm(engine: Engine) -> None:
    from steerco.views.work import warm

    try:
        warm(engine)
        heap.settle()  # the page caches are long-lived: keep GC off them
    except Exception:  # warming is an optimisation; the pages compute on demand
        log.exception("warming the page caches failed")


def mount_ui(app: FastAPI, warm: bool = True) -> None:
    """Add the pages, their static files and the HTML 404 to `app`.

    With `warm`, a background thread computes every workspace's findings and schedule
    now, so that the first page view does not wait for them.
    """
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The execution and finance forms (initiative_edit, work_items, finance) come before
    # initiatives: its /initiatives/{iid} would otherwise take /initiatives/new; and
    # metric_edit before metrics, whose /metrics/{mid} would take /metrics/new.
    for module in (auth_pages, cockpit, corrections, objective_edit, objectives, metric_edit,
                   metrics, initiative_edit, work_items, finance, initiatives, explorer,
                   findings_page, units, reviews, admin, accuracy, deciding, connectors,
                   imports, jobs_pages):
        app.include_router(module.router)
    app.add_middleware(HtmlNotFound)
    engine = getattr(app.state, "engine", None)
    if warm and engine is not None:
        threading.Thread(target=_warm, args=(engine,), name="steerco-warm",
                         daemon=True).start()

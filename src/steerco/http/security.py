"""Hardening every response and request: security headers and a request body size limit.

Headers (on every answer, pages, API and static files alike):

- `Content-Security-Policy`: scripts only from this origin (the pages load their
  scripts as files and pass data in `<script type="application/json">` blocks, which are
  never executed), no plugins, no framing (`frame-ancestors 'none'`), forms post only
  here. Inline `style` attributes are allowed: the pages size bars and place timeline
  marks with them. `/docs` (Swagger UI, served from our own vendored copy with FastAPI's
  inline bootstrap script) gets a policy allowing exactly that inline script.
- `X-Frame-Options: DENY` (browsers without CSP), `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: same-origin`.

Bodies larger than BODY_LIMIT (UPLOAD_LIMIT for the evidence uploads and the check-in
form) are refused with 413 in the API's error shape, by Content-Length up front or, for
a chunked body, as soon as the count passes the limit, before anything is stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from steerco.kit.errors import TooLarge

BODY_LIMIT = 1024 * 1024
#: Room for the form fields around an uploaded file.
FORM_SLACK = 64 * 1024

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin")]


class Hardening:
    """Pure ASGI middleware (it must see the raw body stream, which Starlette's
    BaseHTTPMiddleware would buffer). `uploads` matches the paths that take files of up
    to `upload_limit` bytes (the app factory knows them)."""

    def __init__(self, app: Any, uploads: str = "^$", upload_limit: int = BODY_LIMIT,
                 limits: tuple[tuple[str, int], ...] = ()) -> None:
        self.app = app
        self.uploads = re.compile(uploads)
        self.upload_limit = upload_limit + FORM_SLACK
        #: Other paths with their own limit (e.g. the import page's 50 MB files).
        self.limits = [(re.compile(p), n + FORM_SLACK) for p, n in limits]

    def limit_of(self, path: str) -> int:
        for pattern, limit in self.limits:
            if pattern.match(path):
                return limit
        return self.upload_limit if self.uploads.match(path) else BODY_LIMIT

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = (DOCS_CSP if path.startswith("/docs") else CSP).encode()

        state = {"over": False, "answered": False}

        async def send_hardened(message: dict[str, Any]) -> None:
            if state["over"]:  # whatever the app answers to a cut-off body: it was too large
                if not state["answered"]:
                    state["answered"] = True
                    await _refuse(send_hardened_raw, limit, page)
                return
            await send_hardened_raw(message)

        async def send_hardened_raw(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"content-security-policy", policy), *HEADERS]
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        limit = self.limit_of(path)
        page = _wants_html(scope)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _refuse(send_hardened_raw, limit, page)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    state["over"] = True
                    raise TooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send_hardened)
        except TooLarge:
            if state["answered"]:
                return
            state["answered"] = True
            await _refuse(send_hardened_raw, limit, page)


def _content_length(scope: dict[str, Any]) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


def _wants_html(scope: dict[str, Any]) -> bool:
    """A browser's form post to a page (not the API): it gets a page, not JSON."""
    if str(scope.get("path", "")).startswith("/api/"):
        return False
    return any(k == b"accept" and b"text/html" in v for k, v in scope.get("headers", []))


async def _refuse(send: Any, limit: int, page: bool = False) -> None:
    exc = TooLarge(limit)
    if page:  # a plain page (the app's templates are above this layer): what and what now
        mb = (limit - FORM_SLACK) // (1024 * 1024)
        body = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too '
                'large</title></head><body><main><h1>The file is too large</h1><p>This '
                f'page takes files of up to {mb} MB; the upload was larger and was not '
                'stored. Split the file (e.g. one file per sheet), or import it on the '
                'server with <code>steerco import FILE --max-mb N</code>. Go back to '
                'choose another file.</p></main></body></html>').encode()
        ctype = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"type": "toolarge", "title": exc.title, "detail": exc.detail,
                           "errors": [{"field": e.field, "message": e.message}
                                      for e in exc.errors]}).encode()
        ctype = b"application/problem+json"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", ctype),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

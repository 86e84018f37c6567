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

On the paths with a limit of their own (`limits`: the import page and API, 50 MB) an
over-limit file is named: the body is read to its end (up to DRAIN_MAX) and thrown
away, only its first bytes kept to find the file's name (and the form's CSRF token), its
size counted; the API answers 413 "“plan.xlsx” is 63 MB; the limit is 50 MB" in its
error shape, a page is asked again without the file (a form with the CSRF token only,
`request.state.too_large` = {name, size, limit}) to show the form with that message.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from steerco.kit.errors import TooLarge

BODY_LIMIT = 1024 * 1024
#: Room for the form fields around an uploaded file.
FORM_SLACK = 64 * 1024
#: An over-limit upload on a path with its own limit is read (not kept) up to this many
#: bytes to name it; beyond, the connection is cut.
DRAIN_MAX = 1 << 30
#: The bytes of such a body kept to find the file's name and the CSRF token.
HEAD_BYTES = 64 * 1024

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

    def names_files(self, path: str) -> bool:
        return any(pattern.match(path) for pattern, _ in self.limits)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = (DOCS_CSP if path.startswith("/docs") else CSP).encode()

        state = {"over": False, "answered": False}
        named = self.names_files(path)

        async def send_hardened(message: dict[str, Any]) -> None:
            if state["over"]:  # whatever the app answers to a cut-off body: it was too large
                if not state["answered"] and not named:  # (named: answered after the app)
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
        meter = _Meter(scope) if named else None
        if length is not None and length > limit:
            if meter is None or length > DRAIN_MAX:
                await _refuse(send_hardened_raw, limit, page)
                return
            await self._named(scope, receive, send_hardened_raw, meter, limit, page, True)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if meter is not None:
                    meter.feed(body)
                    meter.more = bool(message.get("more_body", False))
                if seen > limit:
                    state["over"] = True
                    raise TooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send_hardened)
        except TooLarge:
            if state["answered"]:
                return
            if meter is None:
                state["answered"] = True
                await _refuse(send_hardened_raw, limit, page)
        except Exception:
            # A layer that turned the cut-off body into another error (its answer was
            # swallowed above): the file is still named below.
            if meter is None or not state["over"]:
                raise
        if meter is not None and state["over"] and not state["answered"]:
            state["answered"] = True
            await self._named(scope, receive, send_hardened_raw, meter, limit, page,
                              meter.more)

    async def _named(self, scope: dict[str, Any], receive: Any, send: Any, meter: _Meter,
                     limit: int, page: bool, more: bool) -> None:
        """Read the rest of an over-limit upload (keeping nothing), then say which file
        and how large: the API in its error shape, a page by asking the app again."""
        while more and meter.total <= DRAIN_MAX:
            message = await receive()
            if message["type"] != "http.request":
                break
            meter.feed(message.get("body", b""))
            more = bool(message.get("more_body", False))
        if more:  # beyond DRAIN_MAX: cut off
            await _refuse(send, limit, page)
            return
        file_limit = limit - FORM_SLACK
        name, size = meter.file_name or "", meter.file_size()
        if not page:
            await _refuse(send, limit, page, name, size)
            return
        body = urlencode({"csrf_token": meter.csrf}).encode() if meter.csrf else b""
        headers = [(k, v) for k, v in scope.get("headers", [])
                   if k not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode())]
        again = {**scope, "headers": headers,
                 "state": {**scope.get("state", {}),
                           "too_large": {"name": name, "size": size, "limit": file_limit}}}
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        await self.app(again, replay, send)


class _Meter:
    """Counts a multipart body and finds, without keeping it, the first file part's name
    and where its bytes end (the next boundary), and the `csrf_token` field."""

    def __init__(self, scope: dict[str, Any]) -> None:
        ctype = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                      if k == b"content-type"), "")
        found = re.search(r'boundary="?([^";]+)"?', ctype)
        self.delim = b"\r\n--" + found.group(1).encode("latin-1") if found else b""
        self.head = bytearray()
        self.total = 0
        self.more = True
        self.file_name: str | None = None
        self.csrf: str | None = None
        self.start: int | None = None
        self.end: int | None = None
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        base = self.total - len(self.carry)
        self.total += len(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[:HEAD_BYTES - len(self.head)]
            if self.start is None:
                self._parse()
        if self.start is not None and self.end is None and self.delim:
            window = self.carry + chunk
            at = window.find(self.delim, max(0, self.start - base))
            if at >= 0:
                self.end = base + at
            self.carry = window[-(len(self.delim) - 1):] if len(self.delim) > 1 else b""

    def _parse(self) -> None:
        if not self.delim:
            return
        head = bytes(self.head)
        sep = self.delim[2:]  # the first boundary has no CRLF before it
        pos = head.find(sep)
        while pos >= 0:
            top = head.find(b"\r\n\r\n", pos)
            if top < 0:
                return
            headers = head[pos:top].decode("utf-8", "replace")
            name = re.search(r'\bname="([^"]*)"', headers)
            filename = re.search(r'filename="([^"]*)"', headers)
            nxt = head.find(self.delim, top + 4)
            if filename is not None:
                self.file_name = filename.group(1).replace("\\", "/").rsplit("/", 1)[-1]
                self.start = top + 4
                return
            if name is not None and name.group(1) == "csrf_token" and nxt >= 0:
                self.csrf = head[top + 4:nxt].decode("utf-8", "replace")
            if nxt < 0:
                return
            pos = nxt + 2

    def file_size(self) -> int:
        if self.start is None:  # no file part found: the body's size
            return self.total
        return (self.end if self.end is not None else self.total) - self.start


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


async def _refuse(send: Any, limit: int, page: bool = False, file: str | None = None,
                  size: int | None = None) -> None:
    if file is not None and size is not None:
        exc = TooLarge(limit - FORM_SLACK, file, size, "Nothing was stored.")
    else:
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
                                      for e in exc.errors]}, ensure_ascii=False).encode()
        ctype = b"application/problem+json"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", ctype),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

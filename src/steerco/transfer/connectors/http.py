"""The HTTP side of a sync: paging-friendly GETs with retries, counted, secret-safe.

429 (with its Retry-After, in seconds or as an HTTP date) and 5xx answers, and network
errors, are retried with exponential backoff and jitter by stamina; anything else that is
not 2xx ends the sync with a `SyncFailed` that names the URL path and status, never the
token: the client sends it only in the Authorization header, and every message passes
through `redact` so that a token echoed back by a server is blanked out too.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import httpx
import stamina

#: Retries of one request: at most this many attempts and this many seconds in all.
ATTEMPTS = 6
TIMEOUT_S = 120.0
#: A Retry-After longer than this is not waited out (the sync fails and says so).
MAX_RETRY_AFTER_S = 60.0


class SyncFailed(Exception):
    """The tool could not be read: nothing was written. The message is safe to show."""


class _Retryable(Exception):
    def __init__(self, status: int, wait: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.wait = wait


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header ('120' or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _backoff(exc: Exception) -> bool | float:
    """stamina's hook: retry network errors and 429/5xx; a Retry-After sets the wait."""
    if isinstance(exc, _Retryable):
        return exc.wait if exc.wait is not None else True
    return isinstance(exc, httpx.TransportError)


class Client:
    """GET JSON from one tool with a token; counts requests (retries included)."""

    def __init__(self, base_url: str, *, secret: str | None, login: str | None = None,
                 bearer: bool = False, transport: httpx.BaseTransport | None = None) -> None:
        self._secrets = [s for s in (secret,) if s]
        if bearer:
            auth: httpx.Auth | None = None
            headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        else:
            auth = httpx.BasicAuth(login or "", secret or "") if secret else None
            headers = {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), auth=auth,
                                  headers={"Accept": "application/json", **headers},
                                  timeout=30.0, transport=transport)
        self.requests = 0

    def redact(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "•••")
        return text

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON body of GET base_url + path; SyncFailed when it cannot be had."""
        try:
            for attempt in stamina.retry_context(on=_backoff, attempts=ATTEMPTS,
                                                 timeout=TIMEOUT_S, wait_initial=0.2,
                                                 wait_max=10.0, wait_jitter=0.3):
                with attempt:
                    return self._once(path, params)
        except _Retryable as exc:
            raise SyncFailed(f"GET {path}: HTTP {exc.status} after {ATTEMPTS} attempts"
                             ) from None
        except httpx.TransportError as exc:
            raise SyncFailed(self.redact(f"GET {path}: {type(exc).__name__}: {exc}")
                             ) from None
        raise AssertionError("unreachable: stamina either returns or raises")

    def _once(self, path: str, params: dict[str, Any] | None) -> Any:
        self.requests += 1
        r = self._http.get(path, params=params)
        if r.status_code == 429 or r.status_code >= 500:
            wait = retry_after(r.headers.get("Retry-After"))
            if wait is not None and wait > MAX_RETRY_AFTER_S:
                raise SyncFailed(f"GET {path}: HTTP 429, retry after {wait:.0f} s: try later")
            raise _Retryable(r.status_code, wait)
        if r.status_code in (401, 403):
            raise SyncFailed(f"GET {path}: HTTP {r.status_code}: the login or token was "
                             "refused (check them on the connector's settings)")
        if r.status_code >= 400:
            raise SyncFailed(self.redact(f"GET {path}: HTTP {r.status_code}: "
                                         f"{_first_error(r)}"))
        try:
            return r.json()
        except ValueError:
            raise SyncFailed(f"GET {path}: the answer is not JSON") from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_error(r: httpx.Response) -> str:
    """Jira's errorMessages / Asana's errors[].message, else the start of the body."""
    try:
        body = r.json()
    except ValueError:
        return r.text[:200]
    if isinstance(body, dict):
        if body.get("errorMessages"):
            return "; ".join(map(str, body["errorMessages"]))[:300]
        if body.get("errors"):
            errs = body["errors"]
            if isinstance(errs, list):
                return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                                 for e in errs)[:300]
            return str(errs)[:300]
    return str(body)[:200]

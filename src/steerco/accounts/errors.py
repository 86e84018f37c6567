"""Refusals of accounts and access, each with the HTTP status the API answers with."""

from __future__ import annotations

from steerco.kit.errors import FieldError, SteercoError


class Unauthenticated(SteercoError):
    """No valid session or token came with the request."""

    title = "Authentication required"
    status = 401


class Forbidden(SteercoError):
    """Authenticated, inside the workspace, but this role may not do this here."""

    title = "Forbidden"
    status = 403


class Throttled(SteercoError):
    """Too many failed logins; try again after `retry_after` seconds."""

    title = "Too many attempts"
    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PreconditionRequired(SteercoError):
    """A write came without If-Match."""

    title = "Precondition required"
    status = 428

    def __init__(self) -> None:
        super().__init__("send If-Match with the ETag of the version you read",
                         [FieldError("If-Match", "required for this write")])


class PreconditionFailed(SteercoError):
    """The version named in If-Match is not the current one (someone wrote first)."""

    title = "Precondition failed"
    status = 412

    def __init__(self, current_version: int | None, detail: str | None = None) -> None:
        super().__init__(detail or f"stale write: the current version is {current_version}",
                         [FieldError("If-Match",
                                     f"current version is {current_version}")])
        self.current_version = current_version


class IdempotencyMismatch(SteercoError):
    """An Idempotency-Key was reused with a different request body."""

    title = "Idempotency key reused"
    status = 422


class TooLarge(SteercoError):
    """A request body (or an uploaded file) is larger than allowed."""

    title = "Request too large"
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit // (1024 * 1024)} MB "
                         f"({limit} bytes), the most this endpoint accepts",
                         [FieldError("body", f"at most {limit} bytes")])
        self.limit = limit

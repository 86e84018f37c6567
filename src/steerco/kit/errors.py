"""Typed errors that every layer raises and the boundaries turn into one clear message.

A refusal names the field, the offending value and why, so a CLI can print one line and
an API can return `errors[{field, message}]` without parsing strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One reason a request was refused: which field, what value, and why."""

    field: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class SteercoError(Exception):
    """Base of every error steerco raises on purpose (never a bug)."""

    title = "Request refused"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = errors or []


class ValidationFailed(SteercoError):
    """Input is well-formed but not acceptable; nothing was written."""

    title = "Validation failed"

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        errs = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(str(e) for e in errs), errs)


class CycleRefused(ValidationFailed):
    """An alignment or dependency would close a cycle; `path` names it in order."""

    title = "Cycle refused"

    def __init__(self, field_name: str, path: list[str]) -> None:
        self.path = path
        msg = "would close a cycle: " + " → ".join(path)
        super().__init__(FieldError(field_name, msg, path))


class NotFound(SteercoError):
    """The entity does not exist in this workspace (or is not visible)."""

    title = "Not found"

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"{entity} {ident} not found")
        self.entity = entity
        self.ident = ident


class Conflict(SteercoError):
    """A write lost a race (stale version) or would duplicate something unique."""

    title = "Conflict"


# --- refusals of access and concurrency (the API answers each with its own status) ------


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

    def __init__(self, limit: int, file: str | None = None, size: int | None = None,
                 hint: str = "") -> None:
        """`file` and `size` (bytes): an uploaded file over `limit`, named in the answer
        ("“plan.xlsx” is 63 MB; the limit is 50 MB"), on the field `file`."""
        if file is None or size is None:
            super().__init__(f"the request body is larger than {limit // (1024 * 1024)} MB "
                             f"({limit} bytes), the most this endpoint accepts",
                             [FieldError("body", f"at most {limit} bytes")])
        else:
            said = file_too_large(file, size, limit)
            super().__init__(f"{said}." + (f" {hint}" if hint else ""),
                             [FieldError("file", said, file)])
        self.limit = limit
        self.file, self.size = file, size


def megabytes(size: int) -> str:
    """A size as people read it: "63 MB", "50.3 MB", "0.2 MB"."""
    mb = size / 2**20
    return f"{mb:.0f} MB" if mb >= 100 else f"{round(mb, 1):g} MB"


def file_too_large(name: str, size: int, limit: int) -> str:
    """“plan.xlsx” is 63 MB; the limit is 50 MB (in bytes when both round alike)."""
    shown = megabytes(size)
    if shown == megabytes(limit):  # e.g. 50 MB and 40 bytes
        shown = f"{size:,} bytes"
    who = f"“{name}”" if name else "The file"
    return f"{who} is {shown}; the limit is {megabytes(limit)}"


class FieldValueError(ValueError):
    """A model validator's refusal that belongs to one field (pydantic would file it under
    the whole body): `kit.validation.field_errors` puts it on `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

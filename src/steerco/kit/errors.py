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

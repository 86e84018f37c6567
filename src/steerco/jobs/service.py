"""Notification preferences: validate → write (never commits)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from steerco.db.models import NotificationPref
from steerco.jobs import repository as repo
from steerco.jobs.events import EVENT_TYPES
from steerco.kit.validation import parse


class Prefs(BaseModel):
    """A person's notification preferences."""

    model_config = ConfigDict(extra="forbid")
    #: Event types to be told about (null: every type).
    events: list[str] | None = None
    #: 'immediate', 'digest' (one e-mail a day) or 'off' (inbox only).
    email: Literal["immediate", "digest", "off"] = "immediate"
    #: Quiet hours [start, end) in the workspace's time zone, hours 0–23 (null: none).
    quiet_start: int | None = Field(default=None, ge=0, le=23)
    quiet_end: int | None = Field(default=None, ge=0, le=23)

    @field_validator("events")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        for e in v or []:
            if e not in EVENT_TYPES:
                raise ValueError(f"'{e}' is not an event type; known: {', '.join(EVENT_TYPES)}")
        return v


def get_prefs(s: Session, ws: int, person: int) -> Prefs:
    """The preferences of `person` (the defaults when none were saved)."""
    row = repo.prefs(s, ws, [person]).get(person)
    if row is None:
        return Prefs()
    return Prefs(events=row.events, email=row.email,
                 quiet_start=row.quiet_start, quiet_end=row.quiet_end)


def set_prefs(s: Session, ws: int, person: int, data: Prefs | dict[str, Any]) -> Prefs:
    """Save the preferences of `person`; ValidationFailed naming the field otherwise."""
    body = parse(Prefs, data)
    row = repo.prefs(s, ws, [person]).get(person)
    if row is None:
        row = NotificationPref(workspace_id=ws, person_id=person)
        s.add(row)
    row.events, row.email = body.events, body.email
    row.quiet_start, row.quiet_end = body.quiet_start, body.quiet_end
    s.flush()
    return body

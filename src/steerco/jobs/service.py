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


def _check_quiet(p: Prefs) -> None:
    """Quiet hours need a start and an end, and not the same hour."""
    from steerco.kit.errors import FieldError, ValidationFailed

    if (p.quiet_start is None) != (p.quiet_end is None):
        field = "quiet_end" if p.quiet_end is None else "quiet_start"
        raise ValidationFailed([FieldError(field, "quiet hours need both a start and an end "
                                                  "hour (or neither)", None)])
    if p.quiet_start is not None and p.quiet_start == p.quiet_end:
        raise ValidationFailed([FieldError(
            "quiet_end", f"quiet hours start and end at the same hour ({p.quiet_end}:00); "
                         "pick different hours", p.quiet_end)])


def set_prefs(s: Session, ws: int, person: int, data: Prefs | dict[str, Any]) -> Prefs:
    """Save the preferences of `person`; ValidationFailed naming the field otherwise."""
    body = parse(Prefs, data)
    _check_quiet(body)
    row = repo.prefs(s, ws, [person]).get(person)
    if row is None:
        row = NotificationPref(workspace_id=ws, person_id=person)
        s.add(row)
    row.events, row.email = body.events, body.email
    row.quiet_start, row.quiet_end = body.quiet_start, body.quiet_end
    s.flush()
    return body


# --- webhook subscriptions (the admin page and `steerco webhooks add`) -------------------


class WebhookIn(BaseModel):
    """A new webhook subscription."""

    model_config = ConfigDict(extra="forbid")
    #: Where to POST: an absolute http:// or https:// URL with a host.
    url: str = Field(max_length=2000)
    #: Event types (null: every type, now and later; an empty list is refused).
    events: list[str] | None = None
    description: str = Field(default="", max_length=200)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        from urllib.parse import urlsplit

        v = v.strip()
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"'{v}' is not a web address; it must start with http:// or "
                             "https:// and name a host, e.g. https://hooks.example.com/steerco")
        return v

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("choose at least one event type")
        return Prefs._known(v)


def add_webhook(s: Session, ws: int, data: WebhookIn | dict[str, Any],
                secret: str | None = None) -> tuple[Any, str]:
    """Subscribe a URL; (the subscription, its signing secret: shown once, never again)."""
    import secrets

    from steerco.db.models import WebhookSubscription

    body = parse(WebhookIn, data)
    key = secret or secrets.token_hex(24)
    sub = WebhookSubscription(workspace_id=ws, url=body.url, secret=key,
                              events=list(body.events or []), description=body.description)
    s.add(sub)
    s.flush()
    return sub, key


def _webhook(s: Session, ws: int, key: int) -> Any:
    from steerco.kit.errors import NotFound

    sub = repo.subscription(s, ws, key)
    if sub is None:
        raise NotFound("webhook", key)
    return sub


def set_webhook_active(s: Session, ws: int, key: int, active: bool) -> Any:
    """Pause (nothing new is sent to it) or resume a subscription."""
    sub = _webhook(s, ws, key)
    sub.active = active
    s.flush()
    return sub


def remove_webhook(s: Session, ws: int, key: int) -> str:
    """Delete a subscription and its pending deliveries; returns its URL."""
    sub = _webhook(s, ws, key)
    url = str(sub.url)
    repo.delete_subscription(s, sub)
    return url

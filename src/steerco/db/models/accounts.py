"""Accounts: credentials, sessions, API tokens, role grants, resets, outbox, idempotency.

Secrets are never stored: sessions, tokens and reset tokens keep a SHA-256 of a
high-entropy random value, passwords an argon2id hash. The tables holding hashes are
deliberately *not* `Tenant` subclasses, so the automatic audit listener never copies a
hash into the audit log; the accounts service writes their audit entries itself.
Role grants carry no secret and are audited like every other entity.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, IdType, Keyed, str_enum, utcnow


class Role(enum.StrEnum):
    """What a person may do in a workspace (or in one org-unit subtree of it)."""

    ADMIN = "admin"
    STRATEGY_OFFICE = "strategy_office"
    EXECUTIVE = "executive"
    CONTROLLER = "controller"
    OWNER = "owner"
    VIEWER = "viewer"


class TokenScope(enum.StrEnum):
    READ = "read"
    WRITE = "write"
    CHECKIN = "checkin"
    #: Everything `write` allows, plus managing (revoking) tokens.
    ADMIN = "admin"


def _ws_fk() -> Mapped[int]:
    return mapped_column(IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False)


class Credential(Keyed, Base):
    """A person's login (lower-cased, unique within the workspace: a login taken in
    another workspace is no business of this one) and argon2id password hash."""

    __tablename__ = "credentials"
    workspace_id: Mapped[int] = _ws_fk()
    person_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    login: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                             default=utcnow)
    #: Made by `steerco demo` (the log-in page of a demo workspace lists only these).
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Login first: at log-in the workspace is not known yet, so the lookup is by login.
    __table_args__ = (
        UniqueConstraint("login", "workspace_id", name="uq_credentials_login_ws"),
    )


class LoginThrottle(Base):
    """Failed logins per login name (known or not, so the throttle leaks nothing)."""

    __tablename__ = "login_throttle"
    login: Mapped[str] = mapped_column(String(320), primary_key=True)
    #: The workspace of the login when it exists (None for unknown logins).
    workspace_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE"))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A server-side session; the cookie holds a random value whose SHA-256 is the key."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = _ws_fk()
    person_id: Mapped[int] = mapped_column(IdType, ForeignKey("people.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    __table_args__ = (Index("ix_web_sessions_ws_person", "workspace_id", "person_id"),)


class ApiToken(Keyed, Base):
    """An integration token acting as its person, limited to its scopes; shown once."""

    __tablename__ = "api_tokens"
    workspace_id: Mapped[int] = _ws_fk()
    person_id: Mapped[int] = mapped_column(IdType, ForeignKey("people.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_api_tokens_ws_person", "workspace_id", "person_id"),)


class RoleGrant(Entity, Base):
    """A role for a person in the workspace, or only in the subtree under `org_unit_id`."""

    __tablename__ = "role_grants"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    org_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"))
    __table_args__ = (
        UniqueConstraint("workspace_id", "person_id", "role", "org_unit_id",
                         name="uq_role_grants_ws_person_role_unit"),
        Index("ix_role_grants_ws_person", "workspace_id", "person_id"),
    )


class PasswordReset(Keyed, Base):
    """A single-use, expiring password reset token (its SHA-256)."""

    __tablename__ = "password_resets"
    workspace_id: Mapped[int] = _ws_fk()
    credential_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("credentials.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxMessage(Keyed, Base):
    """A message that must not be lost, written with its cause; a job delivers it."""

    __tablename__ = "outbox_messages"
    workspace_id: Mapped[int] = _ws_fk()
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: When the delivery job fanned it out into deliveries and inbox items.
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The lease of the worker fanning it out (steerco.jobs.delivery).
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_outbox_messages_ws_unsent", "workspace_id", "sent_at", "id"),)


class IdempotencyKey(Base):
    """The stored answer to a request sent with an Idempotency-Key, per principal."""

    __tablename__ = "idempotency_keys"
    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

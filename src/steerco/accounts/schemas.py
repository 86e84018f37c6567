"""Request and response schemas of accounts and access."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from steerco.db.models.accounts import Role, TokenScope
from steerco.kit.schema import Email, Ref, Strict

Password = str


class LoginIn(Strict):
    login: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=10, max_length=1000)


class PasswordResetRequest(Strict):
    login: str = Field(min_length=1, max_length=320)


class PasswordResetConfirm(Strict):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=1000)


class CredentialSet(Strict):
    """An admin sets (or replaces) a person's login and password."""

    login: Email
    password: str = Field(min_length=10, max_length=1000)


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[TokenScope] = Field(min_length=1, max_length=4)
    expires_in_days: int | None = Field(default=90, ge=1, le=3660,
                                        description="None = never expires")


class GrantCreate(Strict):
    person_id: Ref
    role: Role
    org_unit_id: Ref | None = Field(default=None,
                                    description="Limit the role to this org-unit subtree")


class SessionRead(BaseModel):
    person_id: str
    workspace_id: str
    name: str
    csrf_token: str | None = Field(
        description="Send as X-CSRF-Token on every write made with the session cookie")
    roles: list[GrantRead]
    via: str = Field(description="'session' or 'token'")
    scopes: list[TokenScope]


class GrantRead(BaseModel):
    id: str
    person_id: str
    role: Role
    org_unit_id: str | None
    version: int
    created_at: dt.datetime


class TokenRead(BaseModel):
    id: str
    name: str
    prefix: str
    person_id: str
    scopes: list[TokenScope]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="The secret: shown once, never again")


SessionRead.model_rebuild()

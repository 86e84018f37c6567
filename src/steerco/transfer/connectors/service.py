"""A workspace's connector settings: validated, saved, shown without the secret.

`save` never commits (the caller's unit of work does). A blank secret keeps the stored
one, so a settings form never has to show it back to be saved again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from steerco.db.models import Connector
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.transfer.connectors.asana import AsanaSettings
from steerco.transfer.connectors.jira import JiraSettings
from steerco.transfer.connectors.repository import ConnectorRepository

KINDS: dict[str, type[BaseModel]] = {"jira": JiraSettings, "asana": AsanaSettings}
DEFAULT_URLS = {"jira": "https://your-domain.atlassian.net", "asana": "https://app.asana.com/api/1.0"}


class ConnectorIn(BaseModel):
    base_url: str = Field(pattern=r"^https?://\S+$", max_length=500)
    login: str | None = Field(default=None, max_length=200)
    #: None or "": keep the stored secret.
    secret: str | None = Field(default=None, max_length=4000)
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip().rstrip("/")


def public(row: Connector | None, kind: str) -> dict[str, Any]:
    """What a page or an API answer may show: everything but the secret (only whether
    one is stored)."""
    settings = KINDS[kind]()
    if row is None:
        return {"kind": kind, "base_url": "", "login": "", "has_secret": False,
                "settings": settings.model_dump(), "cursor": None, "last_sync_at": None,
                "last_counts": None, "last_errors": None, "configured": False}
    return {"kind": kind, "base_url": row.base_url, "login": row.login or "",
            "has_secret": bool(row.secret),
            "settings": KINDS[kind].model_validate(row.settings or {}).model_dump(),
            "cursor": row.cursor, "last_sync_at": row.last_sync_at,
            "last_counts": row.last_counts, "last_errors": row.last_errors,
            "configured": True}


def save(session: Session, workspace_id: int, kind: str, data: dict[str, Any]) -> Connector:
    """Create or change a workspace's connector; ValidationFailed names the field."""
    if kind not in KINDS:
        raise ValidationFailed(FieldError("kind", f"is not one of {', '.join(KINDS)}", kind))
    try:
        body = ConnectorIn.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed([_field(e, data) for e in exc.errors()]) from None
    try:
        settings = KINDS[kind].model_validate(body.settings)
    except ValidationError as exc:
        raise ValidationFailed([_field(e, body.settings, "settings.") for e in exc.errors()]
                               ) from None
    repo = ConnectorRepository(session, workspace_id)
    row = repo.get(kind)
    if row is None:
        row = repo.add(Connector(workspace_id=workspace_id, kind=kind, base_url=body.base_url,
                                 settings={}))
    scope_changed = row.settings != settings.model_dump() or row.base_url != body.base_url
    row.base_url = body.base_url
    row.login = (body.login or "").strip() or None
    if body.secret:
        row.secret = body.secret.strip()
    row.settings = settings.model_dump()
    if scope_changed:
        # Other projects or another query: the next sync reads everything again.
        row.cursor = None
    session.flush()
    return row


def _field(e: Any, data: dict[str, Any], prefix: str = "") -> FieldError:
    loc = ".".join(str(x) for x in e["loc"]) or "settings"
    value = data.get(str(e["loc"][0])) if e["loc"] else None
    if loc == "secret" or loc.endswith("secret"):
        value = None  # never echo a secret, even a refused one
    return FieldError(prefix + loc, str(e["msg"]).removeprefix("Value error, "), value)

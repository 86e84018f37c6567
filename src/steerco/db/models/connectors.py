"""Connections to the tools work is tracked in (Jira, Asana): settings, secret, last sync."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity


class Connector(Entity, Base):
    """One workspace's connection to one tool (kind 'jira' or 'asana').

    `secret` is the API token (Jira: with `login`, the account's e-mail) or the Asana
    personal access token. It is written by the settings service and read only by the
    HTTP client of a sync: no read model, page, API answer, export or log shows it.
    `settings` holds the kind's own choices (project keys or JQL, link types, status
    mapping, Asana gids); `cursor` the newest `updated` time seen (incremental sync);
    `last_*` what the last sync did: {sheet: {create, update, unchanged}} and messages.
    """

    __tablename__ = "connectors"
    #: The audit log records that the secret changed, never its value (db/audit.py).
    AUDIT_REDACT = ("secret",)
    kind: Mapped[str] = mapped_column(String(16))
    base_url: Mapped[str] = mapped_column(String(500))
    login: Mapped[str | None] = mapped_column(String(200))
    secret: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cursor: Mapped[str | None] = mapped_column(String(40))
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_errors: Mapped[list[str] | None] = mapped_column(JSON)
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", name="uq_connectors_ws_kind"),
    )

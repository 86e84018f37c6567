"""Column mappings of a workspace's import files (headers that are not the template's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity, Keyed, Tenant, Timestamped


class ImportMapping(Entity, Base):
    """One header of one sheet kind mapped to a template column, saved per workspace.

    `sheet` is the sheet's kind (`objectives`), `header` the file's header as compared
    (normalised: `Verantwortlich (E-Mail)` → `verantwortlich_e_mail`), `column` the
    template column it fills (`owner`), or empty: the column is ignored on import.
    Every later import of the workspace (page, CLI, job) applies it.
    """

    __tablename__ = "import_mappings"
    sheet: Mapped[str] = mapped_column(String(40))
    header: Mapped[str] = mapped_column(String(200))
    column: Mapped[str] = mapped_column(String(40), default="")
    __table_args__ = (
        UniqueConstraint("workspace_id", "sheet", "header", name="uq_import_mappings_ws_header"),
    )


class ImportUpload(Keyed, Tenant, Timestamped, Base):
    """A file uploaded on Admin → Import (or `POST /api/v1/imports`) and the job that
    checks or imports it: the bytes, who uploaded it, the job's state and progress and,
    once done, its report — in the database, so that any `steerco worker` can run the
    job and any web process can show its progress (transfer/upload.py).

    `token` is the upload's id in URLs (unguessable; looked up within the workspace).
    `data` is emptied once the file was imported (it cannot be imported twice); the row
    goes `upload.KEEP_DAYS` days after its last change. Written with plain UPDATEs
    (progress every fraction of a second is not an audited change), hence not an Entity.
    """

    __tablename__ = "import_uploads"
    token: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    sheet: Mapped[str | None] = mapped_column(String(100), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    problems_csv: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                            nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                             nullable=True)
    __table_args__ = (
        UniqueConstraint("workspace_id", "token", name="uq_import_uploads_ws_token"),
    )

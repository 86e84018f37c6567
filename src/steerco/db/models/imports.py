"""Column mappings of a workspace's import files (headers that are not the template's)."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, Entity


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

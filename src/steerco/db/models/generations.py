"""How often each table of a workspace has changed: what cached reads are checked against."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from steerco.db.base import Base, IdType


class TableGeneration(Base):
    """Bumped in the transaction of every write to `table_name` in the workspace."""

    __tablename__ = "table_generations"
    workspace_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

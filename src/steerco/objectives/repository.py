"""Queries of the objectives domain."""

from __future__ import annotations

from sqlalchemy import select

from steerco.db.models import Alignment, Objective, Theme
from steerco.db.repository import Repository, key_in


class ThemeRepository(Repository[Theme]):
    model = Theme
    kind = "theme"


class ObjectiveRepository(Repository[Objective]):
    model = Objective
    kind = "objective"

    def parents_of(self, keys: list[int]) -> list[tuple[int, int]]:
        """(child, parent) alignment edges leaving any of `keys`."""
        rows = self.session.execute(select(Alignment.child_id, Alignment.parent_id).where(
            Alignment.workspace_id == self.workspace_id, Alignment.child_id.in_(keys)))
        return [(c, p) for c, p in rows]

    def alignment(self, child: int, parent: int) -> Alignment | None:
        return self.session.get(Alignment, (child, parent))

    def alignments_of(self, keys: list[int]) -> dict[int, list[tuple[int, float]]]:
        """Parents with weights of each of `keys` (one query for a page of objectives)."""
        out: dict[int, list[tuple[int, float]]] = {k: [] for k in keys}
        if not keys:
            return out
        rows = self.session.execute(
            select(Alignment.child_id, Alignment.parent_id, Alignment.weight).where(
                Alignment.workspace_id == self.workspace_id,
                key_in(self.session, Alignment.child_id, keys))
            .order_by(Alignment.child_id, Alignment.parent_id))
        for c, p, w in rows:
            out[c].append((p, w))
        return out


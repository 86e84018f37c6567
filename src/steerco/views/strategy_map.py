"""Read models of the strategy map: the objectives drawn and the causal links among them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import CausalLink, Objective
from steerco.views.names import subtree


def objectives(s: Session, ws: int, unit: int | None = None) -> list[Any]:
    """(id, title, level, perspective) of the active objectives (of `unit`'s subtree)."""
    q = select(Objective.id, Objective.title, Objective.level, Objective.perspective).where(
        Objective.workspace_id == ws, Objective.archived.is_(False))
    if unit is not None:
        q = q.where(Objective.org_unit_id.in_(sorted(subtree(s, ws, unit))))
    return list(s.execute(q).all())


def causal_links(s: Session, ws: int) -> list[tuple[int, int]]:
    """(driver, driven) metric keys of every causal link."""
    return [(a, b) for a, b in s.execute(select(CausalLink.driver_id, CausalLink.driven_id)
                                         .where(CausalLink.workspace_id == ws)).all()]

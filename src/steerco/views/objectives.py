"""Read models of the objective pages: the filtered list, one objective and what feeds it."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from steerco.db.enums import ObjectiveLevel, Perspective
from steerco.db.models import (
    Alignment,
    Dependency,
    Initiative,
    InitiativeMetric,
    Metric,
    Milestone,
    Objective,
    PlannedBenefit,
    Theme,
)
from steerco.kit.ids import format_id
from steerco.views.names import person_names, subtree


def listed(s: Session, ws: int, q: str = "", level: str = "", perspective: str = "",
           unit: int | None = None) -> list[Any]:
    """(id, title, level, perspective, owner_id, org_unit_id) of the active objectives that
    match, in id order; `unit` takes its whole subtree."""
    stmt = select(Objective.id, Objective.title, Objective.level, Objective.perspective,
                  Objective.owner_id, Objective.org_unit_id).where(
        Objective.workspace_id == ws, Objective.archived.is_(False))
    if q:
        stmt = stmt.where(Objective.title.ilike(f"%{q[:100]}%"))
    if level in {lv.value for lv in ObjectiveLevel}:
        stmt = stmt.where(Objective.level == level)
    if perspective in {p.value for p in Perspective}:
        stmt = stmt.where(Objective.perspective == perspective)
    if unit is not None:
        stmt = stmt.where(Objective.org_unit_id.in_(sorted(subtree(s, ws, unit))))
    return list(s.execute(stmt.order_by(Objective.id)).all())


def in_units(s: Session, ws: int, units: list[int]) -> list[Any]:
    """(id, title, level, perspective, owner_id) of the active objectives of these units."""
    return list(s.execute(select(Objective.id, Objective.title, Objective.level,
                                 Objective.perspective, Objective.owner_id).where(
        Objective.workspace_id == ws, Objective.archived.is_(False),
        Objective.org_unit_id.in_(units))).all())


def find(s: Session, ws: int, key: int) -> Objective | None:
    return s.scalar(select(Objective).where(Objective.workspace_id == ws,
                                            Objective.id == key))


def briefs(s: Session, ws: int, keys: list[int]) -> dict[int, tuple[str, str]]:
    """Objective key → (title, level) for these keys."""
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(keys), 900):
        for k, t, lv in s.execute(select(Objective.id, Objective.title, Objective.level)
                                  .where(Objective.workspace_id == ws,
                                         Objective.id.in_(keys[i:i + 900]))).all():
            out[k] = (t, lv.value)
    return out


def levels_of(s: Session, ws: int, keys: list[int]) -> list[Any]:
    """(id, title, level) of these objectives."""
    rows: list[Any] = []
    for i in range(0, len(keys), 900):
        rows.extend(s.execute(select(Objective.id, Objective.title, Objective.level).where(
            Objective.workspace_id == ws, Objective.id.in_(keys[i:i + 900]))).all())
    return rows


def count(s: Session, ws: int, keys: list[int]) -> int:
    return int(s.scalar(select(func.count()).select_from(Objective).where(
        Objective.workspace_id == ws, Objective.id.in_(keys))) or 0)


def metrics_by_key(s: Session, ws: int, keys: list[int]) -> dict[int, Metric]:
    return {m.id: m for m in s.execute(select(Metric).where(
        Metric.workspace_id == ws, Metric.id.in_(keys))).scalars().all()}


def theme_name(s: Session, ws: int, key: int | None) -> str | None:
    if key is None:
        return None
    return s.scalar(select(Theme.name).where(Theme.workspace_id == ws, Theme.id == key))


def contributing_initiatives(s: Session, ws: int, metric_keys: list[int],
                             broken: Container[int]) -> list[dict[str, Any]]:
    """Initiatives linked to (or planning impact on) these metrics, with dependency health
    (`broken`: the keys of broken dependencies)."""
    if not metric_keys:
        return []
    linked = select(InitiativeMetric.initiative_id).where(
        InitiativeMetric.workspace_id == ws, InitiativeMetric.metric_id.in_(metric_keys))
    impact = select(PlannedBenefit.initiative_id).where(
        PlannedBenefit.workspace_id == ws, PlannedBenefit.metric_id.in_(metric_keys))
    inis = s.execute(select(Initiative).where(
        Initiative.workspace_id == ws,
        or_(Initiative.id.in_(linked), Initiative.id.in_(impact))).order_by(
        Initiative.due_date).limit(40)).scalars().all()
    if not inis:
        return []
    keys = [i.id for i in inis]
    ms = s.execute(select(Milestone.id, Milestone.initiative_id).where(
        Milestone.workspace_id == ws, Milestone.initiative_id.in_(keys))).all()
    ms_of = {m: i for m, i in ms}
    deps = s.execute(select(Dependency.id, Dependency.provider_milestone_id,
                            Dependency.provider_initiative_id,
                            Dependency.consumer_milestone_id,
                            Dependency.consumer_initiative_id).where(
        Dependency.workspace_id == ws,
        or_(Dependency.consumer_milestone_id.in_(list(ms_of) or [-1]),
            Dependency.consumer_initiative_id.in_(keys),
            Dependency.provider_milestone_id.in_(list(ms_of) or [-1]),
            Dependency.provider_initiative_id.in_(keys)))).all()
    up: dict[int, int] = {}
    down: dict[int, int] = {}
    n_broken: dict[int, int] = {}
    for d, pm, pi, cm, ci in deps:
        consumer = ci if ci is not None else ms_of.get(cm or -1)
        provider = pi if pi is not None else ms_of.get(pm or -1)
        if consumer is not None and consumer in keys:
            up[consumer] = up.get(consumer, 0) + 1
            if d in broken:
                n_broken[consumer] = n_broken.get(consumer, 0) + 1
        if provider is not None and provider in keys:
            down[provider] = down.get(provider, 0) + 1
    owners = person_names(s, ws, [i.owner_id for i in inis])
    return [{"id": format_id("initiative", i.id), "name": i.name, "stage": i.stage.value,
             "due": i.due_date, "owner": owners.get(i.owner_id or -1, "—"),
             "upstream": up.get(i.id, 0), "downstream": down.get(i.id, 0),
             "broken": n_broken.get(i.id, 0), "stopped": i.stopped} for i in inis]


def active_themes(s: Session, ws: int) -> list[tuple[int, str]]:
    """(id, name) of the active themes, by name (a form's theme picker)."""
    return [(k, n) for k, n in s.execute(select(Theme.id, Theme.name).where(
        Theme.workspace_id == ws, Theme.active.is_(True)).order_by(Theme.name)).all()]


def parents_with_weights(s: Session, ws: int, key: int) -> list[dict[str, Any]]:
    """The objectives `key` is aligned under: key, title and the alignment's weight."""
    rows = s.execute(select(Alignment.parent_id, Objective.title, Alignment.weight).join(
        Objective, Objective.id == Alignment.parent_id).where(
        Alignment.workspace_id == ws, Alignment.child_id == key).order_by(Objective.title))
    return [{"key": k, "id": format_id("objective", k), "title": t, "weight": w}
            for k, t, w in rows.all()]

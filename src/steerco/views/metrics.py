"""Read models of the metric pages: the filtered list, one metric and what it links to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.models import CausalLink, Measurement, Metric, MetricObjective, Objective


def _listed(ws: int, q: str, owner: int | None) -> Any:
    stmt = select(Metric.id, Metric.name, Metric.unit, Metric.kind, Metric.owner_id,
                  Metric.cadence).where(Metric.workspace_id == ws)
    if q:
        stmt = stmt.where(Metric.name.ilike(f"%{q[:100]}%"))
    if owner is not None:
        stmt = stmt.where(Metric.owner_id == owner)
    return stmt


def listed_keys(s: Session, ws: int, q: str = "", owner: int | None = None) -> list[int]:
    """Keys of the metrics whose name contains `q` (owned by `owner`), in key order."""
    return list(s.execute(_listed(ws, q, owner).with_only_columns(Metric.id)
                          .order_by(Metric.id)).scalars())


def listed_count(s: Session, ws: int, q: str = "", owner: int | None = None) -> int:
    return int(s.scalar(_listed(ws, q, owner).with_only_columns(func.count())) or 0)


def listed_page(s: Session, ws: int, q: str = "", owner: int | None = None,
                offset: int = 0, limit: int = 25,
                keys: list[int] | None = None) -> list[Any]:
    """(id, name, unit, kind, owner_id, cadence) of one page of the list, or of `keys`."""
    stmt = _listed(ws, q, owner)
    if keys is not None:
        return list(s.execute(stmt.where(Metric.id.in_(keys or [-1])).order_by(Metric.id))
                    .all())
    return list(s.execute(stmt.order_by(Metric.id).offset(offset).limit(limit)).all())


def owned(s: Session, ws: int, owner: int) -> list[Any]:
    """(id, name, unit) of the metrics `owner` owns."""
    return list(s.execute(select(Metric.id, Metric.name, Metric.unit).where(
        Metric.workspace_id == ws, Metric.owner_id == owner)).all())


def find(s: Session, ws: int, key: int) -> Metric | None:
    return s.scalar(select(Metric).where(Metric.workspace_id == ws, Metric.id == key))


def objectives_of(s: Session, ws: int, key: int) -> list[Any]:
    """(id, title) of the objectives this metric measures."""
    return list(s.execute(select(Objective.id, Objective.title).join(
        MetricObjective, MetricObjective.objective_id == Objective.id).where(
        MetricObjective.workspace_id == ws, MetricObjective.metric_id == key)).all())


def causal_links_of(s: Session, ws: int,
                    key: int) -> tuple[list[CausalLink], dict[int, Metric]]:
    """The causal links that drive or are driven by this metric, and the metrics at their
    other ends by key."""
    links = list(s.execute(select(CausalLink).where(
        CausalLink.workspace_id == ws,
        (CausalLink.driven_id == key) | (CausalLink.driver_id == key))).scalars().all())
    other = {ln.driver_id if ln.driven_id == key else ln.driven_id for ln in links}
    metrics = {x.id: x for x in s.execute(select(Metric).where(
        Metric.workspace_id == ws, Metric.id.in_(other))).scalars().all()}
    return links, metrics


def measurement(s: Session, ws: int, key: int) -> Measurement | None:
    return s.scalar(select(Measurement).where(Measurement.workspace_id == ws,
                                              Measurement.id == key))


def metrics_named(s: Session, ws: int, text: str, limit: int = 5) -> list[Metric]:
    """The metrics whose name is `text` (case-insensitive), for a field taking a metric."""
    t = text.strip().lower()
    if not t:
        return []
    return list(s.execute(select(Metric).where(
        Metric.workspace_id == ws, func.lower(Metric.name) == t).order_by(Metric.id)
        .limit(limit)).scalars().all())


def metric_choices(s: Session, ws: int, limit: int = 2000) -> list[str]:
    """Metric names a picker offers."""
    return list(s.scalars(select(Metric.name).where(Metric.workspace_id == ws)
                          .order_by(Metric.name).limit(limit)))


def objective_weights(s: Session, ws: int, key: int) -> list[Any]:
    """(id, title, weight) of the objectives this metric measures."""
    return list(s.execute(select(Objective.id, Objective.title, MetricObjective.weight).join(
        MetricObjective, MetricObjective.objective_id == Objective.id).where(
        MetricObjective.workspace_id == ws, MetricObjective.metric_id == key)
        .order_by(Objective.title)).all())


def voids_of(s: Session, ws: int, key: int) -> dict[int, Measurement]:
    """The void rows of a metric's history, by the key of the row each voids."""
    rows = s.execute(select(Measurement).where(
        Measurement.workspace_id == ws, Measurement.metric_id == key,
        Measurement.void.is_(True))).scalars().all()
    return {int(r.supersedes_id): r for r in rows if r.supersedes_id is not None}

"""Queries of the metrics domain."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, func, select

from steerco.db.models import (
    CausalLink,
    Metric,
    MetricObjective,
    MetricUpdater,
    Objective,
    PlanPoint,
)
from steerco.db.repository import Repository


class MetricRepository(Repository[Metric]):
    model = Metric
    kind = "metric"

    def replace_plan(self, metric_id: int, points: list[tuple[object, float]]) -> None:
        self.session.execute(delete(PlanPoint).where(
            PlanPoint.workspace_id == self.workspace_id, PlanPoint.metric_id == metric_id))
        self.session.add_all(PlanPoint(workspace_id=self.workspace_id, metric_id=metric_id,
                                       on=on, value=value) for on, value in points)
        self.session.flush()


    def named_under(self, objective_id: int, name: str,
                    other_than: int | None = None) -> Metric | None:
        """A metric measuring `objective_id` called `name` (case and outer spaces
        aside), other than `other_than`."""
        q = select(Metric).join(MetricObjective, MetricObjective.metric_id == Metric.id).where(
            Metric.workspace_id == self.workspace_id,
            MetricObjective.objective_id == objective_id,
            func.lower(func.trim(Metric.name)) == name.strip().lower())
        if other_than is not None:
            q = q.where(Metric.id != other_than)
        return self.session.scalars(q.order_by(Metric.id).limit(1)).first()

    def objectives_of(self, metric_id: int) -> list[Objective]:
        """The objectives `metric_id` measures."""
        return list(self.session.scalars(select(Objective).join(
            MetricObjective, MetricObjective.objective_id == Objective.id).where(
            MetricObjective.workspace_id == self.workspace_id,
            MetricObjective.metric_id == metric_id).order_by(Objective.id)))

    def plan_of(self, metric_id: int) -> list[tuple[object, float]]:
        """The explicit plan points of a metric in date order."""
        rows = self.session.execute(select(PlanPoint.on, PlanPoint.value).where(
            PlanPoint.workspace_id == self.workspace_id, PlanPoint.metric_id == metric_id)
            .order_by(PlanPoint.on))
        return [(on, v) for on, v in rows]

    # --- delegated updaters ------------------------------------------------------------

    def updaters_of(self, keys: Collection[int]) -> dict[int, list[int]]:
        """Delegated updaters (person keys) of each metric of `keys`, in one query."""
        out: dict[int, list[int]] = {k: [] for k in keys}
        want = sorted(out)
        for i in range(0, len(want), 900):  # stay under SQLite's bound-parameter limit
            rows = self.session.execute(
                select(MetricUpdater.metric_id, MetricUpdater.person_id).where(
                    MetricUpdater.workspace_id == self.workspace_id,
                    MetricUpdater.metric_id.in_(want[i:i + 900]))
                .order_by(MetricUpdater.metric_id, MetricUpdater.person_id))
            for m, p in rows:
                out[m].append(p)
        return out

    def updater_rows(self, metric_id: int) -> list[MetricUpdater]:
        """The delegations of one metric, by person."""
        return list(self.session.scalars(select(MetricUpdater).where(
            MetricUpdater.workspace_id == self.workspace_id,
            MetricUpdater.metric_id == metric_id).order_by(MetricUpdater.person_id)))

    def updater(self, metric_id: int, person_id: int) -> MetricUpdater | None:
        """The delegation of `metric_id` to `person_id`, if there is one."""
        return self.session.scalar(select(MetricUpdater).where(
            MetricUpdater.workspace_id == self.workspace_id,
            MetricUpdater.metric_id == metric_id, MetricUpdater.person_id == person_id))

    def add_updater(self, metric_id: int, person_id: int) -> MetricUpdater:
        """Stage a delegation (flushed; the boundary commits)."""
        row = MetricUpdater(workspace_id=self.workspace_id, metric_id=metric_id,
                            person_id=person_id)
        self.session.add(row)
        self.session.flush()
        return row


class CausalLinkRepository(Repository[CausalLink]):
    model = CausalLink
    kind = "causal_link"

    def edges(self) -> set[tuple[int, int]]:
        """Every (driver, driven) pair of the workspace: the driver tree, for cycle checks."""
        rows = self.session.execute(select(CausalLink.driver_id, CausalLink.driven_id).where(
            CausalLink.workspace_id == self.workspace_id))
        return {(a, b) for a, b in rows}

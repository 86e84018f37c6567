"""Queries of the metrics domain."""

from __future__ import annotations

from sqlalchemy import delete, select

from steerco.db.models import CausalLink, Metric, PlanPoint
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


    def plan_of(self, metric_id: int) -> list[tuple[object, float]]:
        """The explicit plan points of a metric in date order."""
        rows = self.session.execute(select(PlanPoint.on, PlanPoint.value).where(
            PlanPoint.workspace_id == self.workspace_id, PlanPoint.metric_id == metric_id)
            .order_by(PlanPoint.on))
        return [(on, v) for on, v in rows]


class CausalLinkRepository(Repository[CausalLink]):
    model = CausalLink
    kind = "causal_link"

"""Queries of check-ins."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from steerco.db.models import Measurement
from steerco.db.repository import Repository


class MeasurementRepository(Repository[Measurement]):
    model = Measurement
    kind = "measurement"

    def history(self, metric_id: int) -> Sequence[Measurement]:
        """All measurements of a metric, oldest first (superseded ones included)."""
        q = self.scoped().where(Measurement.metric_id == metric_id).order_by(
            Measurement.as_of, Measurement.id)
        return self.session.scalars(q).all()

    def correction_of(self, metric_id: int, key: int) -> Measurement | None:
        """The row that supersedes measurement `key` (of `metric_id`), if any."""
        found: Measurement | None = self.session.scalar(self.scoped().where(
            Measurement.metric_id == metric_id, Measurement.supersedes_id == key).order_by(
            Measurement.id).limit(1))
        return found

    def value_range(self, metric_id: int) -> tuple[float | None, float | None]:
        """(min, max) of a metric's values, confirmed outliers and voided rows left out."""
        m = Measurement
        voided = select(m.supersedes_id).where(
            m.workspace_id == self.workspace_id, m.metric_id == metric_id, m.void.is_(True))
        lo, hi = self.session.execute(select(func.min(m.value), func.max(m.value)).where(
            m.workspace_id == self.workspace_id, m.metric_id == metric_id,
            m.outlier.is_(False), m.void.is_(False), m.id.not_in(voided))).one()
        return lo, hi

"""Queries of check-ins."""

from __future__ import annotations

from collections.abc import Sequence

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

"""Every query of the feeds: the feed rows, their metrics and owners, dates read before."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.enums import Source
from steerco.db.models import Measurement, Metric, MetricFeed, Person


class FeedRepository:
    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def of_metric(self, metric_id: int) -> MetricFeed | None:
        return self.session.scalar(select(MetricFeed).where(
            MetricFeed.workspace_id == self.workspace_id, MetricFeed.metric_id == metric_id))

    def all(self) -> list[tuple[MetricFeed, Metric]]:
        """Every feed with its metric, by metric name."""
        rows = self.session.execute(select(MetricFeed, Metric).join(
            Metric, Metric.id == MetricFeed.metric_id).where(
            MetricFeed.workspace_id == self.workspace_id).order_by(
            func.lower(Metric.name), Metric.id))
        return [(f, m) for f, m in rows]

    def add(self, row: MetricFeed) -> MetricFeed:
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: MetricFeed) -> None:
        self.session.delete(row)
        self.session.flush()

    def metrics_named(self, name: str) -> list[Metric]:
        """This workspace's metrics whose name is `name` (case and spaces ignored)."""
        return list(self.session.scalars(select(Metric).where(
            Metric.workspace_id == self.workspace_id,
            func.lower(func.trim(Metric.name)) == name.strip().lower()).order_by(Metric.id)))

    def sql_dates(self, metric_id: int) -> set[dt.date]:
        """The dates a feed stored before for this metric (voided ones too: a row the
        owner voided is not read again)."""
        return set(self.session.scalars(select(Measurement.as_of).where(
            Measurement.workspace_id == self.workspace_id,
            Measurement.metric_id == metric_id, Measurement.source == Source.SQL)))

    def person(self, key: int) -> Person | None:
        return self.session.scalar(select(Person).where(
            Person.workspace_id == self.workspace_id, Person.id == key))

"""Every query a sync makes outside the import pipeline: the connector row, known keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.models import Connector, Initiative, Metric, Milestone, Person


class ConnectorRepository:
    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def get(self, kind: str) -> Connector | None:
        return self.session.scalar(select(Connector).where(
            Connector.workspace_id == self.workspace_id, Connector.kind == kind))

    def all(self) -> list[Connector]:
        return list(self.session.scalars(select(Connector).where(
            Connector.workspace_id == self.workspace_id).order_by(Connector.kind)))

    def add(self, row: Connector) -> Connector:
        self.session.add(row)
        self.session.flush()
        return row

    def people_emails(self) -> set[str]:
        return {e.lower() for e in self.session.scalars(select(Person.email).where(
            Person.workspace_id == self.workspace_id))}

    def initiative_keys(self) -> set[str]:
        return {k for k in self.session.scalars(select(Initiative.external_key).where(
            Initiative.workspace_id == self.workspace_id)) if k}

    def milestone_keys(self) -> set[str]:
        return {k for k in self.session.scalars(select(Milestone.external_ref).where(
            Milestone.workspace_id == self.workspace_id)) if k}

    def metric_keys(self) -> set[str]:
        return {k for k in self.session.scalars(select(Metric.external_key).where(
            Metric.workspace_id == self.workspace_id)) if k}

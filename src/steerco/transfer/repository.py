"""Every query the importer and exporter make (whole-workspace reads and bulk writes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from steerco.db.models import (
    Alignment,
    BudgetPlan,
    Dependency,
    InitiativeMetric,
    LedgerEntry,
    Measurement,
    MetricObjective,
    Milestone,
    PlanPoint,
    Workspace,
)


class TransferRepository:
    """Reads of a whole workspace, in key order, and the bulk inserts of large sheets."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def all(self, model: Any) -> Sequence[Any]:
        return self.session.scalars(select(model).where(
            model.workspace_id == self.workspace_id).order_by(model.id)).all()

    def locale(self) -> str:
        ws = self.session.get(Workspace, self.workspace_id)
        return (ws.locale if ws is not None else None) or "en"

    def set_locale(self, locale: str) -> None:
        ws = self.session.get(Workspace, self.workspace_id)
        assert ws is not None
        ws.locale = locale
        self.session.flush()

    def alignments(self) -> dict[tuple[int, int], Alignment]:
        rows = self.session.scalars(select(Alignment).where(
            Alignment.workspace_id == self.workspace_id))
        return {(a.child_id, a.parent_id): a for a in rows}

    def metric_objectives(self) -> dict[tuple[int, int], MetricObjective]:
        rows = self.session.scalars(select(MetricObjective).where(
            MetricObjective.workspace_id == self.workspace_id))
        return {(m.metric_id, m.objective_id): m for m in rows}

    def initiative_metrics(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for r in self.session.scalars(select(InitiativeMetric).where(
                InitiativeMetric.workspace_id == self.workspace_id).order_by(
                InitiativeMetric.initiative_id, InitiativeMetric.metric_id)):
            out.setdefault(r.initiative_id, []).append(r.metric_id)
        return out

    def plan_points(self) -> dict[int, dict[dt.date, float]]:
        out: dict[int, dict[dt.date, float]] = {}
        for p in self.session.scalars(select(PlanPoint).where(
                PlanPoint.workspace_id == self.workspace_id).order_by(
                PlanPoint.metric_id, PlanPoint.on)):
            out.setdefault(p.metric_id, {})[p.on] = p.value
        return out

    def budget_plans(self) -> dict[tuple[int, dt.date], BudgetPlan]:
        rows = self.session.scalars(select(BudgetPlan).where(
            BudgetPlan.workspace_id == self.workspace_id).order_by(
            BudgetPlan.budget_line_id, BudgetPlan.period))
        return {(p.budget_line_id, p.period): p for p in rows}

    def add_budget_plan(self, line_id: int, period: dt.date, amount: float) -> BudgetPlan:
        row = BudgetPlan(workspace_id=self.workspace_id, budget_line_id=line_id,
                         period=period, amount=amount)
        self.session.add(row)
        self.session.flush()
        return row

    def dependencies(self) -> Sequence[Dependency]:
        return self.all(Dependency)

    def milestone_initiatives(self) -> list[tuple[int, int]]:
        """(milestone, its initiative) of every milestone: an edge of the dependency graph."""
        return [(m, i) for m, i in self.session.execute(select(
            Milestone.id, Milestone.initiative_id).where(
            Milestone.workspace_id == self.workspace_id))]

    def latest_measurements(self) -> dict[tuple[int, dt.date], tuple[int, float]]:
        """{(metric, as_of): (key, value)} of the newest measurement of each date."""
        m = Measurement
        rows = self.session.execute(select(m.metric_id, m.as_of, m.id, m.value).where(
            m.workspace_id == self.workspace_id).order_by(m.id))
        return {(a, b): (k, v) for a, b, k, v in rows}

    def measurement_count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.workspace_id == self.workspace_id)) or 0)

    def measurements_for_export(self) -> Iterable[Measurement]:
        """The newest measurement of each (metric, date): what a re-import reproduces.

        A date whose newest row is a void is left out (the voided value is no evidence).
        """
        m = Measurement
        newest = select(func.max(m.id)).where(m.workspace_id == self.workspace_id).group_by(
            m.metric_id, m.as_of)
        return self.session.scalars(select(m).where(m.id.in_(newest), m.void.is_(False))
                                    .order_by(m.metric_id, m.as_of))

    def insert_measurements(self, rows: list[dict[str, Any]]) -> None:
        """Append measurements in one executemany (a correction carries `supersedes_id`)."""
        if rows:
            self.session.execute(insert(Measurement), rows)

    def copy_measurements(self, rows: Iterable[tuple[Any, ...]], columns: list[str]) -> None:
        """PostgreSQL: COPY the rows into measurements in this transaction."""
        conn = self.session.connection().connection.dbapi_connection
        assert conn is not None
        with conn.cursor() as cur, cur.copy(  # type: ignore[attr-defined]
                f"COPY measurements ({', '.join(columns)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)

    def ledger_keys(self) -> set[tuple[int, dt.date, float, dt.date, str | None]]:
        le = LedgerEntry
        return set(self.session.execute(select(
            le.budget_line_id, le.period, le.amount, le.posted_on, le.reference).where(
            le.workspace_id == self.workspace_id)).all())

    def insert_ledger(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(LedgerEntry), rows)

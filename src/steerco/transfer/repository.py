"""Every query the importer and exporter make (whole-workspace reads and bulk writes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from steerco.db.audit import plain, record_bulk
from steerco.db.enums import AuditAction
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
from steerco.kit.ids import format_id


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
        """Post the entries in one executemany, each audited as created (one more)."""
        self.insert_audited(LedgerEntry, rows)

    def insert_audited(self, model: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows of `model` in one executemany (RETURNING their ids, in order) and
        audit each as created in one more: the flush listener never sees a bulk insert."""
        if not rows:
            return []
        t = model.__table__
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":  # batched INSERT … RETURNING, in order
            ids = list(self.session.execute(insert(t).returning(
                t.c.id, sort_by_parameter_order=True), rows).scalars())
        else:
            # SQLite would run an ordered RETURNING row by row: one plain executemany,
            # then the ids read back in order (one writer holds the database: the
            # workspace's rows above the previous maximum are exactly these).
            before = self.max_id(model)
            self.session.execute(insert(t), rows)
            ids = list(self.session.scalars(select(t.c.id).where(
                t.c.workspace_id == self.workspace_id, t.c.id > before).order_by(t.c.id)))
            assert len(ids) == len(rows)
        record_bulk(self.session, self.workspace_id, model.__tablename__, [
            (key, AuditAction.CREATE, {"id": key, **{k: v for k, v in r.items()
                                                     if k != "workspace_id"}})
            for key, r in zip(ids, rows, strict=True)])
        return ids

    def insert_links_audited(self, model: Any, rows: list[dict[str, Any]],
                             key: tuple[str, ...]) -> None:
        """Insert rows of a link table (a composite key, no id) in one executemany, each
        audited as created as the flush listener audits one (by the key's first part)."""
        if not rows:
            return
        self.session.execute(insert(model.__table__), rows)
        record_bulk(self.session, self.workspace_id, model.__tablename__, [
            (r[key[0]], AuditAction.CREATE, {**{k: v for k, v in r.items()
                                                if k != "workspace_id"},
                                             "key": [plain(r[k]) for k in key]})
            for r in rows])

    def count_by(self, model: Any, column: Any) -> dict[int, int]:
        """Rows of `model` in the workspace per value of `column` (e.g. per initiative)."""
        return {k: n for k, n in self.session.execute(select(column, func.count()).where(
            model.workspace_id == self.workspace_id).group_by(column)) if k is not None}

    def update_audited(self, model: Any, changes: dict[int, dict[str, tuple[Any, Any]]]
                       ) -> None:
        """Change rows of `model` by primary key ({id: {field: (before, after)}}): one
        executemany per set of changed fields, and one audit entry per row."""
        by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key, fields in changes.items():
            by_fields.setdefault(tuple(sorted(fields)), []).append(
                {"b_id": key, **{f"v_{f}": after for f, (_, after) in fields.items()}})
        t = model.__table__
        bumps: dict[str, Any] = {}
        if "version" in t.c:  # a form holding the old version must see the change
            bumps["version"] = t.c.version + 1
        if "updated_at" in t.c:
            bumps["updated_at"] = dt.datetime.now(dt.UTC)
        for names, params in by_fields.items():
            self.session.execute(update(t).where(t.c.id == bindparam("b_id")).values(
                {**{f: bindparam(f"v_{f}") for f in names}, **bumps}), params)
        record_bulk(self.session, self.workspace_id, model.__tablename__, [
            (key, AuditAction.UPDATE, {f: [plain(a), plain(b)] for f, (a, b) in f.items()})
            for key, f in changes.items()])

    def keys(self, model: Any, column: Any, kind: str) -> dict[str, int]:
        """External key (or public id when it has none) → id of every row of `model`."""
        return {k or format_id(kind, i): i for i, k in self.session.execute(select(
            model.id, column).where(model.workspace_id == self.workspace_id).order_by(model.id))}

    def rows(self, model: Any) -> dict[int, Any]:
        """Every row of `model` in the workspace as plain column rows, by id (no ORM
        objects: a bulk update would leave them stale)."""
        t = model.__table__
        return {r.id: r for r in self.session.execute(select(t).where(
            t.c.workspace_id == self.workspace_id))}

    def max_id(self, model: Any) -> int:
        return int(self.session.scalar(select(func.max(model.id))) or 0)

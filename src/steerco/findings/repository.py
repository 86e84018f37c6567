"""Every query the interdependency engine needs: whole columns, one workspace, no ORM rows.

Dates come back as day numbers computed by the database (`day_number`), missing values as
-1 (ints) / NaN (floats) and are turned into `NO_DAY` where they are days.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.orm import Session

from steerco.db.enums import (
    BenefitKind,
    DepType,
    IndicatorType,
    InitiativeKind,
    MetricKind,
    StageGate,
)
from steerco.db.models import (
    BudgetLine,
    BudgetPlan,
    CausalLink,
    Dependency,
    Initiative,
    InitiativeMetric,
    LedgerEntry,
    Metric,
    Milestone,
    Objective,
    OrgUnit,
    Person,
    PlannedBenefit,
    Rule,
    Theme,
    Workspace,
)
from steerco.evidence.repository import columns, day_number
from steerco.kit.dates import NO_DAY

Arrays = list[npt.NDArray[Any]]


def _days(a: npt.NDArray[Any], present: npt.NDArray[Any] | None = None) -> npt.NDArray[np.int64]:
    """-1 from a NULL date → NO_DAY (day -1 itself, 31 Dec 1969, is not a real date here)."""
    out = np.where(a == -1, NO_DAY, a).astype(np.int64)
    if present is not None:
        out = np.where(present, out, NO_DAY)
    return out


def _code(col: Any, members: list[Any]) -> Any:
    """SQL turning an enum column into the member's position (`columns` reads numbers)."""
    return case({m: i for i, m in enumerate(members)}, value=col, else_=-1)


class FindingsRepository:
    """Column reads of one workspace for schedules, signals and hygiene."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def _day(self, col: Any) -> Any:
        return day_number(self.session, col)

    def _stamp_day(self, col: Any) -> Any:
        """Day number of a timestamp column (its UTC date)."""
        if self.session.get_bind().dialect.name == "sqlite":
            return day_number(self.session, col)
        return day_number(self.session, cast(col, Date))

    def milestones(self) -> Arrays:
        """(id, initiative, owner, due, forecast, completed, duration, updated) by id."""
        m = Milestone
        stmt = select(m.id, m.initiative_id, m.owner_id, self._day(m.due_date),
                      self._day(m.forecast_date), self._day(m.completed_on), m.duration_days,
                      self._stamp_day(m.updated_at), m.forecast_date.is_not(None),
                      m.completed_on.is_not(None)).where(
            m.workspace_id == self.workspace_id).order_by(m.id)
        c = columns(self.session, stmt, [int] * 10)
        return [c[0], c[1], c[2], _days(c[3]), _days(c[4], c[8] == 1), _days(c[5], c[9] == 1),
                c[6], _days(c[7])]

    def initiatives(self) -> Arrays:
        """(id, owner, sponsor, controller, org unit, start, due, percent, declared,
        stopped, stage code, kind code, updated, has start, has due) by id."""
        i = Initiative
        stmt = select(i.id, i.owner_id, i.sponsor_id, i.controller_id, i.org_unit_id,
                      self._day(i.start_date), self._day(i.due_date), i.percent_complete,
                      i.dependencies_declared, i.stopped, _code(i.stage, list(StageGate)),
                      _code(i.kind, list(InitiativeKind)),
                      self._stamp_day(i.updated_at), i.start_date.is_not(None),
                      i.due_date.is_not(None)).where(
            i.workspace_id == self.workspace_id).order_by(i.id)
        c = columns(self.session, stmt, [int, int, int, int, int, int, int, float, int, int,
                                         int, int, int, int, int])
        return [c[0], c[1], c[2], c[3], c[4], _days(c[5], c[13] == 1), _days(c[6], c[14] == 1),
                c[7], c[8] == 1, c[9] == 1, c[10], c[11], _days(c[12])]

    def dependencies(self) -> Arrays:
        """(id, provider ms, provider ini, consumer ms, consumer ini, type, lag, need,
        committed) by id."""
        d = Dependency
        stmt = select(d.id, d.provider_milestone_id, d.provider_initiative_id,
                      d.consumer_milestone_id, d.consumer_initiative_id,
                      _code(d.dep_type, list(DepType)),
                      d.lag_days, self._day(d.need_date), self._day(d.committed_date),
                      d.need_date.is_not(None), d.committed_date.is_not(None)).where(
            d.workspace_id == self.workspace_id).order_by(d.id)
        c = columns(self.session, stmt, [int] * 11)
        return [c[0], c[1], c[2], c[3], c[4], c[5], c[6],
                _days(c[7], c[9] == 1), _days(c[8], c[10] == 1)]

    def people(self) -> Arrays:
        """(id, org unit, manager, active) by id."""
        p = Person
        return columns(self.session, select(p.id, p.org_unit_id, p.manager_id, p.active).where(
            p.workspace_id == self.workspace_id).order_by(p.id), [int, int, int, int])

    def org_units(self) -> Arrays:
        """(id, parent, head) by id."""
        o = OrgUnit
        return columns(self.session, select(o.id, o.parent_id, o.head_id).where(
            o.workspace_id == self.workspace_id).order_by(o.id), [int, int, int])

    def themes(self) -> Arrays:
        """(id, active, owner) by id."""
        t = Theme
        return columns(self.session, select(t.id, t.active, t.owner_id).where(
            t.workspace_id == self.workspace_id).order_by(t.id), [int, int, int])

    def objective_owners(self) -> Arrays:
        """(id, owner) of non-archived objectives."""
        o = Objective
        return columns(self.session, select(o.id, o.owner_id).where(
            o.workspace_id == self.workspace_id, o.archived.is_(False)), [int, int])

    def metric_info(self) -> Arrays:
        """(id, is key result, is leading) by id."""
        m = Metric
        c = columns(self.session, select(m.id, m.kind == MetricKind.KEY_RESULT,
                                         m.indicator == IndicatorType.LEADING).where(
            m.workspace_id == self.workspace_id).order_by(m.id), [int, int, int])
        return [c[0], c[1] == 1, c[2] == 1]

    def initiative_metrics(self) -> Arrays:
        """(initiative, metric) links."""
        x = InitiativeMetric
        return columns(self.session, select(x.initiative_id, x.metric_id).where(
            x.workspace_id == self.workspace_id), [int, int])

    def benefits(self) -> Arrays:
        """(id, initiative, is savings, metric, budget line, amount, due, realised)."""
        b = PlannedBenefit
        stmt = select(b.id, b.initiative_id, b.kind == BenefitKind.SAVINGS, b.metric_id,
                      b.budget_line_id, b.amount, self._day(b.due_date),
                      b.realised_amount).where(b.workspace_id == self.workspace_id
                                               ).order_by(b.id)
        c = columns(self.session, stmt, [int, int, int, int, int, float, int, float])
        c[2] = c[2] == 1
        return c

    def budget_lines(self) -> Arrays:
        """(id, initiative, controller) by id."""
        b = BudgetLine
        return columns(self.session, select(b.id, b.initiative_id, b.controller_id).where(
            b.workspace_id == self.workspace_id).order_by(b.id), [int, int, int])

    def budget_plans(self) -> Arrays:
        """(line, period day, amount)."""
        p = BudgetPlan
        return columns(self.session, select(p.budget_line_id, self._day(p.period), p.amount
                                            ).where(p.workspace_id == self.workspace_id),
                       [int, int, float])

    def ledger(self) -> Arrays:
        """(line, period day, amount) summed per line and period."""
        e = LedgerEntry
        stmt = select(e.budget_line_id, self._day(e.period), func.sum(e.amount)).where(
            e.workspace_id == self.workspace_id).group_by(e.budget_line_id, e.period)
        return columns(self.session, stmt, [int, int, float])

    def causal_links(self) -> Arrays:
        """(id, driver, driven, sign, lag days) by id."""
        c = CausalLink
        return columns(self.session, select(c.id, c.driver_id, c.driven_id, c.sign, c.lag_days
                                            ).where(c.workspace_id == self.workspace_id
                                                    ).order_by(c.id), [int] * 5)

    def rules(self) -> Arrays:
        """(signal kind, metric, objective, org unit, active)."""
        r = Rule
        rows = self.session.execute(select(r.signal_kind, r.metric_id, r.objective_id,
                                           r.org_unit_id, r.active).where(
            r.workspace_id == self.workspace_id)).all()

        def key(i: int) -> npt.NDArray[np.int64]:
            return np.array([-1 if x[i] is None else x[i] for x in rows], dtype=np.int64)

        return [np.array([x[0] for x in rows], dtype=str), key(1), key(2), key(3),
                np.array([bool(x[4]) for x in rows], dtype=bool)]

    def currency(self) -> str:
        """The workspace's currency code (EUR when unset)."""
        return str(self.session.scalar(select(Workspace.currency).where(
            Workspace.id == self.workspace_id)) or "EUR")


def work_named(session: Session, workspace_id: int, name: str, initiatives_only: bool = False
               ) -> list[tuple[str, int, str]]:
    """Open or done work whose title is `name` (case-insensitive, exact): rows of
    (kind "milestone" | "initiative", key, "Initiative › Milestone" label), milestones first."""
    wanted = name.strip().lower()
    out: list[tuple[str, int, str]] = []
    if not initiatives_only:
        rows = session.execute(
            select(Milestone.id, Milestone.name, Initiative.name)
            .join(Initiative, Initiative.id == Milestone.initiative_id)
            .where(Milestone.workspace_id == workspace_id,
                   func.lower(Milestone.name) == wanted).order_by(Milestone.id).limit(20))
        out += [("milestone", int(k), f"{ini} › {ms}") for k, ms, ini in rows]
    inis = session.execute(select(Initiative.id, Initiative.name).where(
        Initiative.workspace_id == workspace_id, func.lower(Initiative.name) == wanted)
        .order_by(Initiative.id).limit(20))
    out += [("initiative", int(k), str(n)) for k, n in inis]
    return out


def work_labels(session: Session, workspace_id: int, refs: Iterable[tuple[str, int]]
                ) -> dict[tuple[str, int], str]:
    """(kind, key) → label of milestones ("Initiative › Milestone") and initiatives (their
    name), as `work_named` labels them: what a message about them names."""
    wanted = list(refs)
    out: dict[tuple[str, int], str] = {}
    ms = sorted({k for kind, k in wanted if kind == "milestone"})
    if ms:
        rows = session.execute(
            select(Milestone.id, Milestone.name, Initiative.name)
            .join(Initiative, Initiative.id == Milestone.initiative_id)
            .where(Milestone.workspace_id == workspace_id, Milestone.id.in_(ms)))
        out.update({("milestone", int(k)): f"{ini} › {m}" for k, m, ini in rows})
    inis = sorted({k for kind, k in wanted if kind == "initiative"})
    if inis:
        named = session.execute(select(Initiative.id, Initiative.name).where(
            Initiative.workspace_id == workspace_id, Initiative.id.in_(inis)))
        out.update({("initiative", int(k)): str(n) for k, n in named})
    return out

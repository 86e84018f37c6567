"""The findings cache brought up to date after an edit equals a fresh full compute.

`WorkCache` re-reads only the sources of the tables an edit moved and recomputes only the
finding kinds (and earned value) that read them (`steerco.views.work._update`). For each
kind of edit, the next read must give exactly what a full `_compute` gives — same findings
JSON (order included), same earned value — and the work tables' edits must not fall back
to the full compute. Runs on SQLite and, with STEERCO_TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import (
    Alignment,
    BudgetLine,
    BudgetPlan,
    CausalLink,
    Dependency,
    Initiative,
    InitiativeMetric,
    LedgerEntry,
    Metric,
    MetricObjective,
    Milestone,
    Objective,
    OrgUnit,
    Person,
    PlannedBenefit,
    PlanPoint,
    Rule,
    Theme,
    Workspace,
)
from steerco.demo import write_demo
from steerco.evidence.service import CACHE
from steerco.findings import service as fs
from steerco.kit.dates import NO_DAY, from_day
from steerco.org.service import workspace_today
from steerco.views import work

Edit = Callable[[Session, int], None]
WORK_BEFORE: Any = None  # the cached findings before the edit (some edits pick from them)


def _first(s: Session, col: Any, ws_col: Any, ws: int, *where: Any) -> int:
    return int(s.scalar(select(col).where(ws_col == ws, *where).order_by(col).limit(1)) or 0)


def _needed(s: Session, ws: int) -> Dependency:
    """A dependency with a need date on an open provider milestone."""
    d = s.scalars(select(Dependency).join(
        Milestone, Milestone.id == Dependency.provider_milestone_id).where(
        Dependency.workspace_id == ws, Dependency.need_date.is_not(None),
        Milestone.completed_on.is_(None)).order_by(Dependency.id)).first()
    assert d is not None
    return d


def _dependency_lag(s: Session, ws: int) -> None:
    _needed(s, ws).lag_days += 365


def _dependency_delete(s: Session, ws: int) -> None:
    broken = WORK_BEFORE.broken
    assert broken
    s.execute(delete(Dependency).where(Dependency.id == min(broken)))


def _milestone_due(s: Session, ws: int) -> None:
    d = _needed(s, ws)
    m = s.get(Milestone, d.provider_milestone_id)
    assert m is not None and d.need_date is not None
    m.forecast_date = d.need_date + dt.timedelta(days=200)
    m.due_date = d.need_date + dt.timedelta(days=150)


def _milestone_critical(s: Session, ws: int) -> None:
    """Move an open milestone's forecast years out so that the critical path changes for
    findings of kinds that do not read milestones (kept, but rated again)."""
    w = WORK_BEFORE
    m, src = w.model, w.model.sources
    rows = [f for f in w.findings if "milestones" not in fs.KIND_SOURCES[f["kind"]]]
    ids, _, _, due, forecast, done = src["milestones"][:6]
    for r in np.flatnonzero(done == NO_DAY).tolist():
        moved = forecast.copy()
        moved[r] = (due[r] if due[r] != NO_DAY else m.as_of) + 3000
        cols = list(src["milestones"])
        cols[4] = moved
        m2 = fs.build_model(m.workspace_id, m.as_of, m.snap, m.ev,
                            {**src, "milestones": tuple(cols)})
        again = [fs.unrated(f) for f in rows]
        fs.rate_rows(m2, again, w.currency)
        if any(a["impact"] != b["impact"] for a, b in zip(again, rows, strict=True)):
            ms = s.get(Milestone, int(ids[r]))
            assert ms is not None
            ms.forecast_date = from_day(int(moved[r]))
            return
    raise AssertionError("no milestone moves the critical path of a kept finding")


def _milestone_rename(s: Session, ws: int) -> None:
    m = s.get(Milestone, _first(s, Milestone.id, Milestone.workspace_id, ws))
    assert m is not None
    m.name += " (renamed)"


def _initiative_description(s: Session, ws: int) -> None:
    i = s.get(Initiative, _first(s, Initiative.id, Initiative.workspace_id, ws))
    assert i is not None
    i.description = (i.description or "") + " edited"


def _initiative_owner(s: Session, ws: int) -> None:
    i = s.get(Initiative, _first(s, Initiative.id, Initiative.workspace_id, ws))
    assert i is not None
    i.owner_id = None


def _ledger_actual(s: Session, ws: int) -> None:
    line = _first(s, BudgetLine.id, BudgetLine.workspace_id, ws,
                  BudgetLine.initiative_id.is_not(None))
    today = workspace_today(s, ws)
    s.add(LedgerEntry(workspace_id=ws, budget_line_id=line, period=today.replace(day=1),
                      amount=250_000.0, posted_on=today, reference="test"))


def _budget_plan(s: Session, ws: int) -> None:
    line = _first(s, BudgetPlan.budget_line_id, BudgetPlan.workspace_id, ws)
    s.execute(update(BudgetPlan).where(BudgetPlan.budget_line_id == line).values(
        amount=BudgetPlan.amount * 3))


def _person_rename(s: Session, ws: int) -> None:
    p = s.get(Person, _first(s, Person.id, Person.workspace_id, ws))
    assert p is not None
    p.name += " (renamed)"


def _person_deactivate(s: Session, ws: int) -> None:
    owner = s.scalar(select(Metric.owner_id).where(Metric.workspace_id == ws).limit(1))
    p = s.get(Person, owner)
    assert p is not None
    p.active = False


def _unit_rename(s: Session, ws: int) -> None:
    u = s.get(OrgUnit, _first(s, OrgUnit.id, OrgUnit.workspace_id, ws))
    assert u is not None
    u.name += " (renamed)"


def _theme_rename(s: Session, ws: int) -> None:
    t = s.get(Theme, _first(s, Theme.id, Theme.workspace_id, ws))
    assert t is not None
    t.name += " (renamed)"


def _theme_owner(s: Session, ws: int) -> None:
    t = s.get(Theme, _first(s, Theme.id, Theme.workspace_id, ws))
    assert t is not None
    t.owner_id = None


def _rule_deactivate(s: Session, ws: int) -> None:
    s.execute(update(Rule).where(Rule.workspace_id == ws).values(active=False))


def _unlink_metric(s: Session, ws: int) -> None:
    ini = _first(s, InitiativeMetric.initiative_id, InitiativeMetric.workspace_id, ws)
    s.execute(delete(InitiativeMetric).where(InitiativeMetric.initiative_id == ini))


def _causal_delete(s: Session, ws: int) -> None:
    s.execute(delete(CausalLink).where(CausalLink.id == _first(
        s, CausalLink.id, CausalLink.workspace_id, ws)))


def _currency(s: Session, ws: int) -> None:
    s.execute(update(Workspace).where(Workspace.id == ws).values(currency="USD"))
    _budget_plan(s, ws)  # the currency alone moves none of the engine's tables


def _metric_edit(s: Session, ws: int) -> None:
    s.execute(update(Metric).where(Metric.id == _first(
        s, Metric.id, Metric.workspace_id, ws)).values(tolerance=None))


def _metric_target(s: Session, ws: int) -> None:
    """Every key result's target far beyond (or behind) its baseline: plans, forecasts,
    statuses and the target-direction hygiene move."""
    s.execute(update(Metric).where(Metric.workspace_id == ws).values(
        target_value=Metric.baseline_value * -3 - 1000))


def _metric_rename(s: Session, ws: int) -> None:
    m = s.get(Metric, _first(s, Metric.id, Metric.workspace_id, ws))
    assert m is not None
    m.name += " (renamed)"


def _plan_save(s: Session, ws: int) -> None:
    """A plan for each of a few metrics: far off what they measure."""
    for m in s.scalars(select(Metric).where(Metric.workspace_id == ws).order_by(Metric.id)
                       .limit(5)).all():
        s.execute(delete(PlanPoint).where(PlanPoint.metric_id == m.id))
        s.add(PlanPoint(workspace_id=ws, metric_id=m.id, on=m.target_date,
                        value=m.target_value * 50 + 1000))


def _objective_title(s: Session, ws: int) -> None:
    o = s.get(Objective, _first(s, Objective.id, Objective.workspace_id, ws))
    assert o is not None
    o.title += " (renamed)"


def _objective_archive(s: Session, ws: int) -> None:
    # The objective with most metric links: its metrics' outcome weights move.
    oid = s.scalar(select(MetricObjective.objective_id).where(
        MetricObjective.workspace_id == ws).group_by(MetricObjective.objective_id).order_by(
        func.count().desc(), MetricObjective.objective_id).limit(1))
    o = s.get(Objective, oid)
    assert o is not None
    o.archived = True


def _objective_create(s: Session, ws: int) -> None:
    o = s.get(Objective, _first(s, Objective.id, Objective.workspace_id, ws))
    assert o is not None
    s.add(Objective(workspace_id=ws, title="New objective", period_start=o.period_start,
                    period_end=o.period_end, level=o.level, perspective=o.perspective,
                    owner_id=o.owner_id))


def _alignment_weight(s: Session, ws: int) -> None:
    s.execute(update(Alignment).where(Alignment.workspace_id == ws).values(
        weight=Alignment.weight * 7))
    s.execute(update(MetricObjective).where(MetricObjective.workspace_id == ws,
                                            MetricObjective.metric_id == _first(
        s, MetricObjective.metric_id, MetricObjective.workspace_id, ws)).values(
        weight=MetricObjective.weight * 9))


def _benefit_edit(s: Session, ws: int) -> None:
    """Every planned benefit (metric impacts and savings) ten times larger."""
    s.execute(update(PlannedBenefit).where(PlannedBenefit.workspace_id == ws).values(
        amount=PlannedBenefit.amount * 10))


#: Each edit, and whether it is brought up to date without a full compute.
EDITS: dict[str, tuple[Edit, bool]] = {
    "dependency_lag": (_dependency_lag, True),
    "dependency_delete": (_dependency_delete, True),
    "milestone_due": (_milestone_due, True),
    "milestone_critical": (_milestone_critical, True),
    "milestone_rename": (_milestone_rename, True),
    "initiative_description": (_initiative_description, True),
    "initiative_owner": (_initiative_owner, True),
    "ledger_actual": (_ledger_actual, True),
    "budget_plan": (_budget_plan, True),
    "person_rename": (_person_rename, True),
    "person_deactivate": (_person_deactivate, True),
    "unit_rename": (_unit_rename, True),
    "theme_rename": (_theme_rename, True),
    "theme_owner": (_theme_owner, True),
    "rule_deactivate": (_rule_deactivate, True),
    "unlink_metric": (_unlink_metric, True),
    "causal_delete": (_causal_delete, True),
    "currency": (_currency, True),
    # The snapshot's tables: the engine patches its evaluation, findings follow.
    "metric_edit": (_metric_edit, True),
    "metric_target": (_metric_target, True),
    "metric_rename": (_metric_rename, True),
    "plan_save": (_plan_save, True),
    "objective_title": (_objective_title, True),
    "objective_archive": (_objective_archive, True),
    "objective_create": (_objective_create, True),
    "alignment_weight": (_alignment_weight, True),
    "benefit_edit": (_benefit_edit, True),
}


#: Edits that change nothing findings read (names, descriptions: relabelling only).
UNSEEN = {"milestone_rename", "initiative_description", "person_rename", "unit_rename",
          "theme_rename", "metric_rename", "objective_title",
          "plan_save"}  # re-evaluates metrics, but no finding reads their plans
#: Snapshot edits that move what rating reads (outcome weights, savings).
RERATED = {"objective_archive", "alignment_weight", "benefit_edit"}
#: Edits of the snapshot's tables: the findings read the engine's patched evaluation.
SNAPSHOT_EDITS = {"metric_edit", "metric_target", "metric_rename", "plan_save",
                  "objective_title", "objective_archive", "objective_create",
                  "alignment_weight", "benefit_edit"}


@pytest.fixture(scope="module")
def demo(engine: Engine) -> int:
    slug = f"incr-{os.getpid()}"
    write_demo(engine, "s", 7, dt.date.today(), slug)
    with Session(engine) as s:
        return int(s.scalar(select(Workspace.id).where(Workspace.slug == slug)) or 0)


def _same_earned(a: Any, b: Any) -> None:
    for name in ("bac", "pv", "ev", "ac", "spi", "cpi", "share_done"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _dumps(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, default=str)


def _indexes(w: work.Work) -> dict[str, Any]:
    """The page indexes of `w` with each finding as its place in `w.findings` (equal
    findings lists, then equal indexes: the same findings in the same order)."""
    at = {id(f): i for i, f in enumerate(w.findings)}
    assert len(at) == len(w.findings)

    def places(v: list[dict[str, Any]]) -> list[int]:
        return [at[id(f)] for f in v]

    return {
        "by_key": {k: at[id(f)] for k, f in w.by_key.items()},
        "by_subject": {k: places(v) for k, v in w.by_subject.items()},
        "by_initiative": {k: places(v) for k, v in w.by_initiative.items()},
        "broken": {k: at[id(f)] for k, f in w.broken.items()},
        "concerned": {at[i]: v for i, v in w.concerned.items()},
    }


@pytest.mark.parametrize("name", list(EDITS))
def test_update_after_an_edit_equals_a_full_compute(engine: Engine, demo: int, name: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    edit, incremental = EDITS[name]
    CACHE.clear()
    cache = work.WorkCache()
    global WORK_BEFORE
    with Session(engine) as s:
        before = WORK_BEFORE = cache.get(s, demo)
        kept = _dumps(before.findings)
    full_runs: list[int] = []
    compute = work._compute

    def counting(s: Session, ws: int, day: dt.date) -> work.Work:
        full_runs.append(ws)
        return compute(s, ws, day)

    monkeypatch.setattr(work, "_compute", counting)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        edit(s, demo)
    with Session(engine) as s:
        after = cache.get(s, demo)
        assert (full_runs == []) is incremental
        full = compute(s, demo, workspace_today(s, demo))
    assert after is not before
    assert after.generations == full.generations
    assert _dumps(after.findings) == _dumps(full.findings)
    _same_earned(after.earned, full.earned)
    assert _indexes(after) == _indexes(full)
    # The edit shows (or, for a relabelling, nothing findings read changed).
    assert (_dumps(after.findings) != kept) is (name not in UNSEEN)
    # A snapshot edit is read from the engine's patched evaluation, the same a full
    # compute reads.
    assert (after.model.ev is not before.model.ev) is (name in SNAPSHOT_EDITS)
    assert after.model.ev is full.model.ev
    if name in SNAPSHOT_EDITS - RERATED:
        # Kinds that read nothing of the snapshot keep their findings (not made again).
        snap = {"snapshot", "objective_owners", "metric_info", "benefits"}
        kept_kinds = [k for k in before.kinds if not snap & set(fs.KIND_SOURCES[k])]
        assert kept_kinds
        assert all(after.kinds[k] is before.kinds[k] for k in kept_kinds)
    assert _dumps(before.findings) == kept  # the copy served before is left as it was


def test_every_kind_names_its_sources() -> None:
    assert set(fs.KIND_SOURCES) == set(fs.KINDS)
    sources = {*fs.SOURCE_TABLES, "snapshot", "objective_owners", "metric_info", "benefits"}
    assert all(set(v) <= sources for v in fs.KIND_SOURCES.values())


def test_a_few_findings_are_rated_as_all_of_them_are(engine: Engine, demo: int) -> None:
    """Rating a few findings looks each stake up (`_Stakes` with `few`) instead of mapping
    every initiative, metric and row first: the same severities, impacts and ranks."""
    with Session(engine) as s:
        w = work._compute(s, demo, workspace_today(s, demo))
    assert len(w.findings) > fs.FEW
    rows = [fs.unrated(f) for f in w.findings]
    ranks = fs.rate_rows(w.model, rows)
    one_by_one = [fs.unrated(f) for f in w.findings]
    ranked = [r for f in one_by_one for r in fs.rate_rows(w.model, [f])]
    assert ranked == ranks
    assert _dumps(one_by_one) == _dumps(rows)
    assert any(f["impact"]["money"] for f in rows)
    assert any(f["impact"]["outcome_weight"] for f in rows)
    assert any(f["impact"]["critical_path"] for f in rows)


def test_measurements_arrived_bring_the_findings_up_to_date_like_an_edit(
        engine: Engine, demo: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check-ins move no table generation but the engine's high water: the background
    refresh then updates (only the kinds reading the evaluation), never a full compute,
    and gives exactly what a full compute gives."""
    from steerco.checkins.service import check_in

    CACHE.clear()
    cache = work.WorkCache()
    with Session(engine) as s:
        before = cache.get(s, demo)
        kept = _dumps(before.findings)
        day = workspace_today(s, demo)
        # Each metric's latest value far off plan: statuses, signals and findings move.
        metrics = s.execute(select(Metric.id, Metric.baseline_value, Metric.baseline_date)
                            .where(Metric.workspace_id == demo).order_by(Metric.id)
                            .limit(12)).all()
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        for key, base, since in metrics:
            check_in(s, demo, {"metric_id": key, "value": base, "confirm_outlier": True,
                               "as_of": max(since, day - dt.timedelta(days=1)).isoformat()})
    full_runs: list[int] = []
    compute = work._compute

    def counting(s: Session, ws: int, d: dt.date) -> work.Work:
        full_runs.append(ws)
        return compute(s, ws, d)

    monkeypatch.setattr(work, "_compute", counting)
    with Session(engine) as s:
        st = CACHE.state(s, demo, day)
        assert st.snapshot.high_water != before.high_water
        after = work._update(s, demo, day, before)
        assert full_runs == []
        full = compute(s, demo, day)
    assert after.high_water == full.high_water == st.snapshot.high_water
    assert _dumps(after.findings) != kept  # the check-ins show
    assert _dumps(after.findings) == _dumps(full.findings)
    _same_earned(after.earned, full.earned)
    assert _indexes(after) == _indexes(full)

"""Sheets that link rows (alignments, metric objectives, dependencies) or hold series
(plan points, budget plans), and the bulk sheets (measurements, ledger actuals)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from steerco.checkins.schemas import MeasurementCreate
from steerco.db.enums import Source
from steerco.db.models import (
    Alignment,
    BudgetPlan,
    Dependency,
    Initiative,
    Metric,
    MetricObjective,
    Objective,
    PlanPoint,
)
from steerco.dependencies import service as dependencies
from steerco.dependencies.schemas import DependencyCreate, DependencyUpdate
from steerco.finance.schemas import LedgerEntryCreate
from steerco.kit.errors import SteercoError
from steerco.kit.ids import PREFIXES, format_id
from steerco.kit.validation import parse
from steerco.metrics import service as metrics
from steerco.objectives import service as objectives
from steerco.transfer.context import Ctx, RowRefused
from steerco.transfer.handlers import Applied, Handler
from steerco.transfer.report import Problem, Report
from steerco.transfer.spec import BY_NAME


class Alignments(Handler):
    spec = BY_NAME["alignments"]
    key_column = "child"
    fields: ClassVar[dict[str, str]] = {"child_id": "child", "parent_id": "parent"}

    def key(self, v: dict[str, Any]) -> str:
        return f"{v['child']} → {v['parent']}"

    def raw_key(self, raw: dict[str, Any]) -> str | None:
        return None

    batched = True

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """Every link checked with `objectives.check_alignment` on the graph in memory;
        the new ones inserted in one executemany, a changed weight through `align`."""
        known = {k: a.weight for k, a in ctx.repo.alignments().items()}
        parents: dict[int, list[int]] = {}
        for c, p in known:
            parents.setdefault(c, []).append(p)
        new: list[dict[str, Any]] = []

        def check(number: int, key: str, v: dict[str, Any]) -> Applied:
            child = ctx.ref("objective", "child", v["child"])
            parent = ctx.ref("objective", "parent", v["parent"])
            assert child is not None and parent is not None  # required cells
            weight = 1.0 if v["weight"] is None else v["weight"]
            before = known.get((child, parent))
            if before is not None and before == weight:
                return "unchanged", {}
            if before is not None:
                with ctx.session.begin_nested():
                    objectives.align(ctx.session, ctx.workspace_id, child, parent, weight)
                known[(child, parent)] = weight
                return "update", {"weight": (before, weight)}
            objectives.check_alignment(child, parent, weight,
                                       lambda a, b: _walk_up(parents, a, b))
            parents.setdefault(child, []).append(parent)
            known[(child, parent)] = weight
            new.append({"workspace_id": ctx.workspace_id, "child_id": child,
                        "parent_id": parent, "weight": weight})
            return "create", {}

        problems = self.each_row(ctx, title, rows, report, check)
        ctx.repo.insert_links_audited(Alignment, new, ("child_id", "parent_id"))
        return problems


class MetricObjectives(Handler):
    spec = BY_NAME["metric_objectives"]
    key_column = "metric"

    def key(self, v: dict[str, Any]) -> str:
        return f"{v['metric']} → {v['objective']}"

    def raw_key(self, raw: dict[str, Any]) -> str | None:
        return None

    batched = True

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """New links inserted in one executemany (no service links a metric to an
        objective after it exists; the row is the one create_metric writes)."""
        known = ctx.repo.metric_objectives()
        new: list[dict[str, Any]] = []
        seen: set[tuple[int, int]] = set()
        # The rules `metrics.attach_objective` applies (no two metrics of one objective
        # share a name; a key result is due within its objective's period), on one read.
        metric_rows, objective_rows = ctx.repo.rows(Metric), ctx.repo.rows(Objective)
        names_under: dict[int, dict[str, int]] = {}
        for m, o in known:
            names_under.setdefault(o, {})[metric_rows[m].name.strip().lower()] = m

        def check(number: int, key: str, v: dict[str, Any]) -> Applied:
            metric = ctx.ref("metric", "metric", v["metric"])
            objective = ctx.ref("objective", "objective", v["objective"])
            assert metric is not None and objective is not None  # required cells
            weight = 1.0 if v["weight"] is None else v["weight"]
            if not 0 < weight <= 1000:
                raise RowRefused([("weight", weight, "must be > 0 and ≤ 1000")])
            existing = known.get((metric, objective))
            if existing is not None:
                if existing.weight == weight:
                    return "unchanged", {}
                before, existing.weight = existing.weight, weight
                ctx.session.flush()
                return "update", {"weight": (before, weight)}
            if (metric, objective) in seen:  # the same link under another spelling
                raise RowRefused([("objective", v["objective"], "duplicate link")])
            m_row, o_row = metric_rows[metric], objective_rows[objective]
            name = m_row.name.strip().lower()
            twin = names_under.get(objective, {}).get(name)
            errors = metrics.link_errors(
                o_row.title, o_row.period_start, o_row.period_end, m_row.name, m_row.kind,
                m_row.target_date, None if twin is None else (twin, metric_rows[twin].name))
            if errors:
                raise RowRefused([("metric", v["metric"], e.message) for e in errors])
            names_under.setdefault(objective, {})[name] = metric
            seen.add((metric, objective))
            new.append({"workspace_id": ctx.workspace_id, "metric_id": metric,
                        "objective_id": objective, "weight": weight})
            return "create", {}

        problems = self.each_row(ctx, title, rows, report, check)
        ctx.repo.insert_links_audited(MetricObjective, new, ("metric_id", "objective_id"))
        return problems


class PlanPoints(Handler):
    """Plan values merge into a metric's plan; the service checks the whole plan."""

    spec = BY_NAME["plan_points"]
    key_column = "metric"

    def key(self, v: dict[str, Any]) -> str:
        return f"{v['metric']} @ {v['on']}"

    def raw_key(self, raw: dict[str, Any]) -> str | None:
        return None

    batched = True

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """Each row's merged plan checked with `metrics.check_plan` (set_plan's rule);
        then a plan that only gains points gets them in one executemany for all, and a
        plan with a changed value is replaced by `set_plan` (once per metric)."""
        plans = ctx.once("plan_points", ctx.repo.plan_points)
        added: dict[int, dict[Any, float]] = {}
        changed: set[int] = set()

        def check(number: int, key: str, v: dict[str, Any]) -> Applied:
            metric = ctx.ref("metric", "metric", v["metric"])
            assert metric is not None
            plan = plans.get(metric, {})
            before = plan.get(v["on"])
            if before == v["value"]:
                return "unchanged", {}
            merged = {**plan, v["on"]: v["value"]}
            metrics.check_plan([{"on": d, "value": x} for d, x in sorted(merged.items())])
            plans[metric] = merged
            if before is None:
                added.setdefault(metric, {})[v["on"]] = v["value"]
                return "create", {}
            changed.add(metric)
            return "update", {"value": (before, v["value"])}

        problems = self.each_row(ctx, title, rows, report, check)
        for metric in changed:
            metrics.set_plan(ctx.session, ctx.workspace_id, metric,
                             [{"on": d, "value": x} for d, x in sorted(plans[metric].items())])
        ctx.session.flush()
        ctx.repo.insert_links_audited(PlanPoint, [
            {"workspace_id": ctx.workspace_id, "metric_id": m, "on": d, "value": x}
            for m, points in added.items() if m not in changed for d, x in points.items()],
            ("metric_id", "on"))
        return problems


class BudgetPlans(Handler):
    spec = BY_NAME["budget_plans"]
    key_column = "budget_line"

    def key(self, v: dict[str, Any]) -> str:
        return f"{v['budget_line']} @ {v['period']}"

    def raw_key(self, raw: dict[str, Any]) -> str | None:
        return None

    batched = True

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """New planned amounts inserted in one executemany; a changed one updated."""
        known = ctx.repo.budget_plans()
        new: list[dict[str, Any]] = []
        seen: set[tuple[int, Any]] = set()

        def check(number: int, key: str, v: dict[str, Any]) -> Applied:
            line = ctx.ref("budget_line", "budget_line", v["budget_line"])
            assert line is not None
            if v["period"].day != 1:
                raise RowRefused([("period", v["period"].isoformat(),
                                   "must be the first day of a month")])
            existing = known.get((line, v["period"]))
            if existing is None:
                if (line, v["period"]) in seen:
                    raise RowRefused([("period", v["period"].isoformat(),
                                       "duplicate period of this budget line")])
                seen.add((line, v["period"]))
                new.append({"workspace_id": ctx.workspace_id, "budget_line_id": line,
                            "period": v["period"], "amount": v["amount"]})
                return "create", {}
            if existing.amount == v["amount"]:
                return "unchanged", {}
            before, existing.amount = existing.amount, v["amount"]
            ctx.session.flush()
            return "update", {"amount": (before, v["amount"])}

        problems = self.each_row(ctx, title, rows, report, check)
        ctx.repo.insert_links_audited(BudgetPlan, new, ("budget_line_id", "period"))
        return problems


class Dependencies(Handler):
    spec = BY_NAME["dependencies"]
    key_column = "provider"
    batched = True
    updatable = ("dep_type", "lag_days", "need_date", "committed_date", "note")

    def key(self, v: dict[str, Any]) -> str:
        return f"{v['provider']} → {v['consumer']}"

    def raw_key(self, raw: dict[str, Any]) -> str | None:
        return None

    @staticmethod
    def node(ctx: Ctx, column: str, value: str) -> str:
        ms, ini = ctx.find("milestone", value), ctx.find("initiative", value)
        if ms is not None and ini is not None:
            raise RowRefused([(column, value, "both a milestone and an initiative have this "
                                              "key: rename one")])
        if ms is not None:
            return format_id("milestone", ms)
        if ini is not None:
            return format_id("initiative", ini)
        raise RowRefused([(column, value, f"no milestone or initiative with key {value!r} in "
                                          "this workspace or this file")])

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """Every link checked with the service's rules (`dependencies.check_new`) on the
        graph in memory, then the new ones inserted in one executemany and the changed
        ones updated in one per set of fields, all audited (30,000 Jira links)."""
        index = {(_end(d.provider_milestone_id, d.provider_initiative_id),
                  _end(d.consumer_milestone_id, d.consumer_initiative_id)): d
                 for d in ctx.repo.rows(Dependency).values()}
        # The graph the cycle check walks, in memory: every dependency and each
        # milestone's link to its own initiative (what the service walks in the
        # database, one query per level, per row).
        graph: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for p, c in index:
            graph.setdefault(_node(p), []).append(_node(c))
        initiative_of = dict(ctx.repo.milestone_initiatives())
        for m, i in initiative_of.items():
            graph.setdefault(("milestone", m), []).append(("initiative", i))
        new: list[dict[str, Any]] = []
        changed: dict[int, dict[str, tuple[Any, Any]]] = {}

        def check(number: int, key: str, v: dict[str, Any]) -> Applied:
            prov = self.node(ctx, "provider", v["provider"])
            cons = self.node(ctx, "consumer", v["consumer"])
            body = {k: v[k] for k in self.updatable if v[k] is not None}
            dep = index.get((prov, cons))
            if dep is not None:
                changes = {k: (getattr(dep, k), x) for k, x in body.items()
                           if getattr(dep, k) != x}
                parse(DependencyUpdate, {k: b for k, (_, b) in changes.items()})
                if not changes:
                    return "unchanged", {}
                changed[dep.id] = changes
                return "update", {k: (getattr(a, "value", a), b)
                                  for k, (a, b) in changes.items()}
            data = parse(DependencyCreate, {"provider": prov, "consumer": cons, **body})
            a, b = _node(prov), _node(cons)
            try:
                dependencies.check_new(a, b, initiative_of.__getitem__,
                                       lambda x, y: _walk(graph, x, y))
            except SteercoError as exc:
                if exc.errors and "cycle" in exc.errors[0].message:
                    raise RowRefused([("consumer", v["consumer"], exc.errors[0].message)]
                                     ) from None
                raise
            graph.setdefault(a, []).append(b)
            index[(prov, cons)] = data
            new.append({"workspace_id": ctx.workspace_id, "dep_type": data.dep_type,
                        "lag_days": data.lag_days, "need_date": data.need_date,
                        "committed_date": data.committed_date, "note": data.note,
                        f"provider_{a[0]}_id": a[1], f"consumer_{b[0]}_id": b[1]})
            return "create", {}

        problems = self.each_row(ctx, title, rows, report, check)
        # One executemany per shape (a provider milestone or initiative, a consumer …).
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in new:
            shapes.setdefault(tuple(sorted(r)), []).append(r)
        for group in shapes.values():
            ctx.repo.insert_audited(Dependency, group)
        ctx.repo.update_audited(Dependency, changed)
        # Naming what an initiative needs declares its dependencies (as the service does).
        needs = {r.get("consumer_initiative_id") or initiative_of.get(
            r.get("consumer_milestone_id") or -1) for r in new}
        ctx.repo.update_audited(Initiative, {
            i.id: {"dependencies_declared": (False, True)}
            for i in ctx.repo.rows(Initiative).values()
            if i.id in needs and not i.dependencies_declared})
        return problems


def _walk_up(parents: dict[int, list[int]], start: int, goal: int) -> list[int] | None:
    """The alignment path from start up to goal on the graph in memory (the service's
    breadth-first walk, `objectives.path_up`)."""
    return objectives.path_up(start, goal, lambda frontier: [
        (node, parent) for node in frontier for parent in parents.get(node, ())])


def _node(ref: str) -> tuple[str, int]:
    """'mil_12' → ('milestone', 12), as the dependency service names graph nodes."""
    kind, _, key = ref.partition("_")
    return ("milestone" if kind == PREFIXES["milestone"] else "initiative", int(key))


def _walk(graph: dict[tuple[str, int], list[tuple[str, int]]], start: tuple[str, int],
          goal: tuple[str, int]) -> list[tuple[str, int]] | None:
    """The path from start down to goal in `graph`, breadth-first (as the service's)."""
    came_from = {start: start}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for succ in graph.get(node, ()):
                if succ in came_from:
                    continue
                came_from[succ] = node
                if succ == goal:
                    path = [goal]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1]
                nxt.append(succ)
        frontier = nxt
    return None


def _end(milestone: int | None, initiative: int | None) -> str:
    if milestone is not None:
        return format_id("milestone", milestone)
    assert initiative is not None  # one of the two is set (a check constraint says so)
    return format_id("initiative", initiative)


class Measurements(Handler):
    """Check-ins, validated row by row and written in bulk (1,000,000 rows in seconds).

    A row equal to the newest value of its metric and date is unchanged; a different
    value is a correction that supersedes it (measurements are append-only). History
    before the metric's baseline is accepted: an import loads history.
    """

    spec = BY_NAME["measurements"]
    bulk = True

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        from steerco.transfer.bulk import stage_measurements

        return stage_measurements(ctx, title, rows, report)


class Ledger(Handler):
    """Ledger actuals: append-only, so an identical row already posted is unchanged."""

    spec = BY_NAME["ledger"]
    bulk = True

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        from steerco.transfer.pipeline import convert

        problems: list[Problem] = []
        existing = ctx.repo.ledger_keys()
        seen: dict[tuple[Any, ...], int] = {}
        new: list[dict[str, Any]] = []
        counts = {"create": 0, "update": 0, "unchanged": 0}
        for number, raw in rows:
            try:
                v = convert(self.spec, raw, ctx.reader)
                line = ctx.ref("budget_line", "budget_line", v["budget_line"])
                body = parse(LedgerEntryCreate, {
                    "budget_line_id": line, "period": v["period"], "amount": v["amount"],
                    "posted_on": v["posted_on"], "reference": v["reference"]})
            except RowRefused as exc:
                problems.extend(Problem(title, number, c, x, r) for c, x, r in exc.problems)
                continue
            except SteercoError as exc:
                problems.extend(Problem(title, number, e.field.removesuffix("_id"), e.value,
                                        e.message) for e in exc.errors)
                continue
            key = (line, body.period, body.amount, body.posted_on, body.reference)
            if key in seen:
                problems.append(Problem(title, number, "reference", body.reference,
                                        f"duplicate entry: row {seen[key]} has it too"))
                continue
            seen[key] = number
            if key in existing:
                counts["unchanged"] += 1
                continue
            counts["create"] += 1
            new.append({"workspace_id": ctx.workspace_id, "budget_line_id": line,
                        "period": body.period, "amount": body.amount,
                        "posted_on": body.posted_on, "reference": body.reference,
                        "source": Source.IMPORT})
        report.bulk[self.spec.title] = counts
        if not problems:
            ctx.repo.insert_ledger(new)
        return problems


def _today_limit(ctx: Ctx) -> dt.date:
    return ctx.today


__all__ = ["Alignments", "BudgetPlans", "Dependencies", "Ledger", "MeasurementCreate",
           "Measurements", "Metric", "MetricObjectives", "PlanPoints"]

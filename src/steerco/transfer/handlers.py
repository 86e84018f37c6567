"""One handler per sheet: find the row by its key, create or update it with the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy.exc import IntegrityError

from steerco.db.enums import STAGE_ORDER, StageGate
from steerco.db.models import (
    BudgetLine,
    Initiative,
    InitiativeMetric,
    Metric,
    Milestone,
    Objective,
    OrgUnit,
    Person,
    Theme,
)
from steerco.finance import service as finance
from steerco.finance.schemas import BudgetLineCreate
from steerco.initiatives import service as initiatives
from steerco.initiatives.schemas import InitiativeCreate, MilestoneCreate, MilestoneUpdate
from steerco.kit.errors import FieldError, SteercoError, ValidationFailed
from steerco.kit.ids import format_id
from steerco.kit.validation import parse
from steerco.metrics import service as metrics
from steerco.metrics.schemas import MetricCreate
from steerco.objectives import service as objectives
from steerco.objectives.schemas import ObjectiveCreate, ThemeCreate
from steerco.org import service as org
from steerco.org.schemas import OrgUnitCreate, PersonCreate
from steerco.transfer.context import Ctx, Deferred
from steerco.transfer.report import Action, Outcome, Problem, Report
from steerco.transfer.spec import BY_NAME, SheetSpec

Applied = tuple[Action, dict[str, tuple[Any, Any]]]
Refs = dict[str, tuple[str, str]]  # service field → (kind of the row it names, column)


class Handler:
    """A sheet: its key column, and how a row becomes a create, an update or nothing."""

    spec: SheetSpec
    key_column: str = "key"
    bulk: ClassVar[bool] = False
    #: Checked row by row with the services' rules and written in bulk (`stage_bulk`),
    #: reporting every row like the service path.
    batched: ClassVar[bool] = False
    #: Service field → sheet column, for naming the cell a service refused.
    fields: ClassVar[dict[str, str]] = {}

    def raw_key(self, raw: dict[str, Any]) -> str | None:
        v = raw.get(self.key_column)
        if v is None:
            return None
        text = str(int(v)) if isinstance(v, float) and v == int(v) else str(v).strip()
        return text.lower() if self.key_column == "email" else text

    def key(self, v: dict[str, Any]) -> str:
        return str(v[self.key_column])

    def column_of(self, e: FieldError) -> str | None:
        head = e.field.split(".")[0]
        if head in self.fields:
            return self.fields[head]
        name = head.removesuffix("_id")
        return name if any(c.name == name for c in self.spec.columns) else (
            head if any(c.name == head for c in self.spec.columns) else e.field)

    def apply(self, ctx: Ctx, number: int, v: dict[str, Any]) -> Applied:
        raise NotImplementedError

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """Bulk sheets check every row, then write them all at once (see bulk.py)."""
        raise NotImplementedError

    def each_row(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                 report: Report, check: Callable[[int, str, dict[str, Any]], Applied]
                 ) -> list[Problem]:
        """Check every row of a batched sheet with `check` (which writes nothing: it
        collects what to write), one outcome per row and every problem, named as the
        per-row path names them (no savepoint: a refused row has written nothing)."""
        from steerco.transfer.context import RowRefused
        from steerco.transfer.pipeline import convert, problems_of

        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for i, (number, raw) in enumerate(rows):
            if ctx.checking is not None and i % 200 == 0:
                ctx.checking(i)
            try:
                values = convert(self.spec, raw, ctx.reader)
                key = self.key(values)
                if key in seen:
                    raise RowRefused([(self.key_column, key,
                                       f"duplicate key: row {seen[key]} has it too")])
                seen[key] = number
                action, changes = check(number, key, values)
                report.outcomes.append(Outcome(self.spec.title, number, key, action, changes))
            except (RowRefused, SteercoError, IntegrityError) as exc:
                problems.extend(problems_of(title, number, self, exc, ctx))
        return problems


class EntityHandler(Handler):
    """A sheet of entities with an external key, written by `create` and `update`."""

    kind: ClassVar[str]
    model: ClassVar[Any]
    create: ClassVar[Callable[..., Any]]
    update: ClassVar[Callable[..., Any]]
    updatable: ClassVar[tuple[str, ...]]
    refs: ClassVar[Refs] = {}
    deferrable: ClassVar[tuple[str, ...]] = ()
    stores_key: ClassVar[str | None] = "external_key"

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def apply(self, ctx: Ctx, number: int, v: dict[str, Any]) -> Applied:
        key = self.key(v)
        ctx.current_row = number
        body = self.payload(ctx, v)
        later: dict[str, tuple[str, str]] = {}
        for field, (kind, column) in self.refs.items():
            try:
                body[field] = ctx.ref(kind, column, v[column], defer=field in self.deferrable)
            except Deferred:
                body[field] = None
                later[field] = (kind, column)
        existing = ctx.find(self.kind, key)
        if existing is None:
            row = type(self).create(ctx.session, ctx.workspace_id,
                                    {k: x for k, x in body.items() if x is not None})
            if self.stores_key and getattr(row, self.stores_key) != key:
                setattr(row, self.stores_key, key)
                ctx.session.flush()
            ctx.register(self.kind, key, row.id)
            self.after_create(ctx, row, v)
            action: Action = "create"
            changes: dict[str, tuple[Any, Any]] = {}
        else:
            row = ctx.session.get(self.model, existing)
            assert row is not None  # found by key in this workspace, in this transaction
            changes = {f: (getattr(row, f), x) for f, x in body.items()
                       if f in self.updatable and x is not None and getattr(row, f) != x}
            if changes:
                type(self).update(ctx.session, ctx.workspace_id, row.id,
                                  {f: after for f, (_, after) in changes.items()})
            action = "update" if changes else "unchanged"
            action = self.after_update(ctx, row, v, action)
        for field, (kind, column) in later.items():
            ctx.deferred.append((self.spec.name, number, self._set_later(
                ctx, row.id, field, kind, column, v[column])))
        return action, {self.fields.get(f, f.removesuffix("_id")): (_show(a), _show(b))
                        for f, (a, b) in changes.items()}

    def _set_later(self, ctx: Ctx, row_id: int, field: str, kind: str, column: str,
                   value: str) -> Callable[[], None]:
        def work() -> None:
            ref = ctx.ref(kind, column, value)
            type(self).update(ctx.session, ctx.workspace_id, row_id, {field: ref})
        return work

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        """New rows checked with the create service's rules and inserted at once; rows
        already in the workspace updated by the service (see entities.py)."""
        from steerco.transfer.entities import stage_entities

        return stage_entities(self, ctx, title, rows, report)

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        """The columns of a new row as the create service writes them, from its body
        (references as ids), checked with the service's rules; and what `inserted` needs
        of the row besides (the batched sheets)."""
        raise NotImplementedError

    def checked(self, ctx: Ctx, key: str, row: dict[str, Any]) -> None:
        """A new row passed its checks (it is written after the sheet)."""

    def registered(self, ctx: Ctx, row_id: int, row: dict[str, Any]) -> None:
        """A new row is written and its key registered."""

    def inserted(self, ctx: Ctx, title: str,
                 rows: list[tuple[int, int, dict[str, Any], Any]]) -> None:
        """The new rows are written: (row number, id, columns, `new_row`'s extra)."""

    def check_later(self, ctx: Ctx, row_id: int, field: str, ref: int, value: str) -> None:
        """The rules of the update that sets `field` of new row `row_id` to `ref` (a
        reference to a row further down the file): an active person by default."""
        if ref in ctx.people and self.refs[field][0] == "person":
            org.check_active(ctx.people[ref], field)

    def after_create(self, ctx: Ctx, row: Any, v: dict[str, Any]) -> None:
        """Write what the create service does not take (e.g. a milestone's completion)."""

    def after_update(self, ctx: Ctx, row: Any, v: dict[str, Any], action: Action) -> Action:
        return action


def _show(x: Any) -> Any:
    return getattr(x, "value", x)


def _active(ctx: Ctx, body: dict[str, Any], *fields: str) -> None:
    """Someone who has left owns nothing (`org.check_active`, as the services' own
    `require_person`); a person this file adds is active."""
    for f in fields:
        who = body.get(f)
        if who is not None and who in ctx.people:
            org.check_active(ctx.people[who], f)


def _columns(body: Any, *names: str) -> dict[str, Any]:
    return {n: getattr(body, n) for n in names}


def _plain(v: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: v[n] for n in names}


class OrgUnits(EntityHandler):
    spec = BY_NAME["org_units"]
    key_column, kind, model, stores_key = "code", "org_unit", OrgUnit, None
    create, update = org.create_org_unit, org.update_org_unit
    updatable = ("name", "parent_id", "head_id")
    refs: ClassVar[Refs] = {
        "parent_id": ("org_unit", "parent"),
        "head_id": ("person", "head"),
    }
    deferrable = ("parent_id", "head_id")
    batched = True

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        return _plain(v, "code", "name", "kind")

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(OrgUnitCreate, body)
        _active(ctx, body, "head_id")
        return {"workspace_id": ctx.workspace_id, **_columns(b, "name", "kind", "code"),
                "parent_id": body.get("parent_id"), "head_id": body.get("head_id")}, None

    def check_later(self, ctx: Ctx, row_id: int, field: str, ref: int, value: str) -> None:
        if field != "parent_id":
            super().check_later(ctx, row_id, field, ref, value)
            return
        parents = ctx.once("org_unit_parents", lambda: {
            k: r.parent_id for k, r in ctx.repo.rows(OrgUnit).items()})
        org.check_unit_parent(row_id, ref, parents.get, value)
        parents[row_id] = ref


class People(EntityHandler):
    spec = BY_NAME["people"]
    key_column, kind, model, stores_key = "email", "person", Person, None
    create, update = org.create_person, org.update_person
    updatable = ("name", "title", "manager_id", "org_unit_id")
    refs: ClassVar[Refs] = {
        "manager_id": ("person", "manager"),
        "org_unit_id": ("org_unit", "org_unit"),
    }
    deferrable = ("manager_id",)

    def key(self, v: dict[str, Any]) -> str:
        return str(v["email"]).lower()

    batched = True

    def after_create(self, ctx: Ctx, row: Any, v: dict[str, Any]) -> None:
        ctx.names.setdefault(row.name.strip().lower(), []).append(row.id)

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        return _plain(v, "email", "name", "title")

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(PersonCreate, body)
        _active(ctx, body, "manager_id")
        return {"workspace_id": ctx.workspace_id, **_columns(b, "name", "email", "title"),
                "manager_id": body.get("manager_id"),
                "org_unit_id": body.get("org_unit_id")}, None

    def checked(self, ctx: Ctx, key: str, row: dict[str, Any]) -> None:
        ctx.pending_names.add(row["name"].strip().lower())

    def registered(self, ctx: Ctx, row_id: int, row: dict[str, Any]) -> None:
        ctx.names.setdefault(row["name"].strip().lower(), []).append(row_id)

    def inserted(self, ctx: Ctx, title: str,
                 rows: list[tuple[int, int, dict[str, Any], Any]]) -> None:
        ctx.pending_names.clear()

    def check_later(self, ctx: Ctx, row_id: int, field: str, ref: int, value: str) -> None:
        super().check_later(ctx, row_id, field, ref, value)
        if field == "manager_id":
            org.check_manager(row_id, ref, value)


class Themes(EntityHandler):
    spec = BY_NAME["themes"]
    kind, model = "theme", Theme
    create, update = objectives.create_theme, objectives.update_theme
    updatable = ("name", "description", "owner_id", "active")
    refs: ClassVar[Refs] = {
        "owner_id": ("person", "owner"),
    }
    batched = True

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        return _plain(v, "name", "description", "active")

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(ThemeCreate, body)
        _active(ctx, body, "owner_id")
        return {"workspace_id": ctx.workspace_id, **_columns(b, "name", "description",
                                                             "active"),
                "owner_id": body.get("owner_id"), "external_key": key}, None


class Objectives(EntityHandler):
    spec = BY_NAME["objectives"]
    kind, model = "objective", Objective
    create, update = objectives.create_objective, objectives.update_objective
    updatable = ("title", "description", "period_start", "period_end", "level",
                 "perspective", "owner_id", "org_unit_id", "theme_id")
    refs: ClassVar[Refs] = {
        "owner_id": ("person", "owner"),
        "org_unit_id": ("org_unit", "org_unit"),
        "theme_id": ("theme", "theme"),
    }

    batched = True

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        return _plain(v, "title", "description", "period_start", "period_end", "level",
                      "perspective")

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(ObjectiveCreate, body)
        _active(ctx, body, "owner_id")
        return {"workspace_id": ctx.workspace_id, **_columns(
            b, "title", "description", "period_start", "period_end", "level", "perspective"),
            "owner_id": body["owner_id"], "org_unit_id": body.get("org_unit_id"),
            "theme_id": body.get("theme_id"), "external_key": key}, None


class Metrics(EntityHandler):
    spec = BY_NAME["metrics"]
    kind, model = "metric", Metric
    create, update = metrics.create_metric, metrics.update_metric
    updatable = ("name", "unit", "direction", "baseline_value", "baseline_date",
                 "target_value", "target_date", "tolerance", "tolerance_mode", "indicator",
                 "cadence", "owner_id", "description")
    refs: ClassVar[Refs] = {
        "owner_id": ("person", "owner"),
    }

    batched = True

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        return _plain(v, "name", "kind", *self.updatable[1:11], "description")

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(MetricCreate, body)
        errors = metrics.shape_errors(b.direction, b.baseline_value, b.target_value, b.unit,
                                      b.min_value, b.max_value)
        if errors:
            raise ValidationFailed(errors)
        _active(ctx, body, "owner_id")
        return {"workspace_id": ctx.workspace_id, **_columns(
            b, "name", "kind", "unit", "direction", "baseline_value", "baseline_date",
            "target_value", "target_date", "tolerance", "tolerance_mode", "indicator",
            "cadence", "source", "description", "min_value", "max_value"),
            "owner_id": body["owner_id"], "external_key": key}, None

    def after_update(self, ctx: Ctx, row: Any, v: dict[str, Any], action: Action) -> Action:
        if v["kind"] is not None and row.kind != v["kind"]:
            raise _refuse("kind", v["kind"], f"is {row.kind.value}; a metric's kind cannot "
                                             "change (create a new metric)")
        return action


class Initiatives(EntityHandler):
    spec = BY_NAME["initiatives"]
    kind, model = "initiative", Initiative
    create, update = initiatives.create_initiative, initiatives.update_initiative
    updatable = ("name", "description", "kind", "owner_id", "sponsor_id", "controller_id",
                 "org_unit_id", "start_date", "due_date")
    refs: ClassVar[Refs] = {
        "owner_id": ("person", "owner"),
        "sponsor_id": ("person", "sponsor"),
        "controller_id": ("person", "controller"),
        "org_unit_id": ("org_unit", "org_unit"),
    }
    fields: ClassVar[dict[str, str]] = {"metric_ids": "metrics"}
    batched = True

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(InitiativeCreate, body)
        _active(ctx, body, "owner_id", "sponsor_id", "controller_id")
        row = {"workspace_id": ctx.workspace_id, **_columns(
            b, "name", "description", "kind", "stage", "start_date", "due_date"),
            **{f: body.get(f) for f in ("owner_id", "sponsor_id", "controller_id",
                                        "org_unit_id")}, "external_key": key}
        return row, (list(dict.fromkeys(body.get("metric_ids", []))), v["stage"])

    def inserted(self, ctx: Ctx, title: str,
                 rows: list[tuple[int, int, dict[str, Any], Any]]) -> None:
        """The metrics each new initiative should move (as `create_initiative` links
        them); its stage gate once every sheet is in (the budget lines come later)."""
        ctx.repo.insert_links_audited(InitiativeMetric, [
            {"workspace_id": ctx.workspace_id, "initiative_id": row_id, "metric_id": m}
            for _, row_id, _, (metric_ids, _) in rows for m in metric_ids],
            ("initiative_id", "metric_id"))
        gates = [(number, row_id, row, StageGate(stage)) for number, row_id, row, (_, stage)
                 in rows if stage is not None and StageGate(stage) != row["stage"]]
        if gates:
            ctx.finish.append(lambda: self._gates(ctx, title, gates))

    def _gates(self, ctx: Ctx, title: str,
               gates: list[tuple[int, int, dict[str, Any], StageGate]]) -> list[Problem]:
        """Move new initiatives through the gate to the stage of their row, step by step
        as `move_stage` does: from `decided` on each needs what `gaps_of` names."""
        from steerco.transfer.pipeline import problems_of

        metric_counts = ctx.repo.count_by(InitiativeMetric, InitiativeMetric.initiative_id)
        line_counts = ctx.repo.count_by(BudgetLine, BudgetLine.initiative_id)
        decided = STAGE_ORDER.index(StageGate.DECIDED)
        problems: list[Problem] = []
        changes: dict[int, dict[str, tuple[Any, Any]]] = {}
        for number, row_id, row, stage in gates:
            if STAGE_ORDER.index(stage) >= decided:
                gaps = initiatives.gaps_of(row["owner_id"], row["due_date"],
                                           metric_counts.get(row_id, 0),
                                           line_counts.get(row_id, 0))
                if gaps:
                    problems.extend(problems_of(title, number, self, ValidationFailed(gaps),
                                                ctx))
                    continue
            changes[row_id] = {"stage": (row["stage"], stage)}
        ctx.repo.update_audited(Initiative, changes)
        return problems

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        body = _plain(v, "name", "description", "kind", "start_date", "due_date")
        if v["stage"] is not None:
            # A new initiative starts at most at `detailed`; later stages are reached
            # through the gate (move_stage) once its metrics and budget lines are in.
            body["stage"] = STAGE_ORDER[min(STAGE_ORDER.index(StageGate(v["stage"])),
                                            STAGE_ORDER.index(StageGate.DETAILED))].value
        body["metric_ids"] = [ctx.ref("metric", "metrics", k) for k in v["metrics"] or []]
        return body

    def after_create(self, ctx: Ctx, row: Any, v: dict[str, Any]) -> None:
        self._gate(ctx, row, v)

    def _gate(self, ctx: Ctx, row: Any, v: dict[str, Any]) -> bool:
        if v["stage"] is None or row.stage == v["stage"]:
            return False
        here, there = STAGE_ORDER.index(row.stage), STAGE_ORDER.index(StageGate(v["stage"]))
        steps = STAGE_ORDER[here + 1:there + 1] if there > here else [STAGE_ORDER[there]]
        key = row.id

        def work() -> None:
            for stage in steps:
                initiatives.move_stage(ctx.session, ctx.workspace_id, key, stage)
        ctx.deferred.append((self.spec.name, ctx.current_row, work))
        return True

    def after_update(self, ctx: Ctx, row: Any, v: dict[str, Any], action: Action) -> Action:
        if self._gate(ctx, row, v):
            action = "update"
        linked = ctx.once("initiative_metrics", ctx.repo.initiative_metrics).setdefault(
            row.id, [])
        for key in v["metrics"] or []:
            metric_id = ctx.ref("metric", "metrics", key)
            if metric_id is not None and metric_id not in linked:
                initiatives.link_metric(ctx.session, ctx.workspace_id, row.id, metric_id)
                linked.append(metric_id)
                action = "update"
        return action


class Milestones(EntityHandler):
    """Milestones are checked row by row with the service's rules and written in bulk:
    one executemany for the new ones, one per set of changed fields for the others, and
    their audit entries (a Jira project of 10,000 issues is 10,000 milestones)."""

    spec = BY_NAME["milestones"]
    kind, model, stores_key = "milestone", Milestone, "external_ref"
    batched = True
    updatable = ("name", "owner_id", "due_date", "forecast_date", "duration_days",
                 "completed_on", "evidence_url")

    def stage_bulk(self, ctx: Ctx, title: str, rows: list[tuple[int, dict[str, Any]]],
                   report: Report) -> list[Problem]:
        initiatives_ = ctx.repo.rows(Initiative)  # start dates and owners, one query
        existing = ctx.repo.rows(Milestone) if ctx.keys["milestone"] else {}
        new: list[dict[str, Any]] = []
        keys: list[str] = []
        changed: dict[int, dict[str, tuple[Any, Any]]] = {}

        def check(number: int, key: str, v: dict[str, Any]) -> Applied:
            ini = ctx.ref("initiative", "initiative", v["initiative"])
            owner = ctx.ref("person", "owner", v["owner"])
            assert ini is not None  # a required cell
            found = ctx.find("milestone", key)
            row = existing.get(found) if found is not None else None
            if owner is not None and owner in ctx.people and (
                    row is None or row.owner_id != owner):  # a new owner is active
                org.check_active(ctx.people[owner], "owner_id")
            if found is None:
                body = parse(MilestoneCreate, {
                    "initiative_id": format_id("initiative", ini), "name": v["name"],
                    "due_date": v["due_date"], "forecast_date": v["forecast_date"],
                    "owner_id": None if owner is None else format_id("person", owner),
                    "external_ref": key} | ({} if v["duration_days"] is None else
                                             {"duration_days": v["duration_days"]}))
                done = parse(MilestoneUpdate, {k: v[k] for k in ("completed_on", "evidence_url")
                                               if v[k] is not None})
                initiatives.check_milestone_due(body.due_date, initiatives_[ini].start_date)
                new.append({"workspace_id": ctx.workspace_id, "initiative_id": ini,
                            "name": body.name, "owner_id": owner if owner is not None
                            else initiatives_[ini].owner_id, "due_date": body.due_date,
                            "baseline_date": body.due_date, "forecast_date": body.forecast_date,
                            "duration_days": body.duration_days, "external_ref": key,
                            "completed_on": done.completed_on,
                            "evidence_url": done.evidence_url})
                keys.append(key)
                return "create", {}
            assert row is not None  # found by key in this workspace
            if ini != row.initiative_id:
                raise _refuse("initiative", v["initiative"],
                              "a milestone cannot move to another initiative")
            after = {f: x for f, x in {**{f: v[f] for f in self.updatable if f in v},
                                       "owner_id": owner}.items() if x is not None}
            changes = {f: (getattr(row, f), x) for f, x in after.items()
                       if getattr(row, f) != x}
            parse(MilestoneUpdate, {f: (format_id("person", b) if f == "owner_id" else b)
                                    for f, (_, b) in changes.items()})
            if changes:
                changed[found] = changes
            return ("update" if changes else "unchanged"), {
                f.removesuffix("_id"): (_show(a), _show(b)) for f, (a, b) in changes.items()}

        problems = self.each_row(ctx, title, rows, report, check)
        for key, row_id in zip(keys, ctx.repo.insert_audited(Milestone, new), strict=True):
            ctx.register("milestone", key, row_id)
        ctx.repo.update_audited(Milestone, changed)
        return problems


class BudgetLines(EntityHandler):
    spec = BY_NAME["budget_lines"]
    key_column, kind, model, stores_key = "code", "budget_line", BudgetLine, None
    create, update = finance.create_budget_line, finance.update_budget_line
    updatable = ("name", "kind", "org_unit_id", "initiative_id", "controller_id")
    refs: ClassVar[Refs] = {
        "org_unit_id": ("org_unit", "org_unit"),
        "initiative_id": ("initiative", "initiative"),
        "controller_id": ("person", "controller"),
    }

    batched = True

    def payload(self, ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
        return _plain(v, "code", "name", "kind", "currency")

    def new_row(self, ctx: Ctx, key: str, body: dict[str, Any], v: dict[str, Any]
                ) -> tuple[dict[str, Any], Any]:
        b = parse(BudgetLineCreate, body)
        _active(ctx, body, "controller_id")
        return {"workspace_id": ctx.workspace_id, **_columns(b, "code", "name", "kind",
                                                             "currency"),
                **{f: body.get(f) for f in ("org_unit_id", "initiative_id",
                                            "controller_id")}}, None


def _refuse(column: str, value: Any, reason: str) -> Exception:
    from steerco.transfer.context import RowRefused

    return RowRefused([(column, value, reason)])


from steerco.transfer.links import (  # noqa: E402  (they build on the classes above)
    Alignments,
    BudgetPlans,
    Dependencies,
    Ledger,
    Measurements,
    MetricObjectives,
    PlanPoints,
)

#: In the order they are applied: whatever a sheet refers to comes before it.
HANDLERS: tuple[Handler, ...] = (
    OrgUnits(), People(), Themes(), Objectives(), Alignments(), Metrics(), MetricObjectives(),
    PlanPoints(), Initiatives(), Milestones(), Dependencies(), BudgetLines(), BudgetPlans(),
    Measurements(), Ledger(),
)

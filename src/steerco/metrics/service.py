"""Use-cases of the metrics domain (never commits)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import partial
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from steerco.core.plausibility import bounds_of
from steerco.db.enums import Direction, MetricKind
from steerco.db.models import CausalLink, Metric, MetricObjective, MetricUpdater, Objective
from steerco.kit.dates import target_not_after
from steerco.kit.errors import CycleRefused, FieldError, NotFound, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.schema import Ref
from steerco.kit.validation import Checks, field_errors, parse
from steerco.metrics.plan_paste import parse_plan_block
from steerco.metrics.repository import CausalLinkRepository, MetricRepository
from steerco.metrics.schemas import (
    CausalLinkCreate,
    CausalLinkUpdate,
    MetricCreate,
    MetricUpdate,
    PlanPointIn,
    UpdaterCreate,
    check_plan_order,
)
from steerco.objectives.repository import ObjectiveRepository
from steerco.org.service import apply_changes, get_workspace, require_person


def get_metric(session: Session, workspace_id: int, ref: Ref, field: str = "metric_id") -> Metric:
    """Resolve a metric of this workspace, naming the field when it is not one."""
    return MetricRepository(session, workspace_id).require(parse_id(ref, "metric", field), field)


#: Which way the numbers must point from baseline to target, per moving direction.
_WAY = {Direction.INCREASE_TO: ("above", "up"), Direction.DECREASE_TO: ("below", "down")}


def shape_errors(direction: Direction, baseline: float, target: float, unit: str,
                 min_value: float | None, max_value: float | None) -> list[FieldError]:
    """What is wrong with a metric's numbers taken together (empty when nothing).

    A moving metric's target must lie beyond its baseline in its own direction: an
    `increase_to` from 10 to 5 would read "target met" on day one. The stay directions
    are thresholds, so any target goes. Bounds must be in order and hold the baseline
    and target (a target outside them could never be reached).
    """
    errors: list[FieldError] = []
    if direction in _WAY:
        want, points = _WAY[Direction(direction)]
        if not ((target > baseline) if direction == Direction.INCREASE_TO
                else (target < baseline)):
            way = "equal to" if target == baseline else ("below" if target < baseline
                                                         else "above")
            now = "nowhere" if target == baseline else ("down" if target < baseline else "up")
            errors.append(FieldError(
                "target_value", f"{direction.value} needs a target {want} the baseline, but "
                                f"target_value {target:g} is {way} baseline_value "
                                f"{baseline:g}: the numbers point {now}, not {points}",
                target))
    if min_value is not None and max_value is not None and min_value >= max_value:
        errors.append(FieldError("max_value", f"{max_value:g} must be above min_value "
                                              f"{min_value:g}", max_value))
        return errors
    bounds = bounds_of(min_value, max_value, unit)
    for name, value in (("baseline_value", baseline), ("target_value", target)):
        why = bounds.violation(value)
        if why is not None and not any(e.field == name for e in errors):
            errors.append(FieldError(name, why, value))
    return errors


def create_metric(session: Session, workspace_id: int,
                  data: MetricCreate | dict[str, Any]) -> Metric:
    """Add a KPI or key result with one accountable person, its plan and objective links
    (every refusal named at once: see `objective_errors` for a key result's rules)."""
    body = parse(MetricCreate, data)
    checks = Checks(shape_errors(body.direction, body.baseline_value, body.target_value,
                                 body.unit, body.min_value, body.max_value))
    owner = checks(lambda: require_person(session, workspace_id, body.owner_id, "owner_id"))
    objectives = ObjectiveRepository(session, workspace_id)
    repo = MetricRepository(session, workspace_id)
    links: list[tuple[int, float]] = []
    for i, link in enumerate(body.objectives):
        field = f"objectives.{i}.objective_id"
        obj = checks(partial(_objective, objectives, link.objective_id, field))
        if obj is None:
            continue
        if any(k == obj.id for k, _ in links):
            checks.add(field, "objective listed twice", link.objective_id)
            continue
        links.append((obj.id, link.weight))
        checks.errors += objective_errors(repo, obj, body.name, body.kind, body.target_date)
    checks.done()
    assert owner is not None
    metric = repo.add(Metric(
        workspace_id=workspace_id, name=body.name, kind=body.kind, unit=body.unit,
        direction=body.direction, baseline_value=body.baseline_value,
        baseline_date=body.baseline_date, target_value=body.target_value,
        target_date=body.target_date, tolerance=body.tolerance,
        tolerance_mode=body.tolerance_mode, indicator=body.indicator, cadence=body.cadence,
        owner_id=owner.id, source=body.source, description=body.description,
        min_value=body.min_value, max_value=body.max_value))
    session.add_all(MetricObjective(workspace_id=workspace_id, metric_id=metric.id,
                                    objective_id=k, weight=w) for k, w in links)
    if body.plan:
        repo.replace_plan(metric.id, [(p.on, p.value) for p in body.plan])
    session.flush()
    return metric


def _objective(objectives: ObjectiveRepository, ref: Any, field: str) -> Objective:
    return objectives.require(parse_id(ref, "objective", field), field)


def objective_errors(repo: MetricRepository, obj: Objective, name: str, kind: MetricKind,
                     target: dt.date, other_than: int | None = None) -> list[FieldError]:
    """What a metric called `name` may not be under objective `obj` (as OKR tools rule):
    two metrics of one objective share no name (the other is named), and a key result is
    due within its objective's period (its target date from start to end)."""
    twin = repo.named_under(obj.id, name, other_than)
    return link_errors(obj.title, obj.period_start, obj.period_end, name, kind, target,
                       None if twin is None else (twin.id, twin.name))


def link_errors(title: str, start: dt.date, end: dt.date, name: str, kind: MetricKind | str,
                target: dt.date, twin: tuple[int, str] | None) -> list[FieldError]:
    """`objective_errors` on facts already read (an import checks thousands of links
    against one read of the tables): `twin` is (id, name) of another metric of the
    objective with the same name, if any."""
    out = []
    if twin is not None:
        out.append(FieldError("name", f"the objective “{title}” already has a metric "
                                      f"called “{twin[1]}” ({format_id('metric', twin[0])});"
                                      " give this one another name", name))
    if kind == MetricKind.KEY_RESULT and not start <= target <= end:
        out.append(FieldError(
            "target_date", f"{target.isoformat()} is outside the period of the objective "
                           f"“{title}” ({start.isoformat()} to {end.isoformat()}): a key "
                           "result is due within it", target.isoformat()))
    return out


_PLAN = TypeAdapter(list[PlanPointIn])


def check_plan(points: Any) -> list[PlanPointIn]:
    """A metric's plan as `set_plan` takes it: every point valid, in date order (an import
    checks each metric's merged plan with this rule)."""
    try:
        plan = _PLAN.validate_python(points)
    except ValidationError as exc:
        raise ValidationFailed([FieldError(f"plan.{e.field}", e.message, e.value)
                                for e in field_errors(exc)]) from None
    try:
        check_plan_order(plan)
    except ValueError as exc:
        raise ValidationFailed(FieldError("plan", str(exc), None)) from None
    return plan


def set_plan(session: Session, workspace_id: int, metric_ref: Ref, points: Any) -> Metric:
    """Replace a metric's explicit plan; refuse points out of date order."""
    metric = get_metric(session, workspace_id, metric_ref)
    plan = check_plan(points)
    MetricRepository(session, workspace_id).replace_plan(
        metric.id, [(p.on, p.value) for p in plan])
    return metric


def paste_plan(session: Session, workspace_id: int, metric_ref: Ref, text: str) -> Metric:
    """Replace a metric's plan with a block pasted from a spreadsheet (see plan_paste).

    Read by the workspace's locale; every bad line is refused as a FieldError
    `plan.line.N` carrying the offending text, and nothing is saved when there is one.
    """
    get_metric(session, workspace_id, metric_ref)
    locale = get_workspace(session, workspace_id).locale
    points, bad = parse_plan_block(text, locale)
    if bad:
        raise ValidationFailed([FieldError(f"plan.line.{e.line}", str(e), e.value)
                                for e in bad])
    if not points:
        raise ValidationFailed(FieldError("plan", "nothing to read: paste lines of a date "
                                                  "and a value", text[:80]))
    return set_plan(session, workspace_id, metric_ref,
                    [{"on": on, "value": v} for on, v in points])


def add_causal_link(session: Session, workspace_id: int,
                    data: CausalLinkCreate | dict[str, Any]) -> CausalLink:
    """Record that one metric drives another (the driver tree)."""
    body = parse(CausalLinkCreate, data)
    driver = get_metric(session, workspace_id, body.driver_id, "driver_id")
    driven = get_metric(session, workspace_id, body.driven_id, "driven_id")
    if driver.id == driven.id:
        raise ValidationFailed(FieldError("driven_id", "a metric cannot drive itself",
                                          format_id("metric", driven.id)))
    repo = CausalLinkRepository(session, workspace_id)
    edges = repo.edges()
    if (driver.id, driven.id) in edges:
        raise ValidationFailed(FieldError(
            "driven_id", f"{format_id('metric', driver.id)} drives "
                         f"{format_id('metric', driven.id)} already; change that link's "
                         f"sign or lag instead", format_id("metric", driven.id)))
    # The new edge driver → driven closes a cycle iff driven already drives driver.
    path = _path(edges, driven.id, driver.id)
    if path is not None:
        raise CycleRefused("driven_id", [format_id("metric", k) for k in [driver.id, *path]])
    return repo.add(CausalLink(
        workspace_id=workspace_id, driver_id=driver.id, driven_id=driven.id, sign=body.sign,
        lag_days=body.lag_days, note=body.note))


def _path(edges: Collection[tuple[int, int]], start: int, goal: int) -> list[int] | None:
    """A path start → … → goal along the edges (breadth-first: the shortest), or None."""
    out: dict[int, list[int]] = {}
    for a, b in edges:
        out.setdefault(a, []).append(b)
    came: dict[int, int] = {start: start}
    todo = [start]
    while todo:
        nxt: list[int] = []
        for node in todo:
            for b in out.get(node, []):
                if b in came:
                    continue
                came[b] = node
                if b == goal:
                    path = [b]
                    while path[-1] != start:
                        path.append(came[path[-1]])
                    return path[::-1]
                nxt.append(b)
        todo = nxt
    return None


def update_metric(session: Session, workspace_id: int, key: int,
                  data: MetricUpdate | dict[str, Any]) -> Metric:
    """Change a metric; the target stays after the baseline, the owner one person."""
    body = parse(MetricUpdate, data)
    metric = MetricRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        if changes["owner_id"] is None:
            raise ValidationFailed(FieldError("owner_id", "a metric needs exactly one owner"))
        metric.owner_id = require_person(session, workspace_id, changes.pop("owner_id"),
                                         "owner_id").id
    base = changes.get("baseline_date") or metric.baseline_date
    target = changes.get("target_date") or metric.target_date
    if target <= base:
        raise ValidationFailed(FieldError("target_date", target_not_after(target, base),
                                          target.isoformat()))
    if {"name", "target_date"} & changes.keys():
        repo = MetricRepository(session, workspace_id)
        kind = MetricKind(changes.get("kind") or metric.kind)
        Checks([e for o in repo.objectives_of(metric.id) for e in objective_errors(
            repo, o, changes.get("name") or metric.name, kind, target, metric.id)]).done()

    def after(name: str) -> Any:
        """The field's value once this update is applied (a one-field PATCH included)."""
        return changes[name] if name in changes else getattr(metric, name)

    numbers = ("direction", "baseline_value", "target_value", "unit")
    if ({*numbers, "min_value", "max_value"} & changes.keys()
            and all(after(k) is not None for k in numbers)):  # a null is refused below
        errors = shape_errors(Direction(after("direction")), after("baseline_value"),
                              after("target_value"), after("unit"), after("min_value"),
                              after("max_value"))
        if errors:
            raise ValidationFailed(errors)
    apply_changes(metric, changes, {"name", "unit", "direction", "baseline_value",
                                    "baseline_date", "target_value", "target_date",
                                    "tolerance_mode", "indicator", "cadence", "source"})
    session.flush()
    return metric


def update_causal_link(session: Session, workspace_id: int, key: int,
                       data: CausalLinkUpdate | dict[str, Any]) -> CausalLink:
    """Change a causal link's sign, lag or note."""
    body = parse(CausalLinkUpdate, data)
    link = CausalLinkRepository(session, workspace_id).get(key)
    apply_changes(link, body.model_dump(exclude_unset=True), {"sign", "lag_days"})
    session.flush()
    return link


def delete_causal_link(session: Session, workspace_id: int, key: int) -> None:
    """Remove a causal link (the audit log keeps what it was)."""
    link = CausalLinkRepository(session, workspace_id).find(key)
    if link is None:
        raise NotFound("causal link", format_id("causal_link", key))
    session.delete(link)
    session.flush()


# --- delegated updaters ---------------------------------------------------------------


def add_updater(session: Session, workspace_id: int, metric_ref: Ref,
                data: UpdaterCreate | dict[str, Any]) -> tuple[MetricUpdater, bool]:
    """Let a person check in on a metric besides its owner; (delegation, created).

    Idempotent: delegating to someone who already is an updater changes nothing and
    returns the existing delegation with `created` False. The owner needs no delegation
    (refused naming `person_id`); so does a person of another workspace or a team.
    """
    body = parse(UpdaterCreate, data)
    metric = get_metric(session, workspace_id, metric_ref)
    person = require_person(session, workspace_id, body.person_id, "person_id")
    if person.id == metric.owner_id:
        raise ValidationFailed(FieldError(
            "person_id", f"{format_id('person', person.id)} owns "
                         f"{format_id('metric', metric.id)} and can check in on it already",
            format_id("person", person.id)))
    repo = MetricRepository(session, workspace_id)
    existing = repo.updater(metric.id, person.id)
    if existing is not None:
        return existing, False
    return repo.add_updater(metric.id, person.id), True


def remove_updater(session: Session, workspace_id: int, metric_ref: Ref,
                   person_ref: Ref) -> None:
    """Withdraw a delegation; NotFound when the person is not an updater of the metric."""
    metric = get_metric(session, workspace_id, metric_ref)
    person = parse_id(person_ref, "person", "person_id")
    row = MetricRepository(session, workspace_id).updater(metric.id, person)
    if row is None:
        raise NotFound("metric updater", f"{format_id('person', person)} of "
                                         f"{format_id('metric', metric.id)}")
    session.delete(row)
    session.flush()


def updaters_of(session: Session, workspace_id: int,
                metric_keys: Collection[int]) -> dict[int, list[int]]:
    """Delegated updaters (person keys) of each metric, in one query."""
    return MetricRepository(session, workspace_id).updaters_of(metric_keys)


# --- the objectives a metric measures ---------------------------------------------------


def attach_objective(session: Session, workspace_id: int, metric_ref: Ref,
                     objective_ref: Ref, weight: float = 1.0) -> MetricObjective:
    """Let a metric measure an objective with a weight (re-weights an existing link).

    Refused: a weight outside (0, 1000] (naming `weight`), an objective of another
    workspace (naming `objective_id`).
    """
    metric = get_metric(session, workspace_id, metric_ref)
    obj = ObjectiveRepository(session, workspace_id).require(
        parse_id(objective_ref, "objective", "objective_id"), "objective_id")
    if not (0 < weight <= 1000):
        raise ValidationFailed(FieldError("weight", "must be > 0 and ≤ 1000", weight))
    row = session.get(MetricObjective, (metric.id, obj.id))
    if row is not None and row.workspace_id == workspace_id:
        row.weight = weight
    else:
        Checks(objective_errors(MetricRepository(session, workspace_id), obj, metric.name,
                                metric.kind, metric.target_date, metric.id)).done()
        row = MetricObjective(workspace_id=workspace_id, metric_id=metric.id,
                              objective_id=obj.id, weight=weight)
        session.add(row)
    session.flush()
    return row


def detach_objective(session: Session, workspace_id: int, metric_ref: Ref,
                     objective_ref: Ref) -> None:
    """Stop a metric measuring an objective; NotFound when it did not."""
    metric = get_metric(session, workspace_id, metric_ref)
    key = parse_id(objective_ref, "objective", "objective_id")
    row = session.get(MetricObjective, (metric.id, key))
    if row is None or row.workspace_id != workspace_id:
        raise NotFound("objective link", f"{format_id('objective', key)} of "
                                         f"{format_id('metric', metric.id)}")
    session.delete(row)
    session.flush()

"""Use-cases of the initiatives domain (never commits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.enums import STAGE_ORDER, BenefitKind, StageGate
from steerco.db.models import Initiative, InitiativeMetric, Milestone, PlannedBenefit
from steerco.finance.repository import BudgetLineRepository
from steerco.initiatives.repository import (
    BenefitRepository,
    InitiativeRepository,
    MilestoneRepository,
)
from steerco.initiatives.schemas import (
    BenefitCreate,
    BenefitUpdate,
    InitiativeCreate,
    InitiativeUpdate,
    MilestoneCreate,
    MilestoneUpdate,
)
from steerco.kit.dates import due_before
from steerco.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from steerco.kit.ids import parse_id
from steerco.kit.schema import Ref
from steerco.kit.validation import parse
from steerco.metrics.service import get_metric
from steerco.org.service import apply_changes, optional_org_unit, optional_person


def get_initiative(session: Session, workspace_id: int, ref: Ref,
                   field: str = "initiative_id") -> Initiative:
    return InitiativeRepository(session, workspace_id).require(
        parse_id(ref, "initiative", field), field)


def create_initiative(session: Session, workspace_id: int,
                      data: InitiativeCreate | dict[str, Any]) -> Initiative:
    """Add an initiative with its people and the metrics it should move."""
    body = parse(InitiativeCreate, data)
    owner = optional_person(session, workspace_id, body.owner_id, "owner_id")
    sponsor = optional_person(session, workspace_id, body.sponsor_id, "sponsor_id")
    controller = optional_person(session, workspace_id, body.controller_id, "controller_id")
    unit = optional_org_unit(session, workspace_id, body.org_unit_id, "org_unit_id")
    metrics = [get_metric(session, workspace_id, ref, f"metric_ids.{i}")
               for i, ref in enumerate(body.metric_ids)]
    ini = InitiativeRepository(session, workspace_id).add(Initiative(
        workspace_id=workspace_id, name=body.name, description=body.description,
        kind=body.kind, stage=body.stage, owner_id=owner.id if owner else None,
        sponsor_id=sponsor.id if sponsor else None,
        controller_id=controller.id if controller else None,
        org_unit_id=unit.id if unit else None, start_date=body.start_date,
        due_date=body.due_date))
    session.add_all(InitiativeMetric(workspace_id=workspace_id, initiative_id=ini.id,
                                     metric_id=m.id) for m in {m.id: m for m in metrics}.values())
    session.flush()
    return ini


def link_metric(session: Session, workspace_id: int, initiative_ref: Ref,
                metric_ref: Ref) -> None:
    """Record that the initiative is expected to move the metric (idempotent)."""
    ini = get_initiative(session, workspace_id, initiative_ref)
    metric = get_metric(session, workspace_id, metric_ref)
    if not InitiativeRepository(session, workspace_id).is_linked(ini.id, metric.id):
        session.add(InitiativeMetric(workspace_id=workspace_id, initiative_id=ini.id,
                                     metric_id=metric.id))
        session.flush()


def unlink_metric(session: Session, workspace_id: int, initiative_ref: Ref,
                  metric_ref: Ref) -> None:
    """The initiative is no longer expected to move the metric (idempotent). From
    `decided` on an initiative keeps at least one linked metric (the gate needs it)."""
    ini = get_initiative(session, workspace_id, initiative_ref)
    metric = get_metric(session, workspace_id, metric_ref)
    repo = InitiativeRepository(session, workspace_id)
    if not repo.is_linked(ini.id, metric.id):
        return
    if repo.linked_metric_count(ini.id) == 1 and STAGE_ORDER.index(ini.stage) >= \
            STAGE_ORDER.index(StageGate.DECIDED):
        raise ValidationFailed(FieldError(
            "metric_id", f"“{metric.name}” is the only metric of an initiative at "
                         f"{ini.stage.value}; link another before removing it",
            metric_ref if isinstance(metric_ref, str) else None))
    link = session.get(InitiativeMetric, (ini.id, metric.id))
    session.delete(link)
    session.flush()


def gate_gaps(session: Session, workspace_id: int, ini: Initiative) -> list[FieldError]:
    """What an initiative lacks to pass the `decided` gate: owner, date, metric, budget."""
    repo = InitiativeRepository(session, workspace_id)
    return gaps_of(ini.owner_id, ini.due_date, repo.linked_metric_count(ini.id),
                   repo.budget_line_count(ini.id))


def gaps_of(owner_id: int | None, due_date: dt.date | None, metric_count: int,
            budget_line_count: int) -> list[FieldError]:
    """The `decided` gate's rule on an initiative's facts (an import checks thousands of
    initiatives with it, the counts read once)."""
    gaps = []
    if owner_id is None:
        gaps.append(FieldError("owner_id", "an owner is required to reach 'decided'"))
    if due_date is None:
        gaps.append(FieldError("due_date", "a due date is required to reach 'decided'"))
    if metric_count == 0:
        gaps.append(FieldError("metric_ids", "a linked metric is required to reach 'decided'"))
    if budget_line_count == 0:
        gaps.append(FieldError("budget_lines",
                               "a budget line is required to reach 'decided'"))
    return gaps


def move_stage(session: Session, workspace_id: int, initiative_ref: Ref,
               to: StageGate | str) -> Initiative:
    """Move an initiative through the stage gate, one step at a time (or back).

    From `decided` on, an initiative must be trackable: it needs an owner, a due date, a
    linked metric and a budget line; every missing one is named.
    """
    try:
        target = StageGate(to)
    except ValueError:
        raise ValidationFailed(FieldError(
            "stage", f"unknown stage {to!r}; one of {', '.join(s.value for s in StageGate)}",
            to)) from None
    ini = get_initiative(session, workspace_id, initiative_ref)
    here, there = STAGE_ORDER.index(ini.stage), STAGE_ORDER.index(target)
    if there > here + 1:
        raise ValidationFailed(FieldError(
            "stage", f"cannot skip from {ini.stage.value} to {target.value}; next is "
                     f"{STAGE_ORDER[here + 1].value}", target.value))
    if there >= STAGE_ORDER.index(StageGate.DECIDED):
        gaps = gate_gaps(session, workspace_id, ini)
        if gaps:
            raise ValidationFailed(gaps)
    ini.stage = target
    session.flush()
    return ini


def declare_dependencies(session: Session, workspace_id: int, initiative_ref: Ref) -> None:
    """The owner states the dependency list is complete (possibly empty)."""
    ini = get_initiative(session, workspace_id, initiative_ref)
    ini.dependencies_declared = True
    session.flush()


def check_milestone_due(due: dt.date, initiative_start: dt.date | None) -> None:
    """A milestone is not due before its initiative starts (an import checks its rows
    with this rule, the initiatives' start dates read once)."""
    if initiative_start and due < initiative_start:
        raise ValidationFailed(FieldError(
            "due_date", f"{due} is before the initiative starts ({initiative_start})",
            due.isoformat()))


def add_milestone(session: Session, workspace_id: int,
                  data: MilestoneCreate | dict[str, Any]) -> Milestone:
    """Add a dated deliverable to an initiative."""
    body = parse(MilestoneCreate, data)
    ini = get_initiative(session, workspace_id, body.initiative_id)
    owner = optional_person(session, workspace_id, body.owner_id, "owner_id")
    check_milestone_due(body.due_date, ini.start_date)
    return MilestoneRepository(session, workspace_id).add(Milestone(
        workspace_id=workspace_id, initiative_id=ini.id, name=body.name,
        owner_id=owner.id if owner else ini.owner_id, due_date=body.due_date,
        baseline_date=body.due_date, forecast_date=body.forecast_date,
        duration_days=body.duration_days, external_ref=body.external_ref))


def add_benefit(session: Session, workspace_id: int,
                data: BenefitCreate | dict[str, Any]) -> PlannedBenefit:
    """Record what an initiative promises: a metric impact or savings on a budget line."""
    body = parse(BenefitCreate, data)
    ini = get_initiative(session, workspace_id, body.initiative_id)
    metric_id = budget_line_id = None
    if body.kind is BenefitKind.METRIC_IMPACT:
        assert body.metric_id is not None  # the schema guarantees it
        metric_id = get_metric(session, workspace_id, body.metric_id).id
    else:
        assert body.budget_line_id is not None
        budget_line_id = BudgetLineRepository(session, workspace_id).require(
            parse_id(body.budget_line_id, "budget_line", "budget_line_id"),
            "budget_line_id").id
    return BenefitRepository(session, workspace_id).add(PlannedBenefit(
        workspace_id=workspace_id, initiative_id=ini.id, kind=body.kind, amount=body.amount,
        due_date=body.due_date, metric_id=metric_id, budget_line_id=budget_line_id))


def update_initiative(session: Session, workspace_id: int, key: int,
                      data: InitiativeUpdate | dict[str, Any]) -> Initiative:
    """Change an initiative's fields (its stage moves only through `move_stage`)."""
    body = parse(InitiativeUpdate, data)
    ini = InitiativeRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    for field in ("owner_id", "sponsor_id", "controller_id"):
        if field in changes:
            person = optional_person(session, workspace_id, changes.pop(field), field)
            setattr(ini, field, person.id if person else None)
    if "org_unit_id" in changes:
        unit = optional_org_unit(session, workspace_id, changes.pop("org_unit_id"),
                                 "org_unit_id")
        ini.org_unit_id = unit.id if unit else None
    start = changes.get("start_date", ini.start_date)
    due = changes.get("due_date", ini.due_date)
    if start and due and due < start:
        raise ValidationFailed(FieldError("due_date", due_before(due, start),
                                          due.isoformat()))
    if ini.owner_id is None and STAGE_ORDER.index(ini.stage) >= STAGE_ORDER.index(
            StageGate.DECIDED):
        raise ValidationFailed(FieldError("owner_id", "a decided initiative needs an owner"))
    apply_changes(ini, changes, {"name", "kind", "percent_complete",
                                 "dependencies_declared"})
    session.flush()
    return ini


def stop_initiative(session: Session, workspace_id: int, key: int) -> Initiative:
    """Stop an initiative (it stays, with its history; nothing is deleted)."""
    ini = InitiativeRepository(session, workspace_id).get(key)
    ini.stopped = True
    session.flush()
    return ini


def update_milestone(session: Session, workspace_id: int, key: int,
                     data: MilestoneUpdate | dict[str, Any]) -> Milestone:
    """Change a milestone: re-forecast, re-commit or complete it (baseline stays)."""
    body = parse(MilestoneUpdate, data)
    ms = MilestoneRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        owner = optional_person(session, workspace_id, changes.pop("owner_id"), "owner_id")
        ms.owner_id = owner.id if owner else None
    apply_changes(ms, changes, {"name", "due_date", "duration_days"})
    session.flush()
    return ms


def delete_milestone(session: Session, workspace_id: int, key: int) -> None:
    """Delete a milestone and its dependencies (the audit log keeps them)."""
    ms = MilestoneRepository(session, workspace_id).find(key)
    if ms is None:
        raise NotFound("milestone", f"mil_{key}")
    session.delete(ms)
    session.flush()


def update_benefit(session: Session, workspace_id: int, key: int,
                   data: BenefitUpdate | dict[str, Any]) -> PlannedBenefit:
    """Change a planned benefit's amount or date; a signed-off one is frozen."""
    body = parse(BenefitUpdate, data)
    ben = BenefitRepository(session, workspace_id).get(key)
    if ben.signed_off_by_id is not None:
        raise Conflict("a signed-off benefit cannot change")
    apply_changes(ben, body.model_dump(exclude_unset=True), {"amount", "due_date"})
    session.flush()
    return ben


def sign_off_benefit(session: Session, workspace_id: int, key: int, realised: float,
                     controller_id: int) -> PlannedBenefit:
    """A controller records the realised amount of a benefit."""
    ben = BenefitRepository(session, workspace_id).get(key)
    ben.realised_amount = realised
    ben.signed_off_by_id = controller_id
    session.flush()
    return ben


def delete_benefit(session: Session, workspace_id: int, key: int) -> None:
    """Delete a planned benefit that has not been signed off."""
    ben = BenefitRepository(session, workspace_id).find(key)
    if ben is None:
        raise NotFound("benefit", f"ben_{key}")
    if ben.signed_off_by_id is not None:
        raise Conflict("a signed-off benefit cannot be deleted")
    session.delete(ben)
    session.flush()

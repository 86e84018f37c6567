"""Use-cases of the finance domain (never commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from steerco.db.enums import Source
from steerco.db.models import BudgetLine, BudgetPlan, LedgerEntry
from steerco.finance.repository import REVERSES, BudgetLineRepository, LedgerRepository
from steerco.finance.schemas import (
    BudgetLineCreate,
    BudgetLineUpdate,
    LedgerCorrection,
    LedgerEntryCreate,
)
from steerco.kit.errors import Conflict, FieldError, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.validation import parse
from steerco.org.service import apply_changes, optional_org_unit, optional_person


def create_budget_line(session: Session, workspace_id: int,
                       data: BudgetLineCreate | dict[str, Any]) -> BudgetLine:
    """Add a budget line (unique code) with its planned amount per period."""
    body = parse(BudgetLineCreate, data)
    repo = BudgetLineRepository(session, workspace_id)
    if repo.by_code(body.code) is not None:
        raise ValidationFailed(FieldError("code", f"budget line {body.code} already exists",
                                          body.code))
    periods = [p.period for p in body.plan]
    if len(set(periods)) != len(periods):
        raise ValidationFailed(FieldError("plan", "each period may appear once", None))
    unit = optional_org_unit(session, workspace_id, body.org_unit_id, "org_unit_id")
    controller = optional_person(session, workspace_id, body.controller_id, "controller_id")
    initiative_id = None
    if body.initiative_id is not None:
        from steerco.initiatives.service import get_initiative  # the two domains refer to
        initiative_id = get_initiative(session, workspace_id, body.initiative_id).id  # each other
    line = repo.add(BudgetLine(
        workspace_id=workspace_id, code=body.code, name=body.name, kind=body.kind,
        currency=body.currency, org_unit_id=unit.id if unit else None,
        initiative_id=initiative_id, controller_id=controller.id if controller else None))
    session.add_all(BudgetPlan(workspace_id=workspace_id, budget_line_id=line.id,
                               period=p.period, amount=p.amount) for p in body.plan)
    session.flush()
    return line


def post_ledger_entry(session: Session, workspace_id: int,
                      data: LedgerEntryCreate | dict[str, Any]) -> LedgerEntry:
    """Append an actual to a budget line of this workspace."""
    body = parse(LedgerEntryCreate, data)
    line = BudgetLineRepository(session, workspace_id).require(
        parse_id(body.budget_line_id, "budget_line", "budget_line_id"), "budget_line_id")
    return LedgerRepository(session, workspace_id).add(LedgerEntry(
        workspace_id=workspace_id, budget_line_id=line.id, period=body.period,
        amount=body.amount, posted_on=body.posted_on, reference=body.reference,
        source=body.source))


def update_budget_line(session: Session, workspace_id: int, key: int,
                       data: BudgetLineUpdate | dict[str, Any]) -> BudgetLine:
    """Change a budget line's name, kind, org unit, initiative or controller."""
    body = parse(BudgetLineUpdate, data)
    line = BudgetLineRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    if "org_unit_id" in changes:
        unit = optional_org_unit(session, workspace_id, changes.pop("org_unit_id"),
                                 "org_unit_id")
        line.org_unit_id = unit.id if unit else None
    if "controller_id" in changes:
        person = optional_person(session, workspace_id, changes.pop("controller_id"),
                                 "controller_id")
        line.controller_id = person.id if person else None
    if "initiative_id" in changes:
        ref = changes.pop("initiative_id")
        if ref is None:
            line.initiative_id = None
        else:
            from steerco.initiatives.service import get_initiative
            line.initiative_id = get_initiative(session, workspace_id, ref).id
    apply_changes(line, changes, {"name", "kind"})
    session.flush()
    return line


def correct_ledger_entry(session: Session, workspace_id: int, key: int,
                         data: LedgerCorrection | dict[str, Any]) -> tuple[LedgerEntry,
                                                                            LedgerEntry]:
    """Correct an actual the append-only way: a reversing entry (minus the amount, same
    period, reference "reverses led_N: reason") cancels it, and a replacement (the right
    amount, reference "corrects led_N: reason") is posted. Returns (reversal,
    replacement). A reversal cannot itself be corrected, and an entry is corrected once
    (correct its replacement instead): `Conflict` otherwise; NotFound for an unknown key.
    """
    body = parse(LedgerCorrection, data)
    repo = LedgerRepository(session, workspace_id)
    wrong = repo.get(key)
    pid = format_id("ledger_entry", wrong.id)
    if (wrong.reference or "").startswith(f"{REVERSES} "):
        raise Conflict(f"{pid} is a reversal; correct the entry it reversed instead")
    done = repo.reversal_of(wrong.id)
    if done is not None:
        raise Conflict(f"{pid} was already corrected ({format_id('ledger_entry', done.id)} "
                       "reversed it); correct its replacement instead")
    reason = body.reason.strip()
    if not reason:
        raise ValidationFailed(FieldError("reason", "say why the actual is wrong", body.reason))
    reversal = repo.add(LedgerEntry(
        workspace_id=workspace_id, budget_line_id=wrong.budget_line_id, period=wrong.period,
        amount=-wrong.amount, posted_on=body.posted_on,
        reference=f"{REVERSES} {pid}: {reason}"[:200], source=Source.MANUAL))
    replacement = repo.add(LedgerEntry(
        workspace_id=workspace_id, budget_line_id=wrong.budget_line_id, period=wrong.period,
        amount=body.amount, posted_on=body.posted_on,
        reference=f"corrects {pid}: {reason}"[:200], source=Source.MANUAL))
    return reversal, replacement

"""Use-cases of the finance domain (never commits)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from steerco.db.base import utcnow
from steerco.db.enums import Source
from steerco.db.models import BudgetLine, BudgetPlan, LedgerEntry
from steerco.finance.repository import REVERSES, BudgetLineRepository, LedgerRepository
from steerco.finance.schemas import (
    BudgetLineCreate,
    BudgetLineUpdate,
    LedgerCorrection,
    LedgerEntryCreate,
    PeriodAmount,
)
from steerco.kit.errors import Conflict, FieldError, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.validation import field_errors, parse
from steerco.metrics.plan_paste import parse_plan_block
from steerco.org.service import apply_changes, get_workspace, optional_org_unit, optional_person


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
    repo = BudgetLineRepository(session, workspace_id)
    line = repo.require(parse_id(body.budget_line_id, "budget_line", "budget_line_id"),
                        "budget_line_id")
    _check_period(session, workspace_id, line, [p for p, _ in repo.plan_of(line.id)],
                  body.period)
    return LedgerRepository(session, workspace_id).add(LedgerEntry(
        workspace_id=workspace_id, budget_line_id=line.id, period=body.period,
        amount=body.amount, posted_on=body.posted_on, reference=body.reference,
        source=body.source))


#: How far (in months) before its first planned period or after its last an actual may be
#: posted: a year either way leaves room for early invoices and late accruals, and
#: refuses a slipped year (1999-01 on a 2026–27 line).
PERIOD_SLACK_MONTHS = 12


def _months(d: dt.date, n: int) -> dt.date:
    """The first of the month `n` months after `d`'s (n may be negative)."""
    k = d.year * 12 + d.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def _check_period(session: Session, workspace_id: int, line: BudgetLine,
                  planned: list[dt.date], period: dt.date) -> None:
    """Refuse an actual's period far outside its line's plan: [first planned period −
    PERIOD_SLACK_MONTHS, last + PERIOD_SLACK_MONTHS]. A line without a plan is judged by
    its initiative's start and due dates instead; with neither, any period goes."""
    what = "this budget line's plan"
    span = (planned[0], planned[-1]) if planned else None
    if span is None and line.initiative_id is not None:
        from steerco.initiatives.service import get_initiative  # see create_budget_line
        ini = get_initiative(session, workspace_id, line.initiative_id)
        days = [d for d in (ini.start_date, ini.due_date) if d is not None]
        if days:
            span = (min(days).replace(day=1), max(days).replace(day=1))
            what = "its initiative's dates"
    if span is None:
        return
    low, high = _months(span[0], -PERIOD_SLACK_MONTHS), _months(span[1], PERIOD_SLACK_MONTHS)
    if not low <= period <= high:
        raise ValidationFailed(FieldError(
            "period", f"{period:%b %Y} is far outside {what} ({span[0]:%b %Y} to "
                      f"{span[1]:%b %Y}): an actual may be posted from {low:%b %Y} to "
                      f"{high:%b %Y}", period.isoformat()))


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


_PLAN = TypeAdapter(list[PeriodAmount])


def set_budget_plan(session: Session, workspace_id: int, key: int,
                    plan: list[PeriodAmount] | list[dict[str, Any]]) -> BudgetLine:
    """Replace a budget line's planned spend per period (the first day of a month each,
    once each). The line's version moves on, so a form read before refuses to save."""
    line = BudgetLineRepository(session, workspace_id).get(key)
    try:
        rows = _PLAN.validate_python(plan)
    except ValidationError as exc:
        raise ValidationFailed([FieldError(f"plan.{e.field}", e.message, e.value)
                                for e in field_errors(exc)]) from None
    seen: dict[object, int] = {}
    for i, p in enumerate(rows):
        if p.period in seen:
            raise ValidationFailed(FieldError(
                f"plan.{i}.period", f"{p.period:%Y-%m} appears twice (rows {seen[p.period] + 1} "
                f"and {i + 1}); each period may appear once", p.period.isoformat()))
        seen[p.period] = i
    BudgetLineRepository(session, workspace_id).replace_plan(
        line.id, [(p.period, float(p.amount)) for p in rows])
    line.updated_at = utcnow()  # a new version: the plan is part of the line
    session.flush()
    return line


#: A month typed as "2026-03" at the start of a pasted line (read as its first day).
_MONTH_CELL = re.compile(r"^(\s*)(\d{4})-(\d{1,2})(\s*[\t;])")


def paste_budget_plan(session: Session, workspace_id: int, key: int,
                      text: str) -> BudgetLine:
    """Replace a budget line's plan with a block pasted from a spreadsheet: lines of a
    month ("2026-03", or any date in it) and an amount, separated by a tab or ";" (read
    by the workspace's locale, like a metric's plan: steerco.metrics.plan_paste).

    Every bad line is refused as a FieldError `plan.line.N` with the offending text, two
    dates in one month too; nothing is saved when there is one.
    """
    BudgetLineRepository(session, workspace_id).get(key)
    locale = get_workspace(session, workspace_id).locale
    lines = [_MONTH_CELL.sub(lambda m: f"{m[1]}{m[2]}-{int(m[3]):02d}-01{m[4]}", ln)
             for ln in text.splitlines()]
    points, bad = parse_plan_block("\n".join(lines), locale)
    errors = [FieldError(f"plan.line.{e.line}", str(e), e.value) for e in bad]
    months: dict[object, object] = {}
    for on, _ in points:
        first = on.replace(day=1)
        if first in months:
            errors.append(FieldError(
                "plan", f"“{months[first]}” and “{on}” fall in the same month "
                        f"{on:%Y-%m}: a budget line plans one amount a month", str(on)))
        months[first] = on
    if errors:
        raise ValidationFailed(errors)
    if not points:
        raise ValidationFailed(FieldError("plan", "nothing to read: paste lines of a month "
                                                  "and an amount", text[:80]))
    return set_budget_plan(session, workspace_id, key,
                           [{"period": on.replace(day=1), "amount": v} for on, v in points])


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

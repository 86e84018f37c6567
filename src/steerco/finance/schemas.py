"""Request schemas of the finance domain."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field, field_validator

from steerco.db.enums import BudgetKind, Source
from steerco.kit.schema import Name, Plausible, Ref, Strict


def _first_of_month(v: dt.date) -> dt.date:
    if v.day != 1:
        raise ValueError(f"a period is the first day of a month, got {v}")
    return v


class PeriodAmount(Strict):
    period: dt.date
    amount: Plausible
    _period = field_validator("period")(_first_of_month)


class BudgetLineCreate(Strict):
    code: str = Field(min_length=1, max_length=64)
    name: Name
    kind: BudgetKind = BudgetKind.OPEX
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    org_unit_id: Ref | None = None
    initiative_id: Ref | None = None
    controller_id: Ref | None = None
    plan: list[PeriodAmount] = Field(default_factory=list)


class LedgerEntryCreate(Strict):
    budget_line_id: Ref
    period: dt.date
    amount: Plausible
    posted_on: dt.date
    reference: str | None = Field(default=None, max_length=200)
    source: Source = Source.IMPORT
    _period = field_validator("period")(_first_of_month)


class LedgerCorrection(Strict):
    """The right amount of an actual posted wrongly, and why (the ledger is append-only:
    the wrong entry is reversed and the right one posted, both naming the original)."""

    amount: Plausible
    posted_on: dt.date
    reason: str = Field(min_length=1, max_length=120)


# --- API: reads and partial updates -----------------------------------------------------


class BudgetLineRead(BaseModel):
    id_kind: ClassVar[str] = "budget_line"
    refs: ClassVar[dict[str, str]] = {"org_unit_id": "org_unit", "initiative_id": "initiative",
                                      "controller_id": "person"}
    id: str
    code: str
    name: str
    kind: BudgetKind
    currency: str
    org_unit_id: str | None
    initiative_id: str | None
    controller_id: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class BudgetLineUpdate(Strict):
    name: Name | None = None
    kind: BudgetKind | None = None
    org_unit_id: Ref | None = None
    initiative_id: Ref | None = None
    controller_id: Ref | None = None


class LedgerEntryRead(BaseModel):
    id_kind: ClassVar[str] = "ledger_entry"
    refs: ClassVar[dict[str, str]] = {"budget_line_id": "budget_line"}
    id: str
    budget_line_id: str
    period: dt.date
    amount: float
    posted_on: dt.date
    reference: str | None
    source: Source


class LedgerCorrectionRead(BaseModel):
    """The two entries a correction appended: the reversal and the replacement."""

    reversal: LedgerEntryRead
    replacement: LedgerEntryRead

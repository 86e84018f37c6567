"""Request schemas of check-ins."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field, field_validator

from steerco.db.enums import Source
from steerco.kit.schema import Finite, Ref, Strict


class MeasurementCreate(Strict):
    metric_id: Ref
    value: Finite
    as_of: dt.date
    evidence_url: str | None = Field(default=None, max_length=2000,
                                     pattern=r"^https?://\S+$")
    evidence_file: str | None = Field(
        default=None, max_length=100,
        description="The handle of an upload (`POST /api/v1/evidence-files`)")
    note: str | None = Field(default=None, max_length=10_000)
    confidence: float | None = Field(default=None, ge=0, le=1)
    source: Source = Source.MANUAL
    supersedes_id: Ref | None = Field(
        default=None, description="The measurement this one corrects: the newest row of "
                                  "its chain (a row is corrected once)")
    load_history: bool = Field(
        default=False, description="Loading history: allow dates before the metric's "
                                   "baseline date")
    confirm_outlier: bool = Field(
        default=False, description="The value is far outside the metric's history and "
                                   "right: store it, marked as an outlier")


class VoidCreate(Strict):
    """Why a check-in is voided (kept in the history as the void's note)."""

    reason: str = Field(min_length=1, max_length=10_000,
                        description="Why the check-in is wrong, e.g. “typo: 1e20 for 120”")

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("say why the check-in is voided")
        return v.strip()


# --- API: reads and partial updates -----------------------------------------------------


class CheckinBatch(Strict):
    """Up to 500 measurements written together: all or none."""

    items: list[MeasurementCreate] = Field(min_length=1, max_length=500)


class MeasurementRead(BaseModel):
    id_kind: ClassVar[str] = "measurement"
    refs: ClassVar[dict[str, str]] = {"metric_id": "metric", "submitted_by_id": "person",
                                      "supersedes_id": "measurement"}
    id: str
    metric_id: str
    value: float
    as_of: dt.date
    evidence_url: str | None
    evidence_file: str | None
    note: str | None
    source: Source
    submitted_by_id: str | None
    submitted_at: dt.datetime
    confidence: float | None
    supersedes_id: str | None
    outlier: bool
    void: bool = Field(description="This row voids the one it supersedes: that row (and "
                                   "the corrections before it) left the evidence")


class CheckinResult(BaseModel):
    items: list[MeasurementRead]
    replayed: bool = Field(
        default=False, description="True when this answers a retry of an earlier request")

"""Request schemas of check-ins."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, Field

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
    supersedes_id: Ref | None = None


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


class CheckinResult(BaseModel):
    items: list[MeasurementRead]
    replayed: bool = Field(
        default=False, description="True when this answers a retry of an earlier request")

"""Request schemas of check-ins."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from steerco.db.enums import Source
from steerco.kit.schema import Finite, Ref, Strict


class MeasurementCreate(Strict):
    metric_id: Ref
    value: Finite
    as_of: dt.date
    evidence_url: str | None = Field(default=None, max_length=2000,
                                     pattern=r"^https?://\S+$")
    evidence_file: str | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=10_000)
    confidence: float | None = Field(default=None, ge=0, le=1)
    source: Source = Source.MANUAL
    supersedes_id: Ref | None = None

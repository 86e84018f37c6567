"""Check in on a metric: append evidence, never overwrite (never commits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.checkins import files
from steerco.checkins.repository import MeasurementRepository
from steerco.checkins.schemas import MeasurementCreate
from steerco.db.models import Measurement
from steerco.kit import clock
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.validation import parse
from steerco.metrics.service import get_metric

#: Evidence may be dated a day ahead of the server's UTC date (time zones), no more.
FUTURE_SLACK = dt.timedelta(days=1)


def check_in(session: Session, workspace_id: int, data: MeasurementCreate | dict[str, Any],
             submitted_by_id: int | None = None, today: dt.date | None = None) -> Measurement:
    """Append a measurement to a metric of this workspace.

    A correction names the measurement it supersedes, which must belong to the same
    metric; the old row stays as it was. `evidence_file` is the handle of an upload
    of this workspace (steerco.checkins.files), moved into place as the check-in commits.
    """
    body = parse(MeasurementCreate, data)
    metric = get_metric(session, workspace_id, body.metric_id)
    today = today or clock.today()
    if body.as_of > today + FUTURE_SLACK:
        raise ValidationFailed(FieldError("as_of", f"{body.as_of} is in the future "
                                                   f"(today is {today})", body.as_of.isoformat()))
    repo = MeasurementRepository(session, workspace_id)
    supersedes = None
    if body.supersedes_id is not None:
        old = repo.require(parse_id(body.supersedes_id, "measurement", "supersedes_id"),
                           "supersedes_id")
        if old.metric_id != metric.id:
            raise ValidationFailed(FieldError(
                "supersedes_id", f"{format_id('measurement', old.id)} belongs to "
                                 f"{format_id('metric', old.metric_id)}, not "
                                 f"{format_id('metric', metric.id)}", body.supersedes_id))
        supersedes = old.id
    evidence_file = None
    if body.evidence_file is not None:  # last: a refused item moves no file
        evidence_file = files.claim(session, workspace_id, body.evidence_file, metric.id)
    return repo.add(Measurement(
        workspace_id=workspace_id, metric_id=metric.id, value=body.value, as_of=body.as_of,
        evidence_url=body.evidence_url, evidence_file=evidence_file, note=body.note,
        source=body.source, submitted_by_id=submitted_by_id, confidence=body.confidence,
        supersedes_id=supersedes))

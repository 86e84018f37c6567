"""Check in on a metric: append evidence, never overwrite (never commits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.checkins import files
from steerco.checkins.repository import MeasurementRepository
from steerco.checkins.schemas import MeasurementCreate, VoidCreate
from steerco.core.plausibility import bounds_of, history_scale
from steerco.db.enums import Source
from steerco.db.models import Measurement, Metric, Workspace
from steerco.kit import clock
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.kit.schema import Ref
from steerco.kit.validation import parse
from steerco.metrics.service import get_metric
from steerco.org.service import get_workspace


def _mea(key: int) -> str:
    return format_id("measurement", key)


def _check_dates(body: MeasurementCreate, metric: Metric, ws: Workspace,
                 today: dt.date, corrects: dt.date | None = None) -> None:
    """No evidence from the future (in the workspace's zone), none from before the
    baseline unless history is being loaded on purpose (a 1999 typo stretches the chart
    over decades and cannot be undone: measurements are append-only). A correction of
    a history row dated `corrects` may keep that date or move it later: a wrong value in
    loaded history stays fixable by its owner."""
    if body.as_of > today:
        raise ValidationFailed(FieldError(
            "as_of", f"{body.as_of} is after today ({today} in {ws.time_zone}, the "
                     f"workspace's time zone)", body.as_of.isoformat()))
    if corrects is not None and corrects <= body.as_of:
        return
    if body.as_of < metric.baseline_date and not body.load_history:
        raise ValidationFailed(FieldError(
            "as_of", f"{body.as_of} is before the metric's baseline date "
                     f"{metric.baseline_date}; send load_history: true to load older "
                     f"history on purpose", body.as_of.isoformat()))


def _corrected(repo: MeasurementRepository, body: MeasurementCreate,
               metric: Metric) -> int | None:
    """The key of the row this check-in corrects, which must be the newest of its chain:
    correcting a row that was corrected already would fork the history."""
    if body.supersedes_id is None:
        return None
    old = repo.require(parse_id(body.supersedes_id, "measurement", "supersedes_id"),
                       "supersedes_id")
    if old.metric_id != metric.id:
        raise ValidationFailed(FieldError(
            "supersedes_id", f"{_mea(old.id)} belongs to {format_id('metric', old.metric_id)}"
                             f", not {format_id('metric', metric.id)}", body.supersedes_id))
    newer = repo.correction_of(metric.id, old.id)
    if newer is None:
        return old.id
    newest = _newest(repo, metric.id, newer)
    if newest.void:
        raise ValidationFailed(FieldError(
            "supersedes_id", f"{_mea(old.id)} was voided by {_mea(newest.id)}: it is no "
                             f"longer evidence; check in a new value instead",
            body.supersedes_id))
    raise ValidationFailed(FieldError(
        "supersedes_id", f"{_mea(old.id)} was corrected already by {_mea(newer.id)}; "
                         f"correct the newest row of its chain, {_mea(newest.id)}",
        body.supersedes_id))


def _newest(repo: MeasurementRepository, metric_key: int, row: Measurement) -> Measurement:
    """The newest row of the correction chain `row` is in (`row` itself if none newer)."""
    seen: set[int] = set()
    while row.id not in seen and (nxt := repo.correction_of(metric_key, row.id)):
        seen.add(row.id)
        row = nxt
    return row


def _is_outlier(repo: MeasurementRepository, body: MeasurementCreate, metric: Metric,
                ws: Workspace) -> bool:
    """Refuse a value outside the metric's bounds; tell whether it is an outlier (and
    refuse one that is not confirmed)."""
    why = bounds_of(metric.min_value, metric.max_value, metric.unit).violation(body.value)
    if why is not None:
        raise ValidationFailed(FieldError("value", why, body.value))
    lo, hi = repo.value_range(metric.id)
    ref = [v for v in (lo, hi) if v is not None]
    scale = history_scale([*ref, metric.baseline_value, metric.target_value])
    if not scale.is_outlier(body.value, ws.outlier_factor):
        return False
    if not body.confirm_outlier:
        raise ValidationFailed(FieldError(
            "confirm_outlier",
            f"{body.value:g} is more than {ws.outlier_factor:g}× the usual spread "
            f"({scale.scale:g}) away from this metric's values (around {scale.center:g}): "
            f"if it is right, send it again with confirm_outlier: true", body.value))
    return True


def check_in(session: Session, workspace_id: int, data: MeasurementCreate | dict[str, Any],
             submitted_by_id: int | None = None, today: dt.date | None = None) -> Measurement:
    """Append a measurement to a metric of this workspace.

    Refused: a date after today in the workspace's time zone, before the metric's
    baseline date (unless `load_history`), a value outside the metric's bounds, a value
    far outside its history without `confirm_outlier` (stored marked as an outlier with
    it). A correction names the newest row of its chain, of the same metric; the old
    row stays as it was. `evidence_file` is the handle of an upload of this workspace
    (steerco.checkins.files), moved into place as the check-in commits.
    """
    body = parse(MeasurementCreate, data)
    metric = get_metric(session, workspace_id, body.metric_id)
    ws = get_workspace(session, workspace_id)
    repo = MeasurementRepository(session, workspace_id)
    supersedes = _corrected(repo, body, metric)
    _check_dates(body, metric, ws, today or clock.today_in(ws.time_zone),
                 None if supersedes is None else repo.require(supersedes, "supersedes_id").as_of)
    outlier = _is_outlier(repo, body, metric, ws)
    evidence_file = None
    if body.evidence_file is not None:  # last: a refused item moves no file
        evidence_file = files.claim(session, workspace_id, body.evidence_file, metric.id)
    return repo.add(Measurement(
        workspace_id=workspace_id, metric_id=metric.id, value=body.value, as_of=body.as_of,
        evidence_url=body.evidence_url, evidence_file=evidence_file, note=body.note,
        source=body.source, submitted_by_id=submitted_by_id, confidence=body.confidence,
        supersedes_id=supersedes, outlier=outlier))


def void_measurement(session: Session, workspace_id: int, measurement_ref: Ref,
                     data: VoidCreate | dict[str, Any],
                     submitted_by_id: int | None = None) -> Measurement:
    """Take a wrong check-in out of the evidence: append a void row that supersedes it.

    `measurement_ref` must be the newest row of its chain (a void ends the chain: the row
    and the corrections before it leave the evidence, and nothing can correct or void it
    again); `reason` is required and kept as the void's note. Nothing is deleted: the
    history shows the voided row with who voided it, when and why. Raises NotFound for a
    row of another workspace, ValidationFailed naming `measurement_id` or `reason`.
    """
    body = parse(VoidCreate, data)
    repo = MeasurementRepository(session, workspace_id)
    old = repo.require(parse_id(measurement_ref, "measurement", "measurement_id"),
                       "measurement_id")
    ref = _mea(old.id)
    if old.void:
        raise ValidationFailed(FieldError(
            "measurement_id", f"{ref} is itself a void; it cannot be voided", ref))
    newer = repo.correction_of(old.metric_id, old.id)
    if newer is not None:
        newest = _newest(repo, old.metric_id, newer)
        why = ("was voided already by" if newest.void else
               "was corrected; void the newest row of its chain,")
        raise ValidationFailed(FieldError("measurement_id", f"{ref} {why} {_mea(newest.id)}",
                                          ref))
    return repo.add(Measurement(
        workspace_id=workspace_id, metric_id=old.metric_id, value=old.value,
        as_of=old.as_of, note=body.reason, source=Source.MANUAL,
        submitted_by_id=submitted_by_id, supersedes_id=old.id, outlier=old.outlier,
        void=True))

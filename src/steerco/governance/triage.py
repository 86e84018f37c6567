"""Triage of findings: acknowledge, assign, snooze until a day (with a reason), accept.

Findings are recomputed from the evidence every time, so what people did about one is kept
under its stable key (kind + subject, `steerco.findings.service.finding_key`) in one
`FindingTriage` row. The row remembers the severity the finding had when it was last
triaged (`seen_severity`): a finding that got worse since is shown as new again, and one
snoozed until a day comes back on that day (the workspace's calendar). Never commits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.orm import Session

from steerco.db.enums import TriageState
from steerco.db.models import FindingTriage
from steerco.governance.repository import TriageRepository
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.kit.schema import Strict
from steerco.kit.validation import parse
from steerco.org.service import require_person, workspace_today

Action = Literal["acknowledge", "assign", "snooze", "accept", "reopen"]
#: A snooze longer than this is a decision to accept the finding, not a snooze.
MAX_SNOOZE_DAYS = 366


class TriageRequest(Strict):
    """One triage action on one finding (the fields each action needs)."""

    action: Action
    assignee_id: str | int | None = Field(default=None, description="assign: the person")
    until: dt.date | None = Field(default=None, description="snooze: back on this day")
    reason: str | None = Field(default=None, max_length=2000,
                               description="snooze and accept: why")


def triage_finding(session: Session, workspace_id: int, key: str,
                   data: TriageRequest | dict[str, Any], by: int | None,
                   severity: int | None = None, today: dt.date | None = None) -> FindingTriage:
    """Apply one action to the finding `key`; `severity` is its current severity (kept as
    `seen_severity`: worse than that later counts as new). Raises ValidationFailed naming
    the field when an action lacks what it needs (a snooze without a future day or a
    reason, an assignment without an active person)."""
    body = parse(TriageRequest, data)
    day = today or workspace_today(session, workspace_id)
    if not key or len(key) > 200 or ":" not in key:
        raise ValidationFailed(FieldError("finding_key", "a finding key is KIND:SUBJECT, like "
                                                         "stale_metric:met_12", key))
    repo = TriageRepository(session, workspace_id)
    row = repo.by_key(key)
    if row is None:
        row = repo.add(FindingTriage(workspace_id=workspace_id, finding_key=key))
    if body.action == "acknowledge":
        row.state = row.state or TriageState.ACKNOWLEDGED
    elif body.action == "assign":
        if body.assignee_id is None:
            raise ValidationFailed(FieldError("assignee_id", "say whom to assign it to"))
        row.assignee_id = require_person(session, workspace_id, body.assignee_id,
                                         "assignee_id").id
        row.state = row.state or TriageState.ACKNOWLEDGED
    elif body.action == "snooze":
        _snooze_checks(body.until, body.reason, day)
        row.snoozed_until, row.snooze_reason = body.until, (body.reason or "").strip()
        row.state = row.state or TriageState.ACKNOWLEDGED
    elif body.action == "accept":
        if not (body.reason or "").strip():
            raise ValidationFailed(FieldError("reason", "say why the finding is accepted"))
        row.state, row.snooze_reason = TriageState.ACCEPTED, (body.reason or "").strip()
        row.snoozed_until = None
    else:  # reopen
        row.state, row.snoozed_until, row.snooze_reason = None, None, None
    row.seen_severity = severity if severity is not None else row.seen_severity
    row.seen_on, row.by_id = day, by
    session.flush()
    return row


def _snooze_checks(until: dt.date | None, reason: str | None, today: dt.date) -> None:
    """A snooze needs a day after today (within a year) and a reason."""
    if until is None:
        week = (today + dt.timedelta(days=7)).isoformat()
        raise ValidationFailed(FieldError("until", f"say until which day (like {week})"))
    if until <= today:
        raise ValidationFailed(FieldError(
            "until", f"{until.isoformat()} is not after today ({today.isoformat()}); a snooze "
                     "ends on a later day", until.isoformat()))
    if (until - today).days > MAX_SNOOZE_DAYS:
        raise ValidationFailed(FieldError(
            "until", f"{until.isoformat()} is more than a year away; accept the risk instead "
                     "of snoozing it", until.isoformat()))
    if not (reason or "").strip():
        raise ValidationFailed(FieldError("reason", "say why it can wait"))


def snooze_checks(until: dt.date | None, reason: str | None, today: dt.date) -> None:
    """The rules of any snooze (findings and escalations alike)."""
    _snooze_checks(until, reason, today)


def shown(row: FindingTriage | None, severity: int, today: dt.date) -> str:
    """Where a finding stands for the default view: ``new`` (never triaged), ``worse``
    (severity above what it had when triaged), ``snoozed`` (until a later day),
    ``accepted``, or ``seen`` (triaged, not worse)."""
    if row is None:
        return "new"
    if row.seen_severity is not None and severity > row.seen_severity:
        return "worse"  # worse than when someone looked: snoozed or accepted, it is back
    if row.state is TriageState.ACCEPTED:
        return "accepted"
    if row.snoozed_until is not None and row.snoozed_until > today:
        return "snoozed"
    if row.state is None:
        return "new"
    if row.snoozed_until is not None:
        return "back"  # the snooze ran out: it needs a look again
    return "seen"


def triage_subject(key: str) -> tuple[str | None, int | None]:
    """The (kind, key) of a finding key's subject (``stale_metric:met_12`` → ("metric",
    12)); (None, None) for a subject without a page of its own (a person, a theme, the
    workspace); ValidationFailed naming `finding_key` for a malformed key."""
    from steerco.kit.ids import KINDS

    kind_part, sep, ref = key.partition(":")
    if not sep or not kind_part or not ref:
        raise ValidationFailed(FieldError(
            "finding_key", "a finding key is KIND:SUBJECT, like stale_metric:met_12", key))
    prefix, _, rest = ref.partition("_")
    kind = KINDS.get(prefix)
    if kind is None or not rest.isdigit():
        return None, None
    return kind, int(rest)

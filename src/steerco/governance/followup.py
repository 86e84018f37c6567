"""What a review follows up from the previous one of its series, and the series' rhythm.

- `since_last_review`: the actions given at earlier reviews of the series that were done
  since the previous review or are still open, and the decisions taken in the review's
  scope since then (on an escalation page, at another review, through the API) — what
  the pack and the review page show under "Since the last review".
- `continue_series` (a daily job): a series (kind and org unit) goes on at its cadence —
  when no review of it is scheduled after today, the next one is scheduled (title, chair,
  attendees and scope of the latest), which queues its pack's mail like any scheduling.
  A series whose latest review lies more than two cadence steps back counts as ended,
  and so does one ended on purpose (`service.end_series`, "End this series").
- `refresh_agendas` (the same job): the agendas of the open reviews of the coming
  `AGENDA_DAYS` are rebuilt every morning, so a decision taken since drops out of
  "Decisions requested" and a new escalation comes in without anyone pressing a button.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.models import Decision, Review, ReviewAction
from steerco.governance.agenda import in_scope
from steerco.governance.repository import (
    DecisionRepository,
    ReviewActionRepository,
    ReviewRepository,
)
from steerco.governance.service import (
    create_review,
    generate_agenda,
    review_date,
    series_end,
    subject_ref,
)
from steerco.kit.ids import format_id

#: At most this many decisions under "Since the last review" (newest first).
MAX_DECISIONS = 40
#: Reviews scheduled within this many days get their agenda rebuilt every morning.
AGENDA_DAYS = 14


@dataclass
class SinceLast:
    """What happened since the previous review of a series."""

    previous: Review | None
    since: dt.date
    actions: list[ReviewAction] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    #: Decisions in scope beyond MAX_DECISIONS (not listed).
    more: int = 0


def since_last_review(session: Session, workspace_id: int, review: Review) -> SinceLast:
    """The follow-up of `review` (see the module's docstring). Without an earlier review
    the period is one cadence step before its date."""
    earlier = list(ReviewRepository(session, workspace_id).earlier_in_series(review))
    prev = earlier[0] if earlier else None
    since = ((prev.held_on or prev.scheduled_for) if prev is not None
             else review_date(review.scheduled_for, review.kind.value, -1))
    actions = [a for a in ReviewActionRepository(session, workspace_id).of_reviews(
        [r.id for r in earlier]) if not a.done or a.done_on is None or a.done_on >= since]
    until = review.held_on or review.scheduled_for
    own = {r.id for r in earlier} | {review.id}
    decisions = [d for d in DecisionRepository(session, workspace_id).decided_between(
        since, max(until, since)) if d.review_id not in own]
    refs = {d.id: subject_ref(d.subject_kind, d.subject_id) for d in decisions}
    scope = in_scope(session, workspace_id, review, refs.values())
    decisions = [d for d in decisions if refs[d.id] in scope]
    return SinceLast(prev, since, actions, decisions[:MAX_DECISIONS],
                     max(0, len(decisions) - MAX_DECISIONS))


def continue_series(session: Session, workspace_id: int, today: dt.date,
                    now: dt.datetime | None = None) -> list[Review]:
    """Schedule the next review of every live series with none after `today`; returns
    the reviews made (their pack mail is queued in this transaction)."""
    made = []
    for last in ReviewRepository(session, workspace_id).latest_per_series():
        kind = last.kind.value
        if last.scheduled_for > today:
            continue
        if review_date(last.scheduled_for, kind, 2) < today:
            continue  # ended (or nobody ran the jobs for two cadence steps)
        if series_end(last) is not None:
            continue  # ended on purpose ("End this series"; resumable)
        i = 1
        while (day := review_date(last.scheduled_for, kind, i)) < today:
            i += 1  # days the jobs missed are not replayed: the next one from today
        made.append(create_review(session, workspace_id, {
            "kind": kind, "title": last.title, "scheduled_for": day,
            "chair_id": None if last.chair_id is None else format_id("person", last.chair_id),
            "org_unit_id": None if last.org_unit_id is None
            else format_id("org_unit", last.org_unit_id),
            "attendee_ids": [format_id("person", p) for p in last.attendee_ids or []]},
            now))
    return made


def refresh_agendas(session: Session, workspace_id: int, today: dt.date, st: Any,
                    findings: list[dict[str, Any]]) -> int:
    """Rebuild the agenda of every review not yet closed scheduled from `today` to
    `today + AGENDA_DAYS`; returns how many."""
    coming = ReviewRepository(session, workspace_id, scheduled_from=today,
                              scheduled_to=today + dt.timedelta(days=AGENDA_DAYS))
    n = 0
    for review in list(session.scalars(coming.scoped())):
        if review.closed_at is None:
            generate_agenda(session, workspace_id, review.id, st, findings)
            n += 1
    return n


def coming_reviews(session: Session, workspace_id: int, today: dt.date) -> bool:
    """Whether any open review is scheduled in the coming `AGENDA_DAYS` (the job then
    needs the findings)."""
    coming = ReviewRepository(session, workspace_id, scheduled_from=today,
                              scheduled_to=today + dt.timedelta(days=AGENDA_DAYS))
    return any(r.closed_at is None for r in session.scalars(coming.scoped()))

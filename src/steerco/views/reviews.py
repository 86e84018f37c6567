"""Read models of the review pages: the reviews per unit, one review with its decisions,
actions and the escalations still waiting on its agenda."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.enums import EscalationState
from steerco.db.models import Decision, Escalation, Review, ReviewAction
from steerco.governance.repository import (
    DecisionRepository,
    ReviewActionRepository,
    ReviewRepository,
)

#: The review list shows at most this many reviews (the latest scheduled first).
MAX_REVIEWS = 500


def reviews(s: Session, ws: int, limit: int = MAX_REVIEWS) -> list[Review]:
    """The workspace's reviews, latest scheduled first."""
    return list(s.scalars(select(Review).where(Review.workspace_id == ws).order_by(
        Review.scheduled_for.desc(), Review.id.desc()).limit(limit)))


def find(s: Session, ws: int, key: int) -> Review | None:
    return ReviewRepository(s, ws).find(key)


def decisions_of(s: Session, ws: int, key: int) -> list[Decision]:
    """The decisions taken at review `key`, in the order they were recorded."""
    return list(DecisionRepository(s, ws).of_review(key))


def actions_of(s: Session, ws: int, key: int) -> list[ReviewAction]:
    """The actions recorded at review `key`, in the order they were recorded."""
    return list(ReviewActionRepository(s, ws).of_review(key))


def resolved_escalations(s: Session, ws: int, keys: list[int]) -> set[int]:
    """Which of these escalations are resolved (decided) by now."""
    if not keys:
        return set()
    return {int(k) for k in s.scalars(select(Escalation.id).where(
        Escalation.workspace_id == ws, Escalation.id.in_(sorted(set(keys))),
        Escalation.state == EscalationState.RESOLVED))}


def series_of(rows: list[Review]) -> dict[tuple[int | None, str], list[Review]]:
    """Reviews by series (org unit key, kind value), each soonest first."""
    out: dict[tuple[int | None, str], list[Any]] = {}
    for r in sorted(rows, key=lambda r: (r.scheduled_for, r.id)):
        out.setdefault((r.org_unit_id, r.kind.value), []).append(r)
    return out


def open_actions_of(s: Session, ws: int, person: int) -> list[tuple[ReviewAction, Review]]:
    """The open actions `person` owns, soonest due first, each with its review."""
    actions = list(ReviewActionRepository(s, ws).open_of(person))
    reviews = {r.id: r for r in s.scalars(select(Review).where(
        Review.workspace_id == ws, Review.id.in_(sorted({a.review_id for a in actions}))))}
    return [(a, reviews[a.review_id]) for a in actions if a.review_id in reviews]


def action(s: Session, ws: int, key: int) -> tuple[ReviewAction, Review] | None:
    """An action and its review (None: no such action in the workspace)."""
    a = ReviewActionRepository(s, ws).find(key)
    r = None if a is None else ReviewRepository(s, ws).find(a.review_id)
    return None if a is None or r is None else (a, r)


def latest_in_series(s: Session, ws: int, review: Review) -> Review:
    """The latest scheduled review of `review`'s series (itself when none comes after)."""
    from steerco.governance.repository import ReviewRepository

    return ReviewRepository(s, ws).latest_in_series(review)

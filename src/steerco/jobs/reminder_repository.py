"""The queries of the reminders: metrics with their last evidence and updaters, open
milestones, escalations awaiting a decision, and the workspace's reminder days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steerco.db.enums import CADENCE_DAYS, EscalationState, Source
from steerco.db.models import (
    Escalation,
    Initiative,
    Measurement,
    Metric,
    MetricUpdater,
    Milestone,
    Person,
    Rule,
    Workspace,
)


@dataclass(frozen=True)
class MetricDue:
    """A metric people check in on: its cadence, last evidence and who updates it."""

    key: int
    name: str
    cadence_days: int
    last: dt.date
    target_date: dt.date
    people: tuple[int, ...]  # the owner first, then delegated updaters by key


def reminder_days(s: Session, ws: int) -> list[int]:
    """The workspace's reminder days before a due day ("3,1" → [3, 1]); bad parts skipped."""
    raw = s.scalar(select(Workspace.reminder_days).where(Workspace.id == ws)) or ""
    return sorted({int(p) for p in raw.split(",") if p.strip().isdigit() and int(p) > 0},
                  reverse=True)


def active_people(s: Session, ws: int) -> dict[int, tuple[str, str]]:
    """Active person key → (name, e-mail)."""
    return {int(k): (str(n), str(e)) for k, n, e in s.execute(
        select(Person.id, Person.name, Person.email).where(
            Person.workspace_id == ws, Person.active.is_(True)))}


def manual_metrics(s: Session, ws: int) -> list[MetricDue]:
    """Metrics checked in by people (manual or imported), with their last evidence day
    (the baseline day when there is none)."""
    last = dict(s.execute(select(Measurement.metric_id, func.max(Measurement.as_of)).where(
        Measurement.workspace_id == ws).group_by(Measurement.metric_id)).all())
    updaters: dict[int, list[int]] = {}
    for m, p in s.execute(select(MetricUpdater.metric_id, MetricUpdater.person_id).where(
            MetricUpdater.workspace_id == ws).order_by(MetricUpdater.person_id)):
        updaters.setdefault(int(m), []).append(int(p))
    out = []
    for row in s.execute(select(Metric.id, Metric.name, Metric.cadence, Metric.baseline_date,
                                Metric.target_date, Metric.owner_id).where(
            Metric.workspace_id == ws, Metric.source.in_([Source.MANUAL, Source.IMPORT]))
            .order_by(Metric.id)):
        key = int(row.id)
        people = [int(row.owner_id)] + [p for p in updaters.get(key, [])
                                         if p != int(row.owner_id)]
        out.append(MetricDue(key, str(row.name), CADENCE_DAYS[row.cadence],
                             last.get(key) or row.baseline_date, row.target_date,
                             tuple(people)))
    return out


def open_milestones(s: Session, ws: int, until: dt.date) -> list[tuple[int, str, dt.date, int,
                                                                       int | None]]:
    """(key, name, due date, initiative key, owner or initiative owner) of milestones
    without completion evidence due on or before `until`."""
    return [(int(k), str(n), d, int(i), None if o is None else int(o)) for k, n, d, i, o in
            s.execute(select(Milestone.id, Milestone.name, Milestone.due_date,
                             Milestone.initiative_id,
                             func.coalesce(Milestone.owner_id, Initiative.owner_id)).join(
                Initiative, Initiative.id == Milestone.initiative_id).where(
                Milestone.workspace_id == ws, Milestone.completed_on.is_(None),
                Milestone.evidence_url.is_(None), Milestone.due_date <= until).order_by(
                Milestone.id))]


def awaiting_decisions(s: Session, ws: int) -> list[tuple[Escalation, list[int]]]:
    """Open or acknowledged escalations with an assignee, and their rule's ladder days."""
    rows = s.execute(select(Escalation, Rule.ladder_days).outerjoin(
        Rule, Rule.id == Escalation.rule_id).where(
        Escalation.workspace_id == ws, Escalation.assignee_id.is_not(None),
        Escalation.state.in_([EscalationState.OPEN, EscalationState.ACKNOWLEDGED])).order_by(
        Escalation.id)).all()
    return [(e, [int(d) for d in (days or [])]) for e, days in rows]


def reviews_on(s: Session, ws: int, day: dt.date) -> int:
    """How many reviews are scheduled on `day`."""
    from steerco.db.models import Review

    return int(s.scalar(select(func.count()).select_from(Review).where(
        Review.workspace_id == ws, Review.scheduled_for == day)) or 0)


def open_review_actions(s: Session, ws: int, first: dt.date,
                        last: dt.date) -> list[tuple[int, str, dt.date, int, str]]:
    """(key, text, due day, owner, the review's title) of the actions given at reviews
    that are not done and fall due from `first` to `last`, by due day."""
    from steerco.db.models import Review, ReviewAction

    return [(int(k), str(title), due, int(owner), str(review)) for k, title, due, owner, review
            in s.execute(select(ReviewAction.id, ReviewAction.title, ReviewAction.due_on,
                                ReviewAction.owner_id, Review.title).join(
                Review, Review.id == ReviewAction.review_id).where(
                ReviewAction.workspace_id == ws, ReviewAction.done.is_(False),
                ReviewAction.due_on >= first, ReviewAction.due_on <= last).order_by(
                ReviewAction.due_on, ReviewAction.id))]

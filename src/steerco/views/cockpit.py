"""Read models of My work and the cockpit: what a person owns, recorded forecasts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.enums import EscalationState
from steerco.db.models import Escalation, ForecastRecord, Initiative, Review
from steerco.views.labels import titled_agenda


def open_escalations_of(s: Session, ws: int, person: int, limit: int = 50) -> list[Escalation]:
    """The unresolved escalations assigned to `person`, oldest first."""
    return list(s.execute(select(Escalation).where(
        Escalation.workspace_id == ws, Escalation.assignee_id == person,
        Escalation.state != EscalationState.RESOLVED).order_by(
        Escalation.opened_at).limit(limit)).scalars().all())


def running_initiatives_of(s: Session, ws: int, person: int, limit: int = 20) -> list[Any]:
    """(id, name, stage, due_date) of the initiatives `person` owns and that run."""
    return list(s.execute(select(Initiative.id, Initiative.name, Initiative.stage,
                                 Initiative.due_date).where(
        Initiative.workspace_id == ws, Initiative.owner_id == person,
        Initiative.stopped.is_(False)).order_by(Initiative.due_date).limit(limit)).all())


def forecasts_issued_on(s: Session, ws: int,
                        day: dt.date) -> dict[int, tuple[float | None, float | None, str]]:
    """Metric key → (forecast, P(hit), status) as recorded at the review of `day`."""
    f = ForecastRecord
    rows = s.execute(select(f.metric_id, f.value, f.p_hit, f.status).where(
        f.workspace_id == ws, f.issued_on == day)).all()
    return {m: (v, p, stt) for m, v, p, stt in rows}


def coming_reviews(s: Session, ws: int, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Reviews scheduled from `first` to `last`, soonest first, with the escalations on
    their stored agenda (title, on, items)."""
    rows = s.scalars(select(Review).where(
        Review.workspace_id == ws, Review.scheduled_for >= first,
        Review.scheduled_for <= last).order_by(Review.scheduled_for, Review.id)).all()
    return [{"title": r.title, "on": r.scheduled_for,
             "items": titled_agenda(s, ws, [i for i in (r.agenda or [])
                                           if i.get("type") == "escalation"])}
            for r in rows]

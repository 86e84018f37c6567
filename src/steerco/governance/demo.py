"""The demo company's governance history: the escalation ladder as a daily job would have
run it, and the agenda of the coming reviews (no commit: the caller's unit of work does).

Why replay instead of writing escalation rows: the ladder decides who holds what at each
rung (owner → manager → unit head → steering committee), and the demo should show its
real output. Running it four weeks ago and today is enough: an escalation climbs as many
rungs as have elapsed (steerco.core.ladder), so breaches that were already open four weeks
ago and were never decided have reached the steering committee by now — the story of an
escalation that waits for the committee's decision.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from steerco.evidence.service import CACHE
from steerco.findings.service import findings
from steerco.governance.ladder import LadderReport, run_ladder
from steerco.governance.repository import (
    EscalationRepository,
    LadderRepository,
    ReviewRepository,
)
from steerco.governance.service import generate_agenda, record_decision
from steerco.kit.ids import format_id

#: How long before today the ladder first ran (longer than the longest default ladder,
#: 3 + 7 + 14 days, so the oldest breaches reach the steering committee).
HISTORY_DAYS = 28
#: Signal kinds of which the first escalation is left undecided (one each climbs to the
#: steering committee); every other one was decided by its holder on the day it opened.
UNDECIDED = ("green_dashboard", "broken_dependency", "off_track")
#: Reviews scheduled within this many days get their agenda built.
AGENDA_DAYS = 14


def replay(session: Session, workspace_id: int, today: dt.date) -> LadderReport:
    """Run the ladder `HISTORY_DAYS` ago and today; build the coming reviews' agendas.

    Returns today's ladder report (its `opened` are today's new escalations)."""
    session.info.setdefault("actor", "cli:demo")
    then = today - dt.timedelta(days=HISTORY_DAYS)
    run_ladder(session, workspace_id, then)
    session.flush()
    _decide_most(session, workspace_id, then)
    # What the ladder said four weeks ago is history: the first `steerco serve` must not
    # mail it now (today's run below tells each holder what waits for them today).
    LadderRepository(session, workspace_id).settle_outbox(
        dt.datetime.combine(then, dt.time(), tzinfo=dt.UTC))
    report = run_ladder(session, workspace_id, today)
    session.flush()
    st = CACHE.state(session, workspace_id, as_of=today)
    coming = ReviewRepository(session, workspace_id, scheduled_from=today + dt.timedelta(days=1),
                              scheduled_to=today + dt.timedelta(days=AGENDA_DAYS))
    reviews = list(session.scalars(coming.scoped()))
    # The agendas name the findings too (benefits at risk, new findings): computed once.
    found = findings(session, workspace_id, today) if reviews else []
    for review in reviews:
        if review.closed_at is None:  # a held review keeps the agenda it was held on
            generate_agenda(session, workspace_id, review.id, st, found)
    return report


def _decide_most(session: Session, workspace_id: int, day: dt.date) -> None:
    """Most escalations get a decision from whoever holds them (as in a company that
    governs); the first of each kind in `UNDECIDED` is left to climb."""
    left: set[str] = set()
    for esc in list(EscalationRepository(session, workspace_id).unresolved()):
        if esc.signal_kind in UNDECIDED and esc.signal_kind not in left:
            left.add(esc.signal_kind)
            continue
        if esc.assignee_id is None:
            continue
        record_decision(session, workspace_id, {
            "escalation_id": format_id("escalation", esc.id), "kind": "replan_date",
            "rationale": "Agreed a recovery plan with the owner", "decided_on": day},
            decided_by=esc.assignee_id, today=day)
    session.flush()

"""Actions given at a review are marked done (or reopened); the next review of the series
lists them (done since / still open) with the decisions taken in its scope since the
previous review; series go on at their cadence and coming agendas are rebuilt daily."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from steerco.db.models import OutboxMessage, Review
from steerco.governance.followup import continue_series, since_last_review
from steerco.governance.service import (
    PACK_MAIL,
    add_action,
    create_review,
    record_decision,
    set_action_done,
)
from tests.services.test_governance import escalation, org


def _review(session, ws: int, unit: int, day: str, title: str = "Sales weekly") -> Review:
    return create_review(session, ws, {"kind": "weekly_ops", "title": title,
                                       "scheduled_for": day, "org_unit_id": unit,
                                       "chair_id": None})


def test_actions_are_marked_done_and_reopened_with_the_day_and_who(session):
    o = org(session)
    ws = o.w.wid
    review = _review(session, ws, o.sales.id, "2026-07-01")
    action = add_action(session, ws, review.id, {
        "title": "Call the three largest accounts", "owner_id": f"per_{o.seller.id}",
        "due_on": "2026-07-08"})
    set_action_done(session, ws, action.id, True, o.seller.id, dt.date(2026, 7, 6))
    assert (action.done, action.done_on, action.done_by_id) == (
        True, dt.date(2026, 7, 6), o.seller.id)
    version = action.version
    set_action_done(session, ws, action.id, True, o.operator.id, dt.date(2026, 7, 9))
    assert action.done_on == dt.date(2026, 7, 6) and action.version == version  # no-op
    set_action_done(session, ws, action.id, False, o.seller.id, dt.date(2026, 7, 9))
    assert (action.done, action.done_on, action.done_by_id) == (False, None, None)


def test_the_next_review_follows_up_actions_done_since_or_open_and_decisions_in_scope(
        session):
    o = org(session)
    ws = o.w.wid
    first = _review(session, ws, o.sales.id, "2026-06-24")
    prev = _review(session, ws, o.sales.id, "2026-07-01")
    nxt = _review(session, ws, o.sales.id, "2026-07-08")
    other = create_review(session, ws, {"kind": "monthly_business", "title": "Monthly",
                                        "scheduled_for": "2026-07-08",
                                        "org_unit_id": o.sales.id})

    def act(review: Review, title: str, due: str = "2026-07-05"):
        return add_action(session, ws, review.id, {
            "title": title, "owner_id": f"per_{o.seller.id}", "due_on": due})

    reported = act(first, "Done before the previous review")
    set_action_done(session, ws, reported.id, True, o.seller.id, dt.date(2026, 6, 28))
    old_open = act(first, "Still open from June")
    done = act(prev, "Done since")
    set_action_done(session, ws, done.id, True, o.seller.id, dt.date(2026, 7, 3))
    still = act(prev, "Still open")
    act(other, "Another series", "2026-07-15")  # due on or after its review
    sales_metric = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}")
    ops_metric = o.w.metric("Uptime", owner_id=f"per_{o.operator.id}")
    decided = []
    for m, day in ((sales_metric, "2026-07-03"), (ops_metric, "2026-07-03"),
                   (sales_metric, "2026-06-20")):
        esc = escalation(session, ws, m.id)
        decided.append(record_decision(session, ws, {
            "escalation_id": f"esc_{esc.id}", "kind": "accept_risk",
            "rationale": f"Decided on {day}", "decided_on": day}, decided_by=o.seller.id,
            today=dt.date.fromisoformat(day)))

    f = since_last_review(session, ws, nxt)
    assert f.previous is not None and f.previous.id == prev.id
    assert f.since == dt.date(2026, 7, 1)
    assert [a.id for a in f.actions] == [old_open.id, done.id, still.id]
    # in scope (the Sales subtree) and since the previous review: only the first
    assert [d.id for d in f.decisions] == [decided[0].id]


def test_a_series_goes_on_at_its_cadence_and_mails_the_pack_of_the_next_review(session):
    o = org(session)
    ws = o.w.wid
    last = create_review(session, ws, {
        "kind": "monthly_business", "title": "Sales monthly", "scheduled_for": "2026-06-30",
        "org_unit_id": o.sales.id, "chair_id": f"per_{o.seller.id}",
        "attendee_ids": [f"per_{o.operator.id}"]})
    ended = create_review(session, ws, {"kind": "weekly_ops", "title": "Old weekly",
                                        "scheduled_for": "2026-05-01"})
    ahead = create_review(session, ws, {"kind": "quarterly_strategy", "title": "Q",
                                        "scheduled_for": "2026-09-01"})
    session.flush()
    before = session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc())
                            .limit(1)) or 0
    made = continue_series(session, ws, dt.date(2026, 7, 2))
    assert [(r.title, r.scheduled_for, r.org_unit_id, r.chair_id, r.attendee_ids)
            for r in made] == [("Sales monthly", dt.date(2026, 7, 30), o.sales.id,
                                o.seller.id, [o.operator.id])]
    mails = session.scalars(select(OutboxMessage).where(
        OutboxMessage.id > before, OutboxMessage.kind == PACK_MAIL)).all()
    assert sorted(m.recipient for m in mails) == sorted([o.seller.email, o.operator.email])
    # once a review of the series lies ahead, nothing more; ended series stay ended
    assert continue_series(session, ws, dt.date(2026, 7, 3)) == []
    assert ended.id and ahead.id and last.id


def test_the_coming_agendas_are_rebuilt_so_a_decision_taken_since_drops_out(session):
    from steerco.evidence.service import EngineCache
    from steerco.governance.followup import refresh_agendas
    from tests.services.test_governance import AS_OF

    o = org(session)
    ws = o.w.wid
    bookings = o.w.metric("Bookings", owner_id=f"per_{o.seller.id}")
    esc = escalation(session, ws, bookings.id)
    soon = _review(session, ws, o.sales.id, (AS_OF + dt.timedelta(days=3)).isoformat())
    later = _review(session, ws, o.sales.id, (AS_OF + dt.timedelta(days=30)).isoformat())
    st = EngineCache().state(session, ws, AS_OF)
    assert refresh_agendas(session, ws, AS_OF, st, []) == 1
    assert [i["key"] for i in soon.agenda] == [f"met_{bookings.id}"]
    assert later.agenda is None  # beyond the two weeks ahead
    record_decision(session, ws, {"escalation_id": f"esc_{esc.id}", "kind": "accept_risk",
                                  "rationale": "Seasonal dip"}, decided_by=o.seller.id,
                    today=AS_OF)
    refresh_agendas(session, ws, AS_OF, st, [])
    assert soon.agenda == []


def test_an_open_action_reminds_its_owner_once_when_due_and_once_when_overdue(session):
    from steerco.jobs.events import describe
    from steerco.jobs.reminders import run_reminders

    o = org(session)
    ws = o.w.wid
    review = _review(session, ws, o.sales.id, "2026-07-01", title="Sales weekly 1 July")
    add_action(session, ws, review.id, {
        "title": "Call the three largest accounts", "owner_id": f"per_{o.seller.id}",
        "due_on": "2026-07-08"})
    done = add_action(session, ws, review.id, {
        "title": "Send the price list", "owner_id": f"per_{o.operator.id}",
        "due_on": "2026-07-08"})
    set_action_done(session, ws, done.id, True, o.operator.id, dt.date(2026, 7, 7))
    session.flush()

    def mails(day: dt.date) -> list[OutboxMessage]:
        before = {m.id for m in session.scalars(select(OutboxMessage))}
        for _ in range(2):  # a second run (another worker, a restart) queues nothing
            run_reminders(session, ws, day, dt.datetime.combine(day, dt.time(7),
                                                                tzinfo=dt.UTC))
        return [m for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
                if m.id not in before and m.kind == "reminder"
                and str(m.payload.get("event", "")).startswith("review_action.")]

    assert mails(dt.date(2026, 7, 7)) == []  # not due yet
    due = mails(dt.date(2026, 7, 8))
    assert [(m.recipient, m.payload["event"]) for m in due] == [
        ("sam@x.example", "review_action.due")]  # the done one reminds nobody
    ev = describe("reminder", due[0].payload)
    assert ev.title == ("Your action from Sales weekly 1 July is due today: "
                        "Call the three largest accounts")
    assert ev.path == "/my-work#h-actions" and "mark it done" in ev.action
    overdue = mails(dt.date(2026, 7, 9))
    assert [(m.recipient, m.payload["event"]) for m in overdue] == [
        ("sam@x.example", "review_action.overdue")]
    assert describe("reminder", overdue[0].payload).title == (
        "Your action from Sales weekly 1 July is overdue since 2026-07-08: Call the three "
        "largest accounts")
    assert mails(dt.date(2026, 7, 10)) == []  # once overdue, not every day after
    # Marked done before its day: no reminder at all.
    again = add_action(session, ws, review.id, {
        "title": "Book the venue", "owner_id": f"per_{o.seller.id}", "due_on": "2026-07-20"})
    set_action_done(session, ws, again.id, True, o.seller.id, dt.date(2026, 7, 15))
    assert mails(dt.date(2026, 7, 20)) == [] and mails(dt.date(2026, 7, 21)) == []

"""Reminders, once each: check-ins before they are due, on the due day and the day after
(to the owner and every delegated updater), milestones approaching their date without
completion evidence, and decisions awaiting someone longer than their rule allows.

Rules (day = the workspace's calendar day):
- a metric checked in by people (manual or imported) is due `cadence` days after its last
  evidence (its baseline day when it has none); reminders go on each of the workspace's
  reminder days before it (`3` by default, e.g. `3,1`), on the due day (`checkin.due`)
  and the day after (`checkin.overdue`); none once the last evidence reached the
  metric's target day;
- a milestone without completion (date or evidence) is reminded on the reminder days
  before its due date and on the date itself, to its owner (else the initiative's);
- an escalation open longer than its rung's grace days (the rule's `ladder_days`, its
  last entry for rungs past the end) reminds its assignee once per rung;
- an action given at a review and not done reminds its owner on its due day
  (`review_action.due`) and the day after (`review_action.overdue`), named by its text
  and the review's title, linking to My work where it is marked done.
Each reminder inserts its key into `reminder_keys` in the transaction that queues it, so
a second run (another worker, a restart) queues nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.governance.service import subject_ref
from steerco.jobs import reminder_repository as rr
from steerco.jobs import repository as repo
from steerco.kit.ids import format_id
from steerco.views.labels import labels_of

KIND = "reminder"


Pending = list[tuple[str, str, int, dict[str, Any]]]


def _queue(s: Session, ws: int, key: str, to: tuple[str, str], person: int,
           payload: dict[str, Any], now: dt.datetime, out: Pending) -> None:
    """Note a reminder; `_flush` queues those whose key is new (one read, one insert)."""
    out.append((key, to[1], person, payload))


def _flush(s: Session, ws: int, pending: Pending, now: dt.datetime) -> list[str]:
    new = repo.add_reminder_keys(s, ws, [key for key, *_ in pending], now)
    out: list[str] = []
    for key, to, person, payload in pending:
        if key in new:
            new.discard(key)
            repo.queue(s, ws, KIND, to, {**payload, "person_id": format_id("person", person),
                                         "key": key}, now)
            out.append(key)
    return out


def run_reminders(s: Session, ws: int, today: dt.date, now: dt.datetime) -> list[str]:
    """Queue every reminder due on `today` not queued before; their keys (no commit)."""
    days = rr.reminder_days(s, ws)
    people = rr.active_people(s, ws)
    out: Pending = []
    for m in rr.manual_metrics(s, ws):
        if m.last >= m.target_date:
            continue
        due = m.last + dt.timedelta(days=m.cadence_days)
        left = (due - today).days
        if left in days:
            event, when = "checkin.due", f"due in {left} days ({due.isoformat()})"
        elif left == 0:
            event, when = "checkin.due", "due today"
        elif left == -1:
            event, when = "checkin.overdue", f"overdue since {due.isoformat()}"
        else:
            continue
        mid = format_id("metric", m.key)
        for p in m.people:
            if p not in people:
                continue
            role = "you own it" if p == m.people[0] else "you update it"
            _queue(s, ws, f"{event}:{mid}:{due.isoformat()}:{left}:{p}", people[p], p, {
                "event": event, "subject": mid, "path": f"/metrics/{mid}#checkin",
                "title": f"Check-in on {m.name} {when}",
                "action": f"Check in on {m.name} ({role}).", "due": due.isoformat()},
                now, out)
    horizon = today + dt.timedelta(days=max(days, default=0))
    for key, name, due, ini, owner in rr.open_milestones(s, ws, horizon):
        left = (due - today).days
        if owner is None or owner not in people or not (left == 0 or left in days):
            continue
        mil = format_id("milestone", key)
        when = "due today" if left == 0 else f"due in {left} days ({due.isoformat()})"
        _queue(s, ws, f"milestone.approaching:{mil}:{due.isoformat()}:{left}:{owner}",
               people[owner], owner, {
                   "event": "milestone.approaching", "subject": mil,
                   "path": f"/initiatives/{format_id('initiative', ini)}",
                   "title": f"Milestone {name} {when} and has no completion evidence",
                   "action": "Record its completion with evidence, or re-plan its date.",
                   "due": due.isoformat()}, now, out)
    for key, title, due, owner, review in rr.open_review_actions(
            s, ws, today - dt.timedelta(days=1), today):
        if owner not in people:
            continue
        overdue = due < today
        event = "review_action.overdue" if overdue else "review_action.due"
        aid = format_id("review_action", key)
        _queue(s, ws, f"{event}:{aid}:{due.isoformat()}:{owner}", people[owner], owner, {
            "event": event, "subject": aid, "path": "/my-work#h-actions",
            "title": (f"Your action from {review} is overdue since {due.isoformat()}: "
                      if overdue else f"Your action from {review} is due today: ")
            + title,
            "action": "Do it and mark it done in My work, or tell whoever runs the review "
                      "why it slips.", "due": due.isoformat()}, now, out)
    awaiting = list(rr.awaiting_decisions(s, ws))
    refs = {int(e.id): subject_ref(e.subject_kind, e.subject_id) for e, _l in awaiting}
    labels = labels_of(s, ws, refs.values())
    for esc, ladder in awaiting:
        sref = refs[int(esc.id)] or ""
        if not ladder or esc.assignee_id is None or int(esc.assignee_id) not in people:
            continue
        grace = ladder[min(int(esc.rung), len(ladder) - 1)]
        since = (esc.escalated_at or esc.opened_at).date()
        if (today - since).days <= grace:
            continue
        eid = format_id("escalation", int(esc.id))
        who = int(esc.assignee_id)
        _queue(s, ws, f"decision.awaiting:{eid}:{esc.rung}:{who}", people[who], who, {
            "event": "decision.awaiting", "subject": eid, "path": f"/escalations/{eid}",
            "title": f"A decision on {labels.get(sref, esc.summary)} has waited "
                     f"{(today - since).days} days",
            "detail": esc.summary,
            "action": "Decide on its page (accept the risk, re-plan, reallocate or stop), "
                      "or hand it on to whoever should."},
            now, out)
    keys = _flush(s, ws, out, now)
    s.flush()
    return keys

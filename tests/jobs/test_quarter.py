"""A simulated quarter (91 days) of the whole schedule on a demo company (seed 7), ticked
every morning by two workers at once, with e-mail (a local SMTP server), the inbox and a
webhook. Every reminder, escalation step and delivery happens on the expected day to the
expected person, and nothing happens twice.

The expected list is derived here from the demo's data by the rules the README states,
not read back from what the jobs wrote:
- check-in reminders: each manual metric is due its cadence after its last evidence;
  reminded 3 and 1 days before, on the day and the day after, to the owner and every
  active delegated updater (no check-in arrives meanwhile);
- milestone reminders: 3 and 1 days before and on the due day, to the milestone's owner
  (else the initiative's);
- escalations: an escalation climbs when its rung's grace days (its rule's ladder) have
  passed since it reached the rung; the manager of the holder (rung 1), the head of the
  subject's org unit or the nearest ancestor unit with another head (rung 2), then the
  first strategy-office holder (rung 3), skipping anyone deactivated; each new holder is
  told once. At the top rung a decision that waited longer than the last grace reminds the
  holder once. Which breaches open escalations is the engine's (its findings); the test
  takes the openings as given and checks that a metric's opens with its owner;
- review series: on the first day of the quarter on which a series' latest review
  (per kind and org unit) is today or past, and not two cadence steps past, its next
  review is scheduled at the cadence (weekly, monthly, quarterly) on or after today, and
  the chair and each attendee are mailed its pack that day;
- review actions: an open action reminds its owner on its due day and the day after.
Each message reaches the person by e-mail and in the inbox on its day, exactly once, and
the webhook once per message id.

The `s` demo runs in the suite (~20 s of CPU); the `m` demo (1,000 people, 2,000 metrics,
21,585 messages, each by e-mail to the in-process SMTP server, to the inbox and to the
webhook: ~175 s of CPU) only with STEERCO_QUARTER_M=1; see bench/README.md.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.enums import CADENCE_DAYS, EscalationState, Source
from steerco.db.migrate import upgrade
from steerco.db.models import (
    BudgetLine,
    CausalLink,
    Dependency,
    Escalation,
    InboxItem,
    Initiative,
    JobRun,
    Measurement,
    Metric,
    MetricUpdater,
    Milestone,
    Objective,
    OrgUnit,
    OutboxMessage,
    Person,
    PlannedBenefit,
    Review,
    ReviewAction,
    RoleGrant,
    Rule,
    WebhookSubscription,
    Workspace,
)
from steerco.db.models.accounts import Role
from steerco.evidence.service import CACHE
from steerco.findings import service as fs
from steerco.governance.service import review_date
from steerco.jobs.delivery import SmtpConfig, Transport
from steerco.jobs.schedule import DAILY, tick
from steerco.kit.ids import format_id
from tests.jobs.conftest import SECRET, Receiver, SimClock
from tests.servers import MailSink, smtp_server

AS_OF = dt.date(2026, 11, 30)
DAYS = 91
FIRST, LAST = AS_OF + dt.timedelta(days=1), AS_OF + dt.timedelta(days=DAYS)
REMINDER_DAYS = [3, 1]
SIZES = ["s", *(["m"] if os.environ.get("STEERCO_QUARTER_M") == "1" else [])]
Item = tuple[dt.date, int, str, str]  # (day, person, what, subject)


@pytest.fixture(scope="module", params=SIZES)
def demo_file(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    from steerco.demo import write_demo

    path = tmp_path_factory.mktemp("demo") / f"demo_{request.param}.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    write_demo(eng, size=request.param, seed=7, as_of=AS_OF, slug="demo")
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


class Sink(MailSink):
    """An SMTP server's handler: each e-mail with the simulated day it arrived."""

    def __init__(self, clock: SimClock) -> None:
        super().__init__()
        self.clock = clock
        self.got: list[tuple[dt.date, str, str]] = []  # (day, to, Message-ID)

    def received(self, msg: Message) -> None:
        self.got.append((self.clock.now.date(), str(msg["To"]), str(msg["Message-ID"])))


@pytest.fixture()
def smtp(clock: SimClock) -> Iterator[tuple[Sink, int]]:
    with smtp_server(Sink(clock)) as got:
        yield got


@pytest.fixture()
def clock() -> SimClock:
    return SimClock(dt.datetime.combine(AS_OF, dt.time(7), tzinfo=dt.UTC))


# --- the expected list, from the data -------------------------------------------------


def expected_reminders(s: Session, ws: int, active: set[int]) -> list[Item]:
    out: list[Item] = []
    last_of: dict[int, dt.date] = {}
    for k, d in s.execute(select(Measurement.metric_id, Measurement.as_of).where(
            Measurement.workspace_id == ws)):
        last_of[int(k)] = max(d, last_of.get(int(k), d))
    updaters: dict[int, set[int]] = {}
    for k, p in s.execute(select(MetricUpdater.metric_id, MetricUpdater.person_id).where(
            MetricUpdater.workspace_id == ws)):
        updaters.setdefault(int(k), set()).add(int(p))
    for m in s.scalars(select(Metric).where(Metric.workspace_id == ws, Metric.source.in_(
            [Source.MANUAL, Source.IMPORT]))):
        last = last_of.get(int(m.id), m.baseline_date)
        if last >= m.target_date:
            continue
        due = last + dt.timedelta(days=CADENCE_DAYS[m.cadence])
        people = {int(m.owner_id)} | updaters.get(int(m.id), set())
        days = [(due - dt.timedelta(days=n), "checkin.due") for n in [*REMINDER_DAYS, 0]]
        for day, event in [*days, (due + dt.timedelta(days=1), "checkin.overdue")]:
            if FIRST <= day <= LAST:
                out += [(day, p, event, format_id("metric", m.id)) for p in people
                        if p in active]
    for ms, owner in s.execute(select(Milestone, Initiative.owner_id).join(
            Initiative, Initiative.id == Milestone.initiative_id).where(
            Milestone.workspace_id == ws, Milestone.completed_on.is_(None),
            Milestone.evidence_url.is_(None))):
        who = int(ms.owner_id or owner)
        for d in [*REMINDER_DAYS, 0]:
            day = ms.due_date - dt.timedelta(days=d)
            if FIRST <= day <= LAST and who in active:
                out.append((day, who, "milestone.approaching", format_id("milestone", ms.id)))
    return out


def expected_review_mail(s: Session, ws: int, active: set[int]) -> list[Item]:
    """The review packs mailed as series go on, and the review actions' reminders."""
    out: list[Item] = []
    latest: dict[tuple[Any, int | None], tuple[dt.date, int, Review]] = {}
    for r in s.scalars(select(Review).where(Review.workspace_id == ws)):
        key = (r.kind, r.org_unit_id)
        if key not in latest or (r.scheduled_for, r.id) > latest[key][:2]:
            latest[key] = (r.scheduled_for, int(r.id), r)
    for last_day, _id, r in latest.values():
        kind = r.kind.value
        people = dict.fromkeys(p for p in [r.chair_id, *(r.attendee_ids or [])]
                               if p is not None and p in active)
        day = FIRST
        while day <= LAST:
            if last_day <= day <= review_date(last_day, kind, 2) and \
                    not (r.snapshot or {}).get("series_ended"):
                i = 1
                while review_date(last_day, kind, i) < day:
                    i += 1
                last_day = review_date(last_day, kind, i)
                out += [(day, int(p), "review_pack",
                         f"{r.title} on {last_day:%d %b %Y}: the pack") for p in people]
            day += dt.timedelta(days=1)
    for a in s.scalars(select(ReviewAction).where(ReviewAction.workspace_id == ws,
                                                  ReviewAction.done.is_(False))):
        for day, event in ((a.due_on, "review_action.due"),
                           (a.due_on + dt.timedelta(days=1), "review_action.overdue")):
            if FIRST <= day <= LAST and a.owner_id in active:
                out.append((day, int(a.owner_id), event, format_id("review_action", a.id)))
    return out


@dataclass
class People:
    """Who is who: managers, units and their heads, the steering committee."""

    active: set[int]
    manager: dict[int, int | None]
    head: dict[int, int | None]
    parent: dict[int, int | None]
    committee: int | None
    unit_of_person: dict[int, int | None]

    @classmethod
    def read(cls, s: Session, ws: int) -> People:
        people = list(s.scalars(select(Person).where(Person.workspace_id == ws)))
        units = list(s.scalars(select(OrgUnit).where(OrgUnit.workspace_id == ws)))
        committee = [int(p) for p, _u in s.execute(
            select(RoleGrant.person_id, RoleGrant.org_unit_id).join(
                Person, Person.id == RoleGrant.person_id).where(
                RoleGrant.workspace_id == ws, RoleGrant.role == Role.STRATEGY_OFFICE,
                Person.active.is_(True)).order_by(RoleGrant.org_unit_id.is_not(None),
                                                  RoleGrant.person_id))]
        return cls({int(p.id) for p in people if p.active},
                   {int(p.id): p.manager_id for p in people},
                   {int(u.id): u.head_id for u in units},
                   {int(u.id): u.parent_id for u in units},
                   committee[0] if committee else None,
                   {int(p.id): p.org_unit_id for p in people})

    def unit_head(self, unit: int | None, current: int | None) -> int | None:
        seen: set[int] = set()
        while unit is not None and unit not in seen:
            seen.add(unit)
            head = self.head.get(unit)
            if head is not None and head in self.active and head != current:
                return head
            unit = self.parent.get(unit)
        return None

    def at(self, rung: int, unit: int | None, current: int | None) -> int | None:
        """Who holds an escalation at `rung` after `current` (the README's rules)."""
        found = None
        if rung == 1 and current is not None:
            m = self.manager.get(current)
            found = m if m in self.active else None
        if found is None and rung <= 2:
            found = self.unit_head(unit, current)
        if found is None:
            found = self.committee
        return found if found is not None else current


def subject_unit(s: Session, kind: str, key: int, people: People) -> int | None:
    """A subject's org unit: a metric's is its owner's, a milestone's its initiative's,
    a dependency's its consumer's."""
    if kind == "metric":
        return people.unit_of_person.get(int(s.get(Metric, key).owner_id))  # type: ignore[union-attr]
    if kind == "causal_link":
        link = s.get(CausalLink, key)
        return subject_unit(s, "metric", int(link.driven_id), people)  # type: ignore[union-attr]
    if kind in ("objective", "initiative", "budget_line"):
        model: Any = {"objective": Objective, "initiative": Initiative,
                      "budget_line": BudgetLine}[kind]
        return s.get(model, key).org_unit_id  # type: ignore[no-any-return]
    if kind in ("milestone", "benefit"):
        child: Any = s.get(Milestone if kind == "milestone" else PlannedBenefit, key)
        return s.get(Initiative, child.initiative_id).org_unit_id  # type: ignore[union-attr]
    if kind == "dependency":
        dep = s.get(Dependency, key)
        ini = dep.consumer_initiative_id or s.get(  # type: ignore[union-attr]
            Milestone, dep.consumer_milestone_id).initiative_id  # type: ignore[union-attr]
        return s.get(Initiative, ini).org_unit_id  # type: ignore[union-attr]
    raise AssertionError(f"no org-unit rule for a {kind} subject")


@dataclass
class Esc:
    """An escalation as the test follows it."""

    key: int
    ladder: list[int]  # [] when its rule is off: it never climbs
    grace: list[int]  # its rule's ladder, on or off: how long a decision may wait
    unit: int | None
    rung: int
    reached: dt.date
    holder: int | None
    snoozed_until: dt.date | None


def follow(e: Esc, people: People, start: dt.date) -> list[Item]:
    """Each day from `start`: the climb (one message to a new holder), then the reminder
    of a decision waiting longer than its rung's grace (once per rung)."""
    out: list[Item] = []
    eid = format_id("escalation", e.key)
    reminded: set[tuple[int, int | None]] = set()
    day = start
    while day <= LAST:
        snoozed = e.snoozed_until is not None and e.snoozed_until > day
        if e.ladder and not snoozed:
            rung, at = e.rung, max(e.reached, e.snoozed_until or e.reached)
            holder = e.holder
            while rung < len(e.ladder) and at + dt.timedelta(days=max(1, e.ladder[rung])) <= day:
                at += dt.timedelta(days=max(1, e.ladder[rung]))
                rung += 1
                holder = people.at(rung, e.unit, holder)
            if rung != e.rung:
                if holder != e.holder and holder in people.active:
                    out.append((day, int(holder), f"escalation:{rung}", eid))  # type: ignore[arg-type]
                e.rung, e.reached, e.holder = rung, at, holder
        if e.grace and e.holder in people.active:
            grace = e.grace[min(e.rung, len(e.grace) - 1)]
            if (day - e.reached).days > grace and (e.rung, e.holder) not in reminded:
                reminded.add((e.rung, e.holder))
                out.append((day, int(e.holder), "decision.awaiting", eid))  # type: ignore[arg-type]
        day += dt.timedelta(days=1)
    return out


def expected_escalations(s: Session, ws: int, before: dict[int, Esc], existed: set[int],
                         people: People, openers: dict[int, tuple[dt.date, int, int]],
                         ) -> list[Item]:
    """The climbs of the escalations there at the start (their state then), and of those
    the quarter opened (`openers`: opened day, rung and first holder)."""
    out: list[Item] = []
    for e in before.values():
        out += follow(e, people, FIRST)
    rules = {int(r.id): r for r in s.scalars(select(Rule).where(Rule.workspace_id == ws))}
    for esc in s.scalars(select(Escalation).where(Escalation.workspace_id == ws)):
        if int(esc.id) in existed:
            continue
        day = esc.opened_at.date()
        assert FIRST <= day <= LAST
        rung, holder = 0, None  # opened naming nobody: nobody told until it climbs
        first = openers.get(int(esc.id))
        if first is not None and first[0] == day:
            _d, rung, holder = first  # type: ignore[assignment]
            out.append((day, holder, f"escalation:{rung}", format_id("escalation", esc.id)))
        rule = rules[int(esc.rule_id)]  # type: ignore[arg-type]
        unit = subject_unit(s, esc.subject_kind, esc.subject_id, people)
        if esc.subject_kind == "metric" and esc.signal_kind in ("off_track", "stale"):
            # A metric's status breach names its owner (else the owner's next rung).
            owner = int(s.get(Metric, esc.subject_id).owner_id)  # type: ignore[union-attr]
            assert (rung, holder) == ((0, owner) if owner in people.active
                                      else (1, people.at(1, unit, owner)))
        ladder = list(rule.ladder_days or [])
        e = Esc(int(esc.id), ladder if rule.active else [], ladder, unit, rung, day, holder,
                None)
        out += follow(e, people, day + dt.timedelta(days=1))
    return out


def escalations_at_start(s: Session, ws: int, people: People) -> dict[int, Esc]:
    rules = {int(r.id): r for r in s.scalars(select(Rule).where(Rule.workspace_id == ws))}
    out: dict[int, Esc] = {}
    for esc in s.scalars(select(Escalation).where(
            Escalation.workspace_id == ws, Escalation.state.in_(
                [EscalationState.OPEN, EscalationState.ACKNOWLEDGED]))):
        rule = rules.get(int(esc.rule_id)) if esc.rule_id is not None else None
        ladder = list(rule.ladder_days or []) if rule else []
        e = Esc(int(esc.id), ladder if rule and rule.active else [], ladder,
                subject_unit(s, esc.subject_kind, esc.subject_id, people), int(esc.rung),
                (esc.escalated_at or esc.opened_at).date(),
                None if esc.assignee_id is None else int(esc.assignee_id), esc.snoozed_until)
        out[e.key] = e
    return out


# --- the quarter ----------------------------------------------------------------------


def test_a_quarter_of_the_schedule_with_two_workers_delivers_each_message_once_on_its_day(
        demo_file: Path, tmp_path: Path, clock: SimClock, smtp: tuple[Sink, int]) -> None:
    CACHE.clear()
    fs.clear()
    shutil.copy(demo_file, tmp_path / "demo.db")
    eng = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    factory = make_sessionmaker(eng)
    with unit_of_work(factory) as s:
        ws = s.scalars(select(Workspace)).one()
        ws.reminder_days = ",".join(map(str, REMINDER_DAYS))
        wid = int(ws.id)
        s.add(WebhookSubscription(workspace_id=wid, url="https://hooks.example/in",
                                  secret=SECRET, events=[]))
    with factory() as s:
        people = People.read(s, wid)
        before = escalations_at_start(s, wid, people)
        existed = {int(k) for k in s.scalars(select(Escalation.id))}
        reminders = expected_reminders(s, wid, people.active) + expected_review_mail(
            s, wid, people.active)
    sink, port = smtp
    receiver = Receiver(clock)
    transport = Transport(
        base_url="https://steerco.example",
        smtp=SmtpConfig("127.0.0.1", port, starttls=False, sender="steerco@example.com"),
        http=httpx.Client(transport=httpx.MockTransport(receiver.handler)))
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            tick(factory, clock, transport, name)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _ in range(DAYS):
        clock.advance(days=1)
        workers = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert errors == []
    with factory() as s:
        # Each daily job ran once per day, whichever worker claimed it.
        runs = Counter((r.job, r.period) for r in s.scalars(select(JobRun)))
        assert set(runs.values()) == {1}
        assert len(runs) == len(DAILY) * DAYS
        msgs = {int(m.id): m for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.workspace_id == wid))}
        by_email = {p.email: int(p.id) for p in s.scalars(select(Person).where(
            Person.workspace_id == wid))}

        def item(m: OutboxMessage, day: dt.date, person: int) -> Item:
            p = m.payload
            if m.kind == "escalation":
                return (day, person, f"escalation:{p['rung']}", p["escalation_id"])
            if m.kind == "review_pack":  # the new review's id is the jobs' to choose
                return (day, person, "review_pack", p["subject"])
            return (day, person, p["event"], p["subject"])

        openers: dict[int, tuple[dt.date, int, int]] = {}
        for m in sorted(msgs.values(), key=lambda m: m.id):
            if m.kind == "escalation":
                key = int(m.payload["escalation_id"][4:])
                openers.setdefault(key, (m.created_at.date(), int(m.payload["rung"]),
                                         by_email[m.recipient]))
        expected = sorted(reminders + expected_escalations(s, wid, before, existed, people,
                                                              openers))
        # The outbox: what the jobs wrote, on its day, to its person.
        written = sorted(item(m, m.created_at.date(), by_email[m.recipient])
                         for m in msgs.values() if m.recipient)
        assert written == expected
        assert len(set(expected)) == len(expected)
        kinds = Counter(what.split(":")[0] for _d, _p, what, _s in expected)
        assert {"checkin.due", "checkin.overdue", "milestone.approaching", "escalation",
                "decision.awaiting", "review_pack"} <= set(kinds), kinds
        # The inbox: each once, the day it was written.
        inbox = sorted(item(msgs[int(i.message_id)], i.created_at.date(), int(i.person_id))
                       for i in s.scalars(select(InboxItem).where(InboxItem.workspace_id == wid)))
        assert inbox == expected
    # E-mail: each once, on its day, to its person.
    mails = sorted(item(msgs[int(mid.split("msg_")[1].split("@")[0])], day, by_email[to])
                   for day, to, mid in sink.got)
    assert mails == expected
    # The webhook: every message (the status changes too) once.
    ids = receiver.ids()
    assert len(ids) == len(set(ids)) == len(msgs)
    eng.dispose()

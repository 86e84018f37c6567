"""The whole schedule on a simulated clock: the `s` demo (seed 7) for four weeks, ticked
every morning by two workers at once. Each daily job runs once per workspace day; every
check-in and milestone reminder goes out on the day the rules give, to the owner and
delegated updaters (the exact list, derived here from the data); escalations climb on
the days their ladder gives; every message reaches the inbox and a webhook once.

Four weeks, not a quarter, and `s`, not `m`: the ladder evaluates every finding of the
workspace each day (about two seconds on `s`), so a quarter would take minutes. Four
weeks cover every rung of the demo's ladders ([3, 7, 14] days)."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.enums import CADENCE_DAYS, Source
from steerco.db.migrate import upgrade
from steerco.db.models import (
    InboxItem,
    JobRun,
    Measurement,
    Metric,
    MetricUpdater,
    Milestone,
    OutboxMessage,
    Person,
    Rule,
    WebhookSubscription,
    Workspace,
)
from steerco.evidence.service import CACHE
from steerco.findings import service as fs
from steerco.jobs.delivery import Transport
from steerco.jobs.schedule import DAILY, tick
from steerco.kit.ids import format_id
from tests.jobs.conftest import SECRET, Receiver, SimClock

AS_OF = dt.date(2026, 11, 30)
DAYS = 28


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from steerco.demo import write_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    write_demo(eng, size="s", seed=7, as_of=AS_OF, slug="demo")
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


def _expected_reminders(s, ws: int, days: list[int]) -> list[tuple[dt.date, str, str, int]]:
    """(day, event, subject, person) of every check-in and milestone reminder the rules
    give over the simulation (no check-in arrives meanwhile)."""
    active = {int(k) for k in s.scalars(select(Person.id).where(
        Person.workspace_id == ws, Person.active.is_(True)))}
    out = []
    first, last_day = AS_OF + dt.timedelta(days=1), AS_OF + dt.timedelta(days=DAYS)
    for m in s.scalars(select(Metric).where(Metric.workspace_id == ws, Metric.source.in_(
            [Source.MANUAL, Source.IMPORT]))):
        last = max([d for d in s.scalars(select(Measurement.as_of).where(
            Measurement.metric_id == m.id))], default=m.baseline_date)
        if last >= m.target_date:
            continue
        due = last + dt.timedelta(days=CADENCE_DAYS[m.cadence])
        updaters = s.scalars(select(MetricUpdater.person_id).where(
            MetricUpdater.metric_id == m.id))
        people = [m.owner_id, *sorted(int(p) for p in updaters if p != m.owner_id)]
        for day, event in [(due - dt.timedelta(days=d), "checkin.due") for d in days] + [
                (due, "checkin.due"), (due + dt.timedelta(days=1), "checkin.overdue")]:
            if first <= day <= last_day:
                out += [(day, event, format_id("metric", m.id), p) for p in people
                        if p in active]
    for ms in s.scalars(select(Milestone).where(Milestone.workspace_id == ws,
                                                Milestone.completed_on.is_(None),
                                                Milestone.evidence_url.is_(None))):
        from steerco.db.models import Initiative

        owner = ms.owner_id or s.get(Initiative, ms.initiative_id).owner_id
        for d in [*days, 0]:
            day = ms.due_date - dt.timedelta(days=d)
            if first <= day <= last_day and owner in active:
                out.append((day, "milestone.approaching", format_id("milestone", ms.id),
                            owner))
    return sorted(out)


def test_four_weeks_of_the_schedule_with_two_workers_happen_once_on_the_expected_days(
        demo_file: Path, tmp_path: Path) -> None:
    CACHE.clear()
    fs.clear()
    shutil.copy(demo_file, tmp_path / "demo.db")
    eng = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    factory = make_sessionmaker(eng)
    with unit_of_work(factory) as s:
        ws = s.scalars(select(Workspace)).one()
        ws.reminder_days = "3,1"
        wid, _tz = int(ws.id), ws.time_zone
        s.add(WebhookSubscription(workspace_id=wid, url="https://hooks.example/in",
                                  secret=SECRET, events=[]))
    clock = SimClock(dt.datetime.combine(AS_OF, dt.time(7), tzinfo=dt.UTC))
    receiver = Receiver(clock)
    import httpx

    transport = Transport(http=httpx.Client(transport=httpx.MockTransport(receiver.handler)))
    for _ in range(DAYS):
        clock.advance(days=1)
        workers = [threading.Thread(target=tick, args=(factory, clock, transport, f"w{i}"))
                   for i in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    with factory() as s:
        runs = Counter((r.job, r.period) for r in s.scalars(select(JobRun)))
        assert set(runs.values()) == {1}
        assert len(runs) == len(DAILY) * DAYS
        msgs = list(s.scalars(select(OutboxMessage).where(OutboxMessage.workspace_id == wid)
                              .order_by(OutboxMessage.id)))
        assert all(m.sent_at is not None for m in msgs)
        # Every message fanned out on the day it was written (by the same morning's tick).
        assert all(m.sent_at.date() == m.created_at.date() for m in msgs)
        people = {p.email: int(p.id) for p in s.scalars(select(Person).where(
            Person.workspace_id == wid))}
        got = sorted((m.created_at.date(), m.payload["event"], m.payload["subject"],
                      people[m.recipient]) for m in msgs if m.kind == "reminder"
                     and m.payload["event"] != "decision.awaiting")
        assert got == _expected_reminders(s, wid, [3, 1])
        assert len(got) > 50
        # Escalations climb on the days their rule's ladder gives.
        ladders = {int(r.id): r.ladder_days for r in s.scalars(select(Rule))}
        steps: dict[str, list[tuple[int, dt.date]]] = {}
        rules: dict[str, int] = {}
        for m in msgs:
            if m.kind == "escalation":
                steps.setdefault(m.payload["escalation_id"], []).append(
                    (m.payload["rung"], m.created_at.date()))
                rules[m.payload["escalation_id"]] = int(m.payload["rule_id"][4:])
        climbed = 0
        for esc, seq in steps.items():
            ladder = ladders[rules[esc]]
            for (r0, d0), (r1, d1) in itertools.pairwise(seq):
                assert r1 > r0
                assert (d1 - d0).days == sum(ladder[r0:r1]), (esc, seq, ladder)
                climbed += 1
        assert climbed > 0
        # Everything with a person reached their inbox once; the webhook got each once.
        inbox = Counter(i.message_id for i in s.scalars(select(InboxItem)))
        assert set(inbox.values()) == {1}
        assert len(inbox) == sum(1 for m in msgs if m.recipient in people)
    ids = receiver.ids()
    assert len(ids) == len(set(ids)) == len(msgs)
    eng.dispose()


def test_the_day_boundary_is_the_workspaces_time_zone(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'tz.db'}")
    upgrade(eng)
    factory = make_sessionmaker(eng)
    with unit_of_work(factory) as s:
        s.add(Workspace(slug="kiwi", name="Kiwi", time_zone="Pacific/Auckland"))
    from steerco.jobs.schedule import run_daily

    # 16:00 UTC on 1 December is 05:00 on 2 December in Auckland: too early.
    assert run_daily(factory, dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC), "w") == {}
    # 18:00 UTC is 07:00 on 2 December there: the jobs of 2 December run.
    done = run_daily(factory, dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC), "w")
    assert set(done) == {f"kiwi:{j.name}" for j in DAILY}
    with factory() as s:
        assert {r.period for r in s.scalars(select(JobRun))} == {"2026-12-02"}
    eng.dispose()

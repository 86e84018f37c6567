"""E-mail over SMTP to a local aiosmtpd server: plain-text and HTML bodies that name
the thing, link to its page and say what to do; preferences (muted events, the daily
digest, quiet hours) decide when and whether."""

from __future__ import annotations

import datetime as dt
import email
from typing import Any

from sqlalchemy import select

from steerco.db.engine import unit_of_work
from steerco.db.models import Delivery, InboxItem, NotificationPref
from steerco.jobs.delivery import SmtpConfig, Transport, deliver
from steerco.jobs.schedule import run_daily
from tests.jobs.conftest import Db, SimClock, queue
from tests.servers import MailSink, mail_parts


def _transport(port: int) -> Transport:
    return Transport(base_url="https://steerco.acme.example",
                     smtp=SmtpConfig("127.0.0.1", port, starttls=False,
                                     sender="steerco@acme.example"))


def test_an_email_names_the_thing_links_to_it_and_says_what_to_do(
        db: Db, clock: SimClock, smtp: tuple[MailSink, int]) -> None:
    sink, port = smtp
    keys = queue(db, 1, clock.now, recipient="alice@acme.example")
    deliver(db.factory, _transport(port), clock)
    assert len(sink.messages) == 1
    msg = sink.messages[0]
    assert msg["To"] == "alice@acme.example"
    assert msg["Subject"] == "Check-in on Revenue 0 due today"
    assert f"msg_{keys[0]}" in msg["Message-ID"]
    parts = mail_parts(msg)
    assert "Hello Alice Example" in parts["text/plain"]
    assert "What to do: Check in on Revenue." in parts["text/plain"]
    assert "https://steerco.acme.example/metrics/met_1" in parts["text/plain"]
    assert '<a href="https://steerco.acme.example/metrics/met_1">' in parts["text/html"]
    deliver(db.factory, _transport(port), clock)
    assert len(sink.messages) == 1  # sent once


def test_a_muted_event_reaches_neither_email_nor_inbox(
        db: Db, clock: SimClock, smtp: tuple[MailSink, int]) -> None:
    sink, port = smtp
    with unit_of_work(db.factory) as s:
        s.add(NotificationPref(workspace_id=db.ws, person_id=db.alice,
                               events=["escalation.opened"]))
    queue(db, 1, clock.now, recipient="alice@acme.example")
    deliver(db.factory, _transport(port), clock)
    assert sink.messages == []
    with db.factory() as s:
        assert list(s.scalars(select(InboxItem))) == []


def test_the_daily_digest_gathers_a_day_into_one_email(
        db: Db, clock: SimClock, smtp: tuple[MailSink, int]) -> None:
    sink, port = smtp
    with unit_of_work(db.factory) as s:
        s.add(NotificationPref(workspace_id=db.ws, person_id=db.alice, email="digest"))
    clock.now = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)  # 05:00 in Berlin
    queue(db, 3, clock.now, recipient="alice@acme.example")
    deliver(db.factory, _transport(port), clock)
    assert sink.messages == []
    clock.now = dt.datetime(2026, 12, 1, 5, 30, tzinfo=dt.UTC)  # 06:30 in Berlin
    run_daily(db.factory, clock.now, "w1")
    deliver(db.factory, _transport(port), clock)
    assert len(sink.messages) == 1
    plain = mail_parts(sink.messages[0])["text/plain"]
    assert sink.messages[0]["Subject"].startswith("Your steerco digest for 2026-12-01: 3 ")
    assert plain.count("Check-in on Revenue") == 3
    run_daily(db.factory, clock.now, "w2")
    deliver(db.factory, _transport(port), clock)
    assert len(sink.messages) == 1


def test_quiet_hours_hold_an_email_until_they_end(
        db: Db, clock: SimClock, smtp: tuple[MailSink, int]) -> None:
    sink, port = smtp
    with unit_of_work(db.factory) as s:
        s.add(NotificationPref(workspace_id=db.ws, person_id=db.alice, quiet_start=20,
                               quiet_end=7))
    clock.now = dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)  # 22:00 in Berlin
    queue(db, 1, clock.now, recipient="alice@acme.example")
    deliver(db.factory, _transport(port), clock)
    assert sink.messages == []
    with db.factory() as s:
        d = s.scalars(select(Delivery)).one()
        assert d.next_attempt_at.replace(tzinfo=dt.UTC) == dt.datetime(
            2026, 12, 2, 6, 0, tzinfo=dt.UTC)  # 07:00 in Berlin
    clock.now = dt.datetime(2026, 12, 2, 6, 1, tzinfo=dt.UTC)
    deliver(db.factory, _transport(port), clock)
    assert len(sink.messages) == 1


def test_without_an_smtp_server_mail_goes_to_a_folder_one_file_per_message(
        db: Db, clock: SimClock, tmp_path: Any) -> None:
    from steerco.jobs.delivery import Transport as T
    from steerco.settings import Settings

    folder = tmp_path / "mail"
    transport = T.from_settings(Settings(smtp_host="", mail_dir=str(folder),
                                         base_url="http://127.0.0.1:8000"))
    keys = queue(db, 2, clock.now, recipient="alice@acme.example")
    assert deliver(db.factory, transport, clock)["sent"] == 2
    files = sorted(folder.glob("*.eml"))
    assert [f.name for f in files] == [f"steerco-msg_{k}.eml" for k in keys]
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["To"] == "alice@acme.example"
    assert "http://127.0.0.1:8000/metrics/met_1" in mail_parts(msg)["text/plain"]
    # neither SMTP host nor folder: no e-mail deliveries at all (the inbox still gets it)
    assert T.from_settings(Settings(smtp_host="", mail_dir="")).smtp is None


def test_every_email_carries_its_send_date_and_a_message_id(
        db: Db, clock: SimClock, smtp: tuple[MailSink, int], tmp_path: Any) -> None:
    from email.utils import parsedate_to_datetime

    from steerco.jobs.delivery import Transport as T
    from steerco.settings import Settings

    sink, port = smtp
    queue(db, 1, clock.now, recipient="alice@acme.example")
    clock.advance(minutes=5)  # sent later than queued: the Date is the send time
    deliver(db.factory, _transport(port), clock)
    (msg,) = sink.messages
    assert parsedate_to_datetime(msg["Date"]) == clock.now
    assert msg["Message-ID"].startswith("<steerco-msg_")
    folder = tmp_path / "mail"
    transport = T.from_settings(Settings(smtp_host="", mail_dir=str(folder),
                                         base_url="http://127.0.0.1:8000"))
    queue(db, 1, clock.now, recipient="alice@acme.example")
    clock.advance(hours=1)
    deliver(db.factory, transport, clock)
    (file,) = folder.glob("*.eml")
    msg = email.message_from_bytes(file.read_bytes())
    assert parsedate_to_datetime(msg["Date"]) == clock.now
    assert msg["Message-ID"]


def test_a_dependency_escalations_subject_keeps_its_title_and_stays_short(
        db: Db, clock: SimClock, smtp: tuple[MailSink, int]) -> None:
    sink, port = smtp
    name = ("Dependency: Replatform the customer data warehouse onto the shared lakehouse "
            "→ Launch the loyalty programme personalisation engine in all markets")
    with unit_of_work(db.factory) as s:
        from steerco.db.models import OutboxMessage
        s.add(OutboxMessage(workspace_id=db.ws, kind="escalation",
                            recipient="alice@acme.example", created_at=clock.now, payload={
                                "escalation_id": "esc_7", "rung": 0,
                                "signal_kind": "broken_dependency", "subject_id": "dep_3",
                                "subject_name": name, "summary": "the dependency slipped"}))
    deliver(db.factory, _transport(port), clock)
    (msg,) = sink.messages
    import email.policy
    subject = str(email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)[
        "Subject"])
    assert len(subject) <= 100, subject
    assert subject.startswith("Escalation opened on Dependency: Replatform the customer")
    assert subject.endswith("for you as its owner: broken dependency")
    assert "…" in subject
    # The body still names it in full.
    assert name in mail_parts(msg)["text/plain"]

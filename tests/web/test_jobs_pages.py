"""The jobs admin page and the inbox: the header counts unread notifications, My work
lists them by title and "Mark all read" clears the count; admins see every job and the
deliveries that gave up, and "Resend" queues one again; others are refused."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Delivery, Metric, OutboxMessage, Person, WebhookSubscription
from steerco.jobs.delivery import Transport, deliver
from steerco.kit import clock
from tests.web.test_pages_status import HTML, Demo, _client, _csrf


def _factory(demo: Demo):  # type: ignore[no-untyped-def]
    return make_sessionmaker(demo.app.state.engine)


def test_the_inbox_counts_unread_in_the_header_and_lists_them_in_my_work(demo: Demo) -> None:
    f = _factory(demo)
    with unit_of_work(f) as s:
        owner = s.scalar(select(Metric.owner_id).where(Metric.id == demo.metric))
        email = s.scalar(select(Person.email).where(Person.id == owner))
        ws = s.scalar(select(Metric.workspace_id).where(Metric.id == demo.metric))
        s.add(OutboxMessage(workspace_id=ws, kind="reminder", recipient=email,
                            created_at=clock.now(), payload={
                                "event": "checkin.due", "subject": f"met_{demo.metric}",
                                "title": "Check-in on Zebra crossings due today",
                                "path": f"/metrics/met_{demo.metric}#checkin"}))
    deliver(f, Transport(), clock.now)
    c = _client(demo, "owner")
    r = c.get("/my-work", headers=HTML)
    assert r.status_code == 200
    assert re.search(r"aria-label=\"(\d+) unread in your inbox\"", r.text)
    assert "Check-in on Zebra crossings due today" in r.text
    assert f'href="/metrics/met_{demo.metric}#checkin"' in r.text
    r = c.post("/inbox/read", data={"csrf_token": _csrf(r.text)})
    assert r.status_code == 303
    r = c.get("/my-work", headers=HTML)
    assert "unread" not in r.text
    assert "Check-in on Zebra crossings due today" in r.text


def test_admins_see_jobs_and_resend_a_delivery_that_gave_up(demo: Demo) -> None:
    f = _factory(demo)
    with unit_of_work(f) as s:
        ws = s.scalar(select(Metric.workspace_id).where(Metric.id == demo.metric))
        sub = WebhookSubscription(workspace_id=ws, url="https://hooks.example/gone",
                                  secret="x", events=[])
        msg = OutboxMessage(workspace_id=ws, kind="decision", recipient="",
                            created_at=clock.now(), sent_at=clock.now(),
                            payload={"title": "Ann decided (stop) on Zebra crossings"})
        s.add_all([sub, msg])
        s.flush()
        d = Delivery(workspace_id=ws, message_id=msg.id, channel="webhook",
                     target=f"webhook:{sub.id}", subscription_id=sub.id, state="failed",
                     attempts=30, next_attempt_at=clock.now(), created_at=clock.now()
                     - dt.timedelta(days=1), last_error="HTTP 503: down")
        s.add(d)
        s.flush()
        key = int(d.id)
    c = _client(demo, "strategy_office")
    r = c.get("/admin/jobs", headers=HTML)
    assert r.status_code == 200
    for text in ("Escalate", "Reminders", "Deliver", "https://hooks.example/gone",
                 "HTTP 503: down", "Resend"):
        assert text in r.text, text
    r = c.post(f"/admin/jobs/deliveries/{key}/resend", data={"csrf_token": _csrf(r.text)})
    assert r.status_code == 303
    assert "Delivery" in c.get(r.headers["location"], headers=HTML).text
    with f() as s:
        assert s.get(Delivery, key).state == "pending"
    assert _client(demo, "viewer").get("/admin/jobs", headers=HTML).status_code == 403


def test_a_person_sets_their_notification_preferences_and_a_bad_one_is_named(
        demo: Demo) -> None:
    from fastapi.testclient import TestClient

    from tests.web.test_pages_status import PASSWORD

    c = TestClient(demo.app)
    r = c.post("/api/v1/auth/login", json={"login": demo.logins["viewer"],
                                           "password": PASSWORD})
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    assert c.get("/api/v1/me/notification-preferences").json() == {
        "events": None, "email": "immediate", "quiet_start": None, "quiet_end": None}
    want = {"events": ["escalation.opened", "checkin.due"], "email": "digest",
            "quiet_start": 20, "quiet_end": 7}
    r = c.put("/api/v1/me/notification-preferences", json=want, headers=csrf)
    assert r.status_code == 200, r.text
    assert c.get("/api/v1/me/notification-preferences").json() == want
    r = c.put("/api/v1/me/notification-preferences", json={**want, "events": ["lunch"]},
              headers=csrf)
    assert r.status_code == 422
    assert "'lunch' is not an event type" in r.text
    r = c.put("/api/v1/me/notification-preferences", json={**want, "quiet_end": 24},
              headers=csrf)
    assert r.status_code == 422 and "quiet_end" in r.text
    body = c.get("/api/v1/me/notifications").json()
    assert set(body) == {"unread", "items"}

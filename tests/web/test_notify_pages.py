"""Webhook subscriptions on the admin jobs page (add with the secret shown once, pause,
remove; bad URL and no event type named in place) and a person's notification
preferences page (which events, e-mail at once or as a digest, quiet hours)."""

from __future__ import annotations

from sqlalchemy import select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import NotificationPref, WebhookSubscription
from tests.web.test_pages_status import HTML, Demo, _client, _csrf


def _subs(demo: Demo) -> list[WebhookSubscription]:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        rows = list(s.scalars(select(WebhookSubscription).where(
            WebhookSubscription.url.like("https://hooks.acme.example/%"))))
        s.expunge_all()
        return rows


def test_an_admin_adds_pauses_and_removes_a_webhook_in_the_browser(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    page = c.get("/admin/jobs", headers=HTML)
    assert 'name="events" value="import.finished"' in page.text
    csrf = _csrf(page.text)
    r = c.post("/admin/jobs/webhooks", data={"csrf_token": csrf, "url": "hooks.acme/x",
                                             "events": ["status.changed"]}, headers=HTML)
    assert r.status_code == 422
    assert "“hooks.acme/x” is not a web address" in r.text
    assert 'value="hooks.acme/x"' in r.text  # the input is kept
    assert 'value="status.changed" checked' in r.text
    r = c.post("/admin/jobs/webhooks", data={"csrf_token": csrf,
                                             "url": "https://hooks.acme.example/a"},
               headers=HTML)
    assert r.status_code == 422 and "Choose at least one event type" in r.text
    assert _subs(demo) == []
    r = c.post("/admin/jobs/webhooks", data={
        "csrf_token": csrf, "url": "https://hooks.acme.example/a",
        "events": ["status.changed", "import.finished"]}, headers=HTML)
    assert r.status_code == 201
    (sub,) = _subs(demo)
    assert sub.events == ["status.changed", "import.finished"] and sub.active
    assert f"<code id=\"new-secret\">{sub.secret}</code>" in r.text
    page = c.get("/admin/jobs", headers=HTML)
    assert sub.secret not in page.text  # shown once
    assert "status.changed, import.finished" in page.text
    r = c.post(f"/admin/jobs/webhooks/{sub.id}/pause", data={"csrf_token": csrf})
    assert r.status_code == 303
    assert "https://hooks.acme.example/a paused" in c.get(r.headers["location"],
                                                          headers=HTML).text
    assert not _subs(demo)[0].active
    r = c.post(f"/admin/jobs/webhooks/{sub.id}/remove", data={"csrf_token": csrf})
    assert r.status_code == 303 and _subs(demo) == []
    assert c.post("/admin/jobs/webhooks/999999/pause", data={"csrf_token": csrf},
                  headers=HTML).status_code == 404
    viewer = _client(demo, "viewer")
    vcsrf = _csrf(viewer.get("/my-work", headers=HTML).text)
    assert viewer.post("/admin/jobs/webhooks", data={
        "csrf_token": vcsrf, "url": "https://hooks.acme.example/b",
        "events": ["status.changed"]}, headers=HTML).status_code == 403
    assert _subs(demo) == []


def test_a_person_sets_notification_preferences_in_the_browser(demo: Demo) -> None:
    c = _client(demo, "owner")
    page = c.get("/my-work/notifications", headers=HTML)
    assert page.status_code == 200
    assert 'value="immediate" checked' in page.text
    csrf = _csrf(page.text)
    r = c.post("/my-work/notifications", data={
        "csrf_token": csrf, "events": ["escalation.opened"], "email": "digest",
        "quiet_start": "25", "quiet_end": "7"}, headers=HTML)
    assert r.status_code == 422
    assert "“25” is not an hour" in r.text
    assert 'value="digest" checked' in r.text and 'value="25"' in r.text
    r = c.post("/my-work/notifications", data={
        "csrf_token": csrf, "events": ["escalation.opened"], "email": "digest",
        "quiet_start": "20", "quiet_end": ""}, headers=HTML)
    assert r.status_code == 422 and "need both a start and an end" in r.text
    r = c.post("/my-work/notifications", data={
        "csrf_token": csrf, "events": ["escalation.opened", "checkin.due"],
        "email": "digest", "quiet_start": "20", "quiet_end": "7"})
    assert r.status_code == 303
    assert "Saved" in c.get(r.headers["location"], headers=HTML).text
    saved = c.get("/my-work/notifications", headers=HTML).text
    assert 'value="checkin.due" checked' in saved and 'value="20"' in saved
    assert 'value="decision.recorded" checked' not in saved
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        prefs = [(p.events, p.email, p.quiet_start, p.quiet_end)
                 for p in s.scalars(select(NotificationPref))]
    assert prefs == [(["escalation.opened", "checkin.due"], "digest", 20, 7)]
    assert 'href="/my-work/notifications"' in c.get("/my-work", headers=HTML).text

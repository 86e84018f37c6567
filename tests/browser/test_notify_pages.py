"""Webhook subscriptions on the admin jobs page and the notification preferences page in
a browser: errors named in place, the secret shown once, no console error, no serious
accessibility violation, screenshots at desktop and tablet size."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import TABLET, World, axe_violations, login, shot


def test_an_admin_adds_and_removes_a_webhook(browser: Any, world: World, office: Any) -> None:
    pg = office.page()
    pg.goto("/admin/jobs")
    pg.fill("#hook-url", "hooks.acme.example/steerco")
    pg.get_by_label("status.changed").check()
    pg.get_by_role("button", name="Add webhook").click()
    err = pg.locator("#err-hook-url")
    assert "is not a web address" in err.inner_text()
    assert pg.locator("#hook-url").input_value() == "hooks.acme.example/steerco"
    assert pg.get_by_label("status.changed").is_checked()
    assert axe_violations(pg) == []
    shot(pg, "admin-webhook-error")
    pg.fill("#hook-url", "https://hooks.acme.example/steerco")
    pg.get_by_label("status.changed").uncheck()
    pg.get_by_role("button", name="Add webhook").click()
    assert "Choose at least one event type" in pg.locator("#err-hook-events").inner_text()
    pg.get_by_label("status.changed").check()
    pg.get_by_label("import.finished").check()
    pg.get_by_role("button", name="Add webhook").click()
    secret = pg.locator("#new-secret").inner_text()
    assert len(secret) == 48
    assert axe_violations(pg) == []
    shot(pg, "admin-webhook-added")
    pg.goto("/admin/jobs")
    assert secret not in pg.content()
    pg.get_by_role("button", name="Pause the webhook to https://hooks.acme.example/steerco").click()
    assert "paused" in pg.locator("#hooks .notice").inner_text()
    tablet = login(browser, world, "strategy_office", TABLET)
    tp = tablet.page()
    tp.goto("/admin/jobs#hooks")
    shot(tp, "admin-webhook-added")
    assert tablet.errors == []
    tablet.context.close()
    pg.get_by_role("button", name="Remove the webhook to https://hooks.acme.example/steerco").click()
    assert "removed" in pg.locator("#hooks .notice").inner_text()
    assert pg.get_by_text("No webhook yet").count() == 1
    assert office.errors == []


def test_a_person_sets_notification_preferences(browser: Any, world: World,
                                                owner: Any) -> None:
    pg = owner.page()
    pg.goto("/my-work")
    pg.get_by_role("link", name="Notification preferences").click()
    pg.wait_for_url("**/my-work/notifications")
    assert pg.locator("h1").inner_text() == "Your notifications"
    assert axe_violations(pg) == []
    shot(pg, "notification-preferences")
    pg.get_by_label("Decision recorded").uncheck()
    pg.get_by_label("One e-mail a day (the daily digest)").check()
    pg.fill("#q-start", "20")
    pg.get_by_role("button", name="Save preferences").click()
    assert "need both a start and an end" in pg.locator("#err-quiet_end").inner_text()
    assert pg.locator("#q-start").input_value() == "20"
    assert not pg.get_by_label("Decision recorded").is_checked()
    assert axe_violations(pg) == []
    shot(pg, "notification-preferences-error")
    pg.fill("#q-end", "7")
    pg.get_by_role("button", name="Save preferences").click()
    pg.wait_for_url("**/my-work/notifications?saved=1")
    assert "Saved" in pg.locator(".notice").inner_text()
    assert pg.get_by_label("One e-mail a day (the daily digest)").is_checked()
    assert not pg.get_by_label("Decision recorded").is_checked()
    tablet = login(browser, world, "owner", TABLET)
    tp = tablet.page()
    tp.goto("/my-work/notifications")
    shot(tp, "notification-preferences")
    assert tablet.errors == []
    tablet.context.close()
    assert owner.errors == []

"""Jobs and deliveries (admin) and the inbox in a browser: no console error, no serious
accessibility violation, screenshots at desktop and tablet size."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import TABLET, World, axe_violations, login, shot


def _seed_inbox(world: World) -> None:
    from sqlalchemy import select

    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.db.models import Metric, OutboxMessage, Person
    from steerco.jobs.delivery import Transport, deliver
    from steerco.kit import clock

    engine = make_engine(world.database)
    f = make_sessionmaker(engine)
    with unit_of_work(f) as s:
        owner = s.scalar(select(Metric.owner_id).where(Metric.id == world.metric))
        email = s.scalar(select(Person.email).where(Person.id == owner))
        name = s.scalar(select(Metric.name).where(Metric.id == world.metric))
        s.add(OutboxMessage(workspace_id=world.ws, kind="reminder", recipient=email,
                            created_at=clock.now(), payload={
                                "event": "checkin.due", "subject": f"met_{world.metric}",
                                "title": f"Check-in on {name} due in 3 days",
                                "path": f"/metrics/met_{world.metric}#checkin"}))
    deliver(f, Transport(), clock.now)
    engine.dispose()


def test_the_jobs_page_and_the_inbox_render_cleanly(browser: Any, world: World,
                                                     office: Any, owner: Any) -> None:
    _seed_inbox(world)
    pg = office.page()
    pg.goto("/admin/jobs")
    assert pg.locator("h1").inner_text() == "Jobs and deliveries"
    assert pg.get_by_text("Escalate", exact=True).count() == 1
    assert axe_violations(pg) == []
    shot(pg, "admin-jobs")
    tablet = login(browser, world, "strategy_office", TABLET)
    tp = tablet.page()
    tp.goto("/admin/jobs")
    shot(tp, "admin-jobs")
    assert tablet.errors == []
    tablet.context.close()
    me = owner.page()
    me.goto("/my-work")
    assert "1 unread" in (me.locator("header .badge").get_attribute("aria-label") or "")
    assert me.locator("#h-inbox").is_visible()
    assert axe_violations(me) == []
    shot(me, "my-work-inbox")
    tablet = login(browser, world, "owner", TABLET)
    tp = tablet.page()
    tp.goto("/my-work")
    assert tp.locator("#h-inbox").is_visible()
    shot(tp, "my-work-inbox")
    assert tablet.errors == []
    tablet.context.close()
    me.get_by_role("button", name="Mark all read").click()
    me.wait_for_url("**/my-work#h-inbox")
    assert me.locator("header .badge").count() == 0
    assert office.errors == [] and owner.errors == []

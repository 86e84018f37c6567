"""Every demo login: nothing My work offers is then refused to the same person.

My work offers "Check in" on the metrics a person owns; owning a metric allows checking in
on it whatever the role (steerco.http.auth). The metric page must then show the form, not
the refusal, and the API must not answer 403 for the same person and metric.
"""

from __future__ import annotations

from typing import Any

from steerco.accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import World, login


def _offered(page: Any) -> list[str]:
    """Every metric My work offers a check-in on, over all pages of the list."""
    found: list[str] = []
    n = 1
    while True:
        page.goto(f"/my-work?cpage={n}")
        links = page.locator("section[aria-labelledby=h-checkins] a.btn")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        new = [h.split("#")[0].rsplit("/", 1)[-1] for h in hrefs if h]
        if not new or set(new) <= set(found):
            return found
        found += new
        n += 1


def test_each_demo_role_may_do_what_my_work_offers_it(browser: Any, world: World) -> None:
    assert {role for _, role in world.demo} >= {"executive", "controller", "owner", "admin",
                                                "strategy_office", "viewer"}
    offered_to: dict[str, int] = {}
    for login_name, role in world.demo:
        sess = login(browser, world, role, as_login=login_name, password=DEMO_PASSWORD)
        page = sess.page()
        metrics = _offered(page)
        offered_to[role] = len(metrics)
        csrf = page.evaluate(
            "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
        for mid in metrics:
            page.goto(f"/metrics/{mid}")
            assert page.locator("#checkin-form").count() == 1, f"{role}: {mid} refused"
            assert page.locator("#checkin-refused").count() == 0
            # The API agrees: authorised (then refused for the made-up correction, 404/422),
            # never 403. Nothing is written.
            resp = page.request.post("/api/v1/checkins", headers={"X-CSRF-Token": csrf},
                                     data={"items": [{"metric_id": mid, "value": 1.0,
                                                      "as_of": "2026-01-05",
                                                      "supersedes_id": "mea_999999999"}]})
            assert resp.status in (404, 422), f"{role}: {mid} → {resp.status} {resp.text()}"
        assert sess.errors == []
        sess.context.close()
    # The demo's owner owns metrics (My work has something to offer).
    assert offered_to["owner"] > 0

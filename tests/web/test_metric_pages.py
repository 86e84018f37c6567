"""Metric authoring pages keep the API's rules: a viewer changes nothing, the owner
(no admin) voids its own check-in but cannot change the definition or the plan."""

from __future__ import annotations

from tests.web.test_corrections import _wrong_checkin
from tests.web.test_pages_status import HTML, Demo, _client, _csrf


def test_a_viewer_neither_creates_nor_edits_metrics_nor_voids(demo: Demo) -> None:
    c = _client(demo, "viewer")
    assert c.get("/metrics/new", headers=HTML).status_code == 403
    assert c.get(f"/metrics/met_{demo.metric}/edit", headers=HTML).status_code == 403
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    assert "/voids/" not in page.text and 'id="edit-metric"' not in page.text
    r = c.post(f"/metrics/met_{demo.metric}/plan", headers=HTML,
               data={"csrf_token": _csrf(page.text), "paste": "2026-12-31\t1"})
    assert r.status_code == 403


def test_the_owner_voids_but_cannot_change_the_plan(demo: Demo) -> None:
    c, mea = _wrong_checkin(demo)
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    link = f"/metrics/met_{demo.metric}/voids/{mea}"
    assert f'href="{link}"' in page.text
    r = c.post(f"/metrics/met_{demo.metric}/plan", headers=HTML,
               data={"csrf_token": _csrf(page.text), "paste": "2026-12-31\t1"})
    assert r.status_code == 403
    form = c.get(link, headers=HTML)
    r = c.post(link, headers=HTML, data={"csrf_token": _csrf(form.text), "reason": ""})
    assert r.status_code == 422 and 'id="err-reason"' in r.text
    r = c.post(link, headers=HTML, data={"csrf_token": _csrf(form.text),
                                         "reason": "typo: 1e20"})
    assert r.status_code == 303, r.text
    history = c.get(r.headers["location"].split("#")[0], headers=HTML).text
    assert f'data-voided="{mea}"' in history and ": typo: 1e20" in history
    assert "voided by " in history
    again = c.post(link, headers=HTML, data={"csrf_token": _csrf(form.text),
                                             "reason": "twice"})
    assert again.status_code == 422 and "voided already" in again.text


def test_the_strategy_office_sets_and_runs_a_sql_feed_on_the_edit_page(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    edit = f"/metrics/met_{demo.metric}/edit"
    page = c.get(edit, headers=HTML)
    assert page.status_code == 200 and 'id="h-feed"' in page.text
    secret = "Sup3r-s3cret-pw"
    url = f"postgresql+psycopg://feeder:{secret}@127.0.0.1:1/sales"  # nothing listens
    r = c.post(f"/metrics/met_{demo.metric}/feed", headers=HTML, data={
        "csrf_token": _csrf(page.text), "feed_url": url, "feed_query": "DELETE FROM sales"})
    assert r.status_code == 422 and 'id="err-feed_query"' in r.text
    assert "starts with &#39;DELETE&#39;" in r.text or "starts with 'DELETE'" in r.text
    assert "DELETE FROM sales</textarea>" in r.text and secret not in r.text
    r = c.post(f"/metrics/met_{demo.metric}/feed", headers=HTML, data={
        "csrf_token": _csrf(page.text), "feed_url": url,
        "feed_query": "SELECT day, amount FROM sales"})
    assert r.status_code == 303, r.text
    r = c.post(f"/metrics/met_{demo.metric}/feed/run", headers=HTML,
               data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303
    shown = c.get(edit, headers=HTML).text
    assert "feeder:***@127.0.0.1:1/sales" in shown and "Last error" in shown
    assert "Connection refused" in shown and secret not in shown
    r = c.post(f"/metrics/met_{demo.metric}/feed/remove", headers=HTML,
               data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303
    assert "Checked in by hand" in c.get(edit, headers=HTML).text

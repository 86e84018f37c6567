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

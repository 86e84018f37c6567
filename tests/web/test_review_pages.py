"""The review pages: names, not ids; the agenda generated from the page; meeting mode
refused to whom the API refuses it; the pack downloaded from the review's page."""

from __future__ import annotations

from tests.web.test_names_not_ids import raw_ids
from tests.web.test_pages_status import HTML, Demo, _client, _csrf


def test_the_strategy_office_generates_an_agenda_and_reads_it_by_names(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    listing = c.get("/reviews", headers=HTML)
    assert listing.status_code == 200 and "<h1>Reviews</h1>" in listing.text
    assert raw_ids(listing.text) == []
    page = c.get("/reviews/rev_1", headers=HTML)
    assert page.status_code == 200
    r = c.post("/reviews/rev_1/agenda", headers=HTML, data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303
    for path in ("/reviews/rev_1", "/reviews/rev_1/meeting"):
        r = c.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert raw_ids(r.text) == [], path
    pack = c.get("/reviews/rev_1/pack", headers=HTML)
    assert pack.status_code == 200 and pack.headers["content-type"].startswith("text/html")


def test_a_viewer_reads_a_review_but_may_not_run_its_meeting(demo: Demo) -> None:
    c = _client(demo, "viewer")
    page = c.get("/reviews/rev_1", headers=HTML)
    assert page.status_code == 200 and 'id="meeting-mode"' not in page.text
    assert c.get("/reviews/rev_1/meeting", headers=HTML).status_code == 403
    r = c.post("/reviews/rev_1/meeting/close", headers=HTML,
               data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 403

"""What a newcomer read on the pages: agenda lines, flashes and the reviews list name
things by title, never by a raw id."""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Dependency, Metric, Review
from steerco.views.labels import labels_of
from tests.web.test_names_not_ids import raw_ids
from tests.web.test_pages_status import HTML, Demo, _client


def test_coming_reviews_and_the_review_pages_name_agenda_items_by_title(demo: Demo) -> None:
    engine = demo.app.state.engine
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        m = s.get(Metric, demo.metric)
        ws = m.workspace_id
        dep = s.scalars(select(Dependency).where(Dependency.workspace_id == ws)).first()
        pids = [f"met_{m.id}", f"dep_{dep.id}"]
        names = labels_of(s, ws, pids)
        review = s.scalars(select(Review).where(Review.workspace_id == ws,
                                                Review.closed_at.is_(None))).first()
        review.scheduled_for = dt.date.today() + dt.timedelta(days=2)
        rid = review.id
        # An agenda stored before its items were labelled: the title is the raw id.
        review.agenda = [{"key": p, "type": "escalation", "title": p, "link": None,
                          "subject_kind": k, "subject_id": p, "reasons": ["Decision"],
                          "rung": 0, "signal_kind": "off_track", "summary": "Act now"}
                         for p, k in zip(pids, ["metric", "dependency"], strict=True)]
    c = _client(demo, "strategy_office")
    for path in ("/cockpit", f"/reviews/rev_{rid}", f"/reviews/rev_{rid}/meeting",
                 f"/reviews/rev_{rid}/pack"):
        r = c.get(path, headers=HTML)
        assert r.status_code == 200, path
        for p in pids:
            assert names[p] in html.unescape(r.text), (path, p)
        assert set(raw_ids(r.text)) & set(pids) == set(), path


def _flash(html_text: str, flash_id: str) -> str:
    import re
    found = re.search(rf'id="{flash_id}">(.*?)</div>', html_text, re.S)
    assert found is not None, flash_id
    return html.unescape(found.group(1))


def test_check_in_correction_and_void_flashes_say_what_for_which_metric_and_when(
        demo: Demo) -> None:
    import re

    from tests.web.test_pages_status import _csrf
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        m = s.get(Metric, demo.metric)
        name, unit = m.name, m.unit
    day = dt.date.today() - dt.timedelta(days=1)
    when = f"{day.day} {day.strftime('%b %Y')}"
    c = _client(demo, "owner")
    path = f"/metrics/met_{demo.metric}"
    page = c.get(path, headers=HTML)
    r = c.post(f"{path}/checkin", headers=HTML, data={
        "csrf_token": _csrf(page.text), "value": "11", "confirm_outlier": "1",
        "as_of": day.isoformat()})
    assert r.status_code == 303, r.text
    mea = re.search(r"(mea_\d+)", r.headers["location"]).group(1)  # type: ignore[union-attr]
    text = _flash(c.get(r.headers["location"], headers=HTML).text, "checkin-done")
    assert text.startswith(f"Checked in 11 {unit} for {name} on {when}".replace("  ", " "))
    assert "mea_" not in text
    form = c.get(f"{path}/corrections/{mea}", headers=HTML)
    r = c.post(f"{path}/corrections/{mea}", headers=HTML, data={
        "csrf_token": _csrf(form.text), "value": "12", "as_of": day.isoformat(),
        "reason": "typo"})
    assert r.status_code == 303, r.text
    new = re.search(r"(mea_\d+)", r.headers["location"]).group(1)  # type: ignore[union-attr]
    text = _flash(c.get(r.headers["location"].split("#")[0], headers=HTML).text,
                  "checkin-done")
    assert text.startswith(f"Corrected to 12 {unit} for {name} on {when}".replace("  ", " "))
    form = c.get(f"{path}/voids/{new}", headers=HTML)
    r = c.post(f"{path}/voids/{new}", headers=HTML, data={
        "csrf_token": _csrf(form.text), "reason": "wrong"})
    assert r.status_code == 303, r.text
    text = _flash(c.get(r.headers["location"].split("#")[0], headers=HTML).text, "void-done")
    assert text.startswith(f"Voided 12 {unit} for {name} on {when}".replace("  ", " "))


def test_the_reviews_list_shows_the_last_held_review_and_a_held_one_offers_no_agenda(
        demo: Demo) -> None:
    import re
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        ws = s.get(Metric, demo.metric).workspace_id
        past = s.scalars(select(Review).where(
            Review.workspace_id == ws, Review.closed_at.is_(None),
            Review.scheduled_for < dt.date.today()).order_by(Review.id)).first()
        assert past is not None
        past.held_on, past.agenda = past.scheduled_for, None
        rid, title = past.id, past.title
    c = _client(demo, "strategy_office")
    listing = c.get("/reviews", headers=HTML).text
    rows = re.findall(r"<tr>(.*?)</tr>", listing, re.S)
    assert any(f"rev_{rid}" in r for r in rows)
    for row in rows:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        if len(cells) == 4 and ("· held" in cells[3] or "· closed" in cells[3]):
            assert "not yet" not in cells[2], row
    assert html.escape(title) in listing
    page = c.get(f"/reviews/rev_{rid}", headers=HTML).text
    assert 'id="regenerate"' not in page and "No agenda yet" not in page
    assert "was held on" in page

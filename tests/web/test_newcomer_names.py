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

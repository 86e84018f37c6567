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


def test_an_owner_marks_their_review_action_done_from_my_work_and_reopens_it(
        demo: Demo) -> None:
    import datetime as dt

    from sqlalchemy import select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.models import Metric, Person, Review
    from steerco.governance.service import add_action

    engine = demo.app.state.engine
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        m = s.get(Metric, demo.metric)
        owner = s.get(Person, m.owner_id)
        ws = m.workspace_id

        review = s.scalars(select(Review).where(Review.workspace_id == ws,
                                                Review.closed_at.is_(None))).first()
        review.agenda = review.agenda or [{"key": "x", "type": "finding", "title": "x",
                                           "reasons": [], "subject_kind": "metric",
                                           "subject_id": f"met_{m.id}", "link": None}]
        a = add_action(s, ws, review.id, {
            "title": "Send the revised forecast to finance",
            "owner_id": f"per_{owner.id}",
            "due_on": (dt.date.today() - dt.timedelta(days=2)).isoformat()})
        aid, rid = f"act_{a.id}", f"rev_{review.id}"
    viewer = _client(demo, "viewer")
    vpage = viewer.get(f"/reviews/{rid}", headers=HTML)
    assert f'action="/review-actions/{aid}/done"' not in vpage.text  # not theirs
    r = viewer.post(f"/review-actions/{aid}/done", headers=HTML,
                    data={"csrf_token": _csrf(vpage.text)})
    assert r.status_code == 403
    c = _client(demo, "owner")
    page = c.get("/my-work", headers=HTML)
    assert page.status_code == 200
    item = page.text.split(f'data-action="{aid}"')[1].split("</li>")[0]
    assert "Send the revised forecast to finance" in item and "Overdue" in item
    assert review_title_in(item)
    r = c.post(f"/review-actions/{aid}/done", headers=HTML,
               data={"csrf_token": _csrf(page.text), "next": "/my-work#h-actions"})
    assert r.status_code == 303 and r.headers["location"] == "/my-work#h-actions"
    page = c.get("/my-work", headers=HTML)
    assert f'data-action="{aid}"' not in page.text
    review_page = c.get(f"/reviews/{rid}", headers=HTML)
    row = review_page.text.split(f'data-action="{aid}"')[1].split("</li>")[0]
    assert "Done" in row and "Reopen" in row
    r = c.post(f"/review-actions/{aid}/reopen", headers=HTML,
               data={"csrf_token": _csrf(review_page.text), "next": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == f"/reviews/{rid}"
    assert f'data-action="{aid}"' in c.get("/my-work", headers=HTML).text
    assert raw_ids(review_page.text) == []


def review_title_in(html: str) -> bool:
    return "given at <a href=\"/reviews/rev_" in html and "review</a>" in html


def test_meeting_mode_walks_what_the_last_review_left_open(demo: Demo) -> None:
    """The meeting shows "Since the last review" — the actions of the series' previous
    review, open or done since — and an action is marked done from it, back to the
    meeting's item."""
    import datetime as dt

    from sqlalchemy import select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.models import Metric, OrgUnit, Person, Review
    from steerco.governance.service import add_action, create_review

    engine = demo.app.state.engine
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        m = s.get(Metric, demo.metric)
        ws, owner = m.workspace_id, s.get(Person, m.owner_id)
        reviewed = set(s.scalars(select(Review.org_unit_id).where(
            Review.workspace_id == ws)))
        unit = next(u for u in s.scalars(select(OrgUnit.id).where(
            OrgUnit.workspace_id == ws)) if u not in reviewed)  # a series of its own
        series = {"kind": "weekly_ops", "title": "Meeting follow-up weekly",
                  "org_unit_id": f"org_{unit}"}
        day = dt.date.today() - dt.timedelta(days=3)
        prev = create_review(s, ws, series | {"scheduled_for": day.isoformat()})
        nxt = create_review(s, ws, series | {
            "scheduled_for": (day + dt.timedelta(days=7)).isoformat()})
        a = add_action(s, ws, prev.id, {"title": "Ask finance for the Q3 ledger",
                                        "owner_id": f"per_{owner.id}",
                                        "due_on": day.isoformat()})
        aid, rid, owner_name = f"act_{a.id}", f"rev_{nxt.id}", owner.name
    c = _client(demo, "strategy_office")
    page = c.get(f"/reviews/{rid}/meeting", headers=HTML)
    assert page.status_code == 200
    card = page.text.split('id="h-since"')[1].split("</section>")[0]
    assert "Since the last review" in page.text and "Meeting follow-up weekly" in card
    row = card.split(f'data-action="{aid}"')[1].split("</li>")[0]
    assert "Ask finance for the Q3 ledger" in row and owner_name in row and "Mark done" in row
    assert raw_ids(page.text) == []
    back = f"/reviews/{rid}/meeting#h-since"
    assert f'name="next" value="{back}"' in row
    r = c.post(f"/review-actions/{aid}/done", headers=HTML,
               data={"csrf_token": _csrf(page.text), "next": back})
    assert r.status_code == 303 and r.headers["location"] == back
    card = c.get(f"/reviews/{rid}/meeting", headers=HTML).text.split(
        'id="h-since"')[1].split("</section>")[0]
    row = card.split(f'data-action="{aid}"')[1].split("</li>")[0]
    assert "Done" in row and "Reopen" in row


def test_the_strategy_office_ends_a_series_and_the_daily_job_schedules_no_more(
        demo: Demo) -> None:
    """"End this series" (confirmed) stops the daily reviews job from scheduling the next
    review; unconfirmed it changes nothing; "Resume this series" undoes it; a viewer may
    do neither."""
    import datetime as dt

    from sqlalchemy import func, select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.models import OrgUnit, Review
    from steerco.governance.followup import continue_series
    from steerco.governance.service import create_review

    engine = demo.app.state.engine
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        s.info["actor"] = "test"
        ws = s.scalars(select(OrgUnit.workspace_id)).first()
        reviewed = set(s.scalars(select(Review.org_unit_id).where(
            Review.workspace_id == ws)))
        unit = next(u for u in s.scalars(select(OrgUnit.id).where(
            OrgUnit.workspace_id == ws)) if u not in reviewed)
        first = create_review(s, ws, {"kind": "weekly_ops", "title": "Ending weekly",
                                      "org_unit_id": f"org_{unit}",
                                      "scheduled_for": "2026-03-02"})
        rid = f"rev_{first.id}"

    def next_ones(day: str) -> int:
        """Reviews of the series the daily job makes on `day` (rolled back)."""
        with factory() as s:
            s.info["actor"] = "test"
            made = continue_series(s, ws, dt.date.fromisoformat(day))
            n = sum(1 for r in made if r.org_unit_id == unit)
            s.rollback()
            return n

    assert next_ones("2026-03-04") == 1  # the series goes on
    viewer = _client(demo, "viewer")
    vpage = viewer.get(f"/reviews/{rid}", headers=HTML)
    assert 'id="series-end"' not in vpage.text and "Goes on at its cadence" in vpage.text
    assert viewer.post(f"/reviews/{rid}/series/end", headers=HTML, data={
        "csrf_token": _csrf(vpage.text), "confirm": "1"}).status_code == 403
    c = _client(demo, "strategy_office")
    page = c.get(f"/reviews/{rid}", headers=HTML)
    assert 'id="series-end"' in page.text
    r = c.post(f"/reviews/{rid}/series/end", headers=HTML,
               data={"csrf_token": _csrf(page.text)})  # not confirmed
    assert r.status_code == 422 and "Tick &#39;Yes, end this series&#39;" in r.text
    assert next_ones("2026-03-04") == 1
    r = c.post(f"/reviews/{rid}/series/end", headers=HTML,
               data={"csrf_token": _csrf(page.text), "confirm": "1"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/reviews/{rid}?")
    page = c.get(r.headers["location"], headers=HTML)
    state = page.text.split('id="series-state">')[1].split("</p>")[0]
    assert state.startswith("Ended") and "Ending weekly" in state
    assert 'id="series-resume"' in page.text and raw_ids(page.text) == []
    assert next_ones("2026-03-04") == 0 and next_ones("2026-03-10") == 0
    r = c.post(f"/reviews/{rid}/series/resume", headers=HTML,
               data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303
    assert next_ones("2026-03-04") == 1
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Review).where(
            Review.org_unit_id == unit)) == 1


def test_a_held_reviews_agenda_is_not_regenerated_and_the_page_says_why(demo: Demo) -> None:
    import datetime as dt

    from sqlalchemy import select

    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.db.models import Review

    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        held = s.scalars(select(Review).order_by(Review.id.desc())).first()
        assert held is not None
        held.closed_at = held.closed_at or dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
        rid, agenda = f"rev_{held.id}", held.agenda
    c = _client(demo, "strategy_office")
    page = c.get(f"/reviews/{rid}", headers=HTML)
    assert 'id="regenerate"' not in page.text  # no button; a stale tab still posts
    r = c.post(f"/reviews/{rid}/agenda", headers=HTML, data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 409
    assert 'id="err-agenda"' in r.text and "was closed" in r.text
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        assert s.get(Review, int(rid[4:])).agenda == agenda

"""Every page answers for a logged-in user; refusals are friendly HTML pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from steerco.accounts import service as accounts
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import Metric, MetricObjective, Person, Workspace
from steerco.demo import write_demo
from steerco.web.app import create_app
from steerco.web.ui import mount_ui

PASSWORD = "a-demo-password-1"
HTML = {"accept": "text/html"}


@dataclass
class Demo:
    app: Any
    metric: int
    objective: int
    logins: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.db'}")
    upgrade(engine)
    write_demo(engine, "s", 7, dt.date.today(), "demo")
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        m, obj = s.execute(select(Metric.id, MetricObjective.objective_id).join(
            MetricObjective, MetricObjective.metric_id == Metric.id).where(
            Metric.workspace_id == ws).order_by(Metric.id)).first()
        owner = s.scalar(select(Metric.owner_id).where(Metric.id == m))
        others = s.scalars(select(Person.id).where(Person.workspace_id == ws,
                                                   Person.id != owner).limit(2)).all()
        d = Demo(None, m, obj)
        for role, person in (("owner", owner), ("viewer", others[0]),
                             ("strategy_office", others[1])):
            login = f"{role.replace('_', '-')}@pages.example"
            accounts.set_credential(s, ws, person, {"login": login, "password": PASSWORD})
            accounts.add_grant(s, ws, {"person_id": person, "role": role})
            d.logins[role] = login
    app = create_app(engine)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app, warm=False)
    d.app = app
    yield d
    engine.dispose()


def page_login(c: TestClient, login: str, password: str) -> Any:
    """Post the log-in form as a browser does: with the CSRF value of the page."""
    token = _csrf(c.get("/login").text)
    return c.post("/login", data={"login": login, "password": password, "csrf_token": token})


def _client(demo: Demo, role: str | None) -> TestClient:
    c = TestClient(demo.app, follow_redirects=False)
    if role is not None:
        r = page_login(c, demo.logins[role], PASSWORD)
        assert r.status_code == 303
    return c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def pages(demo: Demo) -> list[str]:
    return ["/my-work", "/cockpit", "/objectives", "/objectives?page=2&level=team",
            f"/objectives/obj_{demo.objective}", "/metrics", "/metrics?status=off_track",
            f"/metrics/met_{demo.metric}", "/initiatives", "/initiatives/ini_1", "/explorer",
            "/explorer?unit=org_1", "/findings", "/findings?kind=broken_dependency&page=2",
            "/units", "/units/org_1", "/admin", "/admin/people", "/admin/themes",
            "/admin/cadences", "/admin/tokens", "/cockpit?unit=org_1", "/accuracy"]


def test_every_page_answers_200_for_the_strategy_office(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    for path in pages(demo):
        r = c.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert "<h1>" in r.text, path


def test_the_start_page_sends_executives_to_the_cockpit_and_owners_to_their_work(
        demo: Demo) -> None:
    assert _client(demo, "strategy_office").get("/").headers["location"] == "/cockpit"
    assert _client(demo, "owner").get("/").headers["location"] == "/my-work"


def test_an_anonymous_visitor_is_sent_to_the_log_in_page_and_back(demo: Demo) -> None:
    r = _client(demo, None).get("/cockpit?unit=org_1", headers=HTML)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/cockpit%3Funit%3Dorg_1"


def test_a_wrong_password_is_explained_without_saying_which_part_was_wrong(
        demo: Demo) -> None:
    r = page_login(_client(demo, None), demo.logins["owner"], "nope")
    assert r.status_code == 401
    assert "do not match" in r.text
    assert demo.logins["owner"] in r.text  # the login is kept


def test_a_missing_entity_answers_the_friendly_404_page(demo: Demo) -> None:
    c = _client(demo, "owner")
    for path in ("/objectives/obj_999999", "/metrics/met_999999", "/initiatives/ini_999999",
                 "/metrics/obj_1", "/units/org_999999", "/go/mil_999999", "/go/nonsense"):
        r = c.get(path, headers=HTML)
        assert r.status_code == 404, path
        assert "Not found" in r.text and "<h1>" in r.text


def test_an_unknown_address_is_an_html_404_for_browsers_and_json_for_the_api(
        demo: Demo) -> None:
    c = _client(demo, None)
    r = c.get("/no/such/page", headers=HTML)
    assert r.status_code == 404 and "Page not found" in r.text
    api = c.get("/api/v1/no-such-thing", headers={"accept": "application/json"})
    assert api.status_code in (401, 404)
    assert api.headers["content-type"].startswith("application/")


def test_a_viewer_may_not_check_in_and_gets_the_friendly_403_page(demo: Demo) -> None:
    c = _client(demo, "viewer")
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    assert 'id="checkin-form"' not in page.text
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML,
               data={"csrf_token": _csrf(page.text), "value": "1",
                     "as_of": dt.date.today().isoformat()})
    assert r.status_code == 403
    assert "You may not see this" in r.text


def test_a_viewer_may_not_open_the_administration_of_people(demo: Demo) -> None:
    r = _client(demo, "viewer").get("/admin/people", headers=HTML)
    assert r.status_code == 403


def test_a_form_post_without_the_sessions_csrf_token_is_refused(demo: Demo) -> None:
    c = _client(demo, "owner")
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML,
               data={"value": "1", "as_of": dt.date.today().isoformat()})
    assert r.status_code == 403
    assert "CSRF" in r.text


def test_a_bad_check_in_answers_422_with_messages_and_keeps_the_input(demo: Demo) -> None:
    c = _client(demo, "owner")
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML,
               data={"csrf_token": _csrf(page.text), "value": "12", "as_of": future,
                     "confidence": "140", "note": "kept note"})
    assert r.status_code == 422
    assert 'id="err-confidence"' in r.text
    assert "kept note" in r.text and f'value="{future}"' in r.text


def test_an_owner_checks_in_and_is_sent_back_to_the_updated_metric(demo: Demo) -> None:
    c = _client(demo, "owner")
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML,
               data={"csrf_token": _csrf(page.text), "value": "12.5",
                     "as_of": dt.date.today().isoformat(),
                     "evidence_url": "https://example.com/report"})
    assert r.status_code == 303
    assert "checked_in=mea_" in r.headers["location"]
    after = c.get(r.headers["location"], headers=HTML)
    assert "https://example.com/report" in after.text


def test_the_what_if_form_lists_the_ripple_of_a_slip(demo: Demo) -> None:
    c = _client(demo, "owner")
    page = c.get("/explorer", headers=HTML)
    milestone = re.search(r'<option value="(mil_\d+)"', page.text)
    assert milestone is not None
    r = c.post("/explorer/whatif", headers=HTML,
               data={"csrf_token": _csrf(page.text), "milestone": milestone.group(1),
                     "days": "30"})
    assert r.status_code == 200
    assert "ripple-data" in r.text
    bad = c.post("/explorer/whatif", headers=HTML,
                 data={"csrf_token": _csrf(page.text), "milestone": "", "days": "x"})
    assert "whole number of days" in bad.text


def test_a_person_creates_and_revokes_an_api_token_shown_once(demo: Demo) -> None:
    c = _client(demo, "owner")
    page = c.get("/admin/tokens", headers=HTML)
    r = c.post("/admin/tokens", headers=HTML,
               data={"csrf_token": _csrf(page.text), "name": "sheet sync", "scope": "checkin",
                     "days": "30"})
    assert r.status_code == 200 and 'id="new-token"' in r.text
    tid = re.search(r"/admin/tokens/(tok_\d+)/revoke", r.text)
    assert tid is not None
    gone = c.post(f"/admin/tokens/{tid.group(1)}/revoke",
                  data={"csrf_token": _csrf(page.text)})
    assert gone.status_code == 303
    assert "revoked" in c.get("/admin/tokens", headers=HTML).text


def test_the_strategy_office_records_forecasts_and_the_cockpit_compares_them(
        demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    page = c.get("/cockpit", headers=HTML)
    r = c.post("/cockpit/record-forecasts", data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303
    after = c.get(r.headers["location"], headers=HTML)
    assert "Recorded" in after.text and "Since the only recorded review" in after.text
    viewer = _client(demo, "viewer")
    vpage = viewer.get("/cockpit", headers=HTML)
    assert viewer.post("/cockpit/record-forecasts",
                       data={"csrf_token": _csrf(vpage.text)}).status_code == 403


def test_an_outlier_on_the_check_in_form_needs_a_second_click_and_is_marked(
        demo: Demo) -> None:
    c = _client(demo, "owner")
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    form = {"csrf_token": _csrf(page.text), "value": "1e20",
            "as_of": dt.date.today().isoformat(), "note": "from the new feed"}
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML, data=form)
    assert r.status_code == 422
    assert 'id="outlier-warning"' in r.text and 'name="confirm_outlier"' in r.text
    assert 'value="1e20"' in r.text and "from the new feed" in r.text
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML,
               data={**form, "confirm_outlier": "1"})
    assert r.status_code == 303, r.text
    after = c.get(r.headers["location"], headers=HTML)
    assert ">outlier</span>" in after.text


def test_the_objective_page_and_the_cockpit_say_how_much_is_measured(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    page = c.get(f"/objectives/obj_{demo.objective}", headers=HTML)
    assert re.search(r'id="objective-coverage">\d+ of \d+ metrics measured<', page.text)
    cockpit = c.get("/cockpit", headers=HTML)
    assert re.search(r"\d+ of \d+ metrics measured", cockpit.text)


def test_every_page_and_answer_carries_the_security_headers(demo: Demo) -> None:
    """CSP without inline scripts, no framing, no sniffing: on every page, the log-in
    page, static files, the API and its errors."""
    c = _client(demo, "strategy_office")
    answers = [(p, c.get(p, headers=HTML)) for p in pages(demo)]
    anonymous = TestClient(demo.app, follow_redirects=False)
    answers += [(p, anonymous.get(p)) for p in ("/login", "/static/js/app.js", "/healthz",
                                                "/api/v1/objectives", "/nowhere")]
    for path, r in answers:
        csp = r.headers.get("content-security-policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", path
        assert directives.get("frame-ancestors") == "'none'", path
        assert directives.get("object-src") == "'none'", path
        assert r.headers.get("x-frame-options") == "DENY", path
        assert r.headers.get("x-content-type-options") == "nosniff", path
    # and the pages need nothing the policy forbids: no inline script, no handler attribute
    for path, r in answers[:len(pages(demo))]:
        for tag in re.findall(r"<script\b[^>]*>", r.text):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", r.text), path
        assert "javascript:" not in r.text, path

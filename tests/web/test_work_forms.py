"""Initiatives, milestones, dependencies and finance changed through the pages: the API's
services and rules behind them, names instead of ids, in-place messages, a lost race
refused with who changed what, and no edit control for whom the API refuses."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Initiative, Metric, OrgUnit, Person, Workspace
from tests.web.test_pages_status import HTML, PASSWORD, Demo, _client, _csrf


def _names(demo: Demo) -> dict[str, str]:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        return {"person": str(s.scalar(select(Person.name).where(
                    Person.workspace_id == ws).order_by(Person.id).limit(1))),
                "unit": str(s.scalar(select(OrgUnit.name).where(
                    OrgUnit.workspace_id == ws, OrgUnit.parent_id.is_(None)))),
                "metric": str(s.scalar(select(Metric.name).where(Metric.id == demo.metric)))}


def _controller(demo: Demo) -> Any:
    """A controller's logged-in client (granted workspace-wide)."""
    if "controller" not in demo.logins:
        with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
            s.info["actor"] = "test"
            ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
            person = s.scalar(select(Person.id).where(Person.workspace_id == ws)
                              .order_by(Person.id.desc()).limit(1))
            login = "controller@pages.example"
            accounts.set_credential(s, ws, person, {"login": login, "password": PASSWORD})
            accounts.add_grant(s, ws, {"person_id": person, "role": "controller"})
            demo.logins["controller"] = login
    return _client(demo, "controller")


def _create(c: Any, **fields: str) -> Any:
    page = c.get("/initiatives/new", headers=HTML)
    assert page.status_code == 200
    data = {"csrf_token": _csrf(page.text), "name": "", "description": "", "kind": "project",
            "stage": "detailed", "owner": "", "sponsor": "", "unit": "",
            "start_date": "2026-01-01", "due_date": "2026-12-31", "metric": "", **fields}
    return c.post("/initiatives/new", headers=HTML, data=data)


def _version(html: str, action: str) -> str:
    form = html[html.index(f'action="{action}"'):]
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found is not None
    return found.group(1)


def test_an_initiative_is_created_by_names_and_an_unknown_name_is_refused_in_place(
        demo: Demo) -> None:
    n = _names(demo)
    c = _client(demo, "strategy_office")
    r = _create(c, name="Nordic roll-out", owner="Nobody Called This", unit=n["unit"])
    assert r.status_code == 422
    assert "No person is called “Nobody Called This”" in r.text and 'id="err-owner"' in r.text
    assert 'value="Nordic roll-out"' in r.text  # input kept
    r = _create(c, name="Nordic roll-out", owner=n["person"], unit=n["unit"],
                metric=n["metric"])
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"], headers=HTML)
    assert page.status_code == 200 and f'value="{n["person"]}"' in page.text
    assert n["metric"] in page.text  # linked by name


def test_a_stage_move_is_refused_listing_every_gap_of_the_gate(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    r = _create(c, name="Gap check", stage="detailed", due_date="",
                owner=_names(demo)["person"])
    iid = r.headers["location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    r = c.post(f"/initiatives/{iid}/stage", headers=HTML, data={
        "csrf_token": _csrf(page), "stage": "decided",
        "version": _version(page, f"/initiatives/{iid}/stage")})
    assert r.status_code == 422
    gaps = r.text[r.text.index('id="stage-gaps"'):]
    gaps = gaps[:gaps.index("</div>")]
    for missing in ("a due date is required", "a linked metric is required",
                    "a budget line is required"):
        assert missing in gaps
    assert "an owner is required" not in gaps  # it has one: only what lacks is listed


def test_a_dependency_cycle_is_refused_with_its_path_by_titles(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    iid = _create(c, name="Cycle A", stage="defined").headers["location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    token = _csrf(page)
    for title, due in (("Design", "2026-03-01"), ("Build", "2026-06-01")):
        r = c.post(f"/initiatives/{iid}/milestones", headers=HTML, data={
            "csrf_token": token, "ms_name": title, "ms_due": due, "ms_owner": ""})
        assert r.status_code == 303, r.text
    dep = {"csrf_token": token, "dep_type": "FS", "dep_lag": "0", "dep_need": "",
           "dep_committed": ""}
    r = c.post(f"/initiatives/{iid}/dependencies", headers=HTML, data=dep | {
        "dep_provider": "Cycle A › Design", "dep_consumer": "Cycle A › Build"})
    assert r.status_code == 303, r.text
    r = c.post(f"/initiatives/{iid}/dependencies", headers=HTML, data=dep | {
        "dep_provider": "Cycle A › Build", "dep_consumer": "Cycle A › Design"})
    assert r.status_code == 422
    msg = r.text[r.text.index('id="err-dep_consumer"'):]
    assert "This would close a cycle: “Cycle A › Build” → “Cycle A › Design” → " \
           "“Cycle A › Build”" in msg
    assert 'value="Cycle A › Build"' in r.text  # input kept


def test_completing_a_milestone_needs_an_evidence_link(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    iid = _create(c, name="Evidence", stage="defined").headers["location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    c.post(f"/initiatives/{iid}/milestones", headers=HTML, data={
        "csrf_token": _csrf(page), "ms_name": "Go live", "ms_due": "2026-05-01",
        "ms_owner": ""})
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    mid = re.search(r'/milestones/(mil_\d+)/edit', page).group(1)  # type: ignore[union-attr]
    edit = c.get(f"/milestones/{mid}/edit", headers=HTML).text
    data = {"csrf_token": _csrf(edit), "completed_on": "2026-05-02", "evidence_url": "",
            "version": _version(edit, f"/milestones/{mid}/complete")}
    r = c.post(f"/milestones/{mid}/complete", headers=HTML, data=data)
    assert r.status_code == 422 and 'id="err-evidence_url"' in r.text
    r = c.post(f"/milestones/{mid}/complete", headers=HTML,
               data=data | {"evidence_url": "not a link"})
    assert r.status_code == 422 and "“not a link” is not a web link" in r.text
    r = c.post(f"/milestones/{mid}/complete", headers=HTML,
               data=data | {"evidence_url": "https://docs.example/go-live"})
    assert r.status_code == 303, r.text
    assert "https://docs.example/go-live" in c.get(f"/initiatives/{iid}/edit",
                                                   headers=HTML).text


def test_a_lost_race_on_an_initiative_names_who_and_what(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    iid = _create(c, name="Race", stage="defined").headers["location"].split("/")[2]
    url = f"/initiatives/{iid}/edit"
    page = c.get(url, headers=HTML).text
    base = {"csrf_token": _csrf(page), "name": "Race", "description": "", "kind": "project",
            "owner": "", "sponsor": "", "unit": "", "start_date": "2026-01-01",
            "due_date": "2026-12-31", "version": _version(page, url)}
    assert c.post(url, headers=HTML, data=base | {"name": "Race (first)"}).status_code == 303
    r = c.post(url, headers=HTML, data=base | {"name": "Race (second)"})
    assert r.status_code == 409
    assert "changed by " in r.text and "Title: “Race” → “Race (first)”" in r.text
    assert 'value="Race (second)"' in r.text


def test_a_controller_adds_a_line_posts_and_corrects_an_actual_and_sees_the_variance(
        demo: Demo) -> None:
    office = _client(demo, "strategy_office")
    _create(office, name="Funded", stage="defined")
    c = _controller(demo)
    page = c.get("/finance", headers=HTML)
    assert page.status_code == 200 and 'href="/finance"' in page.text  # in the navigation
    data = {"csrf_token": _csrf(page.text), "code": "FIN-1", "name": "Licences",
            "kind": "opex", "initiative": "Funded", "unit": "", "controller": "",
            "plan": "2026-01 1000\n2026-02 abc"}
    r = c.post("/finance/new", headers=HTML, data=data)
    assert r.status_code == 422 and "Line 2 “2026-02 abc”" in r.text
    r = c.post("/finance/new", headers=HTML, data=data | {"plan": "2026-01 1000\n2026-02 500"})
    assert r.status_code == 303, r.text
    bid = r.headers["location"].split("/")[2].split("?")[0]
    page = c.get(f"/finance/{bid}", headers=HTML).text
    actual = {"csrf_token": _csrf(page), "period": "2026-01", "amount": "1e20",
              "posted_on": "2026-02-02", "reference": "INV-7"}
    r = c.post(f"/finance/{bid}/actuals", headers=HTML, data=actual)
    assert r.status_code == 422 and "1e+20 is not a plausible number" in r.text
    r = c.post(f"/finance/{bid}/actuals", headers=HTML, data=actual | {
        "amount": "1300", "period": "1999-01"})
    assert r.status_code == 422 and "Jan 1999 is far outside this budget line" in r.text
    r = c.post(f"/finance/{bid}/actuals", headers=HTML, data={
        "csrf_token": _csrf(page), "period": "2026-01", "amount": "1,300",
        "posted_on": "2026-02-02", "reference": "INV-7"})
    assert r.status_code == 303, r.text
    page = c.get(f"/finance/{bid}", headers=HTML).text
    assert "1,300" in page[page.index('id="actual-total"'):][:80]
    lid = re.search(r'data-entry="(led_\d+)"', page).group(1)  # type: ignore[union-attr]
    r = c.post(f"/finance/{bid}/actuals/{lid}/correct", headers=HTML, data={
        "csrf_token": _csrf(page), "amount": "1200", "reason": "double-counted fee"})
    assert r.status_code == 303, r.text
    page = c.get(f"/finance/{bid}", headers=HTML).text
    assert f"reverses {lid}: double-counted fee" in page
    assert "1,200" in page[page.index('id="actual-total"'):][:80]
    listing = c.get("/finance?q=FIN-1", headers=HTML).text
    assert "Funded" in listing and 'data-line="' + bid + '"' in listing


def test_a_viewer_sees_finance_and_initiatives_without_edit_controls(demo: Demo) -> None:
    c = _client(demo, "viewer")
    assert c.get("/initiatives/new", headers=HTML).status_code == 403
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        ini = s.scalar(select(Initiative.id).order_by(Initiative.id).limit(1))
    assert 'id="edit-initiative"' not in c.get(f"/initiatives/ini_{ini}", headers=HTML).text
    assert c.get(f"/initiatives/ini_{ini}/edit", headers=HTML).status_code == 403
    page = c.get("/finance", headers=HTML).text
    assert 'href="/finance"' not in page.split("</nav>")[0].split('class="mainnav"')[1]
    assert 'id="line-form"' not in page
    bid = re.search(r'href="/finance/(bud_\d+)"', page).group(1)  # type: ignore[union-attr]
    line = c.get(f"/finance/{bid}", headers=HTML).text
    assert 'id="actual-form"' not in line and "/correct" not in line
    assert "/sign-off" not in line


def test_savings_on_a_line_are_signed_off_by_a_controller_only(demo: Demo) -> None:
    office = _client(demo, "strategy_office")
    iid = _create(office, name="Savings drive", stage="defined").headers["location"] \
        .split("/")[2]
    c = _controller(demo)
    page = c.get("/finance", headers=HTML).text
    r = c.post("/finance/new", headers=HTML, data={
        "csrf_token": _csrf(page), "code": "SAV-1", "name": "Freight", "kind": "opex",
        "initiative": "Savings drive", "unit": "", "controller": "", "plan": ""})
    bid = r.headers["location"].split("/")[2].split("?")[0]
    edit = office.get(f"/initiatives/{iid}/edit", headers=HTML).text
    assert "SAV-1 · Freight" in edit and "planned €0 · actual €0" in edit
    base = {"csrf_token": _csrf(edit), "ben_kind": "savings", "ben_amount": "5000",
            "ben_due": "2026-12-31", "ben_metric": ""}
    r = office.post(f"/initiatives/{iid}/benefits", headers=HTML,
                    data=base | {"ben_line": "NOPE"})
    assert r.status_code == 422 and "“NOPE” is not a budget line of this initiative" in r.text
    r = office.post(f"/initiatives/{iid}/benefits", headers=HTML,
                    data=base | {"ben_line": "SAV-1"})
    assert r.status_code == 303, r.text
    seen_by_office = office.get(f"/finance/{bid}", headers=HTML).text
    assert "/sign-off" not in seen_by_office  # the strategy office does not sign off
    page = c.get(f"/finance/{bid}", headers=HTML).text
    ben = re.search(r'/benefits/(ben_\d+)/sign-off', page).group(1)  # type: ignore[union-attr]
    r = c.post(f"/finance/{bid}/benefits/{ben}/sign-off", headers=HTML,
               data={"csrf_token": _csrf(page), "realised": "many"})
    assert r.status_code == 422 and "“many” is not a number" in r.text
    r = c.post(f"/finance/{bid}/benefits/{ben}/sign-off", headers=HTML,
               data={"csrf_token": _csrf(page), "realised": "4200"})
    assert r.status_code == 303, r.text
    assert "realised 4,200" in c.get(f"/finance/{bid}", headers=HTML).text
    r = office.post(f"/finance/{bid}/benefits/{ben}/sign-off", headers=HTML,
                    data={"csrf_token": _csrf(seen_by_office), "realised": "1"})
    assert r.status_code == 403


def test_a_dependency_is_retyped_and_removed(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    iid = _create(c, name="Retype", stage="defined").headers["location"].split("/")[2]
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    token = _csrf(page)
    for title, due in (("One", "2026-03-01"), ("Two", "2026-06-01")):
        c.post(f"/initiatives/{iid}/milestones", headers=HTML, data={
            "csrf_token": token, "ms_name": title, "ms_due": due, "ms_owner": ""})
    c.post(f"/initiatives/{iid}/dependencies", headers=HTML, data={
        "csrf_token": token, "dep_provider": "Retype › One", "dep_consumer": "Retype › Two",
        "dep_type": "FS", "dep_lag": "0", "dep_need": "", "dep_committed": ""})
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    did = re.search(r'data-dependency="(dep_\d+)"', page).group(1)  # type: ignore[union-attr]
    edit = c.get(f"/dependencies/{did}/edit?back={iid}", headers=HTML).text
    assert "“Retype › Two” needs “Retype › One”" in edit
    data = {"csrf_token": token, "dep_type": "SS", "dep_lag": "2.5", "dep_need": "",
            "dep_committed": "", "back": iid,
            "version": _version(edit, f"/dependencies/{did}/edit")}
    r = c.post(f"/dependencies/{did}/edit", headers=HTML, data=data)
    assert r.status_code == 422 and "“2.5” is not a whole number of days" in r.text
    r = c.post(f"/dependencies/{did}/edit", headers=HTML, data=data | {"dep_lag": "-3"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/initiatives/{iid}/")
    page = c.get(f"/initiatives/{iid}/edit", headers=HTML).text
    row = page[page.index(f'data-dependency="{did}"'):][:400]
    assert "SS" in row and "-3d" in row
    r = c.post(f"/dependencies/{did}/remove", headers=HTML,
               data={"csrf_token": token, "back": iid})
    assert r.status_code == 303
    assert did not in c.get(f"/initiatives/{iid}/edit", headers=HTML).text

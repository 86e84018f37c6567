"""Editing an objective in the browser: the API's service and rules, in-place messages,
and a save that lost a race is refused with who changed what, never overwritten."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Objective, Person
from steerco.db.models.accounts import Credential
from tests.web.test_pages_status import HTML, Demo, _client, _csrf


def _form(html: str) -> dict[str, str]:
    """The values a browser would post from the page's first form's inputs and selects."""
    fields = dict(re.findall(r'<input [^>]*name="(\w+)"[^>]*value="([^"]*)"', html))
    for name, options in re.findall(r'<select [^>]*name="(\w+)"[^>]*>(.*?)</select>', html,
                                    re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def _title(demo: Demo) -> str:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        return str(s.scalar(select(Objective.title).where(Objective.id == demo.objective)))


def test_the_second_of_two_tabs_is_refused_with_who_changed_what_and_keeps_its_input(
        demo: Demo) -> None:
    url = f"/objectives/obj_{demo.objective}/edit"
    tab1, tab2 = _client(demo, "strategy_office"), _client(demo, "strategy_office")
    form1 = _form(tab1.get(url, headers=HTML).text)
    form2 = _form(tab2.get(url, headers=HTML).text)
    before = form1["title"]
    r1 = tab1.post(url, headers=HTML, follow_redirects=False,
                   data={**form1, "title": "Grow recurring revenue (tab one)"})
    assert r1.status_code == 303, r1.text
    r2 = tab2.post(url, headers=HTML, data={**form2, "title": "Tab two's title"})
    assert r2.status_code == 409
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        office = s.scalar(select(Person.name).join(Credential, Credential.person_id == Person.id)
                          .where(Credential.login == demo.logins["strategy_office"]))
    assert f"changed by {office} at " in r2.text and " UTC" in r2.text
    assert f"Title: “{before}” → “Grow recurring revenue (tab one)”" in r2.text
    assert 'value="Tab two&#39;s title"' in r2.text  # the loser's input is kept
    assert _title(demo) == "Grow recurring revenue (tab one)"  # never overwritten


def test_an_end_before_the_start_is_refused_in_place_naming_the_field_and_value(
        demo: Demo) -> None:
    url = f"/objectives/obj_{demo.objective}/edit"
    c = _client(demo, "strategy_office")
    form = _form(c.get(url, headers=HTML).text)
    r = c.post(url, headers=HTML, data={**form, "period_end": "1999-01-01",
                                        "title": "kept title"})
    assert r.status_code == 422
    assert 'id="err-period_end"' in r.text and "1999-01-01" in r.text
    assert 'value="kept title"' in r.text
    assert _title(demo) != "kept title"


def test_a_viewer_can_neither_open_nor_post_the_edit_form(demo: Demo) -> None:
    url = f"/objectives/obj_{demo.objective}/edit"
    c = _client(demo, "viewer")
    assert c.get(url, headers=HTML).status_code == 403
    page = c.get(f"/objectives/obj_{demo.objective}", headers=HTML)
    assert 'id="edit-objective"' not in page.text
    r = c.post(url, headers=HTML, data={"csrf_token": _csrf(page.text), "title": "x",
                                        "version": "1"})
    assert r.status_code == 403


def _new(c: Any, **fields: str) -> Any:
    page = c.get("/objectives/new", headers=HTML)
    assert page.status_code == 200
    data = {"csrf_token": _csrf(page.text), "title": "", "description": "",
            "period_start": "2026-01-01", "period_end": "2026-12-31", "level": "company",
            "perspective": "financial", "owner": "", "unit": "", "theme": "", "parent": "",
            "weight": "1"} | fields
    return c.post("/objectives/new", headers=HTML, data=data)


def test_the_strategy_office_creates_an_objective_by_names_aligned_under_a_parent(
        demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    parent = _title(demo)
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        owner = s.scalar(select(Person.name).order_by(Person.id).limit(1))
    r = _new(c, title="Win the Nordics", owner=str(owner), parent=parent, weight="0.5",
             level="business_unit")
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"].replace("?saved=1", "") + "/edit", headers=HTML)
    assert "Win the Nordics" in page.text and parent in page.text and "<td>0.5</td>" in page.text
    assert f'value="{owner}"' in page.text


def test_a_name_nobody_has_is_refused_in_place_and_the_input_is_kept(demo: Demo) -> None:
    r = _new(_client(demo, "strategy_office"), title="Kept title", owner="Nobody Atall",
             unit="No Such Unit")
    assert r.status_code == 422
    assert 'id="err-owner"' in r.text and "No person is called “Nobody Atall”" in r.text
    assert 'id="err-unit"' in r.text and "No such Unit" not in r.text
    assert 'value="Kept title"' in r.text


def test_aligning_a_parent_under_its_own_child_is_refused_with_the_cycle_by_titles(
        demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    parent_title = _title(demo)
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        owner = s.scalar(select(Person.name).order_by(Person.id).limit(1))
    r = _new(c, title="Cycle child", owner=str(owner), parent=parent_title)
    assert r.status_code == 303, r.text
    url = f"/objectives/obj_{demo.objective}/edit"
    page = c.get(url, headers=HTML)
    r = c.post(f"/objectives/obj_{demo.objective}/parents", headers=HTML,
               data={"csrf_token": _csrf(page.text), "parent": "Cycle child", "weight": "1"})
    assert r.status_code == 422
    assert "This would close a cycle: “" in r.text
    assert "“Cycle child”" in r.text and not re.search(r"\bobj_\d+\b.*→", r.text)


def test_a_viewer_sees_no_admin_in_the_navigation_and_no_new_objective_button(
        demo: Demo) -> None:
    page = _client(demo, "viewer").get("/objectives", headers=HTML).text
    assert 'href="/admin"' not in page and 'id="new-objective"' not in page
    office = _client(demo, "strategy_office").get("/objectives", headers=HTML).text
    assert 'href="/admin"' in office and 'id="new-objective"' in office


def test_a_missing_or_mistyped_date_says_what_it_got_and_what_it_wants(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        owner = s.scalar(select(Person.name).order_by(Person.id).limit(1))
    r = _new(c, title="Dated", owner=str(owner), period_start="", period_end="31/12/2026")
    assert r.status_code == 422
    assert "Enter a date like 2026-01-31." in r.text
    assert "“31/12/2026” is not a date; enter one like 2026-01-31." in r.text

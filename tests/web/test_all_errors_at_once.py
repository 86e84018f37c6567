"""Every authoring form reports all its bad fields at once, each next to its field, with
the user's input kept: a name the form could not resolve and a value the service refuses
show together, never one round at a time."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.test_admin_pages import _as, _post, admin  # noqa: F401  (fixture)
from tests.web.test_objective_edit import _form
from tests.web.test_pages_status import HTML, Demo, _client, _csrf

NOBODY = "Nobody At All"
LONG = "x" * 301


def _both(r: Any, *fields: str) -> None:
    assert r.status_code == 422, r.text[:500]
    for f in fields:
        assert f'id="err-{f}"' in r.text, f"no message next to {f}"


def _post_form(c: Any, page: str, target: str, **fields: str) -> Any:
    html = c.get(page, headers=HTML)
    assert html.status_code == 200, page
    return c.post(target, headers=HTML, data={**_form(html.text), **fields})


@pytest.mark.parametrize(("page", "target", "fields", "expected"), [
    ("/objectives/new", "/objectives/new",
     {"title": "Two bad", "owner": NOBODY, "period_end": "2026-02-30"},
     ("owner", "period_end")),
    ("/metrics/new", "/metrics/new",
     {"name": "Two bad", "owner": NOBODY, "target_date": "someday"}, ("owner", "target_date")),
    ("/initiatives/new", "/initiatives/new",
     {"name": LONG, "owner": NOBODY}, ("owner", "name")),
])
def test_a_new_objective_metric_initiative_names_both_bad_fields(
        demo: Demo, page: str, target: str, fields: dict[str, str],
        expected: tuple[str, ...]) -> None:
    c = _client(demo, "strategy_office")
    r = _post_form(c, page, target, **fields)
    _both(r, *expected)
    assert NOBODY in r.text  # the input is kept


def test_an_objective_edit_names_both_bad_fields(demo: Demo) -> None:
    url = f"/objectives/obj_{demo.objective}/edit"
    r = _post_form(_client(demo, "strategy_office"), url, url, owner=NOBODY,
                   period_start="2026-99-01")
    _both(r, "owner", "period_start")


def test_a_milestone_and_a_dependency_name_both_bad_fields(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    token = _csrf(c.get("/initiatives/ini_1/edit", headers=HTML).text)
    r = c.post("/initiatives/ini_1/milestones", headers=HTML, data={
        "csrf_token": token, "ms_name": LONG, "ms_due": "2026-06-30", "ms_owner": NOBODY})
    _both(r, "ms_owner", "ms_name")
    r = c.post("/initiatives/ini_1/dependencies", headers=HTML, data={
        "csrf_token": token, "dep_provider": NOBODY, "dep_consumer": "",
        "dep_type": "FS", "dep_lag": "99999", "dep_need": "", "dep_committed": ""})
    _both(r, "dep_provider", "dep_lag")
    r = c.post("/initiatives/ini_1/benefits", headers=HTML, data={
        "csrf_token": token, "ben_kind": "metric_impact", "ben_amount": "100",
        "ben_due": "2026-02-30", "ben_metric": NOBODY, "ben_line": ""})
    _both(r, "ben_metric", "ben_due")


def test_a_budget_line_and_an_actual_name_both_bad_fields(
        demo: Demo, admin: dict) -> None:  # noqa: F811
    c = _as(demo, "admin@admin.example")
    page = c.get("/finance", headers=HTML).text
    r = c.post("/finance/new", headers=HTML, data={
        "csrf_token": _csrf(page), "code": "X" * 80, "name": "Two bad", "kind": "opex",
        "initiative": "", "unit": "", "controller": NOBODY, "plan": ""})
    _both(r, "controller", "code")
    bid = re.search(r'href="/finance/(bud_\d+)', page)
    assert bid is not None
    url = f"/finance/{bid.group(1)}"
    r = c.post(f"{url}/actuals", headers=HTML, data={
        "csrf_token": _csrf(c.get(url, headers=HTML).text), "period": "2026-13",
        "amount": "1", "posted_on": "2026-01-05", "reference": LONG})
    _both(r, "period", "reference")


@pytest.mark.parametrize(("path", "data", "messages"), [
    ("/admin/units/new", {"name": "", "code": "", "kind": "team", "parent": NOBODY,
                          "head": ""}, ("No org unit is called", "Name:")),
    ("/admin/people/new", {"name": "", "email": "e@x.example", "title": "",
                           "manager": NOBODY, "unit": ""}, ("No person is called", "Name:")),
    ("/admin/themes/new", {"name": "", "description": "", "owner": NOBODY},
     ("No person is called", "Name:")),
    ("/admin/rules/new", {"name": "", "signal_kind": "broken_dependency", "min_severity": "2",
                          "scope": NOBODY, "ladder": "2, 5"}, ("No org unit is called",
                                                                "Name:")),
    ("/admin/cadences", {"title": "", "kind": "steering", "first": "2026-03-01",
                         "chair": NOBODY, "unit": "", "count": "3"},
     ("No person is called", "Title:")),
])
def test_an_admin_form_names_both_bad_fields(demo: Demo, admin: dict,  # noqa: F811
                                             path: str, data: dict[str, str],
                                             messages: tuple[str, ...]) -> None:
    r = _post(_as(demo, "admin@admin.example"), path, data)
    assert r.status_code == 422, r.text[:300]
    for m in messages:
        assert m in r.text, m


def test_the_settings_name_both_bad_fields(demo: Demo, admin: dict) -> None:  # noqa: F811
    c = _as(demo, "admin@admin.example")
    page = c.get("/admin/workspace", headers=HTML).text
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    r = _post(c, "/admin/workspace", {"name": "Demo", "time_zone": "Mars/Olympus",
                                      "fiscal_year_start": "13", "currency": "EUR",
                                      "locale": "en", "version": version.group(1)})
    assert r.status_code == 422
    assert "Time zone: “Mars/Olympus” was refused" in r.text
    assert "“13” was refused" in r.text

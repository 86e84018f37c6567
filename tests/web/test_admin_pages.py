"""The administration forms: org units, people, logins, role grants, workspace settings,
themes and escalation rules, on the API's own services and rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import (
    OrgUnit,
    OutboxMessage,
    Person,
    Review,
    Rule,
    Theme,
    Workspace,
)
from tests.web.test_pages_status import HTML, PASSWORD, Demo, _client, _csrf, page_login


@pytest.fixture(scope="module")
def admin(demo: Demo) -> Iterator[dict[str, Any]]:
    """A workspace-wide admin, a subtree admin and a controller in the demo."""
    made: dict[str, Any] = {}
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        ws = int(s.scalar(select(Workspace.id).where(Workspace.slug == "demo")) or 0)
        people = s.scalars(select(Person).where(Person.workspace_id == ws).order_by(
            Person.id.desc()).limit(3)).all()
        unit = s.scalars(select(OrgUnit).where(OrgUnit.workspace_id == ws,
                                               OrgUnit.parent_id.is_not(None))).first()
        assert unit is not None
        for (role, where), p in zip((("admin", None), ("admin", unit.id),
                                     ("controller", None)), people, strict=True):
            name = f"{'sub' if where else ''}{role}@admin.example"
            accounts.set_credential(s, ws, p.id, {"login": name, "password": PASSWORD})
            accounts.add_grant(s, ws, {"person_id": p.id, "role": role,
                                       "org_unit_id": where})
            made[name] = p.id
        made |= {"ws": ws, "unit": unit.id, "unit_name": unit.name,
                 "admin_name": people[0].name, "admin_id": people[0].id}
    yield made


def _as(demo: Demo, login: str) -> TestClient:
    c = TestClient(demo.app, follow_redirects=False)
    assert page_login(c, login, PASSWORD).status_code == 303
    return c


def _post(c: TestClient, path: str, data: dict[str, str]) -> Any:
    token = _csrf(c.get("/admin/tokens", headers=HTML).text)  # one token per session
    return c.post(path, data={**data, "csrf_token": token}, headers=HTML)


def test_an_admin_builds_a_unit_and_a_person_by_names(demo: Demo, admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    r = _post(c, "/admin/units/new", {"name": "Platform Guild", "kind": "team",
                                      "parent": admin["unit_name"], "head": "",
                                      "code": "PG"})
    assert r.status_code == 303, r.text
    assert "Platform Guild" in c.get("/admin/units", headers=HTML).text
    r = _post(c, "/admin/people/new", {"name": "Ada Admin-Page", "email": "ada@admin.example",
                                       "title": "", "manager": admin["admin_name"],
                                       "unit": "Platform Guild"})
    assert r.status_code == 303, r.text
    edit = r.headers["location"].split("?")[0]
    page = c.get(edit, headers=HTML).text
    assert 'value="Platform Guild"' in page and f'value="{admin["admin_name"]}"' in page
    # A login with an initial password, then a role in one subtree, then revoke it.
    r = _post(c, edit.replace("/edit", "/login"), {"login": "ada@admin.example",
                                                   "password": "a-good-password-1",
                                                   "how": "password"})
    assert r.status_code == 303, r.text
    r = _post(c, edit.replace("/edit", "/grants"), {"role": "owner", "scope": "Platform Guild"})
    assert r.status_code == 303, r.text
    page = c.get(edit, headers=HTML).text
    assert "Logs in as <strong>ada@admin.example</strong>" in page
    assert re.search(r"<td>Owner</td><td>Platform Guild</td>", page)
    revoke = re.search(r'action="(/admin/people/per_\d+/grants/grt_\d+/revoke)"', page)
    assert revoke is not None
    assert _post(c, revoke.group(1), {}).status_code == 303
    assert "No roles" in c.get(edit, headers=HTML).text


def test_refusals_name_the_field_and_value_and_keep_the_input(demo: Demo,
                                                              admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    r = _post(c, "/admin/people/new", {"name": "Bob", "email": "not-an-email",
                                       "title": "Chief", "manager": "Nobody At All",
                                       "unit": ""})
    assert r.status_code == 422
    assert "No person is called “Nobody At All”" in r.text
    assert 'value="Chief"' in r.text and 'value="not-an-email"' in r.text
    r = _post(c, "/admin/workspace", {"name": "Demo", "time_zone": "Mars/Olympus",
                                      "fiscal_year_start": "1", "currency": "EUR",
                                      "locale": "en", "version": "1"})
    # Either the version moved (a conflict) or the zone is refused; send the current one.
    version = re.search(r'name="version" value="(\d+)"', r.text)
    assert version is not None
    r = _post(c, "/admin/workspace", {"name": "Demo", "time_zone": "Mars/Olympus",
                                      "fiscal_year_start": "1", "currency": "EUR",
                                      "locale": "en", "version": version.group(1)})
    assert r.status_code == 422
    assert "Time zone: “Mars/Olympus” was refused" in r.text
    assert 'value="Mars/Olympus"' in r.text
    r = _post(c, "/admin/rules/new", {"name": "Slips", "signal_kind": "broken_dependency",
                                      "min_severity": "2", "scope": "", "ladder": "7, 3"})
    assert r.status_code == 422
    assert "Ladder days: “7, 3” was refused" in r.text and "increase" in r.text


def test_a_stale_save_names_who_changed_it_and_when(demo: Demo, admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    r = _post(c, "/admin/themes/new", {"name": "Grow in the North", "description": "",
                                       "owner": admin["admin_name"]})
    assert r.status_code == 303, r.text
    page = c.get("/admin/themes", headers=HTML).text
    tid = re.search(r'/admin/themes/(thm_\d+)/edit" aria-label="Edit Grow in the North"',
                    page)
    assert tid is not None
    form = c.get(f"/admin/themes/{tid.group(1)}/edit", headers=HTML).text
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version is not None
    data = {"name": "Grow in the North", "description": "first", "owner": "", "active": "1",
            "version": version.group(1)}
    assert _post(c, f"/admin/themes/{tid.group(1)}/edit", data).status_code == 303
    r = _post(c, f"/admin/themes/{tid.group(1)}/edit", data | {"description": "second"})
    assert r.status_code == 409
    assert f"changed by {admin['admin_name']} at " in r.text
    assert "“first”" in r.text and ">second</textarea>" in r.text


def test_a_subtree_admin_cannot_take_over_a_workspace_admin(demo: Demo, admin: dict) -> None:
    c = _as(demo, "subadmin@admin.example")
    target = f"/admin/people/per_{admin['admin_id']}/edit"
    assert c.get(target, headers=HTML).status_code == 403
    token = _csrf(c.get("/admin/tokens", headers=HTML).text)
    r = c.post(target.replace("/edit", "/login"), headers=HTML,
               data={"csrf_token": token, "login": "x@admin.example",
                     "password": "a-good-password-1", "how": "password"})
    assert r.status_code == 403
    r = c.post("/admin/units/new", headers=HTML,
               data={"csrf_token": token, "name": "Rogue", "kind": "team", "parent": "",
                     "head": "", "code": ""})
    assert r.status_code == 403


def test_a_reset_link_goes_to_the_outbox_naming_the_person(demo: Demo, admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    r = _post(c, "/admin/people/new", {"name": "Cleo Reset", "email": "cleo@admin.example",
                                       "title": "", "manager": "", "unit": ""})
    edit = r.headers["location"].split("?")[0]
    r = _post(c, edit.replace("/edit", "/login"), {"login": "cleo@admin.example",
                                                   "password": "", "how": "reset"})
    assert r.status_code == 303 and "saved=reset" in r.headers["location"]
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        msg = s.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == "cleo@admin.example")).one()
        assert msg.payload["person_name"] == "Cleo Reset"


def test_navigation_fits_the_role(demo: Demo, admin: dict) -> None:
    viewer = _client(demo, "viewer").get("/my-work", headers=HTML).text
    assert 'href="/admin"' not in viewer and 'href="/finance"' not in viewer
    controller = _as(demo, "controller@admin.example").get("/my-work", headers=HTML).text
    assert 'href="/finance"' in controller and 'href="/admin"' not in controller
    office = _client(demo, "strategy_office").get("/my-work", headers=HTML).text
    assert 'href="/admin"' in office
    assert _client(demo, "viewer").get("/admin/rules", headers=HTML).status_code == 403


def test_rules_and_settings_save(demo: Demo, admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    r = _post(c, "/admin/rules/new", {"name": "Broken promises", "signal_kind":
                                      "broken_dependency", "min_severity": "3",
                                      "scope": admin["unit_name"], "ladder": "2, 5, 9"})
    assert r.status_code == 303, r.text
    page = c.get("/admin/rules", headers=HTML).text
    assert "Broken promises" in page and "2 → 5 → 9" in page and admin["unit_name"] in page
    form = c.get("/admin/workspace", headers=HTML).text
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version is not None
    r = _post(c, "/admin/workspace", {"name": "Demo Co", "time_zone": "Europe/Berlin",
                                      "fiscal_year_start": "4", "currency": "CHF",
                                      "locale": "de-CH", "version": version.group(1)})
    assert r.status_code == 303, r.text
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        w = s.get(Workspace, admin["ws"])
        assert w is not None
        assert (w.time_zone, w.fiscal_year_start, w.currency, w.locale) == (
            "Europe/Berlin", 4, "CHF", "de-CH")
        assert s.scalar(select(Rule.ladder_days).where(Rule.name == "Broken promises")) \
            == [2, 5, 9]
        assert s.scalar(select(Theme.id).limit(1)) is not None


def test_a_review_rhythm_is_scheduled_at_its_cadence(demo: Demo, admin: dict) -> None:
    c = _client(demo, "strategy_office")
    token = _csrf(c.get("/admin/cadences", headers=HTML).text)
    data = {"csrf_token": token, "title": "North monthly review", "kind": "monthly_business",
            "first": "2027-01-31", "count": "3", "chair": admin["admin_name"],
            "unit": admin["unit_name"]}
    r = c.post("/admin/cadences", data=data | {"count": "three"}, headers=HTML)
    assert r.status_code == 422 and "How many: “three” is not a whole number" in r.text
    assert 'value="North monthly review"' in r.text
    r = c.post("/admin/cadences", data=data | {"first": "31/01/2027"}, headers=HTML)
    assert r.status_code == 422 and "First review on: “31/01/2027” was refused" in r.text
    r = c.post("/admin/cadences", data=data, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/admin/cadences?saved=3"
    page = c.get("/admin/cadences?saved=3", headers=HTML).text
    assert "3 reviews scheduled" in page and page.count("North monthly review") == 3
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        dates = sorted(str(d) for d in s.scalars(select(Review.scheduled_for).where(
            Review.title == "North monthly review")))
    assert dates == ["2027-01-31", "2027-02-28", "2027-03-31"]


def test_deactivating_a_person_ends_their_session(demo: Demo, admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    r = _post(c, "/admin/people/new", {"name": "Dora Leaving", "email": "dora@admin.example",
                                       "title": "", "manager": "", "unit": ""})
    edit = r.headers["location"].split("?")[0]
    _post(c, edit.replace("/edit", "/login"), {"login": "dora@admin.example",
                                               "password": PASSWORD, "how": "password"})
    _post(c, edit.replace("/edit", "/grants"), {"role": "viewer", "scope": ""})
    dora = _as(demo, "dora@admin.example")
    assert dora.get("/my-work", headers=HTML).status_code == 200
    version = re.search(r'name="version" value="(\d+)"', c.get(edit, headers=HTML).text)
    assert version is not None
    r = _post(c, edit, {"name": "Dora Leaving", "email": "dora@admin.example", "title": "",
                        "manager": "", "unit": "", "version": version.group(1)})  # unticked
    assert r.status_code == 303
    assert "Deactivated" in c.get(edit, headers=HTML).text
    assert dora.get("/my-work", headers=HTML).status_code == 303  # back to the log-in


def test_the_admin_pages_name_things_never_by_id(demo: Demo, admin: dict) -> None:
    from tests.web.test_names_not_ids import crawl

    c = _as(demo, "admin@admin.example")
    assert crawl(c, ["/admin", "/admin/units", "/admin/people", "/admin/rules",
                     "/admin/workspace", "/admin/cadences"], limit=60) == {}


def test_a_subtree_admin_sees_admin_and_manages_people_in_their_subtree(
        demo: Demo, admin: dict) -> None:
    c = _as(demo, "subadmin@admin.example")
    assert 'href="/admin"' in c.get("/my-work", headers=HTML).text
    home = c.get("/admin", headers=HTML).text
    assert 'href="/admin/people"' in home and 'href="/admin/themes"' not in home
    r = _post(c, "/admin/people/new", {"name": "Sub Hire", "email": "subhire@admin.example",
                                       "title": "", "manager": "",
                                       "unit": admin["unit_name"]})
    assert r.status_code == 303, r.text


def test_a_rule_identical_to_an_existing_one_is_refused_on_the_page(demo: Demo,
                                                                     admin: dict) -> None:
    c = _as(demo, "admin@admin.example")
    # (the demo is shared by the module's tests: a rule none of them adds)
    form = {"name": "Gaps in the unit", "signal_kind": "reality_gap",
            "min_severity": "1", "scope": admin["unit_name"], "ladder": "2, 5, 9"}
    assert _post(c, "/admin/rules/new", form).status_code == 303
    r = _post(c, "/admin/rules/new", {**form, "name": "Promises broken", "ladder": "1, 2"})
    assert r.status_code == 422
    assert "identical rule" in r.text and "“Gaps in the unit”" in r.text
    assert "Promises broken" not in c.get("/admin/rules", headers=HTML).text

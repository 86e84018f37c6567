"""What a newcomer met on `make run`: the top bar names each page as its heading does and
fits the role; one date format on every page; steerco's terms explained where they appear;
the finance list uses the page's width; the explorer says why it is empty."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Credential, OrgUnit, Person, RoleGrant, Workspace
from steerco.governance.ladder import run_ladder
from steerco.views.glossary import KINDS, TERMS
from steerco.web.pages import explorer
from tests.web.test_pages_status import HTML, PASSWORD, Demo, _client, pages


def _as(demo: Demo, role: str) -> Any:
    """A logged-in client holding `role` workspace-wide (granted here when the shared
    demo has no such login yet)."""
    if role not in demo.logins:
        with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
            s.info["actor"] = "test"
            ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
            taken = list(s.scalars(select(Credential.person_id))) + list(
                s.scalars(select(RoleGrant.person_id)))
            person = s.scalar(select(Person.id).where(
                Person.workspace_id == ws, Person.id.not_in(taken)).order_by(
                Person.id.desc()).limit(1))
            login = f"{role.replace('_', '-')}-nav@pages.example"
            accounts.set_credential(s, ws, person, {"login": login, "password": PASSWORD})
            accounts.add_grant(s, ws, {"person_id": person, "role": role})
            demo.logins[role] = login
    return _client(demo, role)


@pytest.fixture(scope="module")
def laddered(demo: Demo) -> Demo:
    """The demo with its escalation ladder run, so that escalations are open."""
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        run_ladder(s, ws, dt.date.today())
    return demo


def _nav(page: str) -> list[tuple[str, str]]:
    """(href, label) of every link of the main navigation."""
    nav = page.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return [(h, _text(t)) for h, t in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav)]


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _h1(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found is not None
    return _text(found.group(1))


def _visible(page: str) -> str:
    """The text a reader sees: no scripts, tags or attribute values."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<script\b.*?</script>", " ", body, flags=re.S)
    body = re.sub(r"<(textarea|select)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.mark.parametrize("role, finance, admin", [
    ("viewer", False, False), ("owner", False, False), ("controller", True, False),
    ("strategy_office", True, True), ("executive", True, False), ("admin", True, True)])
def test_the_top_bar_fits_the_role(demo: Demo, role: str, finance: bool,
                                   admin: bool) -> None:
    links = dict(_nav(_as(demo, role).get("/cockpit", headers=HTML).text))
    assert ("/finance" in links) is finance, role
    assert ("/admin" in links) is admin, role
    assert {"/my-work", "/cockpit", "/escalations", "/decisions", "/reviews"} <= set(links)


def test_every_top_bar_item_is_named_as_the_heading_of_the_page_it_opens(
        demo: Demo) -> None:
    c = _as(demo, "admin")
    links = _nav(c.get("/cockpit", headers=HTML).text)
    assert ("/decisions", "Decision log") in links and ("/escalations", "Escalations") in links
    for href, label in links:
        r = c.get(href, headers=HTML)
        assert r.status_code == 200, href
        label = re.sub(r"\s*\d+$", "", label)  # "My work 3": the inbox badge
        assert label.lower() in _h1(r.text).lower(), (href, label, _h1(r.text))


def test_no_page_shows_a_date_in_iso_form(demo: Demo) -> None:
    """One user-facing date format ("1 Dec 2026"); ISO stays in inputs and the API."""
    c = _as(demo, "strategy_office")
    extra = ["/finance", "/escalations?who=all", "/reviews", "/admin/jobs"]
    for path in [*pages(demo), *extra]:
        text = _visible(c.get(path, headers=HTML).text)
        iso = re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text)
        assert not iso, (path, iso[:3])
    page = c.get("/finance", headers=HTML).text
    line = re.search(r'href="(/finance/bud_\d+)"', page)
    assert line is not None
    assert not re.findall(r"\b\d{4}-\d{2}-\d{2}\b", _visible(c.get(line.group(1)).text))


def _unexplained(page: str, label: str) -> list[str]:
    """Where `label` shows in the page's text outside an <abbr> that explains it."""
    body = re.sub(r"<script\b.*?</script>", " ", page.split("<body", 1)[1], flags=re.S)
    body = re.sub(r'<abbr title="[^"]+">.*?</abbr>', " ", body, flags=re.S)
    body = re.sub(r'\s(title|aria-label|data-[a-z-]+)="[^"]*"', " ", body)
    text = re.sub(r"<option\b.*?</option>", " ", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return [text[max(0, m.start() - 40):m.end() + 40]
            for m in re.finditer(re.escape(label), text)]


def test_steercos_terms_are_explained_wherever_they_show(laddered: Demo) -> None:
    demo = laddered
    c = _as(demo, "strategy_office")
    found: set[str] = set()
    paths = [*pages(demo), "/findings?kind=reality_gap", "/findings?kind=green_dashboard",
             "/findings?kind=noise_metric", "/escalations?who=all"]
    page = c.get("/escalations?who=all", headers=HTML).text
    opened = sorted(set(re.findall(r'href="(/escalations/esc_\d+)"', page)))
    assert opened
    paths += opened[:2]
    for path in paths:
        page = c.get(path, headers=HTML).text
        for key in ("spi", "cpi", "p_hit", "reality_gap", "green_dashboard"):
            label, _ = TERMS[key]
            assert not _unexplained(page, label), (path, label, _unexplained(page, label))
            if f">{html.escape(label)}</abbr>" in page:
                found.add(key)
        assert "Rung" not in _visible(page), path
        assert "Noise metric" not in _visible(page), path
    assert found >= {"spi", "cpi", "p_hit", "reality_gap"}, found
    gaps = c.get("/findings?kind=reality_gap", headers=HTML).text
    assert f'<abbr title="{escape(KINDS["reality_gap"][1])}">Reality gap</abbr>' in gaps
    # A finding kind in plain words where jargon is not needed ("Noise metric").
    assert f'<option value="noise_metric" selected>{KINDS["noise_metric"][0]} (' in \
        c.get("/findings?kind=noise_metric", headers=HTML).text


def test_the_escalations_say_the_escalation_level_in_words(laddered: Demo) -> None:
    page = _as(laddered, "strategy_office").get("/escalations?who=all", headers=HTML).text
    assert f'<abbr title="{escape(TERMS["escalation_level"][1])}">Escalation level' \
        in page
    assert ">Rung<" not in page and 'id="escalation-list"' in page


def test_the_finance_list_spans_the_page(demo: Demo) -> None:
    """Not the left two thirds of a two-column grid, whose right column stays empty for
    those who may not add a line."""
    for role in ("viewer", "controller"):
        page = _as(demo, role).get("/finance", headers=HTML).text
        main = page.split('id="main"', 1)[1]
        assert "grid-main" not in main.split('id="lines"', 1)[0], role


def test_an_explorer_scope_with_nothing_to_draw_says_why_and_what_to_do(
        demo: Demo) -> None:
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        s.info["actor"] = "test"
        ws = s.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        root = s.scalar(select(OrgUnit).where(OrgUnit.workspace_id == ws,
                                              OrgUnit.parent_id.is_(None)))
        unit = OrgUnit(workspace_id=ws, name="Quiet unit", code="QUIET",
                       kind=root.kind, parent_id=root.id)
        s.add(unit)
        s.flush()
        uid = unit.id
    c = _as(demo, "strategy_office")
    page = c.get(f"/explorer?unit=org_{uid}", headers=HTML).text
    assert 'id="explorer-empty"' in page
    assert "No initiative in Quiet unit has a dependency" in page
    assert 'href="/explorer?view=all"' in page
    assert 'id="dep-graph"' not in page
    everything = c.get("/explorer?view=all", headers=HTML).text
    assert 'id="explorer-empty"' not in everything and 'id="dep-graph"' in everything
    assert re.search(r"[1-9][\d,]* items and [1-9][\d,]* dependencies in view", everything)


def test_without_a_broken_dependency_the_explorer_starts_on_all_dependencies(
        demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the real-data workspace: no dependency is broken, so there is no initiative
    to start at; the explorer draws every dependency instead of "0 items"."""
    monkeypatch.setattr(explorer, "_default_initiative", lambda work: None)
    page = _as(demo, "strategy_office").get("/explorer", headers=HTML).text
    assert 'id="explorer-empty"' not in page
    assert re.search(r"[1-9][\d,]* items and [1-9][\d,]* dependencies in view", page)
    assert "<h1>Dependencies · whole workspace</h1>" in page

"""Pages name things by title or a person's name: a raw id (`dep_3`, `per_12`) appears
only in links' addresses and tooltips, never in the text a reader sees."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.web.test_pages_status import HTML, Demo, _client, pages

RAW_ID = re.compile(r"\b[a-z]{3}_\d+\b")
#: Elements whose text no reader sees.
HIDDEN = {"script", "style", "template", "datalist", "option"}
#: Where a crawl never goes: files, the API, actions and endless variants of a list.
SKIP = re.compile(r"^/(static|api|docs|logout|openapi)|\.(csv|json|xlsx|png|svg)$")
HREF = re.compile(r'<a\b[^>]*\bhref="(/[^"#]*)"')


class VisibleText(HTMLParser):
    """The text of a page outside scripts, styles and attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def raw_ids(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return sorted(set(RAW_ID.findall(" ".join(parser.chunks))))


def test_the_scanner_sees_ids_in_text_but_not_in_links_addresses_or_tooltips() -> None:
    assert raw_ids('<p>slipped: dep_3</p>') == ["dep_3"]
    assert raw_ids('<a href="/go/dep_3" title="dep_3">Reduce packaging cost</a>') == []


def test_no_demo_page_shows_a_raw_id_as_a_label(demo: Demo) -> None:
    c = _client(demo, "strategy_office")
    found = {}
    for path in [*pages(demo), f"/objectives/obj_{demo.objective}/edit", "/objectives/new"]:
        r = c.get(path, headers=HTML)
        assert r.status_code == 200, path
        if ids := raw_ids(r.text):
            found[path] = ids[:5]
    assert found == {}


def shape(path: str) -> str:
    """A page's kind: its path with ids and numbers wildcarded, and its query's keys (a
    filtered list is a kind of its own; its values are not)."""
    parts = urlsplit(path)
    keys = sorted({kv.split("=")[0] for kv in parts.query.split("&") if kv} - {"page"})
    return re.sub(r"[a-z]{3}_\d+|\d+", "*", parts.path) + "?" + "&".join(keys)


def crawl(c: object, start: list[str], per_shape: int = 2, limit: int = 300) -> dict:
    """Visit pages reachable by links from `start` (at most `per_shape` of each kind) and
    return {path: raw ids in its visible text} for the pages that show any."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    todo = deque(start)
    found: dict[str, list[str]] = {}
    while todo and len(seen) < limit:
        path = todo.popleft().replace("&amp;", "&")
        kind = shape(path)
        if path in seen or SKIP.search(urlsplit(path).path) or shapes.get(kind, 0) >= per_shape:
            continue
        seen.add(path)
        shapes[kind] = shapes.get(kind, 0) + 1
        r = c.get(path, headers=HTML)  # type: ignore[attr-defined]
        if r.status_code in (302, 303) and r.headers["location"].startswith("/"):
            todo.appendleft(r.headers["location"])
            shapes[kind] -= 1  # a redirect is no visit; where it leads is
            continue
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        if ids := raw_ids(r.text):
            found[path] = ids[:5]
        todo.extend(HREF.findall(r.text))
    assert len(seen) > 20, seen  # the walk did reach the site
    return found


@pytest.mark.parametrize("role", ["strategy_office", "viewer"])
def test_no_page_reachable_from_the_menus_shows_a_raw_id(demo: Demo, role: str) -> None:
    c = _client(demo, role)
    start = ["/my-work", "/cockpit", "/objectives", "/metrics", "/initiatives", "/explorer",
             "/findings", "/units", "/admin", "/admin/tokens"]
    assert crawl(c, start) == {}

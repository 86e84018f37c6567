"""Pages name things by title or a person's name: a raw id (`dep_3`, `per_12`) appears
only in links' addresses and tooltips, never in the text a reader sees."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.web.test_pages_status import HTML, Demo, _client, pages

RAW_ID = re.compile(r"\b[a-z]{3}_\d+\b")
#: Elements whose text no reader sees.
HIDDEN = {"script", "style", "template", "datalist", "option"}


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

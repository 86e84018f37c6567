"""OKRs written as nested markdown lists (like Sourcegraph's published quarterly OKRs).

    # CY19-Q4 OKRs
    1. **CEO: Net new ARR**                                  ← objective (company level)
       1. **Sales (Closing Deals): Reach $N net new ARR**    ← objective under it
          1. Sales (Closing Deals) KR: Convert 70% of trials ← key result
          1. Product KR: Increase SWAUs by 25% => Shipped    ← … with its end-of-quarter note

The rules, so that counts can be checked against a file: an item is a key result when its
label ends in "KR" ("Product KR: …") or when it has no "Team:" label at all (a plain
bullet under an objective); every other item is an objective, aligned to the objective
it is nested in, at the level of its depth (company, department, team). The label names
the owning team: it becomes an org unit with an owner of the same name. A key result
is a 0 → 100 % metric over the quarter; its note after "=>" becomes a final check-in when
a value can be read from its start ("Done", "Shipped", "Achieved" → 100, "Not done" → 0,
"66% …" → 66) and stays a note (the metric's description) otherwise. An objective that
carries a note itself (as in Q3, where objectives have no key results) gets one key
result, "<objective> (end of quarter)", for that note; the note is also kept in the
objective's description.

The document becomes a `Book` of ordinary sheets and goes through the one pipeline:
all or nothing, a dry run, idempotent by keys derived from the outline ("Q4-1.2.1").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from steerco.transfer.read import Book, Table
from steerco.transfer.spec import BY_NAME

_ITEM = re.compile(r"^(?P<indent>\s*)\d+\.\s+(?P<text>.+?)\s*$")
_QUARTER = re.compile(r"CY(?P<yy>\d{2,4})[- ]?Q(?P<q>[1-4])", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LABEL = re.compile(r"^(?P<label>[A-Z][^:]{0,60}?):\s+(?P<rest>.+)$")
_DONE = re.compile(r"^(done|shipped|achieved|completed?)\b", re.I)
_NOT_DONE = re.compile(r"^not done\b", re.I)
_PERCENT = re.compile(r"^~?(\d+(?:\.\d+)?)\s*%")


@dataclass
class Item:
    text: str
    team: str | None
    is_kr: bool
    note: str | None
    depth: int
    path: str
    children: list[Item] = field(default_factory=list)

    @property
    def value(self) -> float | None:
        """The final value the note states, or None when it states none we can read."""
        if self.note is None:
            return None
        if _NOT_DONE.match(self.note):
            return 0.0
        if _DONE.match(self.note):
            return 100.0
        m = _PERCENT.match(self.note)
        return float(m.group(1)) if m else None


@dataclass
class OkrDoc:
    title: str
    quarter: str
    start: dt.date
    end: dt.date
    roots: list[Item]

    def walk(self) -> list[Item]:
        out: list[Item] = []
        stack = list(reversed(self.roots))
        while stack:
            it = stack.pop()
            out.append(it)
            stack.extend(reversed(it.children))
        return out


class OkrParseError(ValueError):
    pass


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", _LINK.sub(r"\1", text).replace("**", "")).strip()


def parse(text: str, name: str = "okrs.md") -> OkrDoc:
    """The outline of the document; the quarter comes from its title (e.g. 'CY19-Q3')."""
    title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")),
                 "")
    m = _QUARTER.search(title) or _QUARTER.search(name)
    if m is None:
        raise OkrParseError(f"{name}: no quarter in the title (like '# CY19-Q3 OKRs')")
    year = int(m.group("yy"))
    year = year + 2000 if year < 100 else year
    q = int(m.group("q"))
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1))
    roots: list[Item] = []
    stack: list[tuple[int, Item]] = []
    counters: dict[str, int] = {}
    for line in text.splitlines():
        im = _ITEM.match(line)
        if im is None:
            continue
        indent = len(im.group("indent").expandtabs(4))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1] if stack else None
        body, _, note = im.group("text").partition("=>")
        body = _plain(body)
        lm = _LABEL.match(body)
        label = lm.group("label").strip() if lm else None
        is_kr = label is None or label.endswith(" KR") or label == "KR"
        team = label.removesuffix(" KR").strip() if label else (parent.team if parent else None)
        prefix = parent.path if parent else f"Q{q}-{year % 100:02d}"
        counters[prefix] = counters.get(prefix, 0) + 1
        item = Item(text=lm.group("rest").strip() if lm else body, team=team or "Company",
                    is_kr=is_kr,
                    note=_plain(note) or None if note else None,
                    depth=(parent.depth + 1) if parent else 1,
                    path=f"{prefix}.{counters[prefix]}" if parent else
                    f"{prefix}-{counters[prefix]}")
        (parent.children if parent else roots).append(item)
        stack.append((indent, item))
    if not roots:
        raise OkrParseError(f"{name}: no numbered list of objectives found")
    return OkrDoc(title, f"Q{q} {year}", start, end, roots)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "team"


_PERSPECTIVE = (("financial", ("arr", "revenue", "cost", "budget", "financ", "deal")),
                ("customer", ("customer", "user", "swau", "engagement", "support")),
                ("learning_growth", ("hire", "hiring", "team", "culture", "train", "career")))


def _perspective(text: str) -> str:
    low = text.lower()
    for name, words in _PERSPECTIVE:
        if any(w in low for w in words):
            return name
    return "internal_process"


LEVELS = {1: "company", 2: "department"}


def to_book(doc: OkrDoc, domain: str = "okrs.example") -> Book:
    """The sheets this document stands for, rows numbered by the document's outline."""
    book = Book()

    def table(name: str) -> Table:
        t = Table(BY_NAME[name], BY_NAME[name].title)
        book.tables[name] = t
        return t

    units, people, objectives, alignments = (table("org_units"), table("people"),
                                             table("objectives"), table("alignments"))
    metrics, links, measurements = (table("metrics"), table("metric_objectives"),
                                    table("measurements"))
    company = "OKR-COMPANY"
    units.rows.append((1, {"code": company, "name": "Company", "kind": "company"}))
    teams: dict[str, str] = {}

    def owner(team: str) -> str:
        if team not in teams:
            code = f"OKR-{_slug(team).upper()}"
            teams[team] = f"{_slug(team)}@{domain}"
            units.rows.append((len(units.rows) + 1, {"code": code, "name": team,
                                                     "kind": "team", "parent": company}))
            people.rows.append((len(people.rows) + 1, {
                "email": teams[team], "name": team, "title": f"owner of {team}'s OKRs",
                "org_unit": code}))
        return teams[team]

    def objective_of(item: Item, parent: Item | None) -> None:
        objectives.rows.append((len(objectives.rows) + 1, {
            "key": item.path, "title": item.text[:300],
            "description": f"End of {doc.quarter}: {item.note}" if item.note else None,
            "period_start": doc.start, "period_end": doc.end,
            "level": LEVELS.get(item.depth, "team"), "perspective": _perspective(item.text),
            "owner": owner(item.team or "Company"),
            "org_unit": f"OKR-{_slug(item.team or 'Company').upper()}"}))
        if parent is not None:
            alignments.rows.append((len(alignments.rows) + 1,
                                    {"child": item.path, "parent": parent.path}))

    def kr_of(item: Item, parent: Item) -> None:
        note = f"End of {doc.quarter}: {item.note}" if item.note else None
        metrics.rows.append((len(metrics.rows) + 1, {
            "key": item.path, "name": item.text[:300], "kind": "key_result", "unit": "%",
            "direction": "increase_to", "baseline_value": 0.0, "baseline_date": doc.start,
            "target_value": 100.0, "target_date": doc.end, "cadence": "monthly",
            "owner": owner(item.team or parent.team or "Company"), "description": note}))
        links.rows.append((len(links.rows) + 1, {"metric": item.path, "objective": parent.path}))
        if item.value is not None:
            measurements.rows.append((len(measurements.rows) + 1, {
                "metric": item.path, "as_of": doc.end, "value": item.value, "note": item.note}))

    def visit(item: Item, parent: Item | None) -> None:
        if item.is_kr and parent is not None:
            kr_of(item, parent)
            # A key result's own bullets are part of it, not further key results.
            return
        objective_of(item, parent)
        if item.note:
            kr_of(_note_kr(item), item)
        for child in item.children:
            visit(child, item)

    for root in doc.roots:
        visit(root, None)
    return book


def _note_kr(item: Item) -> Item:
    """An objective's own end-of-quarter note, as a key result the note can check in on."""
    return Item(text=f"{item.text[:280]} (end of quarter)", team=item.team, is_kr=True,
                note=item.note, depth=item.depth + 1, path=f"{item.path}-EOQ")


def counts(doc: OkrDoc) -> dict[str, int]:
    """Objectives, listed key results, key results made for objectives' notes, and final
    check-ins, by the rules above (what an import creates)."""
    objectives = krs = noted = checkins = 0

    def visit(item: Item, parent: Item | None) -> None:
        nonlocal objectives, krs, noted, checkins
        checkins += item.value is not None
        if item.is_kr and parent is not None:
            krs += 1
            return
        objectives += 1
        noted += item.note is not None
        for c in item.children:
            visit(c, item)

    for r in doc.roots:
        visit(r, None)
    return {"objectives": objectives, "key_results": krs, "note_key_results": noted,
            "checkins": checkins}


__all__ = ["Any", "OkrDoc", "OkrParseError", "counts", "parse", "to_book"]

"""Jira Cloud (REST v3 search, Agile board epics) → initiatives, milestones, dependencies.

What becomes what (the `JiraSettings` choose):
- an issue of an `initiative_types` type (default Epic), and every epic of the chosen
  `boards` (Agile API), becomes an initiative keyed by its issue key;
- every other issue becomes a milestone keyed by its issue key, of its parent epic's
  initiative, or else of one initiative per project (key `jira:<PROJECT>`);
- summary → name; assignee → owner by e-mail (unknown e-mail: owner left empty, said so);
  due date → due date (an issue without one is due on its resolution day, or else the
  day it was last updated: a milestone needs a date); a done status (`done_statuses`, or
  else Jira's "done" status category) → completed on the resolution day, with the issue's
  browse URL as evidence;
- an issue link whose phrase ("blocks", "is blocked by", "depends on", …) is in
  `link_types` becomes a provider → consumer dependency: the phrase says whether the issue
  that carries it provides ("blocks") or consumes ("is blocked by"). Both ends of a link
  carry it; the same pair twice is one dependency.

Incremental: the search asks for `updated >= cursor` (minute precision, in the Jira
account's time zone) ordered by `updated`, pages by startAt/maxResults, and the cursor
moves to the newest `updated` seen; an issue seen again is simply unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from steerco.transfer.connectors.http import Client

#: The phrase on an issue → whether that issue is the provider or the consumer.
DEFAULT_LINK_TYPES: dict[str, str] = {
    "blocks": "provider", "is blocked by": "consumer",
    "depends on": "consumer", "is depended on by": "provider",
    "depends upon": "consumer", "is depended upon by": "provider",
}
FIELDS = "summary,assignee,duedate,status,issuetype,issuelinks,updated,resolutiondate," \
         "parent,project"
PAGE = 100


class JiraSettings(BaseModel):
    """A workspace's Jira choices (stored as the connector's `settings`)."""

    projects: list[str] = Field(default_factory=list, description="project keys, e.g. EX")
    jql: str | None = Field(default=None, description="a JQL query instead of projects")
    initiative_types: list[str] = Field(default_factory=lambda: ["Epic"])
    boards: list[int] = Field(default_factory=list, description="Agile boards whose epics "
                                                                "become initiatives")
    link_types: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_LINK_TYPES))
    done_statuses: list[str] = Field(default_factory=list)
    time_zone: str = "UTC"

    @field_validator("projects")
    @classmethod
    def _keys(cls, v: list[str]) -> list[str]:
        out = [p.strip().upper() for p in v if p.strip()]
        for p in out:
            if not p.replace("_", "").isalnum():
                raise ValueError(f"{p!r} is not a project key (letters and digits)")
        return out

    @field_validator("link_types")
    @classmethod
    def _roles(cls, v: dict[str, str]) -> dict[str, str]:
        out = {k.strip().lower(): r.strip().lower() for k, r in v.items() if k.strip()}
        for k, r in out.items():
            if r not in ("provider", "consumer"):
                raise ValueError(f"link type {k!r}: say provider or consumer, not {r!r}")
        return out

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (KeyError, ValueError):
            raise ValueError(f"{v!r} is no IANA time zone") from None
        return v

    def scope(self) -> str:
        if self.jql and self.jql.strip():
            return f"({self.jql.strip()})"
        if not self.projects:
            raise ValueError("give project keys or a JQL query")
        return "project in (" + ", ".join(f'"{p}"' for p in self.projects) + ")"


def parse_time(text: str) -> dt.datetime:
    """Jira's '2022-07-15T09:19:41.802+0000' (or ISO with a colon) → aware datetime."""
    t = text.strip()
    if len(t) > 5 and t[-5] in "+-" and t[-4:].isdigit():
        t = t[:-2] + ":" + t[-2:]
    return dt.datetime.fromisoformat(t.replace("Z", "+00:00"))


def search_jql(settings: JiraSettings, cursor: str | None) -> str:
    """The search: the chosen scope, and only what changed since the cursor."""
    jql = settings.scope()
    if cursor:
        when = parse_time(cursor).astimezone(ZoneInfo(settings.time_zone))
        jql += f' AND updated >= "{when:%Y/%m/%d %H:%M}"'
    return jql + " ORDER BY updated ASC, key ASC"


def fetch_issues(client: Client, settings: JiraSettings,
                 cursor: str | None) -> Iterator[dict[str, Any]]:
    """Every issue of the scope updated since the cursor, page by page."""
    jql = search_jql(settings, cursor)
    start = 0
    while True:
        page = client.get("/rest/api/3/search", {"jql": jql, "startAt": start,
                                                 "maxResults": PAGE, "fields": FIELDS})
        issues = page.get("issues") or []
        yield from issues
        start += len(issues)
        if not issues or start >= int(page.get("total", 0)):
            return


def fetch_board_epics(client: Client, board: int) -> Iterator[dict[str, Any]]:
    """The epics of an Agile board: {id, key?, name, summary, done}, page by page."""
    start = 0
    while True:
        page = client.get(f"/rest/agile/1.0/board/{board}/epic",
                          {"startAt": start, "maxResults": 50})
        values = page.get("values") or []
        yield from values
        start += len(values)
        if not values or page.get("isLast", True):
            return


@dataclass
class Rows:
    """What the issues say, as rows of the import sheets, plus what could not be said."""

    initiatives: dict[str, dict[str, Any]] = field(default_factory=dict)
    milestones: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[tuple[str, str], str] = field(default_factory=dict)  # (prov, cons) → type
    warnings: list[str] = field(default_factory=list)
    newest: dt.datetime | None = None
    issues: int = 0
    outside: int = 0  # links to issues neither synced nor known


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return parse_time(text).date() if "T" in text else dt.date.fromisoformat(text[:10])


def _done(fields: dict[str, Any], settings: JiraSettings) -> bool:
    status = fields.get("status") or {}
    if settings.done_statuses:
        return str(status.get("name", "")).lower() in {s.lower()
                                                        for s in settings.done_statuses}
    return (status.get("statusCategory") or {}).get("key") == "done"


def _owner(fields: dict[str, Any], key: str, people: set[str], out: Rows) -> str | None:
    mail = ((fields.get("assignee") or {}).get("emailAddress") or "").strip().lower()
    if not mail:
        return None
    if mail in people:
        return mail
    out.warnings.append(f"{key}: assignee {mail} is no person in this workspace; "
                        "owner left empty")
    return None


def map_issues(issues: list[dict[str, Any]], settings: JiraSettings, base_url: str,
               people: set[str], epics: list[dict[str, Any]] | None = None,
               known_initiatives: frozenset[str] = frozenset()) -> Rows:
    """Turn search results (and board epics) into initiative, milestone and link rows."""
    out = Rows()
    types = {t.lower() for t in settings.initiative_types}
    browse = base_url.rstrip("/") + "/browse/"
    for e in epics or []:
        key = str(e.get("key") or f"epic-{e['id']}")
        out.initiatives[key] = {"key": key, "name": (e.get("summary") or e.get("name")
                                                     or key)[:200]}
    by_key = {i["key"]: i for i in issues}
    for issue in issues:
        key, f = issue["key"], issue.get("fields") or {}
        out.issues += 1
        if f.get("updated"):
            seen = parse_time(str(f["updated"]))
            out.newest = seen if out.newest is None or seen > out.newest else out.newest
        name = (f.get("summary") or key)[:200]
        owner = _owner(f, key, people, out)
        _links(key, f, settings, out)
        itype = str((f.get("issuetype") or {}).get("name", "")).lower()
        if itype in types:
            out.initiatives[key] = {"key": key, "name": name, "owner": owner,
                                    "due_date": _date(f.get("duedate"))}
            continue
        parent = f.get("parent") or {}
        ptype = ((parent.get("fields") or {}).get("issuetype") or
                 ((by_key.get(parent.get("key", "")) or {}).get("fields") or {}).get(
                     "issuetype") or {}).get("name", "")
        if parent.get("key") and (str(ptype).lower() in types or parent["key"] in
                                  out.initiatives or parent["key"] in known_initiatives):
            initiative = str(parent["key"])
        else:
            project = f.get("project") or {"key": key.split("-")[0]}
            initiative = f"jira:{project['key']}"
            out.initiatives.setdefault(initiative, {
                "key": initiative, "name": (project.get("name") or project["key"])[:200]})
        done = _done(f, settings)
        finished = _date(f.get("resolutiondate")) or _date(f.get("updated"))
        due = _date(f.get("duedate")) or _date(f.get("resolutiondate")) or \
            _date(f.get("updated"))
        out.milestones[key] = {
            "key": key, "initiative": initiative, "name": name, "owner": owner,
            "due_date": due or dt.date.today(),
            "completed_on": finished if done else None,
            "evidence_url": browse + key if done else None,
        }
    return out


def _links(key: str, f: dict[str, Any], settings: JiraSettings, out: Rows) -> None:
    """The issue's links of the chosen phrases, as (provider, consumer) pairs."""
    for link in f.get("issuelinks") or []:
        t = link.get("type") or {}
        if "outwardIssue" in link:
            other, phrase = link["outwardIssue"].get("key"), t.get("outward", "")
        elif "inwardIssue" in link:
            other, phrase = link["inwardIssue"].get("key"), t.get("inward", "")
        else:
            continue
        role = settings.link_types.get(str(phrase).strip().lower())
        if role is None or not other:
            continue
        pair = (key, str(other)) if role == "provider" else (str(other), key)
        # The link type's name, the same from both ends ("Blocks"), not the phrase.
        out.links.setdefault(pair, str(t.get("name") or phrase))

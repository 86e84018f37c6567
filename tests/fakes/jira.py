"""A fake Jira Cloud that answers with Atlassian's own shapes (../shared/data/jira).

Issues are built from the example issue of the OpenAPI spec (only the fields a sync asks
for are kept, with the spec's own shapes: status with statusCategory, issuetype, project,
assignee, issuelinks with type {name, inward, outward} and inwardIssue / outwardIssue).
The search endpoint understands exactly the JQL the connector sends: a project list or
a quoted query, `updated >= "yyyy/MM/dd HH:mm"` (UTC) and ORDER BY updated, key; it pages
by startAt/maxResults and reports total. `fail` queues answers (e.g. a 429 with a
Retry-After) given before the real one; `auth` is the Authorization header it demands.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

#: Apache's link phrases as Jira link types (outward, inward); others get an inverse.
APACHE_TYPES = {
    "Blocker": ("blocks", "is blocked by"),
    "Dependency": ("depends upon", "is depended upon by"),
    "Containment": ("contains", "is part of"),
    "Duplicate": ("duplicates", "is duplicated by"),
    "Reference": ("relates to", "is related to"),
    "Cloners": ("is cloned by", "is a clone of"),
    "Required": ("is required by", "requires"),
    "Incorporates": ("incorporates", "is part of"),
    "Supercedes": ("supercedes", "is superceded by"),
    "Breaks": ("breaks", "is broken by"),
}


@cache
def examples() -> dict[str, Any]:
    return json.loads((DATA / "jira" / "jira_cloud_v3_openapi_examples.json").read_text())


@cache
def agile_examples() -> dict[str, Any]:
    return json.loads((DATA / "jira" / "jira_software_agile_openapi_examples.json").read_text())


def jira_time(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def make_issue(key: str, summary: str, *, issuetype: str = "Task", status: str = "Open",
               done: bool = False, email: str | None = None,
               due: str | None = None, updated: dt.datetime | None = None,
               resolved: str | None = None, parent: tuple[str, str] | None = None,
               project_name: str | None = None) -> dict[str, Any]:
    """An issue in the shape of the spec's GET /rest/api/3/search example."""
    ex = examples()
    base = ex["GET /rest/api/3/search"]["issues"][0]
    link_status = ex["GET /rest/api/3/issueLink/{linkId}"]
    issue = {k: base[k] for k in ("expand", "id", "self", "key")}
    issue["key"], issue["id"] = key, str(abs(hash(key)) % 10**8)
    issue["self"] = base["self"].replace("10002", issue["id"])
    project = copy.deepcopy(base["fields"]["project"])
    project["key"] = key.split("-")[0]
    project["name"] = project_name or f"Project {project['key']}"
    st = copy.deepcopy(link_status["inwardIssue" if done else "outwardIssue"]["fields"]["status"])
    st["name"] = status
    st["statusCategory"]["key"] = "done" if done else "indeterminate"
    itype = copy.deepcopy(link_status["inwardIssue"]["fields"]["issuetype"])
    itype["name"] = issuetype
    fields: dict[str, Any] = {
        "summary": summary, "project": project, "status": st, "issuetype": itype,
        "issuelinks": [], "duedate": due, "resolutiondate": resolved,
        "updated": jira_time(updated or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        "assignee": None,
    }
    if email:
        author = copy.deepcopy(base["fields"]["comment"][0]["author"])
        author["emailAddress"] = email
        fields["assignee"] = author
    if parent:
        fields["parent"] = {"key": parent[0], "fields": {"issuetype": {"name": parent[1]}}}
    issue["fields"] = fields
    return issue


def link(issue: dict[str, Any], other: str, type_name: str, outward: str, inward: str,
         direction: str) -> None:
    """Add a link as the spec shows it: direction 'outward' = issue <outward> other."""
    ex = examples()["GET /rest/api/3/search"]["issues"][0]["fields"]["issuelinks"][0]
    entry = {"id": str(len(issue["fields"]["issuelinks"]) + 1),
             "type": {**ex["type"], "name": type_name, "inward": inward, "outward": outward}}
    end = copy.deepcopy(ex["outwardIssue"])
    end["key"] = other
    entry["outwardIssue" if direction == "outward" else "inwardIssue"] = end
    issue["fields"]["issuelinks"].append(entry)


def apache_issues(path: Path | None = None) -> list[dict[str, Any]]:
    """One issue per key of apache_issuelink_30.csv, every row as a link on its issue."""
    path = path or DATA / "issuelinks" / "apache_issuelink_30.csv"
    by_phrase = {}
    for name, (out, inn) in APACHE_TYPES.items():
        by_phrase[out] = (name, out, inn, "outward")
        by_phrase[inn] = (name, out, inn, "inward")
    issues: dict[str, dict[str, Any]] = {}
    rows = list(csv.DictReader(path.open(newline="")))
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for r in rows:
        for k in (r["issuekey"], r["linkedIssueKey"]):
            if k not in issues:
                issues[k] = make_issue(k, f"Apache issue {k}",
                                       updated=t0 + dt.timedelta(minutes=7 * len(issues)))
    for r in rows:
        name, out, inn, direction = by_phrase.get(
            r["name"], (r["name"].title(), r["name"], f"inverse of {r['name']}", "outward"))
        link(issues[r["issuekey"]], r["linkedIssueKey"], name, out, inn, direction)
    return list(issues.values())


class FakeJira:
    """Serves `issues` (and board epics) on a pytest-httpserver."""

    def __init__(self, server: HTTPServer, issues: list[dict[str, Any]], *,
                 auth: str | None = None, epics: dict[int, list[dict[str, Any]]] | None = None
                 ) -> None:
        self.server, self.issues, self.auth = server, issues, auth
        self.epics = epics or {}
        self.fail: list[tuple[int, dict[str, str]]] = []
        self.log: list[dict[str, str]] = []
        server.expect_request("/rest/api/3/search").respond_with_handler(self._search)
        server.expect_request(re.compile(r"^/rest/agile/1\.0/board/\d+/epic$")
                              ).respond_with_handler(self._epics)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _gate(self, request: Request) -> Response | None:
        self.log.append(dict(request.args) | {"path": request.path})
        if self.fail:
            status, headers = self.fail.pop(0)
            return Response(json.dumps({"errorMessages": ["Rate limit exceeded."]}),
                            status=status, headers=headers, content_type="application/json")
        if self.auth and request.headers.get("Authorization") != self.auth:
            return Response(json.dumps({"errorMessages": ["You are not authenticated."]}),
                            status=401, content_type="application/json")
        return None

    def _search(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        jql = request.args.get("jql", "")
        start, size = int(request.args.get("startAt", 0)), int(request.args.get("maxResults", 50))
        found = self.issues
        m = re.search(r'project in \(([^)]*)\)', jql)
        if m:
            keys = {p.strip().strip('"') for p in m.group(1).split(",")}
            found = [i for i in found if i["fields"]["project"]["key"] in keys]
        m = re.search(r'updated >= "(\d{4}/\d\d/\d\d \d\d:\d\d)"', jql)
        if m:
            since = dt.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M").replace(tzinfo=dt.UTC)
            found = [i for i in found if _updated(i) >= since]
        found = sorted(found, key=lambda i: (_updated(i), i["key"]))
        body = copy.deepcopy({k: v for k, v in examples()["GET /rest/api/3/search"].items()
                              if k != "issues"})
        body.pop("warningMessages", None)
        body |= {"startAt": start, "maxResults": size, "total": len(found),
                 "issues": found[start:start + size]}
        return Response(json.dumps(body), content_type="application/json")

    def _epics(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        board = int(request.path.split("/")[-2])
        values = self.epics.get(board, [])
        start, size = int(request.args.get("startAt", 0)), int(request.args.get("maxResults", 50))
        page = values[start:start + size]
        body = {"maxResults": size, "startAt": start, "total": len(values),
                "isLast": start + size >= len(values), "values": page}
        return Response(json.dumps(body), content_type="application/json")


def board_epic(key: str, summary: str, done: bool = False) -> dict[str, Any]:
    """An epic in the shape of the Agile spec's GET /board/{id}/epic example."""
    e = copy.deepcopy(agile_examples()["GET /rest/agile/1.0/board/{boardId}/epic"]["values"][0])
    return e | {"key": key, "summary": summary, "name": summary, "done": done}


def _updated(issue: dict[str, Any]) -> dt.datetime:
    return dt.datetime.strptime(issue["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.000+0000"
                                ).replace(tzinfo=dt.UTC)


def main() -> None:
    """`python -m tests.fakes.jira [CSV] [--port N]`: serve the Apache issue links (or
    another file of the same columns) as a fake Jira until Ctrl-C."""
    import argparse
    import time

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("csv", nargs="?", type=Path,
                   default=DATA / "issuelinks" / "apache_issuelink_30.csv")
    p.add_argument("--port", type=int, default=8089)
    args = p.parse_args()
    server = HTTPServer(host="127.0.0.1", port=args.port)
    server.start()
    jira = FakeJira(server, apache_issues(args.csv))
    print(f"fake Jira with {len(jira.issues)} issues of {args.csv.name} at {jira.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

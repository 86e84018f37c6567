"""A fake Asana answering with the shapes of Asana's OpenAPI examples (../shared/data/asana).

Goals, portfolios, portfolio items, projects and tasks as `{"data": …}`, lists paged with
`limit` / `offset` and `next_page` like the real API; a Bearer token is demanded.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes.jira import DATA


@cache
def examples() -> dict[str, Any]:
    return json.loads((DATA / "asana" / "asana_openapi_schema_examples.json").read_text())


def goal(gid: str, name: str, initial: float, target: float, current: float, *,
         owner: str | None, start: str, due: str, subtype: str = "number") -> dict[str, Any]:
    g = copy.deepcopy(examples()["GoalResponse"])
    g.update(gid=gid, name=name, start_on=start, due_on=due)
    g["metric"].update(initial_number_value=initial, target_number_value=target,
                       current_number_value=current, current_display_value=str(current),
                       resource_subtype=subtype)
    g["owner"]["email"] = owner
    return g


def task(gid: str, name: str, *, due: str | None, completed: bool = False,
         completed_at: str | None = None, assignee: str | None = None,
         milestone: bool = False, depends_on: tuple[str, ...] = ()) -> dict[str, Any]:
    t = copy.deepcopy(examples()["TaskResponse"])
    t.update(gid=gid, name=name, due_on=due, completed=completed, completed_at=completed_at,
             resource_subtype="milestone" if milestone else "default_task",
             dependencies=[{"gid": d, "resource_type": "task"} for d in depends_on],
             permalink_url=f"https://app.asana.com/1/12345/task/{gid}")
    t["assignee"]["email"] = assignee
    return t


def portfolio(gid: str, name: str, *, owner: str | None, start: str, due: str) -> dict[str, Any]:
    p = copy.deepcopy(examples()["PortfolioResponse"])
    p.update(gid=gid, name=name, start_on=start, due_on=due)
    p["owner"]["email"] = owner
    return p


class FakeAsana:
    def __init__(self, server: HTTPServer, *, token: str, goals: list[dict[str, Any]],
                 portfolios: dict[str, tuple[dict[str, Any], list[str]]],
                 projects: dict[str, tuple[str, list[dict[str, Any]]]]) -> None:
        self.token, self.goals = token, goals
        self.portfolios, self.projects = portfolios, projects
        self.log: list[dict[str, str]] = []
        server.expect_request(re.compile(r"^/api/1\.0/.*")).respond_with_handler(self._serve)
        self.url = server.url_for("/api/1.0")

    def _serve(self, request: Request) -> Response:
        self.log.append(dict(request.args) | {"path": request.path})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _json({"errors": [{"message": "Not Authorized"}]}, 401)
        path = request.path.removeprefix("/api/1.0")
        if path == "/goals":
            return self._page(request, self.goals)
        if m := re.fullmatch(r"/goals/(\w+)", path):
            return _json({"data": next(g for g in self.goals if g["gid"] == m.group(1))})
        if m := re.fullmatch(r"/portfolios/(\w+)", path):
            return _json({"data": self.portfolios[m.group(1)][0]})
        if m := re.fullmatch(r"/portfolios/(\w+)/items", path):
            return self._page(request, [{"gid": p, "resource_type": "project",
                                         "name": self.projects[p][0]}
                                        for p in self.portfolios[m.group(1)][1]])
        if m := re.fullmatch(r"/projects/(\w+)", path):
            return _json({"data": {"gid": m.group(1), "resource_type": "project",
                                   "name": self.projects[m.group(1)][0]}})
        if m := re.fullmatch(r"/projects/(\w+)/tasks", path):
            tasks = self.projects[m.group(1)][1]
            since = request.args.get("modified_since")
            if since:
                tasks = [t for t in tasks if t["modified_at"] >= since]
            return self._page(request, tasks)
        return _json({"errors": [{"message": f"No matching route for {path}"}]}, 404)

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        start, size = int(request.args.get("offset", 0)), int(request.args.get("limit", 100))
        nxt = None
        if start + size < len(items):
            nxt = {"offset": str(start + size), "path": request.path,
                   "uri": request.url}
        return _json({"data": items[start:start + size], "next_page": nxt})


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")

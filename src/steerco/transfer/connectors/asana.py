"""Asana → key results with a check-in, initiatives, milestones and dependencies.

What becomes what (the `AsanaSettings` choose):
- a goal with a metric (of the workspace, or of the chosen `goals`) becomes a key result
  (metric kind key_result, key `asana:<goal gid>`): initial value → baseline on the goal's
  start (or its time period's), target value → target on its due day (or the period's
  end), unit from the metric's type (percentage: %, currency: its code), direction from
  whether the target is above the start; its current value becomes a check-in as of the
  day of the sync (a later, different value that day is a correction);
- a portfolio becomes an initiative (`asana:<portfolio gid>`); the tasks of its projects,
  and of the chosen `projects` (each its own initiative), become milestones
  (`asana:<task gid>`): name, assignee → owner by e-mail, due_on, completed → completed
  on the completion day with the task's permalink as evidence; `milestones_only` keeps
  only tasks Asana marks as milestones; a task's `dependencies` become dependencies;
- owners are matched by e-mail; a goal whose owner is no person here is owned by
  `default_owner` (a key result needs an owner), or refused and said so.

Pages follow Asana's `next_page.offset`; tasks are asked for with `modified_since` the
cursor (the start of the last sync), goals and portfolios are read whole (few).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from steerco.transfer.connectors.http import Client

GOAL_FIELDS = "name,notes,due_on,start_on,time_period.start_on,time_period.end_on,owner.email," \
              "owner.name,metric.initial_number_value,metric.target_number_value," \
              "metric.current_number_value,metric.unit,metric.resource_subtype," \
              "metric.currency_code,metric.precision"
TASK_FIELDS = "name,due_on,completed,completed_at,assignee.email,resource_subtype," \
              "dependencies,permalink_url,modified_at"


class AsanaSettings(BaseModel):
    """A workspace's Asana choices (stored as the connector's `settings`)."""

    workspace: str = Field(default="", description="gid of the Asana workspace (its goals)")
    goals: list[str] = Field(default_factory=list, description="goal gids (else all)")
    portfolios: list[str] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)
    milestones_only: bool = False
    default_owner: str | None = Field(default=None, description="e-mail of the owner of "
                                                                "goals whose owner is unknown")


def pages(client: Client, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item of an Asana list, following next_page.offset."""
    offset: str | None = None
    while True:
        q = {**params, "limit": 100, **({"offset": offset} if offset else {})}
        page = client.get(path, q)
        yield from page.get("data") or []
        offset = ((page.get("next_page") or {}).get("offset"))
        if not offset:
            return


@dataclass
class AsanaData:
    goals: list[dict[str, Any]] = field(default_factory=list)
    portfolios: list[dict[str, Any]] = field(default_factory=list)
    #: (initiative key, initiative name or None, task)
    tasks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    projects: dict[str, str] = field(default_factory=dict)  # initiative key → name


def fetch(client: Client, s: AsanaSettings, cursor: str | None) -> AsanaData:
    out = AsanaData()
    if s.goals:
        for gid in s.goals:
            out.goals.append(client.get(f"/goals/{gid}", {"opt_fields": GOAL_FIELDS})["data"])
    elif s.workspace:
        out.goals = list(pages(client, "/goals", {"workspace": s.workspace,
                                                  "opt_fields": GOAL_FIELDS}))
    since = {"modified_since": cursor} if cursor else {}
    for gid in s.portfolios:
        p = client.get(f"/portfolios/{gid}", {"opt_fields": "name,start_on,due_on,owner.email"}
                       )["data"]
        out.portfolios.append(p)
        for item in pages(client, f"/portfolios/{gid}/items", {"opt_fields": "name"}):
            if item.get("resource_type", "project") != "project":
                continue
            for t in pages(client, f"/projects/{item['gid']}/tasks",
                           {"opt_fields": TASK_FIELDS, **since}):
                out.tasks.append((f"asana:{gid}", t))
    for gid in s.projects:
        p = client.get(f"/projects/{gid}", {"opt_fields": "name"})["data"]
        out.projects[f"asana:{gid}"] = str(p.get("name") or gid)
        for t in pages(client, f"/projects/{gid}/tasks", {"opt_fields": TASK_FIELDS, **since}):
            out.tasks.append((f"asana:{gid}", t))
    return out


@dataclass
class AsanaRows:
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    measurements: list[dict[str, Any]] = field(default_factory=list)
    initiatives: dict[str, dict[str, Any]] = field(default_factory=dict)
    milestones: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _mail(user: Any) -> str | None:
    return str(user.get("email") or "").strip().lower() or None if isinstance(user, dict) \
        else None


def _unit(m: dict[str, Any]) -> str:
    sub = str(m.get("resource_subtype") or m.get("unit") or "")
    if sub == "percentage":
        return "%"
    if sub == "currency":
        return str(m.get("currency_code") or "EUR")
    unit = m.get("unit")
    return str(unit) if unit and unit != "none" else "number"


def map_data(d: AsanaData, s: AsanaSettings, people: set[str], today: dt.date) -> AsanaRows:
    out = AsanaRows()
    for g in d.goals:
        m = g.get("metric") or {}
        key = f"asana:{g['gid']}"
        if m.get("initial_number_value") is None or m.get("target_number_value") is None:
            out.warnings.append(f"goal {g.get('name')!r} ({key}) has no metric with a start "
                                "and a target: left out")
            continue
        owner = _mail(g.get("owner"))
        if owner not in people:
            if owner:
                out.warnings.append(f"goal {g.get('name')!r}: owner {owner} is no person in "
                                    "this workspace; owned by the default owner")
            owner = (s.default_owner or "").lower() or owner or \
                str((g.get("owner") or {}).get("name") or "")
        period = g.get("time_period") or {}
        start = g.get("start_on") or period.get("start_on")
        due = g.get("due_on") or period.get("end_on")
        initial, target = float(m["initial_number_value"]), float(m["target_number_value"])
        out.metrics[key] = {
            "key": key, "name": str(g.get("name") or key)[:200], "kind": "key_result",
            "unit": _unit(m), "direction": "increase_to" if target >= initial else "decrease_to",
            "baseline_value": initial, "baseline_date": start, "target_value": target,
            "target_date": due, "owner": owner or None,
            "description": str(g.get("notes") or "")[:2000] or None,
        }
        if m.get("current_number_value") is not None:
            out.measurements.append({"metric": key, "as_of": today,
                                     "value": float(m["current_number_value"]),
                                     "note": "current value in Asana"})
    for p in d.portfolios:
        key = f"asana:{p['gid']}"
        owner = _mail(p.get("owner"))
        out.initiatives[key] = {"key": key, "name": str(p.get("name") or key)[:200],
                                "owner": owner if owner in people else None,
                                "start_date": p.get("start_on"), "due_date": p.get("due_on")}
    for key, name in d.projects.items():
        out.initiatives.setdefault(key, {"key": key, "name": name[:200]})
    for initiative, t in d.tasks:
        if s.milestones_only and t.get("resource_subtype") != "milestone":
            continue
        key = f"asana:{t['gid']}"
        owner = _mail(t.get("assignee"))
        if owner and owner not in people:
            out.warnings.append(f"task {t.get('name')!r}: assignee {owner} is no person in "
                                "this workspace; owner left empty")
            owner = None
        done = bool(t.get("completed"))
        finished = (t.get("completed_at") or "")[:10] or None
        out.milestones[key] = {
            "key": key, "initiative": initiative, "name": str(t.get("name") or key)[:200],
            "owner": owner, "due_date": t.get("due_on") or finished or
            (t.get("modified_at") or "")[:10] or today,
            "completed_on": (finished or today) if done else None,
            "evidence_url": t.get("permalink_url") if done else None,
        }
        for dep in t.get("dependencies") or []:
            if dep.get("gid"):
                out.links[(f"asana:{dep['gid']}", key)] = "dependency"
    return out

"""The dependency explorer: a scope's network, and the ripple of "X slips N days"."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from steerco.core import signals as sg
from steerco.core import workgraph as wgm
from steerco.core.schedule import NEVER
from steerco.core.snapshot import rows_of
from steerco.findings import service as fs
from steerco.kit.dates import NO_DAY, from_day
from steerco.kit.errors import ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views.names import (
    initiative_names,
    metric_names,
    milestone_names,
    objective_titles,
    subtree,
    unit_names,
    units_of_kinds,
)
from steerco.views.schedule_risk import dependency_risk, slip_what_if
from steerco.web.pages.common import WORK, Work, key_of, person_names, pid_key, today
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_NODES = 160


#: Scopes whose drawn network one `Work` keeps (see `_network`).
NETWORKS_KEPT = 64


def _edges(work: Work) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(provider node, consumer node) of every dependency, memoised per `Work`."""
    hit = work.memo.get("explorer_edges")
    if hit is None:
        p, c, _, _ = sg.edge_people(work.model.wg)
        hit = work.memo["explorer_edges"] = (p, c)
    return hit


def _everything(p: np.ndarray[Any, Any], c: np.ndarray[Any, Any]) -> set[int]:
    """The items of every dependency, at most MAX_NODES of them: whole neighbourhoods
    grown from the busiest items, so that what is drawn stays connected."""
    degree: dict[int, int] = {}
    nbrs: dict[int, list[int]] = {}
    for a, b in zip(p.tolist(), c.tolist(), strict=True):
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
        nbrs.setdefault(a, []).append(b)
        nbrs.setdefault(b, []).append(a)
    if len(degree) <= MAX_NODES:
        return set(degree)
    picked: set[int] = set()
    for start in sorted(degree, key=lambda n: (-degree[n], n)):
        if start in picked:
            continue
        queue = [start]
        picked.add(start)
        while queue and len(picked) < MAX_NODES:
            n = queue.pop(0)
            for m in nbrs[n]:
                if m not in picked and len(picked) < MAX_NODES:
                    picked.add(m)
                    queue.append(m)
        if len(picked) >= MAX_NODES:
            break
    return picked


def _scope_nodes(s: Session, ws: int, work: Work, initiative: int | None,
                 unit: int | None, everything: bool = False
                 ) -> tuple[np.ndarray[Any, Any], set[int]]:
    """(nodes to draw, nodes inside the scope) of the work graph."""
    wg = work.model.wg
    p, c = _edges(work)
    ok = (p >= 0) & (c >= 0)
    p, c = p[ok], c[ok]
    if everything:
        shown_all = _everything(p, c)
        return np.array(sorted(shown_all), dtype=np.int64), shown_all
    if initiative is not None:
        irow = int(rows_of(wg.initiatives.ids, [initiative])[0])
        seeds = set(np.flatnonzero(wg.initiative == irow).tolist())
        if irow >= 0:
            seeds.add(int(wg.initiative_node([irow])[0]))
    elif unit is not None:
        units = np.array(sorted(subtree(s, ws, unit)), dtype=np.int64)
        in_unit = np.isin(wg.initiatives.org_unit, units)
        rows = np.flatnonzero(in_unit)
        seeds = set(np.flatnonzero(np.isin(wg.initiative, rows)).tolist())
        seeds |= set(wg.initiative_node(rows).tolist())
    else:
        seeds = set()
    inside = set(seeds)
    # Only nodes that take part in a dependency are worth drawing.
    touching = set(p.tolist()) | set(c.tolist())
    inside &= touching
    shown = set(inside)
    frontier = set(inside)
    for _ in range(2 if initiative is not None else 1):
        nxt: set[int] = set()
        sel = np.isin(p, list(frontier)) | np.isin(c, list(frontier))
        nxt |= set(p[sel].tolist()) | set(c[sel].tolist())
        nxt -= shown
        room = MAX_NODES - len(shown)
        if room <= 0:
            break
        nxt_l = sorted(nxt)[:room]
        shown |= set(nxt_l)
        frontier = set(nxt_l)
    if len(shown) > MAX_NODES:
        shown = set(sorted(shown, key=lambda n: (n not in inside, n))[:MAX_NODES])
    return np.array(sorted(shown), dtype=np.int64), inside


def _labels(s: Session, ws: int, wg: wgm.WorkGraph, nodes: Any) -> dict[int, str]:
    ms = [int(wg.key[n]) for n in nodes if wg.kind[n] == wgm.MILESTONE]
    ini = [int(wg.key[n]) for n in nodes if wg.kind[n] != wgm.MILESTONE]
    ini_of_ms = {n: int(wg.initiatives.ids[wg.initiative[n]]) for n in nodes
                 if wg.kind[n] == wgm.MILESTONE and wg.initiative[n] >= 0}
    mnames = milestone_names(s, ws, ms)
    inames = initiative_names(s, ws, set(ini) | set(ini_of_ms.values()))
    out = {}
    for n in nodes:
        k = int(wg.key[n])
        if wg.kind[n] == wgm.MILESTONE:
            parent = inames.get(ini_of_ms.get(int(n), -1), "")
            out[int(n)] = f"{mnames.get(k, format_id('milestone', k))} · {parent}"
        else:
            out[int(n)] = inames.get(k, format_id("initiative", k))
    return out


def _node_id(wg: wgm.WorkGraph, n: int) -> str:
    return format_id("milestone" if wg.kind[n] == wgm.MILESTONE else "initiative",
                     int(wg.key[n]))


def _default_initiative(work: Work) -> int | None:
    """Where the explorer starts without a scope: the consumer of the most severe broken
    dependency."""
    wg = work.model.wg
    for f in work.findings:
        if f["kind"] == "broken_dependency":
            cons = f["evidence"].get("consumer") or ""
            ikey = None
            if cons.startswith("ini_"):
                ikey = pid_key(cons)
            elif cons.startswith("mil_"):
                n = int(wg.node_of(wgm.MILESTONE, [pid_key(cons) or -1])[0])
                if n >= 0 and wg.initiative[n] >= 0:
                    ikey = int(wg.initiatives.ids[wg.initiative[n]])
            if ikey is not None:
                return ikey
    return None


def _network(s: Session, ws: int, work: Work, ikey: int | None,
             ukey: int | None, everything: bool = False) -> dict[str, Any]:
    """The drawn network of a scope: elements, milestone options, the shown dependencies.

    Memoised per `Work`: everything it reads (the work graph, its schedule, the broken
    dependencies, org units and the names of milestones and initiatives) is an input of
    the findings (ENGINE_TABLES), so an edit to any of them makes a new `Work` and the
    next page draws afresh. A check-in alone keeps the `Work` until its background
    refresh, as the rest of the page does.
    """
    kept: dict[Any, dict[str, Any]] = work.memo.setdefault("explorer_networks", {})
    hit = kept.get((ikey, ukey, everything))
    if hit is not None:
        return hit
    wg, sched = work.model.wg, work.model.schedule
    nodes, inside = _scope_nodes(s, ws, work, ikey, ukey, everything)
    labels = _labels(s, ws, wg, nodes)
    elements: list[dict[str, Any]] = []
    options = []
    for n in nodes.tolist():
        fin = int(sched.early_finish[n])
        late = bool(not wg.done[n] and wg.due[n] != NO_DAY
                    and (fin >= NEVER or fin > wg.due[n]))
        cls = " ".join(x for x in ("late" if late else "", "done" if wg.done[n] else "",
                                   "" if n in inside else "outside") if x)
        nid = _node_id(wg, n)
        elements.append({"data": {"id": nid, "label": labels.get(n, nid)}, "classes": cls})
        if wg.kind[n] == wgm.MILESTONE and not wg.done[n]:
            options.append((nid, labels.get(n, nid)))
    p, c = _edges(work)
    # The dependencies with both ends drawn, in dependency order.
    shown = np.flatnonzero(np.isin(p, nodes) & np.isin(c, nodes) & (p >= 0) & (c >= 0))
    edges = []
    for e in shown.tolist():
        dep_key = int(wg.dependencies.ids[e])
        broken = dep_key in work.broken
        elements.append({"data": {"id": format_id("dependency", dep_key),
                                  "source": _node_id(wg, int(p[e])),
                                  "target": _node_id(wg, int(c[e]))},
                         "classes": "broken" if broken else ""})
        edges.append((dep_key, labels.get(int(p[e]), "?"), labels.get(int(c[e]), "?"),
                      _day_iso(int(wg.dependencies.need_day[e])), broken))
    options.sort(key=lambda o: o[1])
    out = {"elements": elements, "options": options[:300], "n_nodes": len(nodes),
           "edges": edges, "n_all": int(np.count_nonzero((p >= 0) & (c >= 0)))}
    if len(kept) >= NETWORKS_KEPT:
        kept.clear()
    kept[(ikey, ukey, everything)] = out
    return out


@router.get("/explorer")
def explorer(request: Request, user: User, initiative: str = "", unit: str = "",
             view: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        work = WORK.get(s, ws)
        ikey = key_of(initiative, "initiative") if initiative else None
        ukey = key_of(unit, "org_unit") if unit else None
        everything = view == "all" and ikey is None and ukey is None
        # Why this view is drawn, when nobody picked it: the page says so.
        start = ""
        if ikey is None and ukey is None and not everything:
            ikey = _default_initiative(work)
            start = "broken" if ikey is not None else "all"
            everything = ikey is None  # nothing is broken: draw every dependency
        net = _network(s, ws, work, ikey, ukey, everything)
        edges = net["edges"]
        # Chances come from the schedule-risk run, which lands in the background: asked
        # for on every page, for the drawn dependencies only.
        chances = dependency_risk(s, ws, wait=False, keys=[e[0] for e in edges])
        risky: list[dict[str, Any]] = []
        for dep_key, provider, consumer, need, _ in edges:
            ch = chances.get(dep_key, {})
            if ch.get("p_on_time") is not None:
                risky.append({**ch, "provider": provider, "consumer": consumer,
                              "need": need})
        scope_name = None
        if ikey is not None:
            scope_name = initiative_names(s, ws, [ikey]).get(ikey)
        elif ukey is not None:
            scope_name = unit_names(s, ws, [ukey]).get(ukey)
        units = units_of_kinds(s, ws, ["business_unit", "department"], 200, by_name=True)
    return render(request, "explorer.html", elements=net["elements"],
                  options=net["options"], n_nodes=net["n_nodes"], n_edges=len(edges),
                  n_broken=sum(1 for e in edges if e[4]), scope_name=scope_name,
                  everything=everything, start=start, n_all=net["n_all"],
                  max_nodes=MAX_NODES,
                  initiative=format_id("initiative", ikey) if ikey else "",
                  unit=unit, units=units, format_id=format_id, result=None, errors={},
                  form={"milestone": "", "days": "14"},
                  risky=sorted(risky, key=lambda x: (x["p_on_time"], -x["criticality"]))[:8])


def _day_iso(d: int) -> str | None:
    return None if d == NO_DAY or d >= NEVER else from_day(d).isoformat()


@router.post("/explorer/whatif")
def whatif(request: Request, user: FormUser,
           milestone: Annotated[str, Form(max_length=40)] = "",
           days: Annotated[str, Form(max_length=10)] = "") -> Response:
    errors: dict[str, str] = {}
    n_days = 0
    try:
        n_days = int(days)
        if not 1 <= n_days <= 730:
            raise ValueError
    except ValueError:
        errors["days"] = "Enter a whole number of days between 1 and 730."
    if not milestone.startswith("mil_"):
        errors["milestone"] = "Pick a milestone on the graph or in the list."
    result = None
    risk: dict[str, Any] | None = None
    names: dict[str, str] = {}
    people: dict[int, str] = {}
    ws = user.ctx.ws
    if not errors:
        with user.ctx.read() as s:
            try:
                result = fs.whatif(s, ws, today(s, ws), [f"{milestone}:{n_days}"])
            except ValidationFailed as exc:
                errors["milestone"] = exc.errors[0].message if exc.errors else exc.detail
            if result is not None:
                risk = slip_what_if(s, ws, pid_key(milestone) or 0, n_days, wait=False)
                names = _names(s, ws, result)
                names.update(_risk_names(s, ws, risk))
                people = person_names(s, ws, [pid_key(x.get(k)) for x in
                                              result["schedule"] + result["newly_broken"]
                                              for k in ("owner_id", "provider_owner_id",
                                                        "consumer_owner_id") if x.get(k)])
    data = None
    if result is not None:
        data = {"picked": milestone,
                "moved": [x["id"] for x in result["schedule"]],
                "broken": [x["id"] for x in result["newly_broken"]]}
    return render(request, "_ripple.html", result=result, errors=errors, names=names,
                  people=people, data=data, milestone=milestone, days=days, pid_key=pid_key,
                  risk=risk)


def _risk_names(s: Session, ws: int, risk: dict[str, Any] | None) -> dict[str, str]:
    """Names of the milestones and initiatives whose chance of being on time moved."""
    if not risk:
        return {}
    out = {f"mil_{k}": v for k, v in milestone_names(
        s, ws, [pid_key(x["id"]) for x in risk["milestones"]]).items()}
    out.update({f"ini_{k}": v for k, v in initiative_names(
        s, ws, [pid_key(x["id"]) for x in risk["initiatives"]]).items()})
    return out


def _names(s: Session, ws: int, r: dict[str, Any]) -> dict[str, str]:
    ids = [x["id"] for x in r["schedule"]] + [x[k] for x in r["newly_broken"]
                                              for k in ("provider", "consumer") if x.get(k)]
    ids += [x["id"] for x in r["metrics"]] + [x["id"] for x in r["objectives"]]
    ids += [i for x in r["ignored"] for i in [x["id"], *x["cycle"]]]
    by: dict[str, list[int]] = {}
    for i in ids[:2000]:
        prefix = i.split("_")[0]
        k = pid_key(i)
        if k is not None:
            by.setdefault(prefix, []).append(k)
    out: dict[str, str] = {}
    for prefix, named in (("mil", milestone_names), ("ini", initiative_names),
                          ("met", metric_names), ("obj", objective_titles)):
        keys = by.get(prefix)
        if keys:
            for k, name in named(s, ws, keys).items():
                out[f"{prefix}_{k}"] = name
    return out

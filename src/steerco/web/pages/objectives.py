"""Objectives: the list (filtered, paginated) and one objective's page."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from steerco.core.snapshot import rows_of
from steerco.db.enums import ObjectiveLevel, Perspective
from steerco.db.models import (
    Dependency,
    Initiative,
    InitiativeMetric,
    Metric,
    Milestone,
    Objective,
    OrgUnit,
    PlannedBenefit,
    Theme,
)
from steerco.evidence.service import metric_view, objective_labels, objective_view
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id
from steerco.web.pages import strategy_map
from steerco.web.pages.charts import metric_chart
from steerco.web.pages.common import (
    WORK,
    escalations_on,
    key_of,
    link,
    objective_row,
    pager,
    person_names,
    state,
    status_name,
)
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STATUSES = ["off_track", "missed", "at_risk", "stale", "no_data", "on_track", "achieved"]


@router.get("/objectives")
def objectives(request: Request, user: User, page: int = 1, q: str = "",
               level: str = "", perspective: str = "", status: str = "",
               unit: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        st = state(s, ws)
        stmt = select(Objective.id, Objective.title, Objective.level, Objective.perspective,
                      Objective.owner_id, Objective.org_unit_id).where(
            Objective.workspace_id == ws, Objective.archived.is_(False))
        if q:
            stmt = stmt.where(Objective.title.ilike(f"%{q[:100]}%"))
        if level in {lv.value for lv in ObjectiveLevel}:
            stmt = stmt.where(Objective.level == level)
        if perspective in {p.value for p in Perspective}:
            stmt = stmt.where(Objective.perspective == perspective)
        if unit:
            stmt = stmt.where(Objective.org_unit_id.in_(
                sorted(strategy_map.subtree(s, ws, key_of(unit, "org_unit")))))
        rows = s.execute(stmt.order_by(Objective.id)).all()
        o_status = st.evaluation.objectives.status
        o_prog = st.evaluation.objectives.progress
        # One status, or several separated by commas (the cockpit's "off track or missed").
        wanted = {x for x in status.split(",") if x in STATUSES}
        orows = rows_of(st.snapshot.objective_ids, [r[0] for r in rows])
        items: list[dict[str, Any]] = []
        for r, orow in zip(rows, orows.tolist(), strict=True):
            name = status_name(int(o_status[orow])) if orow >= 0 else "no_data"
            if wanted and name not in wanted:
                continue
            items.append({"id": format_id("objective", r[0]), "title": r[1],
                          "level": r[2].value, "perspective": r[3].value, "owner": r[4],
                          "status": name,
                          "progress": float(o_prog[orow]) if orow >= 0 else None})
        if status:  # a status filter lists the upper levels first
            order = {lv.value: i for i, lv in enumerate(ObjectiveLevel)}
            items.sort(key=lambda it: order.get(it["level"], 9))
        p = pager(page, len(items))
        shown = items[p.offset:p.offset + p.per_page]
        names = person_names(s, ws, [it["owner"] for it in shown])
    return render(request, "objectives.html", items=shown, pager=p, names=names, q=q,
                  level=level, perspective=perspective, status=status, unit=unit,
                  levels=[lv.value for lv in ObjectiveLevel],
                  perspectives=[pp.value for pp in Perspective], statuses=STATUSES)


def contributing_initiatives(s: Any, ws: int, metric_keys: list[int],
                             work: Any) -> list[dict[str, Any]]:
    """Initiatives linked to (or planning impact on) these metrics, with dependency health."""
    if not metric_keys:
        return []
    linked = select(InitiativeMetric.initiative_id).where(
        InitiativeMetric.workspace_id == ws, InitiativeMetric.metric_id.in_(metric_keys))
    impact = select(PlannedBenefit.initiative_id).where(
        PlannedBenefit.workspace_id == ws, PlannedBenefit.metric_id.in_(metric_keys))
    inis = s.execute(select(Initiative).where(
        Initiative.workspace_id == ws,
        or_(Initiative.id.in_(linked), Initiative.id.in_(impact))).order_by(
        Initiative.due_date).limit(40)).scalars().all()
    if not inis:
        return []
    keys = [i.id for i in inis]
    ms = s.execute(select(Milestone.id, Milestone.initiative_id).where(
        Milestone.workspace_id == ws, Milestone.initiative_id.in_(keys))).all()
    ms_of = {m: i for m, i in ms}
    deps = s.execute(select(Dependency.id, Dependency.provider_milestone_id,
                            Dependency.provider_initiative_id,
                            Dependency.consumer_milestone_id,
                            Dependency.consumer_initiative_id).where(
        Dependency.workspace_id == ws,
        or_(Dependency.consumer_milestone_id.in_(list(ms_of) or [-1]),
            Dependency.consumer_initiative_id.in_(keys),
            Dependency.provider_milestone_id.in_(list(ms_of) or [-1]),
            Dependency.provider_initiative_id.in_(keys)))).all()
    up: dict[int, int] = {}
    down: dict[int, int] = {}
    broken: dict[int, int] = {}
    for d, pm, pi, cm, ci in deps:
        consumer = ci if ci is not None else ms_of.get(cm)
        provider = pi if pi is not None else ms_of.get(pm)
        if consumer is not None and consumer in keys:
            up[consumer] = up.get(consumer, 0) + 1
            if d in work.broken:
                broken[consumer] = broken.get(consumer, 0) + 1
        if provider is not None and provider in keys:
            down[provider] = down.get(provider, 0) + 1
    owners = person_names(s, ws, [i.owner_id for i in inis])
    return [{"id": format_id("initiative", i.id), "name": i.name, "stage": i.stage.value,
             "due": i.due_date, "owner": owners.get(i.owner_id or -1, "—"),
             "upstream": up.get(i.id, 0), "downstream": down.get(i.id, 0),
             "broken": broken.get(i.id, 0), "stopped": i.stopped} for i in inis]


@router.get("/objectives/{oid}")
def objective(request: Request, oid: str, user: User) -> Response:
    ws = user.ctx.ws
    key = key_of(oid, "objective")
    with user.ctx.read() as s:
        obj = s.scalar(select(Objective).where(Objective.workspace_id == ws,
                                               Objective.id == key))
        if obj is None:
            raise NotFound("objective", oid)
        st = state(s, ws)
        g, snap = st.snapshot.graph, st.snapshot
        orow = objective_row(st, key)
        view = (objective_view(st, orow, objective_labels(s, ws, st, [orow]))
                if orow >= 0 else None)
        parents = children = []
        metric_rows: list[int] = []
        if orow >= 0:
            parents = [int(snap.objective_ids[p])
                       for p in g.up_obj_parent[g.up_obj_ptr[orow]:g.up_obj_ptr[orow + 1]]]
            children = [int(snap.objective_ids[c])
                        for c in g.in_obj_child[g.in_obj_ptr[orow]:g.in_obj_ptr[orow + 1]]]
            metric_rows = [int(m) for m in
                           g.in_met_metric[g.in_met_ptr[orow]:g.in_met_ptr[orow + 1]]]
        related = s.execute(select(Objective.id, Objective.title, Objective.level).where(
            Objective.workspace_id == ws, Objective.id.in_(parents + children))).all()
        rel = {k: (t, lv.value) for k, t, lv in related}
        o_status = st.evaluation.objectives.status

        def brief(k: int) -> dict[str, Any]:
            r = objective_row(st, k)
            return {"id": format_id("objective", k), "title": rel.get(k, ("?", ""))[0],
                    "level": rel.get(k, ("", ""))[1],
                    "status": status_name(int(o_status[r])) if r >= 0 else "no_data"}

        mkeys = [int(snap.metrics.ids[m]) for m in metric_rows]
        mrows_db = {m.id: m for m in s.execute(select(Metric).where(
            Metric.workspace_id == ws, Metric.id.in_(mkeys))).scalars().all()}
        krs: list[dict[str, Any]] = []
        for r in metric_rows:
            m = mrows_db.get(int(snap.metrics.ids[r]))
            if m is None:
                continue
            v = metric_view(st, r, m.unit)
            krs.append({"m": m, "v": v, "chart": metric_chart(st, r, m.name, m.unit),
                        "dom": f"chart-{format_id('metric', m.id)}"})
        order = {n: i for i, n in enumerate(STATUSES)}
        krs.sort(key=lambda k: order.get(k["v"]["status"], 9))
        work = WORK.get(s, ws)
        initiatives = contributing_initiatives(s, ws, mkeys, work)
        names = person_names(s, ws, [obj.owner_id, *[k["m"].owner_id for k in krs]])
        unit_name = obj.org_unit_id and s.scalar(select(OrgUnit.name).where(
            OrgUnit.id == obj.org_unit_id))
        theme = obj.theme_id and s.scalar(select(Theme.name).where(Theme.id == obj.theme_id))
        n_children = s.scalar(select(func.count()).select_from(Objective).where(
            Objective.workspace_id == ws, Objective.id.in_(children))) or 0
        escalations = escalations_on(s, ws, "objective", key)
        explanation = view["explanation"] if view else "Not evaluated: archived"
    return render(request, "objective.html", o=obj, view=view, krs=krs,
                  parents=[brief(k) for k in parents],
                  children=sorted([brief(k) for k in children],
                                  key=lambda b: order.get(b["status"], 9))[:50],
                  n_children=n_children, initiatives=initiatives, names=names,
                  unit_name=unit_name, theme=theme, explanation=explanation, link=link,
                  findings=work.of(format_id("objective", key)),
                  escalations=escalations,
                  coverage=None if view is None else view["coverage"],
                  np=np)

"""Objectives: the list (filtered, paginated) and one objective's page."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.core.snapshot import rows_of
from steerco.db.enums import ObjectiveLevel, Perspective
from steerco.evidence.service import metric_view, objective_labels, objective_view
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id
from steerco.views import objectives as views
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
    unit_names,
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
        rows = views.listed(s, ws, q, level, perspective,
                            key_of(unit, "org_unit") if unit else None)
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


@router.get("/objectives/{oid}")
def objective(request: Request, oid: str, user: User, saved: str = "") -> Response:
    ws = user.ctx.ws
    key = key_of(oid, "objective")
    with user.ctx.read() as s:
        obj = views.find(s, ws, key)
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
        rel = views.briefs(s, ws, parents + children)
        o_status = st.evaluation.objectives.status

        def brief(k: int) -> dict[str, Any]:
            r = objective_row(st, k)
            return {"id": format_id("objective", k), "title": rel.get(k, ("?", ""))[0],
                    "level": rel.get(k, ("", ""))[1],
                    "status": status_name(int(o_status[r])) if r >= 0 else "no_data"}

        mkeys = [int(snap.metrics.ids[m]) for m in metric_rows]
        mrows_db = views.metrics_by_key(s, ws, mkeys)
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
        initiatives = views.contributing_initiatives(s, ws, mkeys, work.broken)
        names = person_names(s, ws, [obj.owner_id, *[k["m"].owner_id for k in krs]])
        unit_name = unit_names(s, ws, [obj.org_unit_id]).get(obj.org_unit_id or -1)
        theme = views.theme_name(s, ws, obj.theme_id)
        n_children = views.count(s, ws, children)
        can_edit = user.can(s, "steer", obj.org_unit_id, [obj.owner_id])
        can_model = user.can(s, "model", obj.org_unit_id)
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
                  np=np, can_edit=can_edit, can_model=can_model, saved=bool(saved))

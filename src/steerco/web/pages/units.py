"""Org units and their balanced scorecard (the four perspectives of a unit's subtree)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.core.snapshot import rows_of
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id
from steerco.views import objectives as objective_views
from steerco.views import units as views
from steerco.views.names import subtree, unit_names
from steerco.web.pages.common import key_of, pager, person_names, state, status_name
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import User
from steerco.web.pages.strategy_map import LEVELS, PERSPECTIVE_LABELS, PERSPECTIVES

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ORDER = ["missed", "off_track", "stale", "at_risk", "no_data", "on_track", "achieved"]


@router.get("/units")
def units(request: Request, user: User, page: int = 1, q: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        p = pager(page, views.count(s, ws, q))
        rows = views.page(s, ws, q, p.offset, p.per_page)
        heads = person_names(s, ws, [u.head_id for u in rows])
        parents = unit_names(s, ws, [u.parent_id for u in rows])
    return render(request, "units.html", items=rows, pager=p, heads=heads, parents=parents,
                  q=q)


@router.get("/units/{uid}")
def unit(request: Request, uid: str, user: User) -> Response:
    ws = user.ctx.ws
    key = key_of(uid, "org_unit")
    with user.ctx.read() as s:
        u = views.find(s, ws, key)
        if u is None:
            raise NotFound("org unit", uid)
        st = state(s, ws)
        units_ = sorted(subtree(s, ws, key))
        objs = objective_views.in_units(s, ws, units_)
        orows = rows_of(st.snapshot.objective_ids, [o[0] for o in objs])
        o_status = st.evaluation.objectives.status
        o_prog = st.evaluation.objectives.progress
        cards: dict[str, dict[str, Any]] = {p: {"counts": Counter(), "items": []}
                                            for p in PERSPECTIVES}
        for o, r in zip(objs, orows.tolist(), strict=True):
            name = status_name(int(o_status[r])) if r >= 0 else "no_data"
            c = cards[o[3].value]
            c["counts"][name] += 1
            c["items"].append({"id": format_id("objective", o[0]), "title": o[1],
                               "level": o[2].value, "status": name, "owner": o[4],
                               "progress": float(o_prog[r]) if r >= 0 else None})
        for c in cards.values():
            c["items"].sort(key=lambda it: (LEVELS.index(it["level"]),
                                            ORDER.index(it["status"])))
            c["total"] = len(c["items"])
            c["items"] = c["items"][:8]
        names = person_names(s, ws, [u.head_id, *[it["owner"] for c in cards.values()
                                                  for it in c["items"]]])
        people = views.people_in(s, ws, units_)
        children = views.children(s, ws, key)
        parent = unit_names(s, ws, [u.parent_id]).get(u.parent_id or -1)
    return render(request, "unit.html", u=u, cards=cards, labels=PERSPECTIVE_LABELS,
                  names=names, n_units=len(units_), people=people, children=children,
                  parent=parent, format_id=format_id, n_objectives=len(objs))

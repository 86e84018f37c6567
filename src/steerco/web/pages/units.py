"""Org units and their balanced scorecard (the four perspectives of a unit's subtree)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from steerco.core.snapshot import rows_of
from steerco.db.models import Objective, OrgUnit, Person
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id
from steerco.web.pages.common import key_of, pager, person_names, state, status_name
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import User
from steerco.web.pages.strategy_map import LEVELS, PERSPECTIVE_LABELS, PERSPECTIVES, subtree

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ORDER = ["missed", "off_track", "stale", "at_risk", "no_data", "on_track", "achieved"]


@router.get("/units")
def units(request: Request, user: User, page: int = 1, q: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        stmt = select(OrgUnit).where(OrgUnit.workspace_id == ws)
        count = select(func.count()).select_from(OrgUnit).where(OrgUnit.workspace_id == ws)
        if q:
            stmt = stmt.where(OrgUnit.name.ilike(f"%{q[:100]}%"))
            count = count.where(OrgUnit.name.ilike(f"%{q[:100]}%"))
        p = pager(page, int(s.scalar(count) or 0))
        rows = s.execute(stmt.order_by(OrgUnit.kind, OrgUnit.name).offset(p.offset)
                         .limit(p.per_page)).scalars().all()
        heads = person_names(s, ws, [u.head_id for u in rows])
        parents = dict(s.execute(select(OrgUnit.id, OrgUnit.name).where(
            OrgUnit.workspace_id == ws, OrgUnit.id.in_(
                [u.parent_id for u in rows if u.parent_id] or [-1]))).all())
    return render(request, "units.html", items=rows, pager=p, heads=heads, parents=parents,
                  q=q)


@router.get("/units/{uid}")
def unit(request: Request, uid: str, user: User) -> Response:
    ws = user.ctx.ws
    key = key_of(uid, "org_unit")
    with user.ctx.read() as s:
        u = s.scalar(select(OrgUnit).where(OrgUnit.workspace_id == ws, OrgUnit.id == key))
        if u is None:
            raise NotFound("org unit", uid)
        st = state(s, ws)
        units_ = sorted(subtree(s, ws, key))
        objs = s.execute(select(Objective.id, Objective.title, Objective.level,
                                Objective.perspective, Objective.owner_id).where(
            Objective.workspace_id == ws, Objective.archived.is_(False),
            Objective.org_unit_id.in_(units_))).all()
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
        people = s.scalar(select(func.count()).select_from(Person).where(
            Person.workspace_id == ws, Person.org_unit_id.in_(units_))) or 0
        children = s.execute(select(OrgUnit.id, OrgUnit.name).where(
            OrgUnit.workspace_id == ws, OrgUnit.parent_id == key).order_by(OrgUnit.name)
            .limit(60)).all()
        parent = u.parent_id and s.scalar(select(OrgUnit.name).where(
            OrgUnit.id == u.parent_id))
    return render(request, "unit.html", u=u, cards=cards, labels=PERSPECTIVE_LABELS,
                  names=names, n_units=len(units_), people=people, children=children,
                  parent=parent, format_id=format_id, n_objectives=len(objs))

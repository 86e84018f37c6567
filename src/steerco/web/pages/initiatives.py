"""Initiatives: the list and one initiative's page (milestones, dependencies, money)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.core import workgraph as wgm
from steerco.core.schedule import NEVER
from steerco.core.snapshot import rows_of
from steerco.db.enums import STAGE_ORDER
from steerco.finance.repository import workspace_currency
from steerco.kit import numbers
from steerco.kit.dates import NO_DAY, from_day
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id
from steerco.views import initiatives as views
from steerco.views.names import metric_names, unit_names
from steerco.views.schedule_risk import initiative_risk
from steerco.web.pages import initiative_edit
from steerco.web.pages.common import (
    WORK,
    escalations_on,
    finite,
    key_of,
    link,
    pager,
    person_names,
    today,
)
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import User

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/initiatives")
def initiatives(request: Request, user: User, page: int = 1, q: str = "",
                stage: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        p = pager(page, views.listed_count(s, ws, q, stage))
        rows = views.listed_page(s, ws, q, stage, p.offset, p.per_page)
        work = WORK.get(s, ws)
        names = person_names(s, ws, [r.owner_id for r in rows])
        items = []
        for r in rows:
            # The same findings the cockpit and the initiative's page show about it.
            fnd = work.of_initiative(r.id)
            items.append({"r": r, "findings": fnd,
                          "ev": next((f for f in fnd if f["kind"] == "earned_value"), None)})
    return render(request, "initiatives.html", items=items, pager=p, names=names, q=q,
                  stage=stage, stages=[x.value for x in STAGE_ORDER])


def _day(d: int) -> dt.date | None:
    return None if d == NO_DAY or d >= NEVER else from_day(int(d))


@router.get("/initiatives/{iid}")
def initiative(request: Request, iid: str, user: User) -> Response:
    ws = user.ctx.ws
    key = key_of(iid, "initiative")
    with user.ctx.read() as s:
        ini = views.find(s, ws, key)
        if ini is None:
            raise NotFound("initiative", iid)
        work = WORK.get(s, ws)
        m = work.model
        sched = m.schedule
        wg = m.wg
        milestones = views.milestones_of(s, ws, key)
        nodes: list[int] = (wg.node_of(wgm.MILESTONE, [x.id for x in milestones]).tolist()
                            if milestones else [])
        ms_rows: list[dict[str, Any]] = []
        for x, node in zip(milestones, nodes, strict=True):
            fc = _day(int(sched.early_finish[node])) if node >= 0 else None
            never = node >= 0 and int(sched.early_finish[node]) >= NEVER
            ms_rows.append({"m": x, "forecast": fc or x.forecast_date, "never": never,
                            "late": (fc is not None and fc > x.due_date and not x.completed_on)
                            or never})
        # Timeline scale: from the earliest to the latest date shown.
        dates: list[dt.date] = [d for r in ms_rows for d in (r["m"].due_date, r["forecast"],
                                              r["m"].completed_on) if d]
        now = today(s, ws)
        dates.append(now)
        lo, hi = min(dates), max(dates)
        span = max(1, (hi - lo).days)

        def pos(d: dt.date | None) -> float | None:
            return None if d is None else round(100 * (d - lo).days / span, 2)

        for r in ms_rows:
            r["pos_due"] = pos(r["m"].due_date)
            r["pos_fc"] = pos(r["forecast"])
            r["pos_done"] = pos(r["m"].completed_on)
        ms_keys = [x.id for x in milestones]
        ends_of = views.dependencies_of(s, ws, key, ms_keys)
        deps, ms_info, ini_info = ends_of.dependencies, ends_of.milestones, ends_of.initiatives

        def end(ms: int | None, ik: int | None) -> dict[str, Any]:
            if ms is not None and ms in ms_info:
                _, name, parent, owner = ms_info[ms]
                pname = ini_info[parent][1] if parent in ini_info else "?"
                return {"label": name, "parent": pname,
                        "href": f"/initiatives/{format_id('initiative', parent)}",
                        "owner": owner, "own": parent == key}
            if ik is not None and ik in ini_info:
                return {"label": ini_info[ik][1], "parent": None,
                        "href": f"/initiatives/{format_id('initiative', ik)}",
                        "owner": ini_info[ik][2], "own": ik == key}
            return {"label": "?", "parent": None, "href": "#", "owner": None, "own": False}

        upstream: list[dict[str, Any]] = []
        downstream: list[dict[str, Any]] = []
        for d in deps:
            prov = end(d.provider_milestone_id, d.provider_initiative_id)
            cons = end(d.consumer_milestone_id, d.consumer_initiative_id)
            dep_row = {"d": d, "provider": prov, "consumer": cons,
                       "broken": work.broken.get(d.id)}
            (upstream if cons["own"] else downstream).append(dep_row)
        for lst in (upstream, downstream):
            lst.sort(key=lambda r: (r["broken"] is None, r["d"].need_date or dt.date.max))
        # Budget vs actuals, per month and cumulative.
        money = views.budget_of(s, ws, key)
        lines, pmap, amap = money.lines, money.planned, money.actual
        periods = sorted(set(pmap) | set(amap))
        cum_p, cum_a = 0.0, 0.0
        ps: list[float] = []
        acs: list[float | None] = []
        for per in periods:
            cum_p += float(pmap.get(per, 0.0) or 0.0)
            ps.append(round(cum_p, 2))
            if per <= now:
                cum_a += float(amap.get(per, 0.0) or 0.0)
                acs.append(round(cum_a, 2))
            else:
                acs.append(None)
        currency = workspace_currency(s, ws)
        budget = {"kind": "budget", "periods": [p.strftime("%b %y") for p in periods],
                  "planned": ps, "actual": acs,
                  "description": f"Budget of {ini.name}: planned "
                                 f"{numbers.money(cum_p, currency)}, spent "
                                 f"{numbers.money(cum_a, currency)} to date"}
        benefits = views.benefits_of(s, ws, key)
        bmetrics = metric_names(s, ws, [b.metric_id for b in benefits])
        blines = {b.id: b for b in lines}
        ben_rows = [{"b": b, "target": bmetrics.get(b.metric_id or -1)
                     or (blines[b.budget_line_id].name if b.budget_line_id in blines
                         else format_id("budget_line", b.budget_line_id or 0)),
                     "leak": next((f for f in work.of(format_id("benefit", b.id))
                                   if f["kind"] == "benefit_leakage"), None)}
                    for b in benefits]
        irow = int(rows_of(wg.initiatives.ids, [key])[0])
        ev = None
        if irow >= 0:
            e = work.earned
            ev = {k: finite(getattr(e, k)[irow]) for k in
                  ("bac", "pv", "ev", "ac", "spi", "cpi", "share_done")}
        ends = [e_["owner"] for r in upstream + downstream
                for e_ in (r["provider"], r["consumer"])]
        people = person_names(s, ws, [ini.owner_id, ini.sponsor_id, ini.controller_id,
                                      *[x.owner_id for x in milestones], *ends])
        unit_name = unit_names(s, ws, [ini.org_unit_id]).get(ini.org_unit_id or -1)
        findings = work.of_initiative(key)
        escalations = escalations_on(s, ws, "initiative", key)
        may_steer = initiative_edit.may_steer(s, user, ini)
        risk = initiative_risk(s, ws, key, wait=False)
    stage_i = STAGE_ORDER.index(ini.stage)
    return render(request, "initiative.html", i=ini, milestones=ms_rows, lo=lo, hi=hi,
                  today_pos=round(100 * (now - lo).days / span, 2),
                  upstream=upstream, downstream=downstream, budget=budget, lines=lines,
                  spent=cum_a, planned=cum_p, currency=currency, benefits=ben_rows, ev=ev,
                  people=people, unit_name=unit_name, findings=findings, link=link,
                  escalations=escalations, may_steer=may_steer, risk=risk,
                  stages=[x.value for x in STAGE_ORDER], stage_i=stage_i)

"""Initiatives: the list and one initiative's page (milestones, dependencies, money)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from steerco.core import workgraph as wgm
from steerco.core.schedule import NEVER
from steerco.core.snapshot import rows_of
from steerco.db.enums import STAGE_ORDER
from steerco.db.models import (
    BudgetLine,
    BudgetPlan,
    Dependency,
    Initiative,
    LedgerEntry,
    Metric,
    Milestone,
    OrgUnit,
    PlannedBenefit,
)
from steerco.kit.dates import NO_DAY, from_day
from steerco.kit.errors import NotFound
from steerco.kit.ids import format_id
from steerco.web.pages.common import (
    WORK,
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
        stmt = select(Initiative.id, Initiative.name, Initiative.stage, Initiative.owner_id,
                      Initiative.due_date, Initiative.stopped, Initiative.kind).where(
            Initiative.workspace_id == ws)
        count = select(func.count()).select_from(Initiative).where(
            Initiative.workspace_id == ws)
        if q:
            stmt = stmt.where(Initiative.name.ilike(f"%{q[:100]}%"))
            count = count.where(Initiative.name.ilike(f"%{q[:100]}%"))
        if stage in {x.value for x in STAGE_ORDER}:
            stmt = stmt.where(Initiative.stage == stage)
            count = count.where(Initiative.stage == stage)
        p = pager(page, int(s.scalar(count) or 0))
        rows = s.execute(stmt.order_by(Initiative.id).offset(p.offset).limit(p.per_page)).all()
        work = WORK.get(s, ws)
        names = person_names(s, ws, [r.owner_id for r in rows])
        items = []
        for r in rows:
            fnd = work.of(format_id("initiative", r.id))
            items.append({"r": r, "findings": len(fnd),
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
        ini = s.scalar(select(Initiative).where(Initiative.workspace_id == ws,
                                                Initiative.id == key))
        if ini is None:
            raise NotFound("initiative", iid)
        work = WORK.get(s, ws)
        m = work.model
        sched = m.schedule
        wg = m.wg
        milestones = s.execute(select(Milestone).where(
            Milestone.workspace_id == ws, Milestone.initiative_id == key).order_by(
            Milestone.due_date)).scalars().all()
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
        deps = s.execute(select(Dependency).where(
            Dependency.workspace_id == ws,
            or_(Dependency.consumer_initiative_id == key,
                Dependency.provider_initiative_id == key,
                Dependency.consumer_milestone_id.in_(ms_keys or [-1]),
                Dependency.provider_milestone_id.in_(ms_keys or [-1])))).scalars().all()
        other_ms = {d.provider_milestone_id for d in deps} | {d.consumer_milestone_id
                                                             for d in deps}
        other_ms.discard(None)
        ms_info = {r[0]: r for r in s.execute(select(
            Milestone.id, Milestone.name, Milestone.initiative_id, Milestone.owner_id).where(
            Milestone.workspace_id == ws, Milestone.id.in_(sorted(other_ms)))).all()}
        ini_keys = {d.provider_initiative_id for d in deps} | {d.consumer_initiative_id
                                                              for d in deps}
        ini_keys |= {r[2] for r in ms_info.values()}
        ini_keys.discard(None)
        ini_info = {r[0]: r for r in s.execute(select(
            Initiative.id, Initiative.name, Initiative.owner_id).where(
            Initiative.workspace_id == ws, Initiative.id.in_(sorted(ini_keys)))).all()}

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
        lines = s.execute(select(BudgetLine).where(
            BudgetLine.workspace_id == ws, BudgetLine.initiative_id == key)).scalars().all()
        lkeys = [b.id for b in lines]
        plans = s.execute(select(BudgetPlan.period, func.sum(BudgetPlan.amount)).where(
            BudgetPlan.workspace_id == ws, BudgetPlan.budget_line_id.in_(lkeys or [-1]))
            .group_by(BudgetPlan.period)).all()
        actuals = s.execute(select(LedgerEntry.period, func.sum(LedgerEntry.amount)).where(
            LedgerEntry.workspace_id == ws, LedgerEntry.budget_line_id.in_(lkeys or [-1]))
            .group_by(LedgerEntry.period)).all()
        periods = sorted({p for p, _ in plans} | {p for p, _ in actuals})
        pmap, amap = dict(plans), dict(actuals)
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
        currency = lines[0].currency if lines else "EUR"
        budget = {"kind": "budget", "periods": [p.strftime("%b %y") for p in periods],
                  "planned": ps, "actual": acs,
                  "description": f"Budget of {ini.name}: planned {cum_p:,.0f}, spent "
                                 f"{cum_a:,.0f} {currency} to date"}
        benefits = s.execute(select(PlannedBenefit).where(
            PlannedBenefit.workspace_id == ws, PlannedBenefit.initiative_id == key).order_by(
            PlannedBenefit.due_date)).scalars().all()
        bmetrics = dict(s.execute(select(Metric.id, Metric.name).where(
            Metric.workspace_id == ws, Metric.id.in_(
                [b.metric_id for b in benefits if b.metric_id] or [-1]))).all())
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
        unit_name = ini.org_unit_id and s.scalar(select(OrgUnit.name).where(
            OrgUnit.id == ini.org_unit_id))
        findings = work.of(format_id("initiative", key))
    stage_i = STAGE_ORDER.index(ini.stage)
    return render(request, "initiative.html", i=ini, milestones=ms_rows, lo=lo, hi=hi,
                  today_pos=round(100 * (now - lo).days / span, 2),
                  upstream=upstream, downstream=downstream, budget=budget, lines=lines,
                  spent=cum_a, planned=cum_p, currency=currency, benefits=ben_rows, ev=ev,
                  people=people, unit_name=unit_name, findings=findings, link=link,
                  stages=[x.value for x in STAGE_ORDER], stage_i=stage_i)

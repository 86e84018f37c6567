"""Initiatives, their metrics, milestones and cross-org dependencies (with one cycle)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from steerco.demo import names, stories
from steerco.demo.metrics import Metrics
from steerco.demo.org import Org, entity_cols
from steerco.demo.sizes import Size
from steerco.demo.tables import NULL, WORKSPACE, Cat, Const, Day, IntArray, Ref, Table, day

KINDS = ["program", "project", "cost_measure"]
STAGES = ["defined", "identified", "detailed", "decided", "implemented", "closed"]
DEP_TYPES = ["FS", "SS", "FF", "SF"]


@dataclass
class Work:
    """What the finance generator needs to know about initiatives."""

    kind: IntArray
    stage: IntArray
    unit: IntArray
    controller: IntArray
    start: IntArray
    end: IntArray  # due date, or the planned end where the due date is missing
    name: list[str]
    link_ini: IntArray  # initiative_metrics pairs
    link_metric: IntArray
    #: (initiative, metric) whose link promises no benefit (the paradox: activity only).
    no_benefit: tuple[int, int] = (-1, -1)


def _initiatives(size: Size, rng: np.random.Generator, org: Org, a: int
                 ) -> tuple[Work, Table, IntArray, IntArray]:
    """Generate the initiatives; return them with their owner and due day (NULL allowed)."""
    n = size.initiatives
    kind = rng.choice(3, n, p=[0.06, 0.64, 0.30])
    w = np.array([0.2, 1.0, 2.0, 2.0])[org.level]
    unit = rng.choice(len(org.level), n, p=w / w.sum())
    stage = rng.choice(6, n, p=[0.1, 0.12, 0.18, 0.25, 0.25, 0.1])
    dur = rng.integers(90, 541, n)
    start = a - rng.integers(-60, 541, n)
    start = np.where(stage == 5, a - dur - rng.integers(10, 300, n), start)
    start = np.where(stage == 0, a + rng.integers(-30, 120, n), start)
    end = start + dur
    early = stage < 3
    owner = org.member(rng, unit)
    owner = np.where(early & (rng.random(n) < 0.15), NULL, owner)
    due = np.where(early & (rng.random(n) < 0.12), NULL, end)
    sponsor = np.where(org.parent[unit] == NULL, unit, org.parent[unit])
    controller = org.controllers[rng.integers(0, len(org.controllers), n)]
    done = np.clip((a - start) / dur, 0, 1) * rng.uniform(0.75, 1.1, n)
    done = np.round(np.where(stage == 5, 1.0, np.where(stage == 0, 0.0, np.clip(done, 0, 1))),
                    2).astype(np.float64)
    declared = rng.random(n) < np.where(early, 0.75, 0.93)
    tpl = rng.integers(0, len(names.INITIATIVES), n)
    ini_names = names.distinct([names.INITIATIVES[k] for k in tpl.tolist()],
                               [f" — {org.unit_name[u]}" for u in unit.tolist()],
                               unit.tolist())
    table = Table("initiatives", n, {
        **entity_cols(), "name": ini_names, "description": Const(None),
        "kind": Cat(kind.astype(np.int8), KINDS), "stage": Cat(stage.astype(np.int8), STAGES),
        "owner_id": Ref("people", owner), "sponsor_id": Ref("people", sponsor),
        "controller_id": Ref("people", controller), "org_unit_id": Ref("org_units", unit),
        "start_date": Day(start), "due_date": Day(due), "percent_complete": done,
        "dependencies_declared": declared,
        "stopped": (stage < 5) & (stage > 0) & (rng.random(n) < 0.02)})
    work = Work(kind, stage, unit, controller, start, end, ini_names,
                np.zeros(0, np.int64), np.zeros(0, np.int64))
    return work, table, owner, due


def _initiative_metrics(rng: np.random.Generator, work: Work, mx: Metrics) -> Table:
    """Link initiatives to the metrics they should move, mostly in their own unit."""
    n = len(work.stage)
    decided = work.stage >= 3
    k = np.where(decided, rng.integers(1, 4, n),
                 np.where(rng.random(n) < 0.15, 0, rng.integers(1, 3, n)))
    ini = np.repeat(np.arange(n), k)
    order = np.argsort(mx.unit_of, kind="stable")
    sorted_units = mx.unit_of[order]
    lo = np.searchsorted(sorted_units, work.unit[ini], "left")
    hi = np.searchsorted(sorted_units, work.unit[ini], "right")
    local = order[np.minimum(lo + (rng.random(len(ini)) * (hi - lo)).astype(np.int64),
                             len(order) - 1)]
    anywhere = rng.integers(0, len(mx.owner), len(ini))
    metric = np.where((hi > lo) & (rng.random(len(ini)) < 0.8), local, anywhere)
    _, first = np.unique(ini * len(mx.owner) + metric, return_index=True)
    first.sort()
    work.link_ini, work.link_metric = ini[first], metric[first]
    return Table("initiative_metrics", len(first), {
        "workspace_id": WORKSPACE, "initiative_id": Ref("initiatives", work.link_ini),
        "metric_id": Ref("metrics", work.link_metric)}, keyed=False)


def _milestones(size: Size, rng: np.random.Generator, org: Org, work: Work, owner: IntArray,
                a: int) -> tuple[Table, IntArray, IntArray, IntArray]:
    """Generate 3–6 milestones per initiative, evenly spread up to its end."""
    n = len(work.stage)
    per = size.milestones / n
    p6 = max(0.0, min(0.25, per - 3.9))  # the mean of 3/4/5 alone is 3.9
    count = rng.choice([3, 4, 5, 6], n, p=[0.35, 0.4, 0.25 - p6, p6])
    m = int(count.sum())
    ini = np.repeat(np.arange(n), count)
    j = np.arange(m) - np.repeat(np.cumsum(count) - count, count)
    c = count[ini]
    span = work.end[ini] - work.start[ini]
    due = work.start[ini] + np.round(span * (j + 1) / c).astype(np.int64)
    replanned = rng.random(m) < 0.2
    baseline = np.where(replanned, due - rng.integers(7, 61, m), due)
    stage = work.stage[ini]
    p_done = np.where(stage >= 4, 0.97, 0.8)
    completed = (due < a) & (rng.random(m) < p_done) & (stage > 0)
    completed_on = np.where(completed, np.minimum(due + rng.integers(-5, 11, m), a), NULL)
    slipping = ~completed & (due >= a) & (rng.random(m) < 0.18)
    forecast = np.where(slipping, due + rng.integers(10, 91, m),
                        np.where(~completed & (due < a), a + rng.integers(7, 61, m), NULL))
    evidence = np.full(m, None, dtype=object)
    ev = np.flatnonzero(completed & (rng.random(m) < 0.8))
    evidence[ev] = [f"https://jira.example.com/browse/STR-{i + 1}" for i in ev.tolist()]
    ext = np.full(m, None, dtype=object)
    ex = np.flatnonzero(rng.random(m) < 0.3)
    ext[ex] = [f"STR-{i + 1}" for i in ex.tolist()]
    n_names = len(names.MILESTONES)
    name_idx = np.round(j * (n_names - 1) / np.maximum(c - 1, 1)).astype(np.int64)
    ms_owner = np.where((owner[ini] != NULL) & (rng.random(m) < 0.6), owner[ini],
                        org.member(rng, work.unit[ini]))
    table = Table("milestones", m, {
        **entity_cols(), "initiative_id": Ref("initiatives", ini),
        "name": [names.MILESTONES[k] for k in name_idx.tolist()],
        "owner_id": Ref("people", ms_owner), "due_date": Day(due),
        "baseline_date": Day(baseline), "forecast_date": Day(forecast),
        "duration_days": rng.integers(1, 31, m), "completed_on": Day(completed_on),
        "evidence_url": evidence, "external_ref": ext})
    return table, ini, due, forecast


def _pick_edges(rng: np.random.Generator, due: IntArray, group: IntArray, unit: IntArray,
                n: int) -> tuple[IntArray, IntArray, IntArray]:
    """Provider → consumer pairs, provider due strictly before consumer due (a DAG).

    About 4% are broken on purpose: the provider is due after the consumer's need date.
    """
    k = int(n * 1.4) + 10
    cons = rng.integers(0, len(due), k)
    need = due[cons] - rng.integers(1, 22, k)
    order = np.argsort(due, kind="stable")
    sdue = due[order]
    broken = rng.random(k) < 0.04
    lo = np.where(broken, np.searchsorted(sdue, need, "right"),
                  np.searchsorted(sdue, need - 150, "left"))
    hi = np.where(broken, np.searchsorted(sdue, due[cons], "left"),
                  np.searchsorted(sdue, need, "right"))
    ok = hi > lo
    prov = order[np.minimum(lo + (rng.random(k) * (hi - lo)).astype(np.int64), len(due) - 1)]
    ok &= (group[prov] != group[cons]) & (unit[prov] != unit[cons]) & (due[prov] < due[cons])
    prov, cons, need = prov[ok], cons[ok], need[ok]
    _, first = np.unique(prov * len(due) + cons, return_index=True)
    first = np.sort(first)[:n]
    return prov[first], cons[first], need[first]


def _dependencies(size: Size, rng: np.random.Generator, work: Work, ms_ini: IntArray,
                  ms_due: IntArray) -> Table:
    """Cross-org dependencies, mostly between milestones, plus exactly one cycle."""
    n_ini_edges = size.dependencies // 10
    mp, mc, mneed = _pick_edges(rng, ms_due, ms_ini, work.unit[ms_ini],
                                size.dependencies - n_ini_edges - 3)
    ip, ic, ineed = _pick_edges(rng, work.end, np.arange(len(work.end)), work.unit,
                                n_ini_edges)
    # The one cycle: three milestones of different initiatives and units, A → B → C → A.
    # Their other edges are dropped so the cycle is a clean triangle, the only strongly
    # connected component (imports bring cycles; the loader bypasses the refusing service).
    cand = rng.permutation(len(ms_due))
    trio: list[int] = []
    for x in cand.tolist():
        if all(ms_ini[x] != ms_ini[y] and work.unit[ms_ini[x]] != work.unit[ms_ini[y]]
               for y in trio):
            trio.append(x)
        if len(trio) == 3:
            break
    trio.sort(key=lambda x: (int(ms_due[x]), x))
    keep = ~np.isin(mp, trio) & ~np.isin(mc, trio)
    mp, mc, mneed = mp[keep], mc[keep], mneed[keep]
    ta, tb, tc = trio
    cyc_p = np.array([ta, tb, tc])
    cyc_c = np.array([tb, tc, ta])
    mp, mc = np.concatenate([mp, cyc_p]), np.concatenate([mc, cyc_c])
    mneed = np.concatenate([mneed, ms_due[cyc_c] - 3])
    n_ms, n_in = len(mp), len(ip)
    n = n_ms + n_in
    dep_type = rng.choice(4, n, p=[0.72, 0.12, 0.1, 0.06])
    lag = np.where(rng.random(n) < 0.4, rng.integers(1, 11, n), 0)
    prov_due = np.concatenate([ms_due[mp], work.end[ip]])
    committed = np.where(rng.random(n) < 0.1, prov_due + rng.integers(1, 15, n), prov_due)
    need = np.concatenate([mneed, ineed])
    late = prov_due > need
    note = np.where(late, 1, np.where(rng.random(n) < 0.05, 2, 0))
    none = np.full(n_in, NULL)
    none_ms = np.full(n_ms, NULL)
    return Table("dependencies", n, {
        **entity_cols(),
        "provider_milestone_id": Ref("milestones", np.concatenate([mp, none])),
        "provider_initiative_id": Ref("initiatives", np.concatenate([none_ms, ip])),
        "consumer_milestone_id": Ref("milestones", np.concatenate([mc, none])),
        "consumer_initiative_id": Ref("initiatives", np.concatenate([none_ms, ic])),
        "dep_type": Cat(dep_type.astype(np.int8), DEP_TYPES), "lag_days": lag,
        "need_date": Day(need), "committed_date": Day(committed),
        "note": Cat(note.astype(np.int8),
                    [None, "Provider cannot commit before the need date",
                     "Agreed in the quarterly planning"])})


def build_work(size: Size, rng: np.random.Generator, org: Org, mx: Metrics, as_of: dt.date
               ) -> tuple[Work, list[Table]]:
    """Generate initiatives, their metric links, milestones and dependencies."""
    a = day(as_of)
    work, initiatives, owner, _due = _initiatives(size, rng, org, a)
    stopped = initiatives.columns["stopped"]
    assert isinstance(stopped, np.ndarray)
    cast = stories.choose(mx, work.kind, work.stage, work.unit, stopped, a)
    due = initiatives.columns["due_date"]
    assert isinstance(due, Day)
    stories.shape_work(cast, work.start, work.end, due.days, work.name, org.unit_name,
                       work.unit, mx, a)
    initiatives.columns["name"] = work.name
    links = _initiative_metrics(rng, work, mx)
    work.link_ini, work.link_metric = stories.link_metrics(cast, links, work.link_ini,
                                                           work.link_metric)
    work.no_benefit = (cast.green_initiative, cast.paradox_metric)
    milestones, ms_ini, ms_due, _forecast = _milestones(size, rng, org, work, owner, a)
    stories.shape_milestones(cast, milestones, ms_ini, ms_due, a)
    deps = _dependencies(size, rng, work, ms_ini, ms_due)
    deps = stories.wire_dependencies(cast, deps, ms_ini, ms_due)
    return work, [initiatives, links, milestones, deps]

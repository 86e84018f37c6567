"""Read model of schedule risk: how likely each milestone, initiative and dependency
lands on time (steerco.core.schedule_risk), for the initiative page, the dependency
explorer and the API.

Slips are learned from the workspace's completed milestones (days late against their
committed date, per org unit of their initiative), shrunk toward a prior fitted on real
delivery data (`APACHE_PRIOR`); every open milestone draws `SAMPLES` slips and the
Monte Carlo carries them through the dependency graph. One run per `Work` (the cached
findings model of a workspace and day), kept with its samples so that a what-if or an
initiative after a check-in is cheap.

After a check-in the workspace's `Work` is recomputed and so is the Monte Carlo: in line
up to `INLINE_LIMIT` (the `l` demo's run is a fraction of the `Work` recompute), so every
page shows one consistent run. Above it the new run goes to a background thread and pages
show the last run meanwhile; there the initiative page of a re-forecast initiative gets
its own chance, finish dates and its milestones' chances from the last run's kept samples
(`update_group`, `incremental_group`), equal to what the new run gives — criticality,
dependencies and benefits stay the last run's until the new run lands. Why not always
incrementally: a re-forecast also moves every initiative downstream (other pages, the
explorer) and the criticality upstream of what it makes late, which `update_group` does
not compute; completing a milestone, a due date or a link changes the graph, deadlines
or the slip law itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from steerco.core import workgraph as wgm
from steerco.core.forecast import Z80, p_hit
from steerco.core.graph import reachable
from steerco.core.schedule import NEVER, Network, Schedule, with_own_finish
from steerco.core.schedule_risk import (
    APACHE_PRIOR,
    Draws,
    GroupRisk,
    Risk,
    SlipLaw,
    blend_p_hit,
    draws,
    fit_slips,
    simulate,
    update_group,
)
from steerco.core.snapshot import rows_of
from steerco.kit.dates import NO_DAY, from_day
from steerco.views.names import metric_names
from steerco.views.work import WORK, Work

#: Futures simulated per workspace: P(on time) to about ±2 points (1/(2·√500)).
SAMPLES = 500
SEED = 16


@dataclass(frozen=True)
class WorkspaceRisk:
    """One Monte Carlo run over a workspace's plan, kept for reads and what-ifs."""

    work: Work
    net: Network  # the work graph's network with deadlines (committed dates)
    det: Schedule
    slips: Draws  # drawn inside the Monte Carlo: the what-if replays the same futures
    risk: Risk
    group_deadline: np.ndarray[Any, Any]
    law: SlipLaw
    history: int  # completed milestones with a committed date the law learned from


log = logging.getLogger("steerco.views.schedule_risk")
_LOCK = threading.Lock()
_RUNS: dict[tuple[str, int], WorkspaceRisk] = {}


def _day(d: int) -> str | None:
    return None if d == NO_DAY or d >= NEVER else from_day(int(d)).isoformat()


def _run(work: Work) -> WorkspaceRisk:
    wg = work.model.wg
    ms, ini = wg.milestones, wg.initiatives
    n_ms = ms.ids.shape[0]
    # Slip history: completed milestones with a committed date, per org unit.
    units = np.unique(ini.org_unit[ini.org_unit >= 0])
    ms_ini = rows_of(ini.ids, ms.initiative)
    ms_unit = np.where(ms_ini >= 0, ini.org_unit[np.maximum(ms_ini, 0)], -1)
    unit_row = np.where(ms_unit >= 0, np.searchsorted(units, ms_unit), -1) \
        if units.size else np.full(n_ms, -1)
    done = (ms.completed_day != NO_DAY) & (ms.due_day != NO_DAY)
    days = (ms.completed_day - ms.due_day)[done].astype(np.float64)
    _, law = fit_slips(days, unit_row[done], int(units.size), prior=APACHE_PRIOR)
    # Append the prior as the last row: milestones outside any unit slip by it.
    law = SlipLaw(*(np.r_[getattr(law, f), getattr(APACHE_PRIOR, f)]
                    for f in ("p_late", "mu", "sigma", "count")))
    open_ms = (ms.completed_day == NO_DAY) & ~wg.stopped[:n_ms]
    rows = np.r_[np.where(open_ms, np.where(unit_row >= 0, unit_row, units.size), -1),
                 np.full(ini.n, -1)]
    # P(on time) is judged against the committed (due) dates of what is still open.
    deadline = np.where(wg.done, NO_DAY, wg.due)
    net = replace(wg.net, deadline=deadline.astype(np.int64))
    det = work.model.schedule
    slips = draws(law, rows, SAMPLES, seed=SEED)
    gdl = np.where(ini.closed, NO_DAY, ini.due_day).astype(np.int64)
    risk = simulate(net, slips, base=det, group_deadline=gdl, keep=True)
    return WorkspaceRisk(work, net, det, slips, risk, gdl, law, int(done.sum()))


#: Node × sample products computed in line when a page asks; larger runs go to a
#: background thread and pages show the last run meanwhile. The compiled Monte Carlo
#: (core/schedule_mc.py) runs the `l` demo (25,001 nodes × 500 futures = 12.5 M) in about
#: 0.3 s, so every workspace up to `l` is computed in line and never shown stale.
INLINE_LIMIT = 20_000_000
_BUSY: set[tuple[str, int]] = set()


def workspace_risk(s: Session, ws: int, wait: bool = True) -> WorkspaceRisk | None:
    """The current run for workspace `ws` (recomputed when its `Work` changed).

    With `wait` False (pages) a large workspace's run is computed in a background
    thread: the previous run (its own consistent snapshot of the plan) is returned
    meanwhile, or None before the first one is ready.
    """
    work = WORK.get(s, ws)
    engine = s.get_bind().engine
    key = (str(engine.url), ws)
    with _LOCK:
        hit = _RUNS.get(key)
    if hit is not None and hit.work is work:
        return hit
    if wait or work.model.wg.net.n * SAMPLES <= INLINE_LIMIT:
        run = _run(work)
        with _LOCK:
            _RUNS[key] = run
        return run
    with _LOCK:
        if key in _BUSY:
            return hit
        _BUSY.add(key)

    def compute() -> None:
        try:
            r = _run(work)
            with _LOCK:
                _RUNS[key] = r
        except Exception:  # a failed run keeps serving the last one
            log.exception("schedule risk run failed")
        finally:
            with _LOCK:
                _BUSY.discard(key)

    threading.Thread(target=compute, name="steerco-schedule-risk", daemon=True).start()
    return hit


def _q(q: np.ndarray[Any, Any]) -> dict[str, str | None]:
    return {"p50": _day(int(q[0])), "p80": _day(int(q[1])), "p95": _day(int(q[2]))}


def _p(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 3)


def law_summary(r: WorkspaceRisk) -> dict[str, Any]:
    """The workspace-wide slip law in words and figures (the prior row)."""
    prior = APACHE_PRIOR
    return {"samples": r.risk.samples, "completed_milestones": r.history,
            "prior_p_late": round(float(prior.p_late[0]), 3),
            "prior_median_days_late": round(float(np.exp(prior.mu[0])), 1)}


def initiative_risk(s: Session, ws: int, key: int, wait: bool = True,
                    ) -> dict[str, Any] | None:
    """P(on time by its due date), 50/80/95 % finish dates of initiative `key`, and per
    milestone and dependency (into or out of it) the same with the criticality index:
    the share of futures in which the item lies on the chain that makes something late.
    None when the initiative is not in the plan (or, without `wait`, while a large
    workspace's first run is computed)."""
    r = workspace_risk(s, ws, wait)
    if r is None:
        return None
    wg = r.work.model.wg
    irow = int(rows_of(wg.initiatives.ids, [key])[0])
    if irow < 0:
        return None
    n_ms = wg.milestones.ids.shape[0]
    node = n_ms + irow
    risk = r.risk
    members = np.flatnonzero((wg.initiative == irow) & (wg.kind == wgm.MILESTONE))
    ms = [{"id": f"mil_{int(wg.key[i])}", "key": int(wg.key[i]),
           "due": _day(int(wg.due[i])), "done": bool(wg.done[i]),
           "p_on_time": _p(risk.p_on_time[i]), **_q(risk.finish_q[i]),
           "criticality": round(float(risk.criticality[i]), 3)} for i in members]
    e = np.arange(wg.n_dep)
    touch = np.isin(wg.initiative[np.clip(r.net.src[e], 0, r.net.n - 1)], [irow]) | \
        np.isin(wg.initiative[np.clip(r.net.dst[e], 0, r.net.n - 1)], [irow])
    deps = []
    for d in e[touch & r.net.valid[e]]:
        deps.append({"id": f"dep_{int(wg.dependencies.ids[d])}",
                     "key": int(wg.dependencies.ids[d]),
                     "need": _day(int(r.net.need_day[d])),
                     "p_on_time": _p(risk.edge_p_on_time[d]),
                     "criticality": round(float(risk.edge_criticality[d]), 3)})
    benefits = _benefits(r, key)
    names = metric_names(s, ws, [b["metric_key"] for b in benefits])
    for b in benefits:
        b["metric_name"] = names.get(b.pop("metric_key"), "Metric")
    out = {"id": f"ini_{key}", "due": _day(int(r.group_deadline[irow])),
           "p_on_time": _p(risk.group_p_on_time[irow]), **_q(risk.group_finish_q[irow]),
           "criticality": round(float(risk.criticality[node]), 3),
           "milestones": ms, "dependencies": deps, "benefits": benefits,
           "law": law_summary(r), "incremental": False}
    work = r.work if wait else WORK.get(s, ws)
    g = None if work is r.work else incremental_group(r, work, irow)
    if g is not None:  # a re-forecast of its own since the last run (see the module doc)
        out.update({"p_on_time": _p(g.p_on_time), **_q(g.finish_q), "incremental": True})
        pos = {int(v): i for i, v in enumerate(g.members)}
        for row, i in zip(ms, members, strict=True):
            if int(i) in pos:
                j = pos[int(i)]
                row.update({"p_on_time": _p(g.member_p_on_time[j]), **_q(g.member_finish_q[j])})
    return out


def incremental_group(r: WorkspaceRisk, work: Work, irow: int) -> GroupRisk | None:
    """Initiative `irow`'s risk under `work` from the run `r` of an earlier `Work`, by
    re-simulating only its own nodes (`update_group`, the same futures), when that is
    exactly what a full run under `work` gives; else None.

    Exact when the plan changed only by new forecasts of the initiative's own open
    milestones (same graph, durations, due dates, completions, stops, units and day) and
    no node outside the initiative that such a forecast can move feeds back into it.
    """
    old, new = r.work.model.wg, work.model.wg
    a, b = old.net, new.net
    if r.risk.kept is None or a.n != b.n or a.m != b.m or old.as_of != new.as_of:
        return None
    same = all(np.array_equal(getattr(a, f), getattr(b, f)) for f in (
        "src", "dst", "dep_type", "lag", "duration", "own_start", "need_day", "valid",
        "group", "summary")) and all(np.array_equal(getattr(old, f), getattr(new, f)) for f in (
            "key", "kind", "due", "done", "stopped", "initiative"))
    if not same or not np.array_equal(old.initiatives.org_unit, new.initiatives.org_unit):
        return None
    changed = np.flatnonzero(a.own_finish != b.own_finish)
    group = a.group == irow
    if changed.size == 0 or not group[changed].all() or old.done[changed].any():
        return None
    down = reachable(a.out, changed, a.n)
    src = np.clip(a.src, 0, a.n - 1)
    dst = np.clip(a.dst, 0, a.n - 1)
    if np.any(r.det.active & down[src] & ~group[src] & group[dst]):
        return None  # a move leaves the initiative and comes back: not exact
    return update_group(r.net, r.det, r.risk.kept, np.flatnonzero(group),
                        int(r.group_deadline[irow]),
                        {int(v): int(b.own_finish[v]) for v in changed})


def dependency_risk(s: Session, ws: int, wait: bool = True,
                    keys: Iterable[int] | None = None,
                    ) -> dict[int, dict[str, float | None]]:
    """Dependency key → {p_on_time (provider date + lag by the need date), criticality}
    of every dependency, or of those of `keys` that are in the plan (a page drawing 200
    of 30,000 dependencies asks for its own: the whole dict costs ~30 ms on `l`); empty
    without `wait` while a large workspace's first run is computed."""
    r = workspace_risk(s, ws, wait)
    if r is None:
        return {}
    wg = r.work.model.wg
    if keys is None:
        rows = np.arange(wg.n_dep)
    else:
        rows = rows_of(wg.dependencies.ids, np.fromiter(keys, dtype=np.int64))
        rows = rows[(rows >= 0) & (rows < wg.n_dep)]
    return {int(wg.dependencies.ids[d]): {
        "p_on_time": _p(r.risk.edge_p_on_time[d]),
        "criticality": round(float(r.risk.edge_criticality[d]), 3)}
        for d in rows.tolist()}


def slip_what_if(s: Session, ws: int, milestone: int, days: int, wait: bool = True,
                 ) -> dict[str, Any] | None:
    """How a `days` slip of `milestone` changes the chances: every initiative, milestone
    and dependency whose P(on time) moves, before → after (the same futures drive both
    runs, so the change is the slip's alone). None for an unknown or finished milestone,
    and without `wait` for a workspace too large to simulate twice in line.
    """
    if not wait and WORK.get(s, ws).model.wg.net.n * SAMPLES > INLINE_LIMIT:
        return None
    r = workspace_risk(s, ws)
    assert r is not None  # waited for
    wg = r.work.model.wg
    row = int(rows_of(wg.milestones.ids, [milestone])[0])
    if row < 0 or wg.done[row]:
        return None
    own = int(r.det.own_finish[row])
    base = own if own != NO_DAY else int(r.det.early_finish[row])
    moved = with_own_finish(r.net, {row: base + int(days)})
    after = simulate(moved, r.slips, origin=wg.as_of, stopped=np.flatnonzero(wg.stopped),
                     group_deadline=r.group_deadline)
    before = r.risk

    def changed(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.flatnonzero(np.abs(np.nan_to_num(a, nan=-1) - np.nan_to_num(b, nan=-1))
                              >= 0.005)

    n_ms = wg.milestones.ids.shape[0]
    nodes = changed(before.p_on_time[:n_ms], after.p_on_time[:n_ms])
    groups = changed(before.group_p_on_time, after.group_p_on_time)
    deps = changed(before.edge_p_on_time[:wg.n_dep], after.edge_p_on_time[:wg.n_dep])
    return {
        "milestone": f"mil_{milestone}", "days": int(days), "samples": before.samples,
        "initiatives": [{"id": f"ini_{int(wg.initiatives.ids[g])}",
                         "before": _p(before.group_p_on_time[g]),
                         "after": _p(after.group_p_on_time[g])} for g in groups],
        "milestones": [{"id": f"mil_{int(wg.key[i])}", "before": _p(before.p_on_time[i]),
                        "after": _p(after.p_on_time[i])} for i in nodes],
        "dependencies": [{"id": f"dep_{int(wg.dependencies.ids[d])}",
                          "before": _p(before.edge_p_on_time[d]),
                          "after": _p(after.edge_p_on_time[d])} for d in deps]}


def _benefits(r: WorkspaceRisk, key: int) -> list[dict[str, Any]]:
    """Schedule risk carried into outcomes: for each planned benefit of initiative `key`
    that feeds a metric by its target date, P(it lands by then) and the metric's P(hit)
    with that chance blended in (`blend_p_hit`).

    The benefit arrives as late as the initiative finishes late (its planned day plus
    the sampled slip of the initiative's finish). P(hit | it lands) is the engine's
    P(hit) (which counts the benefit); P(hit | it does not) shifts that forecast back
    by the amount, judged with the forecast's 80 % interval as a normal spread.
    Rows: {metric_id, metric_key, amount, p_arrives, p_hit, p_hit_without,
    p_hit_with_schedule_risk}.
    """
    wg = r.work.model.wg
    irow = int(rows_of(wg.initiatives.ids, [key])[0])
    snap, ev = r.work.model.snap, r.work.model.ev
    ben = snap.benefits
    if irow < 0 or ben.metric.size == 0:
        return []
    node = wg.milestones.ids.shape[0] + irow
    fin = r.risk.kept.finishes(np.array([node]))[0] if r.risk.kept is not None else None
    det_fin = int(r.det.early_finish[node])
    if fin is None or det_fin == NO_DAY or det_fin >= NEVER:
        return []
    slip = np.maximum(fin - det_fin, 0)
    m, mr = snap.metrics, ev.metrics
    out = []
    for b in np.flatnonzero((ben.initiative == key) & (ben.day > wg.as_of)):
        row = int(ben.metric[b])
        target = int(m.target_day[row])
        if row < 0 or ben.day[b] > target or np.isnan(mr.p_hit[row]):
            continue
        p_arr = float(np.mean(ben.day[b] + slip <= target))
        sd = (mr.upper80[row] - mr.lower80[row]) / (2.0 * Z80)
        p_wo = float(p_hit(mr.forecast[row] - ben.amount[b], sd, m.target_value[row],
                           m.direction[row]))
        out.append({"metric_id": f"met_{int(m.ids[row])}", "metric_key": int(m.ids[row]),
                    "amount": float(ben.amount[b]), "p_arrives": round(p_arr, 3),
                    "p_hit": _p(float(mr.p_hit[row])), "p_hit_without": _p(p_wo),
                    "p_hit_with_schedule_risk": _p(float(blend_p_hit(
                        mr.p_hit[row], p_wo, p_arr)))})
    return out

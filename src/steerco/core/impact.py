"""Ripple into outcomes: a what-if's delayed work → delayed benefits → changed forecasts,
P(hit) and status of metrics → changed status of objectives. Nothing is written.

Chain, per what-if (all incremental on a baseline prepared once by `prepare`):
1. `steerco.core.ripple.what_if` moves the dates of the affected milestones and
   initiatives and names the newly broken (and resolved) dependencies.
2. A planned metric impact belongs to an initiative: when the initiative's forecast
   finish moves by N days, each of its benefits still to come (due after ``as_of``;
   what was due already is taken to be in the evidence) moves N days too; when it never
   finishes (stopped, or waiting on something stopped), they never arrive.
3. Only the metrics receiving a moved benefit are re-evaluated. A what-if never changes
   evidence, so each such metric's forecast from its history alone is computed once, by
   `prepare` (`steerco.core.evidence.evaluate_rows` on the snapshot without benefits);
   a what-if adds the benefits — moved or not — on the terms of
   `steerco.core.forecast.add_contributions` (an amount counts from its arrival step,
   the spread stays) and re-judges the status with `steerco.core.status.metric_status`.
   Old and new values both come from this path, so they compare like for like.
4. A copy of the objective roll-up is patched with `steerco.core.rollup.update_metric`
   for every metric whose status changed; the objectives whose status or severity
   changed are reported. The baseline is never modified.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from steerco.core.evidence import MAX_HORIZON, Evaluation, MetricResults, evaluate_rows
from steerco.core.forecast import Z80, p_hit, steps_until
from steerco.core.plan import tolerance_band
from steerco.core.ripple import RippleDelta, what_if
from steerco.core.rollup import RollupState, update_metric
from steerco.core.schedule import NEVER, Schedule
from steerco.core.snapshot import Benefits, Snapshot, rows_of
from steerco.core.status import StatusInputs, StatusSettings, metric_status
from steerco.core.workgraph import INITIATIVE, WorkGraph
from steerco.kit.dates import NO_DAY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]


@dataclass(frozen=True)
class RawForecasts:
    """The forecasts of the metrics a what-if can touch (those with a benefit still to
    come), from their history alone: `evaluate_rows` on the snapshot without benefits.

    ``pos``: per metric row, its index here (-1: none). ``step``: the target step (1-based,
    capped at the evidence engine's longest horizon) — a benefit counts when it arrives by
    it. ``sd``: the normal spread a benefit-shifted forecast is judged with (the model's
    80 % interval as a normal sd, what `add_contributions` switches to). ``band``: the
    absolute tolerance band on the plan value.
    """

    rows: IntArray
    pos: IntArray
    results: MetricResults
    step: IntArray
    sd: FloatArray
    band: FloatArray


def raw_forecasts(snap: Snapshot, as_of: int, settings: StatusSettings) -> RawForecasts:
    """Forecast every metric with a benefit still to come, without its benefits."""
    ben = snap.benefits
    rows = np.unique(ben.metric[ben.day > as_of]).astype(np.int64)
    res = evaluate_rows(dataclasses.replace(snap, benefits=Benefits.empty()), rows, as_of,
                        settings)
    pos = np.full(snap.metrics.n, -1, dtype=np.int64)
    pos[rows] = np.arange(rows.size)
    m = snap.metrics
    step = np.clip(steps_until(as_of, m.target_day[rows], m.cadence_days[rows]), 1,
                   MAX_HORIZON)
    sd = (res.upper80 - res.lower80) / (2.0 * Z80)
    band = tolerance_band(m.tolerance_kind[rows], m.tolerance[rows], res.plan_value)
    return RawForecasts(rows, pos, res, step.astype(np.int64), sd, band)


@dataclass(frozen=True)
class ImpactBase:
    """A baseline a what-if patches: schedule, evaluation and benefit indexes.

    ``ben_ini`` / ``ben_ptr``: benefit positions grouped by initiative row; ``met_ben`` /
    ``met_ptr``: benefit positions grouped by metric row.
    """

    wg: WorkGraph
    schedule: Schedule
    snapshot: Snapshot
    evaluation: Evaluation
    settings: StatusSettings
    ben_ini: IntArray
    ben_ptr: IntArray
    met_ben: IntArray
    met_ptr: IntArray
    ben_row: IntArray  # initiative row of each benefit (-1: unknown)
    raw: RawForecasts


def _group(keys: IntArray, n: int) -> tuple[IntArray, IntArray]:
    ok = keys >= 0
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(keys[ok], kind="stable")]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys[ok], minlength=n), out=ptr[1:])
    return order.astype(np.int64), ptr


def prepare(wg: WorkGraph, sched: Schedule, snap: Snapshot, ev: Evaluation,
            settings: StatusSettings = StatusSettings()) -> ImpactBase:
    """Index a baseline for what-ifs: benefit indexes, the ripple index, and the forecasts
    of the metrics a what-if can touch (one vectorised `evaluate_rows`). ``ev`` must
    evaluate ``snap`` (its objective roll-up is what a what-if patches a copy of)."""
    ben = snap.benefits
    row = rows_of(wg.initiatives.ids, ben.initiative)
    ben_ini, ben_ptr = _group(row, wg.initiatives.n)
    met_ben, met_ptr = _group(ben.metric, snap.metrics.n)
    what_if(sched)  # builds the schedule's ripple index once, outside any what-if
    raw = raw_forecasts(snap, ev.as_of, settings)
    return ImpactBase(wg, sched, snap, ev, settings, ben_ini, ben_ptr, met_ben, met_ptr, row,
                      raw)


@dataclass(frozen=True)
class Impact:
    """The outcome of one what-if, relative to the baseline.

    ``delta``: the schedule delta (nodes, dates, newly broken / resolved edge ids; edge
    ids below ``wg.n_dep`` are dependency rows). ``benefits``: positions in the
    snapshot's benefits that moved, with old and new day (`NO_DAY`: never arrives).
    ``metrics``: rows whose forecast, P(hit) or status changed, with old and new values.
    ``objectives``: rows whose status or severity changed, old and new status.
    """

    delta: RippleDelta
    benefits: IntArray
    benefit_old_day: IntArray
    benefit_new_day: IntArray
    metrics: IntArray
    old_forecast: FloatArray
    new_forecast: FloatArray
    old_p_hit: FloatArray
    new_p_hit: FloatArray
    old_status: Int8Array
    new_status: Int8Array
    objectives: IntArray
    old_objective_status: Int8Array
    new_objective_status: Int8Array
    newly_broken: IntArray  # dependency rows


def run(base: ImpactBase, *, slips: Mapping[int, int] | None = None,
        stop_initiatives: Iterable[int] = ()) -> Impact:
    """Apply node slips (node → days later) and stopped initiatives (rows) to the baseline.

    Contract: unknown nodes, cycle members and nodes that never finish are ignored by the
    schedule step (listed in ``delta.ignored``); unknown initiative rows are ignored.
    Pure: the baseline is not modified (the ripple index is memoised on it).
    """
    wg, sched = base.wg, base.schedule
    finish: dict[int, int] = {}
    skipped: list[int] = []
    for node, days in (slips or {}).items():
        u = int(node)
        if 0 <= u < wg.net.n and sched.topo.position[u] >= 0 and \
                sched.early_finish[u] < NEVER:
            finish[u] = int(sched.early_finish[u]) + int(days)
        else:
            skipped.append(u)  # reported, never dropped silently (an empty answer)
    stop: list[int] = []
    for r in stop_initiatives:
        r = int(r)
        if 0 <= r < wg.initiatives.n:
            members = np.flatnonzero((wg.initiative == r) & ~wg.done)
            stop.extend(members.tolist())
    delta = what_if(sched, finish=finish, stop=stop)
    if skipped:
        delta = replace(delta, ignored=np.union1d(delta.ignored, np.array(
            skipped, dtype=np.int64)).astype(np.int64))
    return outcome(base, delta)


def outcome(base: ImpactBase, delta: RippleDelta) -> Impact:
    """Carry a schedule delta into benefits, metrics and objectives (module docstring)."""
    wg, snap, ev = base.wg, base.snapshot, base.evaluation
    as_of = ev.as_of
    n_ms = wg.n_ms
    is_ini = wg.kind[delta.nodes] == INITIATIVE if delta.nodes.size else np.zeros(0, bool)
    rows = delta.nodes[is_ini] - n_ms
    shift = (delta.new_finish - delta.old_finish)[is_ini]
    never = delta.new_finish[is_ini] >= NEVER
    pos_l: list[IntArray] = []
    new_l: list[IntArray] = []
    ben = snap.benefits
    for r, s, nv in zip(rows.tolist(), shift.tolist(), never.tolist(), strict=True):
        p = base.ben_ini[base.ben_ptr[r]:base.ben_ptr[r + 1]]
        p = p[ben.day[p] > as_of]
        if p.size == 0 or (s == 0 and not nv):
            continue
        pos_l.append(p)
        new_l.append(np.full(p.size, NO_DAY, dtype=np.int64) if nv else ben.day[p] + s)
    empty = np.zeros(0, dtype=np.int64)
    moved = np.concatenate(pos_l) if pos_l else empty
    new_day = np.concatenate(new_l) if new_l else empty
    m_rows = np.unique(ben.metric[moved]) if moved.size else empty
    res = _reevaluate(base, m_rows, moved, new_day)
    broken = delta.newly_broken[delta.newly_broken < wg.n_dep]
    return dataclasses.replace(res, delta=delta, benefits=moved,
                               benefit_old_day=ben.day[moved], benefit_new_day=new_day,
                               newly_broken=broken)


def _reevaluate(base: ImpactBase, m_rows: IntArray, moved: IntArray,
                new_day: IntArray) -> Impact:
    """Old and new results of the affected metrics, both through `with_benefits`."""
    e_f = np.zeros(0)
    e_i = np.zeros(0, dtype=np.int64)
    e_s = np.zeros(0, dtype=np.int8)
    if m_rows.size == 0:
        return _impact(e_i, e_f, e_f, e_f, e_f, e_s, e_s, e_i, e_s, e_s)
    ben = base.snapshot.benefits
    idx = np.concatenate([base.met_ben[base.met_ptr[r]:base.met_ptr[r + 1]]
                          for r in m_rows.tolist()])
    day = ben.day[idx].copy()
    order = np.argsort(moved)
    sm = moved[order]
    at = np.minimum(np.searchsorted(sm, idx), max(sm.size - 1, 0))
    hit = (sm.size > 0) & (sm[at] == idx)
    day[hit] = new_day[order][at[hit]]
    old = with_benefits(base, m_rows, ben.metric[idx], ben.day[idx], ben.amount[idx])
    new = with_benefits(base, m_rows, ben.metric[idx], day, ben.amount[idx])
    changed = (~_same(old.forecast, new.forecast) | ~_same(old.p_hit, new.p_hit)
               | (old.status.status != new.status.status))
    rows = m_rows[changed]
    old_s, new_s = old.status.status[changed], new.status.status[changed]
    objs, o_old, o_new = _rollup(base, rows, old_s, new_s, new.status.deciding[changed],
                                 new.progress[changed])
    return _impact(rows, old.forecast[changed], new.forecast[changed], old.p_hit[changed],
                   new.p_hit[changed], old_s, new_s, objs, o_old, o_new)


def with_benefits(base: ImpactBase, rows: IntArray, b_metric: IntArray, b_day: IntArray,
                  b_amount: FloatArray) -> MetricResults:
    """Results of metric ``rows`` (each with a benefit still to come in the baseline) when
    their planned benefits are the given ones (metric row, day, amount; day `NO_DAY` =
    never arrives).

    Contract: equals `evaluate_rows` of a snapshot holding exactly these benefits, for
    each row evaluated on its own (see `RawForecasts`): the history's forecast does not
    depend on the benefits, so it is computed once by `prepare` and only the benefits are
    added here — O(rows + benefits), no model fit.
    """
    raw = base.raw
    k = raw.pos[rows]
    r = raw.results
    m = base.snapshot.metrics
    as_of = base.evaluation.as_of
    loc = np.searchsorted(rows, b_metric)
    loc = np.minimum(loc, max(rows.size - 1, 0))
    cad = m.cadence_days[b_metric]
    with np.errstate(invalid="ignore"):
        inc = ((rows.size > 0) & (rows[loc] == b_metric) & (b_day != NO_DAY) & (b_day > as_of)
               & np.isfinite(b_amount))
    step = np.where(inc, steps_until(as_of, np.where(inc, b_day, as_of), cad), 0)
    inc &= np.maximum(step, 1) <= raw.step[k][loc]
    add = np.bincount(loc[inc], b_amount[inc], minlength=rows.size)
    touched = np.bincount(loc[inc], minlength=rows.size) > 0
    fc = r.forecast[k] + add
    p = np.where(touched, p_hit(fc, raw.sd[k], m.target_value[rows], m.direction[rows]),
                 r.p_hit[k])
    inputs = StatusInputs.of(
        m.direction[rows], m.target_value[rows], target_day=m.target_day[rows],
        last_value=r.last_value[k], last_day=r.last_day[k], cadence_days=m.cadence_days[rows],
        p_hit=p, plan_value=r.plan_value[k], band=raw.band[k],
        owner_confidence=r.confidence[k], forecast_value=fc)
    status = metric_status(inputs, as_of, base.settings)
    return MetricResults(r.last_value[k], r.last_day[k], r.confidence[k], fc,
                         r.lower80[k] + add, r.upper80[k] + add, r.lower95[k] + add,
                         r.upper95[k] + add, p, r.plan_value[k], r.progress[k], status)


def _same(a: FloatArray, b: FloatArray) -> npt.NDArray[np.bool_]:
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= 1e-9 * (1.0 + np.abs(a))
    out: npt.NDArray[np.bool_] = both_nan | close
    return out


def _rollup(base: ImpactBase, rows: IntArray, old_s: Int8Array, new_s: Int8Array,
            deciding: npt.NDArray[np.uint32], progress: FloatArray
            ) -> tuple[IntArray, Int8Array, Int8Array]:
    """Patch a copy of the roll-up with the metrics whose status changed."""
    e_i = np.zeros(0, dtype=np.int64)
    e_s = np.zeros(0, dtype=np.int8)
    flip = np.flatnonzero(old_s != new_s)
    if flip.size == 0:
        return e_i, e_s, e_s
    st = base.evaluation.objectives
    copy = _copy_state(st)
    touched: set[int] = set()
    g = base.snapshot.graph
    for i in flip.tolist():
        touched |= update_metric(g, copy, int(rows[i]), float(progress[i]), int(new_s[i]),
                                 int(deciding[i]))
    objs = np.array(sorted(touched), dtype=np.int64)
    if objs.size == 0:
        return e_i, e_s, e_s
    moved = (st.status[objs] != copy.status[objs]) | ~_same(st.severity[objs],
                                                           copy.severity[objs])
    objs = objs[moved]
    return objs, st.status[objs], copy.status[objs]


def _copy_state(st: RollupState) -> RollupState:
    return RollupState(
        settings=st.settings, progress=st.progress.copy(), status=st.status.copy(),
        severity=st.severity.copy(), coverage=st.coverage.copy(), reasons=st.reasons.copy(),
        top_metric=st.top_metric.copy(), top_rank=st.top_rank.copy(),
        top_share=st.top_share.copy(), metric_progress=st.metric_progress.copy(),
        metric_status=st.metric_status.copy(), metric_reason=st.metric_reason.copy())


def _impact(rows: IntArray, of: FloatArray, nf: FloatArray, op: FloatArray, np_: FloatArray,
            os_: Int8Array, ns: Int8Array, objs: IntArray, oo: Int8Array,
            on: Int8Array) -> Impact:
    e = np.zeros(0, dtype=np.int64)
    empty_delta = RippleDelta(nodes=e, old_start=e, new_start=e, old_finish=e, new_finish=e,
                              newly_broken=e, resolved=e, ignored=e, visited=0, finish={},
                              stopped=e)
    return Impact(delta=empty_delta, benefits=e, benefit_old_day=e, benefit_new_day=e,
                  metrics=rows, old_forecast=of, new_forecast=nf, old_p_hit=op,
                  new_p_hit=np_, old_status=os_, new_status=ns, objectives=objs,
                  old_objective_status=oo, new_objective_status=on, newly_broken=e)

"""Signals: what needs a decision now, each a finding with the person who must act.

Kinds, rules and thresholds (`SignalSettings` holds the numbers):

- ``stale_metric``: the metric's status is ``stale`` (evidence older than its cadence ×
  1.5, the status rule). Critical once older than 3 cadences. Acts: the metric owner.
- ``stale_milestone``: an open milestone (not completed, initiative not stopped) past
  its due day by more than ``milestone_grace_days``, or whose forecast moved past its
  due day without a re-plan. Critical when more than ``overdue_critical_days`` late.
  Acts: the milestone owner (else the initiative owner).
- ``stale_dependency``: the consumer's need day passed by more than
  ``dependency_grace_days`` and the provider is not done. Acts: the provider's owner.
- ``stale_initiative``: an open initiative with no update (its own or any milestone's)
  for ``initiative_cadence_days`` × (1 + ``grace_fraction``). Acts: the owner (sponsor).
- ``reality_gap``: owner confidence and P(hit) differ by at least the status rule's
  ``confidence_gap`` (0.4; the CONFIDENCE_GAP reason); critical from
  ``reality_gap_critical`` (0.6). Acts: the metric owner.
- ``broken_dependency``: the provider's forecast (plus lag) is later than the consumer's
  need day, or it never finishes (schedule.py). Critical when the consumer is on its
  critical path or the provider never finishes. Acts: the provider's owner; the
  evidence names the consumer's owner too.
- ``critical_path_slip``: an open node on the critical path whose forecast finish is
  later than its due day. Critical beyond ``overdue_critical_days``. Acts: its owner.
- ``dependency_cycle``: a cycle of dependencies (reported with its members; its
  members are left unscheduled). Acts: the owner of its first member.
- ``green_dashboard``, ``cross_team_conflict``: see outcome_signals.py;
  ``causal_link_not_holding``: causal.py; ``benefit_leakage``, ``earned_value``:
  benefits.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.evidence import Evaluation
from steerco.core.finding import FindingBatch, batch
from steerco.core.schedule import NEVER, Schedule
from steerco.core.snapshot import Snapshot, rows_of
from steerco.core.status import Reason, Status
from steerco.core.workgraph import MILESTONE, WorkGraph
from steerco.kit.dates import NO_DAY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NODE_KINDS = ("milestone", "initiative")


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """Thresholds of the signals (see the module docstring)."""

    milestone_grace_days: int = 7
    dependency_grace_days: int = 7
    overdue_critical_days: int = 30
    initiative_cadence_days: int = 30
    grace_fraction: float = 0.5
    stale_critical_cadences: float = 3.0
    reality_gap_critical: float = 0.6
    paradox_periods: int = 3
    trend_steps: int = 3


def node_owner(wg: WorkGraph) -> IntArray:
    """Owner of each node; a milestone without one falls back to its initiative's owner."""
    ini_owner = wg.initiatives.owner
    fallback = np.where(wg.initiative >= 0, ini_owner[np.maximum(wg.initiative, 0)]
                        if ini_owner.size else -1, -1)
    return np.where(wg.owner >= 0, wg.owner, fallback).astype(np.int64)


def stale_metrics(snap: Snapshot, ev: Evaluation,
                  settings: SignalSettings = SignalSettings()) -> FindingBatch:
    """``stale_metric`` findings (see the module docstring)."""
    mr = ev.metrics
    age = mr.status.age_days
    cad = snap.metrics.cadence_days.astype(np.float64)
    fire = mr.status.status == int(Status.STALE)
    with np.errstate(invalid="ignore"):
        sev = np.where(age > settings.stale_critical_cadences * cad, 3, 2)
    return batch("stale_metric", "metric", fire, snap.metrics.ids, snap.metrics.owner, sev,
                 "No evidence for {age_days} days (due every {cadence_days} days); last "
                 "on {last_day}", age_days=age, cadence_days=snap.metrics.cadence_days,
                 last_day=mr.last_day, last_value=mr.last_value)


def stale_milestones(wg: WorkGraph, settings: SignalSettings = SignalSettings()
                     ) -> FindingBatch:
    """``stale_milestone`` findings (see the module docstring)."""
    ms = wg.milestones
    n = ms.ids.shape[0]
    open_ = ~wg.done[:n] & ~wg.stopped[:n]
    has_due = ms.due_day != NO_DAY
    overdue = np.where(has_due, wg.as_of - ms.due_day, 0)
    past = open_ & has_due & (overdue > settings.milestone_grace_days)
    moved = open_ & has_due & (ms.forecast_day != NO_DAY) & (ms.forecast_day > ms.due_day)
    fire = past | moved
    slip = np.where(moved, ms.forecast_day - ms.due_day, 0)
    sev = np.where(np.maximum(overdue, slip) > settings.overdue_critical_days, 3, 2)
    why = np.where(past, "past due", "forecast moved past its due day")
    return batch("stale_milestone", "milestone", fire, ms.ids, node_owner(wg)[:n], sev,
                 "Not completed and {reason}: due {due_day}, forecast {forecast_day}",
                 reason=why, due_day=ms.due_day, forecast_day=ms.forecast_day,
                 days_overdue=np.maximum(overdue, 0), forecast_slip_days=slip,
                 initiative=ms.initiative)


def edge_people(wg: WorkGraph) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Provider node, consumer node, provider owner, consumer owner per dependency."""
    deps = wg.dependencies
    p = wg.node_of(MILESTONE, deps.provider)
    p = np.where(deps.provider_kind == MILESTONE, p, wg.node_of(1, deps.provider))
    c = wg.node_of(MILESTONE, deps.consumer)
    c = np.where(deps.consumer_kind == MILESTONE, c, wg.node_of(1, deps.consumer))
    owner = node_owner(wg)
    po = np.where(p >= 0, owner[np.maximum(p, 0)] if owner.size else -1, -1)
    co = np.where(c >= 0, owner[np.maximum(c, 0)] if owner.size else -1, -1)
    return p, c, po.astype(np.int64), co.astype(np.int64)


def _node_ref(wg: WorkGraph, nodes: IntArray) -> npt.NDArray[np.str_]:
    """Kind name ("milestone" / "initiative", "" when unknown) of each node."""
    kinds = np.where(nodes >= 0, wg.kind[np.maximum(nodes, 0)] if wg.kind.size else 0, -1)
    return np.asarray(np.where(kinds == MILESTONE, "milestone",
                               np.where(kinds >= 0, "initiative", "")))


def _node_key(wg: WorkGraph, nodes: IntArray) -> IntArray:
    return np.where(nodes >= 0, wg.key[np.maximum(nodes, 0)] if wg.key.size else -1, -1)


def stale_dependencies(wg: WorkGraph, settings: SignalSettings = SignalSettings()
                       ) -> FindingBatch:
    """``stale_dependency`` findings (see the module docstring)."""
    deps = wg.dependencies
    p, c, po, co = edge_people(wg)
    done = np.where(p >= 0, wg.done[np.maximum(p, 0)] if wg.done.size else False, False)
    need = deps.need_day
    late = np.where(need != NO_DAY, wg.as_of - need, 0)
    fire = (p >= 0) & (c >= 0) & ~done & (need != NO_DAY) & (
        late > settings.dependency_grace_days)
    sev = np.where(late > settings.overdue_critical_days, 3, 2)
    return batch("stale_dependency", "dependency", fire, deps.ids, po, sev,
                 "Needed by {need_day} ({days_late} days ago) and the provider is not done",
                 need_day=need, days_late=late, provider_kind=_node_ref(wg, p),
                 provider=_node_key(wg, p), consumer_kind=_node_ref(wg, c),
                 consumer=_node_key(wg, c), provider_owner=po, consumer_owner=co)


def stale_initiatives(wg: WorkGraph, settings: SignalSettings = SignalSettings()
                      ) -> FindingBatch:
    """``stale_initiative`` findings (see the module docstring)."""
    ini, ms = wg.initiatives, wg.milestones
    last = ini.updated_day.copy()
    row = rows_of(ini.ids, ms.initiative)
    ok = row >= 0
    ms_last = np.maximum(ms.updated_day, ms.completed_day)
    np.maximum.at(last, row[ok], ms_last[ok])
    limit = settings.initiative_cadence_days * (1.0 + settings.grace_fraction)
    age = np.where(last != NO_DAY, wg.as_of - last, 0)
    open_ = ~ini.closed & ~ini.stopped
    fire = open_ & (last != NO_DAY) & (age > limit)
    sev = np.where(age > settings.stale_critical_cadences * settings.initiative_cadence_days,
                   3, 2)
    person = np.where(ini.owner >= 0, ini.owner, ini.sponsor)
    return batch("stale_initiative", "initiative", fire, ini.ids, person, sev,
                 "No update for {age_days} days (last on {last_update_day})",
                 age_days=age, last_update_day=last)


def reality_gaps(snap: Snapshot, ev: Evaluation,
                 settings: SignalSettings = SignalSettings()) -> FindingBatch:
    """``reality_gap`` findings (see the module docstring)."""
    mr = ev.metrics
    flag = (mr.status.reasons & np.uint32(Reason.CONFIDENCE_GAP.value)) != 0
    gap = np.abs(mr.confidence - mr.p_hit)
    with np.errstate(invalid="ignore"):
        sev = np.where(gap >= settings.reality_gap_critical, 3, 2)
    return batch("reality_gap", "metric", flag, snap.metrics.ids, snap.metrics.owner, sev,
                 "Owner confidence {confidence} but the data gives P(hit) {p_hit}",
                 confidence=mr.confidence, p_hit=mr.p_hit, gap=gap, forecast=mr.forecast)


def broken_dependencies(wg: WorkGraph, sched: Schedule) -> FindingBatch:
    """``broken_dependency`` findings (see the module docstring)."""
    deps = wg.dependencies
    k = wg.n_dep
    p, c, po, co = edge_people(wg)
    net = wg.net
    fire = sched.broken[:k] & sched.active[:k]
    ps = np.maximum(p, 0)
    prov_fin = np.where(p >= 0, np.where(np.isin(net.dep_type[:k], (0, 2)),
                                         sched.early_finish[ps], sched.early_start[ps]), NO_DAY)
    never = prov_fin >= NEVER
    crit = np.where(c >= 0, sched.critical[np.maximum(c, 0)], False)
    late = np.where(never | (deps.need_day == NO_DAY), 0,
                    prov_fin + deps.lag - deps.need_day)
    sev = np.where(crit | never, 3, 2)
    shown = np.where(never, NO_DAY, prov_fin)
    return batch("broken_dependency", "dependency", fire, deps.ids, po, sev,
                 "The provider's forecast {provider_forecast_day} is {days_late} days after "
                 "the consumer's need date {need_day}", provider_forecast_day=shown,
                 need_day=deps.need_day, days_late=late, never_finishes=never,
                 consumer_critical=crit, provider_kind=_node_ref(wg, p),
                 provider=_node_key(wg, p), consumer_kind=_node_ref(wg, c),
                 consumer=_node_key(wg, c), provider_owner=po, consumer_owner=co)


def critical_slips(wg: WorkGraph, sched: Schedule,
                   settings: SignalSettings = SignalSettings()) -> FindingBatch:
    """``critical_path_slip`` findings, one per node (see the module docstring)."""
    ef = sched.early_finish
    slip = np.where((wg.due != NO_DAY) & (ef < NEVER) & (ef != NO_DAY), ef - wg.due, 0)
    fire = sched.critical & ~wg.done & ~wg.stopped & (slip > 0)
    sev = np.where(slip > settings.overdue_critical_days, 3, 2)
    subject_kind = np.where(wg.kind == MILESTONE, "milestone", "initiative")
    return batch("critical_path_slip", subject_kind, fire, wg.key, node_owner(wg), sev,
                 "On the critical path and forecast {slip_days} days late: {forecast_day} vs "
                 "due {due_day}", slip_days=slip, forecast_day=ef, due_day=wg.due,
                 slack_days=sched.total_slack)


def cycles(wg: WorkGraph, sched: Schedule) -> FindingBatch:
    """``dependency_cycle``: one finding per cycle, subject its first member."""
    comps = sched.cycles.components
    first = np.array([int(c[0]) for c in comps], dtype=np.int64)
    owner = node_owner(wg)
    members = np.array([",".join(f"{NODE_KINDS[int(wg.kind[u])]}:{int(wg.key[u])}"
                                 for u in c) for c in comps], dtype=object)
    kind = np.array([NODE_KINDS[int(wg.kind[u])] for u in first.tolist()], dtype=object)
    return batch("dependency_cycle", kind, np.ones(first.shape[0], dtype=bool),
                 wg.key[first], owner[first], 3,
                 "A dependency cycle of {size} items ({members}): it cannot be scheduled",
                 size=np.array([len(c) for c in comps], dtype=np.int64), members=members)

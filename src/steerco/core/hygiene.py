"""Hygiene: what makes the strategy model untrustworthy, flagged rather than tracked.

Kinds, rules and thresholds (`HygieneSettings` holds the numbers):

- ``too_many_themes``: more than ``max_themes`` (5) active themes; one finding for the
  workspace. Acts: the head of the top org unit.
- ``too_many_key_results``: an objective measured directly by more than
  ``max_key_results`` (5) key results. Acts: the objective owner.
- ``ownership``: a metric, objective, initiative or milestone whose owner is not
  exactly one active person (an unknown or deactivated person), or a milestone or theme
  with no owner (a missing initiative owner is ``untrackable_initiative``). Acts: the
  departed owner's manager, else the owner of what it belongs to, else the top head.
- ``untrackable_initiative``: an open initiative missing any of owner, due date, linked
  metric, budget line or dependency declaration (listed in the evidence). Warning from
  the ``decided`` stage on (the gate requires them), info before. Acts: the owner, else
  the sponsor.
- ``metric_without_tolerance``: no tolerance band set (info). Acts: the owner.
- ``target_not_beyond_baseline``: an ``increase_to`` metric whose target is not above
  its baseline, or a ``decrease_to`` one whose target is not below it (warning): it reads
  "target met" on day one. New metrics are refused so; this finds the rows from before.
  Acts: the owner.
- ``noise_metric``: no active rule acts on the metric (info): a rule acts on it when
  its signal kind is about metrics and its scope is the whole workspace, the metric,
  an objective it measures directly, or the org unit (or an ancestor) of its owner.
- ``objective_without_initiative``: neither its metrics nor those of the objectives
  aligned below it are linked to an open initiative (through a link or a planned metric
  impact). Acts: the objective owner.
- ``initiative_moves_no_metric``: an open initiative that plans no impact on any metric
  (cost measures that claim savings are exempt). Acts: the owner, else the sponsor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.directions import Direction
from steerco.core.finding import FindingBatch, batch
from steerco.core.orgtree import Org
from steerco.core.rollup import RollupGraph
from steerco.core.snapshot import rows_of
from steerco.core.workgraph import Initiatives, Milestones
from steerco.kit.dates import NO_DAY

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Rule signal kinds that are not about metrics (a rule of these kinds is not "acting on"
#: a metric for the noise check).
NON_METRIC_SIGNALS = frozenset({
    "broken_dependency", "stale_dependency", "stale_milestone", "stale_initiative",
    "critical_path_slip", "dependency_cycle", "benefit_leakage", "earned_value",
    "too_many_themes", "too_many_key_results", "ownership", "untrackable_initiative",
    "metric_without_tolerance", "noise_metric", "objective_without_initiative",
    "target_not_beyond_baseline",
    "initiative_moves_no_metric"})
#: Stage names by code; `decided` is the gate from which trackability is required.
STAGES = ("identified", "defined", "detailed", "decided", "implemented", "closed")
DECIDED = 3
COST_MEASURE = 2


@dataclass(frozen=True, slots=True)
class HygieneSettings:
    """Focus limits (see the module docstring)."""

    max_themes: int = 5
    max_key_results: int = 5


@dataclass(frozen=True)
class Strategy:
    """Themes, objectives and metrics as hygiene needs them.

    ``objective_ids``/``objective_owner`` are aligned with the snapshot's objective rows;
    ``metric_ids``/``metric_owner``/``key_result``/``tolerance``/``metric_unit`` with its
    metric rows.
    """

    theme_ids: IntArray
    theme_active: BoolArray
    theme_owner: IntArray
    objective_ids: IntArray
    objective_owner: IntArray
    graph: RollupGraph
    metric_ids: IntArray
    metric_owner: IntArray
    key_result: BoolArray
    tolerance: npt.NDArray[np.float64]
    metric_unit: IntArray


@dataclass(frozen=True)
class Rules:
    """Active rules: signal kind and scope keys (-1 = not scoped on that)."""

    signal_kind: npt.NDArray[np.str_]
    metric: IntArray
    objective: IntArray
    org_unit: IntArray
    active: BoolArray


@dataclass(frozen=True)
class Links:
    """What initiatives are tied to: metric links and planned metric impacts (initiative
    key, metric key), savings claims (initiative key) and budget lines (initiative key)."""

    link_initiative: IntArray
    link_metric: IntArray
    impact_initiative: IntArray
    impact_metric: IntArray
    savings_initiative: IntArray
    line_initiative: IntArray


def _top_head(org: Org) -> int:
    roots = org.roots()
    if roots.size == 0:
        return -1
    return int(org.head_of(roots[:1])[0])


def focus(st: Strategy, org: Org, workspace: int,
          settings: HygieneSettings = HygieneSettings()) -> list[FindingBatch]:
    """``too_many_themes`` and ``too_many_key_results``."""
    active = int(st.theme_active.sum())
    themes = batch("too_many_themes", "workspace", np.array([active > settings.max_themes]),
                   np.array([workspace]), np.array([_top_head(org)]), 2,
                   "{active_themes} active themes: more than {limit} is no focus",
                   active_themes=np.array([active]),
                   limit=np.array([settings.max_themes]))
    g = st.graph
    obj_of = np.repeat(np.arange(g.n_objectives), np.diff(g.in_met_ptr))
    kr = st.key_result[g.in_met_metric] if g.in_met_metric.size else np.zeros(0, bool)
    count = np.bincount(obj_of, kr, minlength=g.n_objectives).astype(np.int64)
    krs = batch("too_many_key_results", "objective", count > settings.max_key_results,
                st.objective_ids, st.objective_owner, 2,
                "{key_results} key results on one objective: more than {limit} dilutes it",
                key_results=count, limit=np.full(count.shape[0], settings.max_key_results))
    return [themes, krs]


def ownership(st: Strategy, ini: Initiatives, ms: Milestones, org: Org) -> list[FindingBatch]:
    """``ownership`` findings for metrics, objectives, initiatives, milestones, themes."""
    top = _top_head(org)
    out = []

    def bad_owner(owner: IntArray, required: bool) -> tuple[BoolArray, IntArray, npt.NDArray[
            np.str_]]:
        has = owner >= 0
        active = org.is_active(owner)
        bad = (has & ~active) | (~has if required else np.zeros(owner.shape[0], bool))
        mgr = org.manager_of(owner)
        why = np.where(has, "owner is not an active person", "no owner")
        return bad, mgr, why

    for kind, ids, owner, required, fallback in (
            ("metric", st.metric_ids, st.metric_owner, True, np.full(st.metric_ids.shape, top)),
            ("objective", st.objective_ids, st.objective_owner, True,
             np.full(st.objective_ids.shape, top)),
            ("initiative", ini.ids, ini.owner, False, ini.sponsor),
            ("milestone", ms.ids, ms.owner, True, _initiative_owner(ini, ms.initiative)),
            ("theme", st.theme_ids, st.theme_owner, True, np.full(st.theme_ids.shape, top))):
        bad, mgr, why = bad_owner(owner, required)
        if kind == "initiative":
            bad &= ~ini.closed
        if kind == "theme":
            bad &= st.theme_active
        person = np.where(mgr >= 0, mgr, fallback)
        out.append(batch("ownership", kind, bad, ids, person, 2,
                         "Not owned by exactly one active person: {reason}", reason=why,
                         owner=owner))
    return out


def _initiative_owner(ini: Initiatives, keys: IntArray) -> IntArray:
    r = rows_of(ini.ids, keys)
    return np.where(r >= 0, ini.owner[np.maximum(r, 0)] if ini.owner.size else -1, -1)


def _has(keys: IntArray, ids: IntArray) -> BoolArray:
    out: BoolArray = np.isin(ids, keys)
    return out


def trackability(ini: Initiatives, links: Links, stage: IntArray) -> list[FindingBatch]:
    """``untrackable_initiative`` and ``initiative_moves_no_metric``."""
    open_ = ~ini.closed & ~ini.stopped
    gaps = {
        "owner": ini.owner < 0,
        "due date": ini.due_day == NO_DAY,
        "linked metric": ~_has(links.link_initiative, ini.ids),
        "budget line": ~_has(links.line_initiative, ini.ids),
        "dependency declaration": ~ini.declared,
    }
    missing = np.zeros(ini.n, dtype=np.int64)
    text = np.full(ini.n, "", dtype=object)
    for name, m in gaps.items():
        missing += m
        text = np.where(m, np.where(text == "", name, text + ", " + name), text)
    person = np.where(ini.owner >= 0, ini.owner, ini.sponsor)
    sev = np.where(stage >= DECIDED, 2, 1)
    names = np.array([STAGES[int(c)] if 0 <= c < len(STAGES) else "" for c in stage.tolist()],
                     dtype=object)
    untrackable = batch("untrackable_initiative", "initiative", open_ & (missing > 0), ini.ids,
                        person, sev, "Cannot be tracked: missing {missing}", missing=text,
                        stage=names)
    moves = _has(links.impact_initiative, ini.ids)
    saves = (ini.kind == COST_MEASURE) & _has(links.savings_initiative, ini.ids)
    no_metric = batch("initiative_moves_no_metric", "initiative", open_ & ~moves & ~saves,
                      ini.ids, person, sev,
                      "Plans no impact on any metric: what outcome does it move?",
                      stage=names)
    return [untrackable, no_metric]


def metric_hygiene(st: Strategy, rules: Rules, org: Org) -> list[FindingBatch]:
    """``metric_without_tolerance`` and ``noise_metric``."""
    no_tol = ~np.isfinite(st.tolerance)
    tol = batch("metric_without_tolerance", "metric", no_tol, st.metric_ids, st.metric_owner,
                1, "No tolerance band: every deviation from plan is a breach")
    n = st.metric_ids.shape[0]
    about = rules.active & ~np.isin(rules.signal_kind.astype(str), list(NON_METRIC_SIGNALS))
    covered = np.zeros(n, dtype=bool)
    glob = about & (rules.metric < 0) & (rules.objective < 0) & (rules.org_unit < 0)
    if glob.any():
        covered[:] = True
    else:
        mr = rows_of(st.metric_ids, rules.metric[about & (rules.metric >= 0)])
        covered[mr[mr >= 0]] = True
        g = st.graph
        objs = rules.objective[about & (rules.objective >= 0)]
        # The objective rows come from the same sorted ids as the roll-up graph.
        orow = rows_of(st.objective_ids, objs)
        orow = orow[orow >= 0]
        for o in orow.tolist():
            covered[g.in_met_metric[g.in_met_ptr[o]:g.in_met_ptr[o + 1]]] = True
        units = rules.org_unit[about & (rules.org_unit >= 0)]
        if units.size:
            anc = org.ancestors()
            urow = rows_of(org.unit_ids, st.metric_unit)
            chain = np.where((urow >= 0)[:, None], anc[np.maximum(urow, 0)], -1)
            covered |= np.isin(chain, units).any(axis=1)
    noise = batch("noise_metric", "metric", ~covered, st.metric_ids, st.metric_owner, 1,
                  "No rule acts on this metric: its breaches would reach nobody")
    return [tol, noise]


def target_direction(ids: IntArray, owner: IntArray, direction: npt.NDArray[np.int8],
                     baseline: npt.NDArray[np.float64],
                     target: npt.NDArray[np.float64]) -> FindingBatch:
    """``target_not_beyond_baseline`` (see the module docstring); arrays per metric."""
    up = direction == Direction.INCREASE_TO
    down = direction == Direction.DECREASE_TO
    bad = (up & ~(target > baseline)) | (down & ~(target < baseline))
    names = np.where(up, Direction.INCREASE_TO.wire_name, Direction.DECREASE_TO.wire_name)
    want = np.where(up, "above", "below")
    return batch("target_not_beyond_baseline", "metric", bad, ids, owner, 2,
                 "{direction} needs a target {needed} the baseline: target {target} vs "
                 "baseline {baseline} reads \"target met\" from day one",
                 direction=names, needed=want, target=target, baseline=baseline)


def objectives_without_initiatives(st: Strategy, ini: Initiatives, links: Links
                                   ) -> FindingBatch:
    """``objective_without_initiative`` (metrics shared with open initiatives, rolled up
    through the alignment graph)."""
    irow = rows_of(ini.ids, np.concatenate([links.link_initiative, links.impact_initiative]))
    mkeys = np.concatenate([links.link_metric, links.impact_metric])
    live = (irow >= 0) & ~ini.closed[np.maximum(irow, 0)] & ~ini.stopped[np.maximum(irow, 0)] \
        if ini.n else np.zeros(irow.shape[0], dtype=bool)
    mrow = rows_of(st.metric_ids, mkeys[live])
    has_ini = np.zeros(st.metric_ids.shape[0], dtype=bool)
    has_ini[mrow[mrow >= 0]] = True
    g = st.graph
    n = g.n_objectives
    cov = np.zeros(n, dtype=bool)
    obj_of = np.repeat(np.arange(n), np.diff(g.in_met_ptr))
    cov[obj_of[has_ini[g.in_met_metric]]] = True
    # Children first: the graph's order runs by height from the leaves up.
    parent_of = np.repeat(np.arange(n), np.diff(g.in_obj_ptr))
    for h in range(g.level_ptr.shape[0] - 1):
        objs = g.order[g.level_ptr[h]:g.level_ptr[h + 1]]
        sel = np.isin(parent_of, objs)
        if sel.any():
            kids = g.in_obj_child[sel]
            np.logical_or.at(cov, parent_of[sel], cov[kids])
    return batch("objective_without_initiative", "objective", ~cov, st.objective_ids,
                 st.objective_owner, 2,
                 "No open initiative moves any metric of this objective or those below it")

"""Signals, hygiene and what-ifs over a workspace: load columns → core → plain JSON.

Nothing here writes. `load_model` reads the workspace once (the evaluated snapshot comes
from the evidence engine's cache) and builds the schedule; `run_findings` runs every
signal and hygiene rule on it; `whatif` answers "X slips N days" / "Y is stopped" from a
baseline kept per workspace and day (rebuilt when the work or its benefits changed).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from steerco.core import benefits as cb
from steerco.core import hygiene as hy
from steerco.core import signals as sg
from steerco.core import workgraph as wgm
from steerco.core.causal import CausalLinks, CausalSettings, causal_findings, check_links
from steerco.core.evidence import Evaluation
from steerco.core.finding import Finding, FindingBatch
from steerco.core.impact import Impact, ImpactBase, prepare
from steerco.core.impact import run as run_impact
from steerco.core.orgtree import Org
from steerco.core.outcome_signals import InitiativeLinks, cross_team_conflicts, green_dashboard
from steerco.core.schedule import NEVER, Schedule
from steerco.core.severity import NAMES, Stake, rate
from steerco.core.snapshot import Snapshot, rows_of
from steerco.db.repository import table_generations
from steerco.evidence.service import CACHE, ENGINE_TABLES, SNAPSHOT_TABLES, STATUS_NAMES
from steerco.findings.repository import FindingsRepository, work_labels, work_named
from steerco.kit.dates import NO_DAY, from_day, to_day
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.kit.ids import PREFIXES, format_id, parse_any

#: Every finding kind, signals first.
SIGNAL_KINDS = ("stale_metric", "stale_milestone", "stale_dependency", "stale_initiative",
                "reality_gap", "green_dashboard", "cross_team_conflict",
                "causal_link_not_holding", "benefit_leakage", "earned_value",
                "broken_dependency", "critical_path_slip", "dependency_cycle")
HYGIENE_KINDS = ("too_many_themes", "too_many_key_results", "ownership",
                 "untrackable_initiative", "initiative_moves_no_metric",
                 "metric_without_tolerance", "noise_metric", "objective_without_initiative",
                 "target_not_beyond_baseline")
KINDS = SIGNAL_KINDS + HYGIENE_KINDS
CLOSED_STAGE = 5


@dataclass
class Model:
    """Everything signals, hygiene and what-ifs read, for one workspace at one day."""

    workspace_id: int
    as_of: int
    snap: Snapshot
    ev: Evaluation
    wg: wgm.WorkGraph
    org: Org
    strategy: hy.Strategy
    rules: hy.Rules
    links: hy.Links
    budget: cb.Budget
    savings: cb.Savings
    causal: CausalLinks
    leading: np.ndarray[Any, Any]
    stage: np.ndarray[Any, Any]
    timings: dict[str, float] = field(default_factory=dict)
    #: The columns read per source (`read_sources`), to tell which changed.
    sources: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    _schedule: Schedule | None = None
    _parents: dict[int, int] | None = None

    @property
    def milestone_parents(self) -> dict[int, int]:
        """The initiative key of each milestone key."""
        if self._parents is None:
            ms = self.wg.milestones
            self._parents = dict(zip(ms.ids.tolist(), ms.initiative.tolist(), strict=True))
        return self._parents

    @property
    def schedule(self) -> Schedule:
        """The workspace's schedule (computed on first use)."""
        if self._schedule is None:
            t = time.perf_counter()
            self._schedule = wgm.run(self.wg)
            self.timings["schedule_s"] = round(time.perf_counter() - t, 3)
        return self._schedule


#: The model's sources read from the work tables (each a few columns of one query),
#: with the tables each reads. An edit to one of these tables only re-reads its sources
#: (`update_model`); the sources read with the snapshot (objective owners, metric flags,
#: planned benefits) are re-read with the whole model or a patched snapshot.
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "milestones": ("milestones",), "initiatives": ("initiatives",),
    "dependencies": ("dependencies",), "people": ("people",), "org_units": ("org_units",),
    "themes": ("themes",), "rules": ("rules",), "initiative_metrics": ("initiative_metrics",),
    "budget_lines": ("budget_lines",), "budget_plans": ("budget_plans",),
    "ledger": ("ledger_entries",), "causal_links": ("causal_links",)}
_SNAPSHOT_SOURCES = ("objective_owners", "metric_info", "benefits")
#: The table each of those reads (all snapshot tables).
_SNAPSHOT_SOURCE_TABLES = {"objective_owners": "objectives", "metric_info": "metrics",
                           "benefits": "planned_benefits"}
#: What a kind reads of the snapshot: "snapshot" stands for the evaluated snapshot itself
#: (metrics, plans, objective graph, measurements and their evaluation), the others are
#: read with it. When the engine patched an edit of its tables (`update_model` with a new
#: snapshot) the kinds reading one of them are recomputed.
_SNAP = ("snapshot", "objective_owners", "metric_info", "benefits")
WORK_SOURCES = ("milestones", "initiatives", "dependencies")
_WORK_ITEMS = ("milestones", "initiatives")  # what reads no dependency
_ORG = ("people", "org_units")
_STRATEGY = ("themes", *_ORG)
_LINKS = ("initiative_metrics", "budget_lines")
_BUDGET = ("budget_lines", "budget_plans", "ledger")
#: The sources each finding kind reads besides the snapshot and its evaluation (see
#: `run_findings`; the work graph's milestone and initiative columns come from their own
#: sources, its edges and schedule from all three): a kind is recomputed only when one of
#: them changed.
KIND_SOURCES: dict[str, tuple[str, ...]] = {
    "stale_metric": _SNAP, "stale_milestone": _WORK_ITEMS,
    "stale_dependency": WORK_SOURCES, "stale_initiative": _WORK_ITEMS,
    "reality_gap": _SNAP, "green_dashboard": (*WORK_SOURCES, *_LINKS, "causal_links", *_SNAP),
    "cross_team_conflict": ("causal_links", *_ORG, *_SNAP),
    "causal_link_not_holding": ("causal_links", *_SNAP),
    "benefit_leakage": (*_BUDGET, "initiatives", "benefits"),
    "earned_value": (*_BUDGET, *_WORK_ITEMS),
    "broken_dependency": WORK_SOURCES, "critical_path_slip": WORK_SOURCES,
    "dependency_cycle": WORK_SOURCES, "too_many_themes": (*_STRATEGY, *_SNAP),
    "too_many_key_results": (*_STRATEGY, *_SNAP),
    "ownership": (*_STRATEGY, *_WORK_ITEMS, *_SNAP),
    "untrackable_initiative": ("initiatives", *_LINKS, "benefits"),
    "initiative_moves_no_metric": ("initiatives", *_LINKS, "benefits"),
    "metric_without_tolerance": (*_STRATEGY, "rules", *_SNAP),
    "noise_metric": (*_STRATEGY, "rules", *_SNAP),
    "objective_without_initiative": (*_STRATEGY, "initiatives", *_LINKS, *_SNAP),
    "target_not_beyond_baseline": _SNAP}
#: The sources earned value reads.
EARNED_SOURCES = (*_WORK_ITEMS, *_BUDGET)


def rating_inputs(m: Model) -> tuple[Any, ...]:
    """What the rating of a finding reads besides the finding (`rate_rows`): which
    initiative each milestone belongs to, which work is on the critical path, which
    metrics each initiative moves, each metric's outcome weight, the savings. Equal
    inputs, equal ratings."""
    ms, ini = m.wg.milestones, m.wg.initiatives
    return (ms.ids, ms.initiative, ini.ids, m.schedule.critical, m.links.link_initiative,
            m.links.link_metric, m.snap.metrics.ids, outcome_share(m.snap),
            m.savings.initiative, m.savings.amount)


def read_sources(repo: FindingsRepository, names: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """The columns of each named source, read from the database."""
    return {name: tuple(getattr(repo, name)()) for name in names}


def same_source(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two reads of a source hold the same rows."""
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and bool(np.array_equal(x, y))
        for x, y in zip(a, b, strict=True))


def load_model(session: Session, workspace_id: int, as_of: dt.date) -> Model:
    """Read the workspace into a `Model` (the evaluation comes from the engine cache)."""
    t0 = time.perf_counter()
    st = CACHE.state(session, workspace_id, as_of)
    with st.lock:
        st.snapshot.compact()
    snap, ev = st.snapshot, st.evaluation
    t1 = time.perf_counter()
    repo = FindingsRepository(session, workspace_id)
    src = read_sources(repo, (*SOURCE_TABLES, *_SNAPSHOT_SOURCES))
    m = build_model(workspace_id, to_day(as_of), snap, ev, src)
    m.timings.update(evaluation_s=round(t1 - t0, 3), load_s=round(time.perf_counter() - t1, 3))
    return m


def update_model(session: Session, old: Model, tables: Iterable[str],
                 state: tuple[Snapshot, Evaluation] | None = None, evidence: bool = False
                 ) -> tuple[Model, set[str]] | None:
    """`old` with the sources read from `tables` read again, and the names of the sources
    whose rows changed; None when a table is not one of `SOURCE_TABLES` (the snapshot's:
    read the whole model then) — unless `state` gives the snapshot and evaluation the
    engine patched those edits into (same metrics, same day): the sources read with the
    snapshot are read again then, and "snapshot" is among the changed sources. The
    snapshot, its evaluation and, when no work source changed, the work graph and its
    schedule are the old model's (or `state`'s). `evidence`: measurements arrived since
    `old` (the engine caught `state` up with them): "snapshot" changed too."""
    names = [n for n, ts in SOURCE_TABLES.items() if set(ts) & set(tables)]
    covered = {t for ts in SOURCE_TABLES.values() for t in ts}
    snap, ev = old.snap, old.ev
    if state is not None and (state[0] is not snap or state[1] is not ev or evidence):
        snap, ev = state
        if ev.as_of != old.ev.as_of or not np.array_equal(snap.metrics.ids,
                                                           old.snap.metrics.ids):
            return None  # another day, or metrics created or deleted: rows moved
        covered |= set(SNAPSHOT_TABLES)
        names += [n for n, table in _SNAPSHOT_SOURCE_TABLES.items() if table in tables]
    if not set(tables) <= covered:
        return None
    fresh = read_sources(FindingsRepository(session, old.workspace_id), names)
    changed = {n for n in names if not same_source(fresh[n], old.sources[n])}
    if snap is not old.snap or evidence:
        changed.add("snapshot")
    if not changed:
        return old, changed
    src = {**old.sources, **{n: fresh[n] for n in changed if n in fresh}}
    keep = None if changed & set(WORK_SOURCES) else old
    return build_model(old.workspace_id, old.as_of, snap, ev, src, keep), changed


def build_model(workspace_id: int, day: int, snap: Snapshot, ev: Evaluation,
                src: dict[str, tuple[Any, ...]], work_of: Model | None = None) -> Model:
    """A `Model` from the snapshot and the sources read (`read_sources`); the work graph,
    its stages and schedule are those of `work_of` when given (its work sources are
    `src`'s)."""
    if work_of is not None:
        wg, stage = work_of.wg, work_of.stage
    else:
        ms = wgm.Milestones(*src["milestones"])
        (iid, owner, sponsor, ctrl, unit, start, due, pct, declared, stopped, stage, kind,
         upd) = src["initiatives"]
        closed = (stage == CLOSED_STAGE) | (pct >= 1.0)
        ini = wgm.Initiatives(iid, owner, sponsor, ctrl, unit, start, due, pct, declared,
                              stopped, closed, kind, upd)
        d = src["dependencies"]
        deps = wgm.Dependencies(
            ids=d[0], provider_kind=np.where(d[1] >= 0, wgm.MILESTONE, wgm.INITIATIVE),
            provider=np.where(d[1] >= 0, d[1], d[2]),
            consumer_kind=np.where(d[3] >= 0, wgm.MILESTONE, wgm.INITIATIVE),
            consumer=np.where(d[3] >= 0, d[3], d[4]), dep_type=d[5], lag=d[6],
            need_day=d[7], committed_day=d[8])
        wg = wgm.build(ms, ini, deps, day)
    pid, punit, pmgr, pact = src["people"]
    uid, uparent, uhead = src["org_units"]
    org = Org(uid, uparent, uhead, pid, punit, pmgr, pact == 1)
    tid, tact, towner = src["themes"]
    oid, oowner = src["objective_owners"]
    orow = rows_of(snap.objective_ids, oid)
    o_owner = np.full(snap.objective_ids.shape[0], -1, dtype=np.int64)
    o_owner[orow[orow >= 0]] = oowner[orow >= 0]
    mid, kr, lead = src["metric_info"]
    mrow = rows_of(snap.metrics.ids, mid)
    key_result = np.zeros(snap.metrics.n, dtype=bool)
    leading = np.zeros(snap.metrics.n, dtype=bool)
    key_result[mrow[mrow >= 0]] = kr[mrow >= 0]
    leading[mrow[mrow >= 0]] = lead[mrow >= 0]
    strategy = hy.Strategy(tid, tact == 1, towner, snap.objective_ids, o_owner, snap.graph,
                           snap.metrics.ids, snap.metrics.owner, key_result,
                           snap.metrics.tolerance, org.unit_of(snap.metrics.owner))
    rk, rm, ro, ru, ract = src["rules"]
    rules = hy.Rules(rk.astype(str), rm, ro, ru, ract)
    li, lm = src["initiative_metrics"]
    bid, bini, bsav, bmet, bline, bamt, bday, breal = src["benefits"]
    lid, lini, lctrl = src["budget_lines"]
    links = hy.Links(li, lm, bini[~bsav], bmet[~bsav], bini[bsav], lini[lini >= 0])
    pl, pd, pa = src["budget_plans"]
    ll, ld, la = src["ledger"]
    budget = cb.Budget(lid, lini, lctrl, pl, pd, pa, ll, ld, la)
    savings = cb.Savings(bid[bsav], bini[bsav], bline[bsav], bamt[bsav], bday[bsav],
                         breal[bsav])
    cid, cdrv, cdvn, csign, clag = src["causal_links"]
    causal = CausalLinks(cid, rows_of(snap.metrics.ids, cdrv), rows_of(snap.metrics.ids, cdvn),
                         csign, clag)
    m = Model(workspace_id, day, snap, ev, wg, org, strategy, rules, links, budget, savings,
              causal, leading, stage, sources=src)
    if work_of is not None:
        m._schedule, m._parents = work_of._schedule, work_of._parents
    return m


def _initiative_links(m: Model) -> InitiativeLinks:
    sched = m.schedule
    ini = m.wg.initiatives
    node = m.wg.initiative_node(np.arange(ini.n))
    ef = sched.early_finish[node] if ini.n else np.zeros(0, dtype=np.int64)
    open_ = ~ini.closed
    late = (ini.due_day != NO_DAY) & (ef > ini.due_day)
    green = open_ & ~ini.stopped & (ini.due_day != NO_DAY) & ~late
    red = open_ & (ini.stopped | late)
    irow = rows_of(ini.ids, np.concatenate([m.links.link_initiative,
                                            m.links.impact_initiative]))
    mrow = rows_of(m.snap.metrics.ids, np.concatenate([m.links.link_metric,
                                                       m.links.impact_metric]))
    pair = np.unique(np.stack([irow, mrow]), axis=1) if irow.size else np.zeros((2, 0),
                                                                                np.int64)
    return InitiativeLinks(pair[0], pair[1], green, red)


def run_findings(m: Model, kinds: Iterable[str] | None = None) -> list[FindingBatch]:
    """Run the signals and hygiene rules of ``kinds`` (all by default) over the model."""
    want = set(KINDS if kinds is None else kinds)
    wg, snap, ev, as_of = m.wg, m.snap, m.ev, m.as_of
    out: list[FindingBatch] = []

    def on(*names: str) -> bool:
        return bool(want.intersection(names))

    if on("stale_metric"):
        out.append(sg.stale_metrics(snap, ev))
    if on("stale_milestone"):
        out.append(sg.stale_milestones(wg))
    if on("stale_dependency"):
        out.append(sg.stale_dependencies(wg))
    if on("stale_initiative"):
        out.append(sg.stale_initiatives(wg))
    if on("reality_gap"):
        out.append(sg.reality_gaps(snap, ev))
    if on("green_dashboard"):
        out.append(green_dashboard(snap, ev, m.leading, m.causal, _initiative_links(m)))
    if on("cross_team_conflict"):
        out.append(cross_team_conflicts(snap, as_of, m.causal, m.strategy.metric_unit, m.org))
    if on("causal_link_not_holding"):
        test = check_links(snap, m.causal, as_of, CausalSettings())
        out.append(causal_findings(snap, m.causal, test))
    if on("benefit_leakage"):
        lk = cb.leakage(m.budget, m.savings, as_of)
        out.append(cb.leakage_findings(m.budget, m.savings, lk, wg.initiatives))
    if on("earned_value"):
        evs = cb.earned_value(wg.initiatives, wg.milestones, m.budget, as_of)
        out.append(cb.earned_value_findings(wg.initiatives, evs))
    if on("broken_dependency"):
        out.append(sg.broken_dependencies(wg, m.schedule))
    if on("critical_path_slip"):
        out.append(sg.critical_slips(wg, m.schedule))
    if on("dependency_cycle"):
        out.append(sg.cycles(wg, m.schedule))
    if on("too_many_themes", "too_many_key_results"):
        out.extend(hy.focus(m.strategy, m.org, m.workspace_id))
    if on("ownership"):
        out.extend(hy.ownership(m.strategy, wg.initiatives, wg.milestones, m.org))
    if on("untrackable_initiative", "initiative_moves_no_metric"):
        out.extend(hy.trackability(wg.initiatives, m.links, m.stage))
    if on("metric_without_tolerance", "noise_metric"):
        out.extend(hy.metric_hygiene(m.strategy, m.rules, m.org))
    if on("objective_without_initiative"):
        out.append(hy.objectives_without_initiatives(m.strategy, wg.initiatives, m.links))
    if on("target_not_beyond_baseline"):
        mt = snap.metrics
        out.append(hy.target_direction(mt.ids, mt.owner, mt.direction, mt.baseline_value,
                                       mt.target_value))
    return [b for b in out if b.kind in want]


# --- JSON ---------------------------------------------------------------------------------

#: Evidence fields that hold a key of this kind (shown as public ids).
EVIDENCE_KEYS = {"initiative": "initiative", "budget_line": "budget_line", "driver": "metric",
                 "driven": "metric", "owner": "person", "provider_owner": "person",
                 "consumer_owner": "person", "driver_unit": "org_unit",
                 "driven_unit": "org_unit", "common_unit": "org_unit"}


def _pid(kind: str, key: Any) -> str | None:
    return None if key is None or int(key) < 0 else format_id(kind, int(key))


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding as plain JSON with public ids."""
    ev = dict(f.evidence)
    for k, kind in EVIDENCE_KEYS.items():
        if k in ev:
            ev[k] = _pid(kind, ev[k])
    for end in ("provider", "consumer"):
        if end in ev:
            ev[end] = _pid(ev.pop(f"{end}_kind") or "milestone", ev[end])
    subject_kind = f.subject_kind
    return {"kind": f.kind, "severity": f.severity, "severity_name": f.severity_name,
            "subject": {"kind": subject_kind, "id": _pid(subject_kind, f.subject)},
            "person_id": _pid("person", f.person), "explanation": f.explanation,
            "evidence": ev}


def initiatives_concerned(m: Model, finding: dict[str, Any]) -> set[int]:
    """Keys of the initiatives a finding (as JSON) is about: its subject, the initiative
    of a milestone subject, and the initiatives at both ends of a dependency — so an
    initiative's list row and page show every finding the cockpit shows about it."""
    ev = finding["evidence"]
    out: set[int] = set()
    for ref in (finding["subject"]["id"], ev.get("initiative"), ev.get("provider"),
                ev.get("consumer")):
        if not isinstance(ref, str):
            continue
        prefix, _, rest = ref.partition("_")
        if not rest.isdigit():
            continue
        if prefix == PREFIXES["initiative"]:
            out.add(int(rest))
        elif prefix == PREFIXES["milestone"]:
            ini = m.milestone_parents.get(int(rest), -1)
            if ini >= 0:
                out.add(ini)
    return out


def findings(session: Session, workspace_id: int, as_of: dt.date,
             kind: str | None = None) -> list[dict[str, Any]]:
    """Every finding of the workspace (or of one kind), worst first, as JSON."""
    if kind is not None and kind not in KINDS:
        raise ValidationFailed(FieldError("kind", f"unknown finding kind '{kind}'; one of "
                                                  f"{', '.join(KINDS)}", kind))
    m = load_model(session, workspace_id, as_of)
    out = [finding_json(f) for b in run_findings(m, None if kind is None else [kind])
           for f in b.rows()]
    return rate_findings(m, out, FindingsRepository(session, workspace_id).currency())


# --- severity from impact -----------------------------------------------------------------


def finding_key(f: dict[str, Any]) -> str:
    """The stable key of a finding (JSON): kind and subject, like
    ``stale_metric:met_12`` — what triage state is kept under."""
    return f"{f['kind']}:{f['subject']['id']}"


def outcome_share(snap: Snapshot) -> np.ndarray[Any, Any]:
    """Per metric row, the largest share of an objective's weight it carries."""
    g = snap.graph
    n_o = int(g.total_w.shape[0])
    obj = np.repeat(np.arange(n_o), np.diff(g.in_met_ptr)[:n_o])
    share = np.zeros(snap.metrics.n)
    if obj.size:
        tot = g.total_w[obj]
        w = np.where(tot > 0, g.in_met_w[:obj.size] / np.where(tot > 0, tot, 1), 0.0)
        np.maximum.at(share, g.in_met_metric[:obj.size], w)
    return share


class _Stakes:
    """What is at stake per initiative and metric of a model (see core.severity). With
    `few` (a few findings to rate) each initiative, metric and row is looked up when
    asked, not mapped for all of them first (the same values)."""

    def __init__(self, m: Model, few: bool = False) -> None:
        self.m = m
        self._critical: list[bool] | None = None
        self.few = few
        if few:
            self._share = outcome_share(m.snap)
            return
        money: dict[int, float] = {}
        for ini, amount in zip(m.savings.initiative.tolist(), m.savings.amount.tolist(),
                               strict=True):
            if np.isfinite(amount):
                money[int(ini)] = money.get(int(ini), 0.0) + float(amount)
        self.money = money
        share = outcome_share(m.snap)
        self.weight: dict[int, float] = dict(zip(m.snap.metrics.ids.tolist(), share.tolist(),
                                                 strict=True))
        links: dict[int, list[int]] = {}
        for ini, met in zip(m.links.link_initiative.tolist(), m.links.link_metric.tolist(),
                            strict=True):
            links.setdefault(int(ini), []).append(int(met))
        self.metrics_of = links
        ini = m.wg.initiatives
        self.ini_row = {int(k): i for i, k in enumerate(ini.ids.tolist())}
        self.ms_row = {int(k): i for i, k in enumerate(m.wg.milestones.ids.tolist())}

    @staticmethod
    def _last(ids: np.ndarray[Any, Any], key: int) -> int | None:
        """The last row of `key` in `ids` (what a dict over them keeps), or None."""
        at = np.flatnonzero(ids == key)
        return int(at[-1]) if at.size else None

    def _money(self, ini: int) -> float:
        if not self.few:
            return self.money.get(ini, 0.0)
        out = 0.0
        for amount in self.m.savings.amount[self.m.savings.initiative == ini].tolist():
            if np.isfinite(amount):
                out = out + float(amount)
        return out

    def _weight(self, metric: int) -> float:
        if not self.few:
            return self.weight.get(metric, 0.0)
        at = self._last(self.m.snap.metrics.ids, metric)
        return 0.0 if at is None else float(self._share[at])

    def _metrics(self, ini: int) -> list[int]:
        if not self.few:
            return self.metrics_of.get(ini, [])
        links = self.m.links
        return [int(k) for k in links.link_metric[links.link_initiative == ini].tolist()]

    def _row(self, kind: str, key: int) -> int | None:
        if not self.few:
            return (self.ms_row if kind == "milestone" else self.ini_row).get(key)
        ids = self.m.wg.milestones.ids if kind == "milestone" else self.m.wg.initiatives.ids
        return self._last(ids, key)

    def critical(self, kind: str, key: int) -> bool:
        if self.few:
            row = self._row(kind, key) if kind in ("milestone", "initiative") else None
            if row is None:
                return False
            crit = self.m.schedule.critical
            return bool(crit[row if kind == "milestone" else
                             int(self.m.wg.initiative_node(row))])
        if self._critical is None:
            self._critical = self.m.schedule.critical.tolist()
        if kind == "milestone" and (row := self._row(kind, key)) is not None:
            return self._critical[row]
        if kind == "initiative" and (row := self._row(kind, key)) is not None:
            return self._critical[int(self.m.wg.initiative_node(row))]
        return False

    def of(self, f: dict[str, Any], inis: set[int] | None = None) -> Stake:
        if inis is None:
            inis = initiatives_concerned(self.m, f)
        money = sum(self._money(i) for i in inis)
        subj = f["subject"]
        kind, key = subj["kind"], _key(subj["id"])
        ev = f["evidence"]
        path = key is not None and self.critical(kind, key)
        for end in ("provider", "consumer"):
            ref = ev.get(end)
            if isinstance(ref, str):
                prefix = ref.partition("_")[0]
                k = _key(ref)
                if k is not None:
                    path = path or self.critical(
                        "milestone" if prefix == PREFIXES["milestone"] else "initiative", k)
        path = path or any(self.critical("initiative", i) for i in inis)
        metrics = set()
        if kind == "metric" and key is not None:
            metrics.add(key)
        for name in ("driver", "driven"):
            k = _key(ev.get(name))
            if k is not None:
                metrics.add(k)
        for i in inis:
            metrics.update(self._metrics(i))
        weight = max((self._weight(k) for k in metrics), default=0.0)
        return Stake(money=money, critical_path=path, outcome_weight=weight)


def _key(ref: Any) -> int | None:
    if not isinstance(ref, str):
        return None
    rest = ref.partition("_")[2]
    return int(rest) if rest.isdigit() else None


def rate_findings(m: Model, rows: list[dict[str, Any]],
                  currency: str = "EUR") -> list[dict[str, Any]]:
    """Give every finding (JSON) its impact-based severity (`steerco.core.severity`):
    ``severity`` / ``severity_name`` become the rated ones, ``kind_severity`` keeps the
    kind's own, ``severity_reason`` says why in one sentence and ``impact`` holds what is
    at stake (money, critical_path, outcome_weight). Returns `rows`, most urgent first."""
    ranks = rate_rows(m, rows, currency)
    order = sorted(range(len(rows)), key=ranks.__getitem__, reverse=True)
    rows[:] = [rows[i] for i in order]
    return rows


#: Up to this many findings are rated by looking each stake up (`_Stakes` with `few`).
FEW = 64


def rate_rows(m: Model, rows: list[dict[str, Any]], currency: str = "EUR",
              concerned: dict[int, set[int]] | None = None) -> list[tuple[Any, ...]]:
    """Rate `rows` in place as `rate_findings` does, without sorting them: the rank of
    each (most urgent highest), in order. `concerned` gets the initiatives each row
    concerns (`initiatives_concerned`), by id() of the row."""
    stakes = _Stakes(m, few=len(rows) <= FEW)
    signal = set(SIGNAL_KINDS)
    ranks: list[tuple[Any, ...]] = []
    for f in rows:
        inis = initiatives_concerned(m, f)
        if concerned is not None:
            concerned[id(f)] = inis
        stake = stakes.of(f, inis)
        r = rate(int(f["severity"]), stake, f["kind"] in signal, currency)
        f["kind_severity"] = f["severity"]
        f["severity"], f["severity_name"] = r.severity, NAMES[r.severity]
        f["severity_reason"] = r.reason
        f["impact"] = {"money": round(stake.money, 2), "critical_path": stake.critical_path,
                       "outcome_weight": round(stake.outcome_weight, 4)}
        f["key"] = finding_key(f)
        ranks.append((*r.rank, -KINDS.index(f["kind"])))
    return ranks


def unrated(f: dict[str, Any]) -> dict[str, Any]:
    """A copy of a rated finding (JSON) as `finding_json` made it, to rate again."""
    return {**f, "severity": f["kind_severity"], "severity_name": NAMES[f["kind_severity"]]}


# --- what-if ------------------------------------------------------------------------------

_BASES: dict[tuple[str, int, int], tuple[tuple[Any, ...], ImpactBase, Model]] = {}
_LOCK = threading.Lock()


def clear() -> None:
    """Forget every cached what-if baseline."""
    with _LOCK:
        _BASES.clear()


def baseline(session: Session, workspace_id: int, as_of: dt.date) -> tuple[ImpactBase, Model]:
    """The what-if baseline of a workspace and day, rebuilt when its work changed."""
    # Exact on every process: any write to what the model is read from moves these.
    fp = table_generations(session, workspace_id, ENGINE_TABLES)
    key = (str(session.get_bind().engine.url), workspace_id, to_day(as_of))
    with _LOCK:
        hit = _BASES.get(key)
    st = CACHE.state(session, workspace_id, as_of)
    if hit is not None and hit[0] == fp and hit[1].evaluation is st.evaluation:
        return hit[1], hit[2]
    m = load_model(session, workspace_id, as_of)
    base = prepare(m.wg, m.schedule, m.snap, m.ev)
    with _LOCK:
        _BASES[key] = (fp, base, m)
    return base, m


#: A typed public id such as mil_12; anything else in a what-if is read as a title.
TYPED_ID = re.compile(r"^[a-z]{3}_\S+$")


def _namer(session: Session, workspace_id: int, field: str, initiatives_only: bool = False
           ) -> Callable[[str], tuple[str, int]]:
    """Resolve a milestone's or initiative's title to (kind, key), or refuse: no such
    title, or a title shared by several items (they are listed, so the user can pick one
    by its id)."""
    def resolve(ref: str) -> tuple[str, int]:
        found = work_named(session, workspace_id, ref, initiatives_only)
        what = "initiative" if initiatives_only else "milestone or initiative"
        if not found:
            raise ValidationFailed(FieldError(field, f"no {what} is called “{ref.strip()}” "
                                                     "in this workspace", ref))
        if len(found) > 1:
            options = "; ".join(f"{label} ({format_id(k, key)})" for k, key, label in found[:5])
            raise ValidationFailed(FieldError(field, f"“{ref.strip()}” names {len(found)} "
                                                     f"items, give one by its id: {options}",
                                              ref))
        return found[0][0], found[0][1]
    return resolve


def parse_slip(text: str, by_name: Callable[[str], tuple[str, int]] | None = None
               ) -> tuple[str, int, int]:
    """Parse "mil_12:14" (or "TITLE:14" when `by_name` resolves titles) into
    (kind, key, days); refuse anything else in one line."""
    ref, sep, days = text.rpartition(":")
    if not sep or not ref:
        raise ValidationFailed(FieldError("slip", f"'{text}' must be ID:DAYS like mil_12:14 "
                                                  "or TITLE:DAYS", text))
    try:
        n = int(days)
    except ValueError:
        raise ValidationFailed(FieldError("slip", f"days in '{text}' must be a whole number",
                                          text)) from None
    kind, key = (parse_any(ref, "slip") if by_name is None or TYPED_ID.match(ref.strip())
                 else by_name(ref))
    if kind not in ("milestone", "initiative"):
        raise ValidationFailed(FieldError("slip", f"{ref} is not a milestone or initiative",
                                          ref))
    return kind, key, n


def whatif(session: Session, workspace_id: int, as_of: dt.date, slips: Iterable[str] = (),
           stops: Iterable[str] = ()) -> dict[str, Any]:
    """Answer a what-if without writing: moved dates, broken dependencies, outcomes."""
    parsed = [parse_slip(s, _namer(session, workspace_id, "slip")) for s in slips]
    stop_keys = []
    for ref in stops:
        kind, key = (parse_any(ref, "stop") if TYPED_ID.match(ref.strip())
                     else _namer(session, workspace_id, "stop", True)(ref))
        if kind != "initiative":
            raise ValidationFailed(FieldError("stop", f"{ref} is not an initiative", ref))
        stop_keys.append(key)
    if not parsed and not stop_keys:
        raise ValidationFailed(FieldError("slip", "give at least one --slip or --stop", None))
    base, _ = baseline(session, workspace_id, as_of)
    wg = base.wg
    nodes: dict[int, int] = {}
    labels = work_labels(session, workspace_id, [(k, key) for k, key, _ in parsed])

    def named(kind: str, key: int) -> str:  # a message names the item by its title
        label = labels.get((kind, key))
        return f"“{label}”" if label else format_id(kind, key)

    for kind, key, days in parsed:
        node = int(wg.node_of(wgm.MILESTONE if kind == "milestone" else wgm.INITIATIVE,
                              [key])[0])
        if node < 0:
            raise ValidationFailed(FieldError("slip", f"no {kind} {format_id(kind, key)} in "
                                                      "this workspace", key))
        if bool(wg.done[node]):
            # Finished work is history: a slip cannot move it (its dependants are
            # already scheduled from its completion).
            raise ValidationFailed(FieldError(
                "slip", f"{named(kind, key)} is already done; only open work can slip",
                key))
        nodes[node] = nodes.get(node, 0) + days
        _check_slip(base, node, nodes[node], named(kind, key), as_of)
    rows = rows_of(wg.initiatives.ids, stop_keys)
    for key, r in zip(stop_keys, rows.tolist(), strict=True):
        if r < 0:
            raise ValidationFailed(FieldError("stop", f"no initiative ini_{key} here", key))
    imp = run_impact(base, slips=nodes, stop_initiatives=rows.tolist())
    return impact_json(base, imp, parsed, stop_keys)


#: How far a what-if may move an item: a year earlier to ten years later (typos such as
#: 14000 for 14 give answers nobody can use).
MIN_SLIP_DAYS, MAX_SLIP_DAYS = -365, 3650


def _check_slip(base: ImpactBase, node: int, days: int, ref: str, as_of: dt.date) -> None:
    """Refuse slips out of range and pull-ins that would finish open work in the past."""
    if not MIN_SLIP_DAYS <= days <= MAX_SLIP_DAYS:
        raise ValidationFailed(FieldError(
            "slip", f"{ref} would slip {days} days; a slip must be between "
                    f"{MIN_SLIP_DAYS} and {MAX_SLIP_DAYS:,} days", ref))
    finish = int(base.schedule.early_finish[node])
    if finish == NO_DAY or finish >= NEVER:
        return  # unscheduled (in a cycle) or never finishing: listed as ignored
    if finish + days < to_day(as_of):
        raise ValidationFailed(FieldError(
            "slip", f"{ref} is open and forecast to finish {from_day(finish).isoformat()}; "
                    f"{days} days would put its finish on "
                    f"{from_day(finish + days).isoformat()}, before {as_of.isoformat()} "
                    "(what is not done cannot finish in the past)", ref))


def ignored_json(base: ImpactBase, nodes: Iterable[int]) -> list[dict[str, Any]]:
    """What a what-if could not move, each with the reason."""
    wg, sched = base.wg, base.schedule
    kinds = sg.NODE_KINDS

    def node_id(u: int) -> str:
        return format_id(kinds[int(wg.kind[u])], int(wg.key[u]))

    out = []
    for u in nodes:
        u = int(u)
        if not 0 <= u < wg.net.n:
            continue
        cycle: list[str] = []
        if bool(sched.cycles.in_cycle[u]):
            members = next((c for c in sched.cycles.components if u in set(c.tolist())),
                           np.array([u]))
            cycle = [node_id(int(v)) for v in members.tolist()]
            reason = ("it is in a dependency cycle, which cannot be scheduled until one of "
                      "its dependencies is removed")
        elif int(sched.early_finish[u]) >= NEVER:
            reason = "it never finishes (it is stopped, or waits on something that is)"
        else:
            reason = "it cannot be scheduled"
        out.append({"id": node_id(u), "reason": reason, "cycle": cycle})
    return out


def _date(day: int) -> str | None:
    if day == NO_DAY:
        return None
    if day >= NEVER:
        return "never"
    return from_day(int(day)).isoformat()


def _f(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


def impact_json(base: ImpactBase, imp: Impact, slips: list[tuple[str, int, int]],
                stops: list[int]) -> dict[str, Any]:
    """An `Impact` as plain JSON with public ids."""
    wg, snap = base.wg, base.snapshot
    owner = sg.node_owner(wg)
    kinds = sg.NODE_KINDS
    d = imp.delta

    def node_id(u: int) -> str:
        return format_id(kinds[int(wg.kind[u])], int(wg.key[u]))

    deps = wg.dependencies
    p, c, po, co = sg.edge_people(wg)

    def dep(e: int) -> dict[str, Any]:
        return {"id": format_id("dependency", int(deps.ids[e])),
                "provider": node_id(int(p[e])) if p[e] >= 0 else None,
                "consumer": node_id(int(c[e])) if c[e] >= 0 else None,
                "provider_owner_id": _pid("person", po[e]),
                "consumer_owner_id": _pid("person", co[e]),
                "need_date": _date(int(deps.need_day[e]))}

    ben = snap.benefits
    ev = base.evaluation
    return {
        "as_of": from_day(ev.as_of).isoformat(),
        "slips": [{"id": format_id(k, key), "days": n} for k, key, n in slips],
        "stopped": [format_id("initiative", k) for k in stops],
        "ignored": ignored_json(base, d.ignored.tolist()),
        "schedule": [{"id": node_id(int(u)), "owner_id": _pid("person", owner[u]),
                      "old_start": _date(int(d.old_start[i])),
                      "new_start": _date(int(d.new_start[i])),
                      "old_finish": _date(int(d.old_finish[i])),
                      "new_finish": _date(int(d.new_finish[i])),
                      "due": _date(int(wg.due[u]))}
                     for i, u in enumerate(d.nodes.tolist())],
        "newly_broken": [dep(int(e)) for e in imp.newly_broken.tolist()],
        "resolved": [dep(int(e)) for e in d.resolved.tolist() if e < wg.n_dep],
        "benefits": [{"initiative_id": format_id("initiative", int(ben.initiative[b])),
                      "metric_id": format_id("metric", int(snap.metrics.ids[ben.metric[b]])),
                      "amount": _f(ben.amount[b]), "old_date": _date(int(ben.day[b])),
                      "new_date": "never" if nd == NO_DAY else _date(int(nd))}
                     for b, nd in zip(imp.benefits.tolist(), imp.benefit_new_day.tolist(),
                                      strict=True)],
        "metrics": [{"id": format_id("metric", int(snap.metrics.ids[r])),
                     "old_forecast": _f(imp.old_forecast[i]),
                     "new_forecast": _f(imp.new_forecast[i]),
                     "old_p_hit": _f(imp.old_p_hit[i]), "new_p_hit": _f(imp.new_p_hit[i]),
                     "old_status": STATUS_NAMES[int(imp.old_status[i])],
                     "new_status": STATUS_NAMES[int(imp.new_status[i])]}
                    for i, r in enumerate(imp.metrics.tolist())],
        "objectives": [{"id": format_id("objective", int(snap.objective_ids[o])),
                        "old_status": STATUS_NAMES[int(imp.old_objective_status[i])],
                        "new_status": STATUS_NAMES[int(imp.new_objective_status[i])]}
                       for i, o in enumerate(imp.objectives.tolist())],
    }

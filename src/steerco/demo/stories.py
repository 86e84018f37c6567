"""Stories the demo tells on purpose, planted in the generated work (no I/O).

The engine finds each of them by its ordinary rules; nothing here flags anything (the
tests in tests/demo/test_stories.py find them through the findings and the what-if):

- **Green-dashboard paradox**: an open initiative whose milestones are all on time is the
  only thing linked to a lagging metric that has stalled (off track, beyond tolerance
  for many periods) → a ``green_dashboard`` finding on that metric.
- **Slipped supplier milestone**: "Supplier contract signed" of a supplier-consolidation
  initiative is forecast five weeks late; another team's initiative needs it
  to go on → a ``broken_dependency``; that initiative's planned impact on a key result
  lands on the key result's target day, so any further slip of the supplier milestone
  (a what-if) pushes it past the target and lowers the key result's P(hit).
- Savings not in the ledger, a causal link that does not hold, an owner whose confidence
  is far from P(hit): planted by the finance and metric generators (leaking budget
  lines, links from the strategy offsite, owners who stay confident).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from steerco.demo.behaviours import DRIFTING, ON_PLAN, STALLED
from steerco.demo.metrics import Metrics
from steerco.demo.tables import NULL, Cat, Day, IntArray, Ref, Table

SUPPLIER_INITIATIVE = "Consolidate suppliers"
SUPPLIER_MILESTONE = "Supplier contract signed"
OPEN_STAGES = (3, 4)  # decided, implemented


@dataclass
class Cast:
    """Who plays in the stories (row numbers; -1 where the company is too small)."""

    paradox_metric: int = -1
    green_initiative: int = -1
    supplier: int = -1
    consumer: int = -1
    key_result: int = -1
    supplier_milestone: int = -1
    spare_metric: int = -1  # takes over the paradox metric's other initiative links


def choose(mx: Metrics, kind: IntArray, stage: IntArray, unit: IntArray, stopped: np.ndarray,
           a: int) -> Cast:
    """Pick the metrics and initiatives of the stories (deterministic: the first fit)."""
    c = Cast()
    future = mx.target_day > a + 30
    not_driven = ~np.isin(np.arange(len(mx.owner)), mx.driven)
    paradox = np.flatnonzero(mx.lagging & mx.weekly & future & not_driven
                             & np.isin(mx.behaviour, [STALLED, DRIFTING]))
    krs = np.flatnonzero(mx.key_result & future & (mx.behaviour == ON_PLAN))
    open_ = np.flatnonzero(np.isin(stage, OPEN_STAGES) & ~stopped.astype(bool))
    if open_.size < 3:
        return c
    # The metric stories need targets more than a month away; in a period's last month
    # (December, with calendar-year objectives) there are none, and only the supplier
    # story is told: its milestone must exist on every day (the README's what-if
    # example names it).
    if paradox.size and krs.size:
        c.paradox_metric, c.key_result = int(paradox[0]), int(krs[0])
        spare = np.flatnonzero((mx.behaviour == ON_PLAN) & ~mx.key_result)
        c.spare_metric = int(spare[0]) if spare.size else c.key_result
    c.green_initiative, c.supplier = int(open_[0]), int(open_[1])
    other = open_[2:][unit[open_[2:]] != unit[c.supplier]]
    if other.size:
        c.consumer = int(other[0])
    del kind
    return c


def shape_work(c: Cast, start: IntArray, end: IntArray, due: IntArray, names: list[str],
               unit_name: list[str], unit: IntArray, mx: Metrics, a: int) -> None:
    """Before the milestones: the consumer ends 30 days before the key result's target
    day (its impact, due 30 days after its end, lands exactly on it); the supplier
    initiative is named for what it does. Changes the arrays in place."""
    if c.consumer >= 0:
        end[c.consumer] = (int(mx.target_day[c.key_result]) - 30 if c.key_result >= 0
                           else max(int(end[c.consumer]), a + 60))
        start[c.consumer] = min(int(start[c.consumer]), a - 90)
        due[c.consumer] = end[c.consumer]
    if c.supplier >= 0:
        end[c.supplier] = max(int(end[c.supplier]), a + 120)
        start[c.supplier] = min(int(start[c.supplier]), a - 60)
        due[c.supplier] = end[c.supplier]
        name = f"{SUPPLIER_INITIATIVE} — {unit_name[int(unit[c.supplier])]}"
        if name in names:  # names are unique per unit
            name = name.replace(" — ", " (tier-1 suppliers) — ", 1)
        names[c.supplier] = name
    if c.green_initiative >= 0:
        g = c.green_initiative
        start[g], end[g] = min(int(start[g]), a - 150), max(int(end[g]), a + 90)
        due[g] = end[g]


def link_metrics(c: Cast, links: Table, li: IntArray, lm: IntArray) -> tuple[IntArray, IntArray]:
    """The green initiative is the only initiative linked to the paradox metric; the
    consumer moves the key result. Returns the new (initiative, metric) link arrays."""
    if c.paradox_metric < 0:
        return li, lm
    # Other initiatives' links to the paradox metric move to a spare metric (a decided
    # initiative must still move some metric).
    lm = np.where(lm == c.paradox_metric, c.spare_metric, lm)
    pair = li * 10**8 + lm
    _, first = np.unique(pair, return_index=True)
    keep = np.zeros(len(li), bool)
    keep[first] = True
    keep &= ~((li == c.consumer) & (lm == c.key_result)) & (li != c.green_initiative)
    li = np.concatenate([li[keep], [c.green_initiative, c.consumer]]).astype(np.int64)
    lm = np.concatenate([lm[keep], [c.paradox_metric, c.key_result]]).astype(np.int64)
    links.n = len(li)
    links.columns["initiative_id"] = Ref("initiatives", li)
    links.columns["metric_id"] = Ref("metrics", lm)
    return li, lm


def shape_milestones(c: Cast, ms: Table, ms_ini: IntArray, ms_due: IntArray, a: int) -> None:
    """The green initiative's milestones are on time (done when due, none forecast
    late); one supplier milestone, due in a week, is forecast five weeks late."""
    if c.green_initiative < 0:
        return
    completed = ms.columns["completed_on"]
    forecast = ms.columns["forecast_date"]
    assert isinstance(completed, Day) and isinstance(forecast, Day)
    # The consumer's own milestones are on time too: only the supplier holds it up.
    mine = np.flatnonzero(np.isin(ms_ini, [c.green_initiative, c.consumer]))
    past = mine[ms_due[mine] < a]
    completed.days[past] = ms_due[past] - 1
    forecast.days[mine] = NULL
    sup = np.flatnonzero(ms_ini == c.supplier)
    if sup.size == 0:
        return
    k = int(sup[0])
    ms_due[k] = a + 7
    for col in ("due_date", "baseline_date"):
        d = ms.columns[col]
        assert isinstance(d, Day)
        d.days[k] = a + 7
    completed.days[k] = NULL
    forecast.days[k] = a + 42
    names = ms.columns["name"]
    assert isinstance(names, list)
    names[k] = SUPPLIER_MILESTONE
    c.supplier_milestone = k


def wire_dependencies(c: Cast, deps: Table, ms_ini: IntArray, ms_due: IntArray) -> Table:
    """Nothing the green or the consumer initiative consumes, but: the consumer needs the supplier
    milestone (finish-to-finish) three days after it is due."""
    if c.green_initiative < 0 or c.supplier_milestone < 0 or c.consumer < 0:
        return deps
    pm, cm = deps.columns["provider_milestone_id"], deps.columns["consumer_milestone_id"]
    ci = deps.columns["consumer_initiative_id"]
    assert isinstance(pm, Ref) and isinstance(cm, Ref) and isinstance(ci, Ref)
    cons_ini = np.where(cm.idx != NULL, ms_ini[np.where(cm.idx != NULL, cm.idx, 0)], ci.idx)
    keep = ~np.isin(cons_ini, [c.green_initiative, c.consumer])
    deps = _keep_rows(deps, keep)
    pm, cm = deps.columns["provider_milestone_id"], deps.columns["consumer_milestone_id"]
    pi, ci = deps.columns["provider_initiative_id"], deps.columns["consumer_initiative_id"]
    assert isinstance(pm, Ref) and isinstance(cm, Ref)
    assert isinstance(pi, Ref) and isinstance(ci, Ref)
    # Re-use an initiative-level row for the story's dependency: the consumer initiative
    # as a whole waits for the supplier milestone, so a slip moves its finish (and the
    # impact it promises) however its own milestones are scheduled.
    row = int(np.flatnonzero(ci.idx != NULL)[0])
    pm.idx[row], pi.idx[row] = c.supplier_milestone, NULL
    cm.idx[row], ci.idx[row] = NULL, c.consumer
    for col, value in (("need_date", ms_due[c.supplier_milestone] + 3),
                       ("committed_date", ms_due[c.supplier_milestone])):
        d = deps.columns[col]
        assert isinstance(d, Day)
        d.days[row] = value
    # Finish-to-finish: the consumer is under way, so the supplier milestone holds up
    # its finish (an in-progress initiative's start no longer moves).
    for col, code in (("dep_type", 2), ("note", 0)):
        cat = deps.columns[col]
        assert isinstance(cat, Cat)
        cat.codes[row] = code
    lag = deps.columns["lag_days"]
    assert isinstance(lag, np.ndarray)
    lag[row] = 0
    return deps


def _keep_rows(t: Table, keep: np.ndarray) -> Table:
    cols: dict[str, object] = {}
    for name, col in t.columns.items():
        if isinstance(col, Ref):
            cols[name] = Ref(col.table, col.idx[keep])
        elif isinstance(col, Day):
            cols[name] = Day(col.days[keep])
        elif isinstance(col, Cat):
            cols[name] = Cat(col.codes[keep], col.values)
        elif isinstance(col, np.ndarray):
            cols[name] = col[keep]
        elif isinstance(col, list):
            cols[name] = [x for x, k in zip(col, keep.tolist(), strict=True) if k]
        else:
            cols[name] = col
    return Table(t.name, int(keep.sum()), cols, keyed=t.keyed)  # type: ignore[arg-type]

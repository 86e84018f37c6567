"""Budget lines, monthly plans, ledger actuals, planned benefits, rules and reviews."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np

from steerco.demo.metrics import Metrics
from steerco.demo.org import Org, entity_cols
from steerco.demo.tables import NULL, WORKSPACE, Cat, Const, Day, IntArray, Ref, Table, day
from steerco.demo.work import Work

BUDGET_KINDS = ["opex", "capex", "revenue"]


def _month(days: IntArray) -> IntArray:
    """Month index (months since 1970-01) of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(months: IntArray) -> IntArray:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def build_finance(rng: np.random.Generator, org: Org, work: Work, mx: Metrics, as_of: dt.date
                  ) -> list[Table]:
    """Generate budget lines with plans and actuals, and the benefits initiatives promise."""
    a = day(as_of)
    n_ini = len(work.stage)
    decided = work.stage >= 3
    k = np.where(decided, np.where(rng.random(n_ini) < 0.3, 2, 1),
                 (rng.random(n_ini) < 0.45).astype(np.int64))
    line_ini = np.repeat(np.arange(n_ini), k)
    n_att = len(line_ini)
    n_free = max(2, n_att // 10)
    free_unit = rng.choice(np.flatnonzero(org.level >= 1), n_free)
    n = n_att + n_free
    ini_kind = work.kind[line_ini]
    kind = np.where(ini_kind == 1, rng.choice(2, n_att), 0)
    kind = np.where(rng.random(n_att) < 0.05, 2, kind)
    kind = np.concatenate([kind, np.zeros(n_free, np.int64)])
    unit = np.concatenate([work.unit[line_ini], free_unit])
    controller = np.concatenate([work.controller[line_ini],
                                 org.controllers[rng.integers(0, len(org.controllers), n_free)]])
    line_names = [f"{work.name[i]} — {BUDGET_KINDS[kd]}"
                  for i, kd in zip(line_ini.tolist(), kind[:n_att].tolist(), strict=True)]
    line_names += [f"Run costs — {org.unit_name[u]}" for u in free_unit.tolist()]
    lines = Table("budget_lines", n, {
        **entity_cols(), "code": [f"BL-{i + 1:06d}" for i in range(n)], "name": line_names,
        "kind": Cat(kind.astype(np.int8), BUDGET_KINDS), "currency": Const("EUR"),
        "org_unit_id": Ref("org_units", unit),
        "initiative_id": Ref("initiatives", np.concatenate([line_ini, np.full(n_free, NULL)])),
        "controller_id": Ref("people", controller)})
    # Monthly plan from the first to the last month of the initiative (at most two years);
    # run-cost lines get the twelve months of the current year.
    year_m = (as_of.year - 1970) * 12
    first = np.concatenate([_month(work.start[line_ini]), np.full(n_free, year_m)])
    last = np.concatenate([np.minimum(_month(work.end[line_ini]), _month(work.start[line_ini])
                                      + 23), np.full(n_free, year_m + 11)])
    months = last - first + 1
    rate = np.round(rng.lognormal(np.log(25_000), 0.8, n), -2)
    p_line = np.repeat(np.arange(n), months)
    p_month = first[p_line] + np.arange(len(p_line)) - np.repeat(np.cumsum(months) - months,
                                                                 months)
    p_amount = np.round(rate[p_line] * rng.uniform(0.85, 1.15, len(p_line)), 2)
    plans = Table("budget_plans", len(p_line), {
        "workspace_id": WORKSPACE, "budget_line_id": Ref("budget_lines", p_line),
        "period": Day(_month_start(p_month)), "amount": p_amount}, keyed=False)
    # Savings of cost measures start some months in; on "leaking" lines the claimed savings
    # never show up as lower spend, which is what the benefit-leakage signal looks for.
    saving = np.zeros(n, bool)
    saving[:n_att] = (ini_kind == 2) & (months[:n_att] >= 4)
    sav_start = first + np.maximum(1, (months * rng.uniform(0.3, 0.7, n)).astype(np.int64))
    sav_rate = np.round(rate * rng.uniform(0.15, 0.35, n), -2)
    leaking = rng.random(n) < 0.4
    a_month = _month(np.array([a]))[0]
    actual = p_month < a_month
    l_line, l_month = p_line[actual], p_month[actual]
    overspend = np.where(rng.random(n) < 0.15, rng.uniform(1.1, 1.3, n), 1.0)
    spend = p_amount[actual] * overspend[l_line] * rng.normal(1.0, 0.06, len(l_line))
    realised = saving[l_line] & ~leaking[l_line] & (l_month >= sav_start[l_line])
    spend = np.round(np.where(realised, spend - sav_rate[l_line], spend), 2)
    ends = _month_start(l_month + 1) - 1
    ledger = Table("ledger_entries", len(l_line), {
        "workspace_id": WORKSPACE, "budget_line_id": Ref("budget_lines", l_line),
        "period": Day(_month_start(l_month)), "amount": spend,
        "posted_on": Day(ends + rng.integers(3, 11, len(l_line))), "reference": Const(None),
        "source": Const("import")})
    benefits = _benefits(rng, work, mx, a_month, saving, line_ini, sav_start, sav_rate,
                         leaking, controller)
    return [lines, plans, ledger, benefits]


def _benefits(rng: np.random.Generator, work: Work, mx: Metrics, a_month: int,
              saving: np.ndarray, line_ini: IntArray, sav_start: IntArray,
              sav_rate: np.ndarray, leaking: np.ndarray, controller: IntArray) -> Table:
    """Metric impacts of linked metrics and quarterly savings of cost-measure lines."""
    li, lm = work.link_ini, work.link_metric
    pick = (work.stage[li] >= 3) | (rng.random(len(li)) < 0.5)
    pick &= ~((li == work.no_benefit[0]) & (lm == work.no_benefit[1]))
    li, lm = li[pick], lm[pick]
    impact = np.round((mx.target[lm] - mx.baseline[lm]) * rng.uniform(0.1, 0.4, len(li)), 2)
    impact = np.where(impact == 0, 0.01, impact)
    impact_due = np.minimum(work.end[li] + 30, mx.target_day[lm])
    s_lines = np.flatnonzero(saving)
    q = rng.integers(2, 5, len(s_lines))
    s_line = np.repeat(s_lines, q)
    s_k = np.arange(len(s_line)) - np.repeat(np.cumsum(q) - q, q)
    s_month = sav_start[s_line] + 3 * s_k
    s_amount = 3 * sav_rate[s_line]
    past = s_month + 3 <= a_month
    claimed = past & (~leaking[s_line] | (rng.random(len(s_line)) < 0.5))
    s_real = np.where(claimed, np.round(s_amount * rng.uniform(0.8, 1.05, len(s_line)), 2),
                      np.nan)
    signed = np.where(claimed, controller[s_line], NULL)
    ni, ns = len(li), len(s_line)
    return Table("planned_benefits", ni + ns, {
        **entity_cols(),
        "initiative_id": Ref("initiatives", np.concatenate([li, line_ini[s_line]])),
        "kind": Cat(np.concatenate([np.zeros(ni, np.int8), np.ones(ns, np.int8)]),
                    ["metric_impact", "savings"]),
        "metric_id": Ref("metrics", np.concatenate([lm, np.full(ns, NULL)])),
        "budget_line_id": Ref("budget_lines", np.concatenate([np.full(ni, NULL), s_line])),
        "amount": np.concatenate([impact, s_amount]),
        "due_date": Day(np.concatenate([impact_due, _month_start(s_month)])),
        "realised_amount": np.concatenate([np.full(ni, np.nan), s_real]),
        "signed_off_by_id": Ref("people", np.concatenate([np.full(ni, NULL), signed]))})


RULES = [
    ("Off-track key results escalate", "off_track", 2, [3, 7, 14]),
    ("Stale evidence", "stale", 1, [2, 5, 10]),
    ("Broken cross-team dependency", "broken_dependency", 2, [2, 5, 10]),
    ("Reality gap between confidence and forecast", "reality_gap", 2, [5, 10, 20]),
    ("Benefit leakage on savings", "benefit_leakage", 2, [7, 14, 28]),
    ("Green dashboard paradox", "green_dashboard", 3, [3, 7, 14]),
    ("Cross-team conflict", "cross_team_conflict", 2, [3, 7, 14]),
]


def build_governance(rng: np.random.Generator, org: Org, as_of: dt.date) -> list[Table]:
    """A handful of escalation rules and governance reviews around `as_of`."""
    bus = np.flatnonzero(org.level == 1)
    # Two business units get their own off-track rule; the draw may pick one unit twice,
    # and two identical rules would open duplicate escalations: take the next unit then
    # (drawn as before, so the rest of the demo stays the same).
    picked = [int(u) for u in rng.choice(bus, 2)]
    if picked[0] == picked[1]:
        picked = picked[:1] if len(bus) < 2 else [
            picked[0], int(bus[(int(np.flatnonzero(bus == picked[0])[0]) + 1) % len(bus)])]
    n_r = len(RULES) + len(picked)
    scope = np.full(n_r, NULL)
    scope[len(RULES):] = picked
    rule_names = [r[0] for r in RULES] + [f"Off-track in {org.unit_name[u]}"
                                          for u in scope[len(RULES):].tolist()]
    rules = Table("rules", n_r, {
        **entity_cols(), "name": rule_names,
        "signal_kind": [r[1] for r in RULES] + ["off_track"] * len(picked),
        "min_severity": np.array([r[2] for r in RULES] + [1] * len(picked), np.int64),
        "metric_id": Const(None), "objective_id": Const(None),
        "org_unit_id": Ref("org_units", scope),
        "ladder_days": [json.dumps(r[3]) for r in RULES] + ["[2, 4, 8]"] * len(picked),
        "active": np.ones(n_r, bool)})
    a = day(as_of)
    monday = a - as_of.weekday()
    q_start = day(dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1))
    m_start = day(as_of.replace(day=1))
    kinds = [0, 0, 0, 1, 1, 2, 2]
    when = [monday - 7, monday, monday + 7, m_start - 25, m_start + 5, q_start - 80,
            q_start + 10]
    titles = ["Weekly operations review", "Weekly operations review",
              "Weekly operations review", "Monthly business review", "Monthly business review",
              "Quarterly strategy review", "Quarterly strategy review"]
    when_a = np.array(when, np.int64)
    held = np.where(when_a < a, when_a, NULL)
    chair = np.where(np.array(kinds) == 2, 0, rng.choice(bus, len(kinds)))
    reviews = Table("reviews", len(kinds), {
        **entity_cols(), "kind": Cat(np.array(kinds, np.int8),
                                     ["weekly_ops", "monthly_business", "quarterly_strategy"]),
        "title": titles, "scheduled_for": Day(when_a), "held_on": Day(held),
        "chair_id": Ref("people", chair),
        "org_unit_id": Ref("org_units", np.where(np.array(kinds) == 2, 0, chair)),
        "agenda": Const(None)})
    return [rules, reviews]

"""Money against claims: earned value (SPI, CPI) per initiative, and benefit leakage.

Earned value, per initiative, at ``as_of`` (over all budget lines funding it):
- BAC (budget at completion) = the sum of its lines' planned amounts;
- PV (planned value) = the plan phased over time: a month's planned amount counts in
  proportion to the days of that month elapsed by ``as_of`` (fully once it is over);
- EV (earned value) = BAC × share done, the share being completed milestones / all
  milestones, or the owner's ``percent_complete`` when it has no milestones;
- AC (actual cost) = the ledger actuals of its lines for periods up to ``as_of``;
- SPI = EV / PV, CPI = EV / AC (NaN when the denominator is 0).

Benefit leakage, per savings benefit (claimed by an initiative on a budget line): the
savings of a period must show in the ledger as spend below plan. A benefit's period runs
from its month to the month of the line's next savings benefit, or for three months (a
quarter) when it is the last one. It is judged only once the whole period is over and
every month of it has actuals; then visible = plan − actual over the period, claimed =
the realised amount when signed off, else the planned amount. Shortfall = (claimed −
visible) / claimed; it leaks when the shortfall is above ``warn_share``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from steerco.core.finding import FindingBatch, batch
from steerco.core.snapshot import rows_of
from steerco.core.workgraph import Initiatives, Milestones
from steerco.kit.dates import NO_DAY

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Length of the last savings period of a line, in months (a quarter).
DEFAULT_PERIOD_MONTHS = 3


@dataclass(frozen=True)
class Budget:
    """Budget lines (sorted by ``ids``) with their plan and ledger rows (line keys)."""

    ids: IntArray
    initiative: IntArray  # initiative key, -1
    controller: IntArray  # person key, -1
    plan_line: IntArray
    plan_day: IntArray  # first day of the period (month)
    plan_amount: FloatArray
    ledger_line: IntArray
    ledger_day: IntArray
    ledger_amount: FloatArray


@dataclass(frozen=True)
class Savings:
    """Savings benefits: ``amount`` on ``line`` for the period starting ``day``."""

    ids: IntArray
    initiative: IntArray
    line: IntArray
    amount: FloatArray
    day: IntArray
    realised: FloatArray  # NaN: not signed off


@dataclass(frozen=True)
class EarnedValue:
    """Per initiative row: BAC, PV, EV, AC, SPI, CPI and the share done (see module doc)."""

    bac: FloatArray
    pv: FloatArray
    ev: FloatArray
    ac: FloatArray
    spi: FloatArray
    cpi: FloatArray
    share_done: FloatArray


@dataclass(frozen=True, slots=True)
class BenefitSettings:
    """Thresholds: SPI/CPI below ``ev_warn`` warn, below ``ev_critical`` are critical;
    a leakage shortfall above ``warn_share`` warns, above ``critical_share`` is critical."""

    ev_warn: float = 0.9
    ev_critical: float = 0.75
    warn_share: float = 0.25
    critical_share: float = 0.75


def month_of(days: npt.ArrayLike) -> IntArray:
    """Months since 1970-01 of day numbers."""
    d = np.asarray(days, dtype=np.int64)
    out: IntArray = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return out


def month_start(months: npt.ArrayLike) -> IntArray:
    """First day (day number) of months since 1970-01."""
    m = np.asarray(months, dtype=np.int64)
    out: IntArray = m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return out


def _per_initiative(line_keys: IntArray, amounts: FloatArray, budget: Budget,
                    ini: Initiatives) -> FloatArray:
    """Sum amounts keyed by budget line into initiative rows."""
    lrow = rows_of(budget.ids, line_keys)
    irow = np.where(lrow >= 0, rows_of(ini.ids, budget.initiative[np.maximum(lrow, 0)]), -1)
    ok = irow >= 0
    return np.bincount(irow[ok], amounts[ok], minlength=ini.n).astype(np.float64)


def earned_value(ini: Initiatives, ms: Milestones, budget: Budget, as_of: int) -> EarnedValue:
    """Compute BAC, PV, EV, AC, SPI and CPI per initiative (see the module docstring).

    Contract: lines without an initiative, unknown keys and NaN amounts are ignored;
    an initiative without budget gets zeros and NaN indices.
    """
    amt = np.nan_to_num(budget.plan_amount)
    start = budget.plan_day
    length = month_start(month_of(start) + 1) - start
    elapsed = np.clip((as_of - start + 1) / np.maximum(length, 1), 0.0, 1.0)
    bac = _per_initiative(budget.plan_line, amt, budget, ini)
    pv = _per_initiative(budget.plan_line, amt * elapsed, budget, ini)
    posted = budget.ledger_day <= as_of
    ac = _per_initiative(budget.ledger_line[posted],
                         np.nan_to_num(budget.ledger_amount[posted]), budget, ini)
    mrow = rows_of(ini.ids, ms.initiative)
    ok = mrow >= 0
    total = np.bincount(mrow[ok], minlength=ini.n)
    done = np.bincount(mrow[ok], (ms.completed_day[ok] != NO_DAY).astype(np.float64),
                       minlength=ini.n)
    pct = np.clip(np.nan_to_num(ini.percent_complete), 0.0, 1.0)
    share = np.where(total > 0, done / np.maximum(total, 1), pct)
    ev = bac * share
    with np.errstate(divide="ignore", invalid="ignore"):
        spi = np.where(pv > 0, ev / np.where(pv > 0, pv, 1.0), np.nan)
        cpi = np.where(ac > 0, ev / np.where(ac > 0, ac, 1.0), np.nan)
    return EarnedValue(bac, pv, ev, ac, spi, cpi, share)


def earned_value_findings(ini: Initiatives, evs: EarnedValue,
                          settings: BenefitSettings = BenefitSettings()) -> FindingBatch:
    """``earned_value``: an open initiative whose SPI or CPI is below ``ev_warn``."""
    open_ = ~ini.closed & ~ini.stopped
    worst = np.fmin(evs.spi, evs.cpi)
    with np.errstate(invalid="ignore"):
        fire = open_ & (worst < settings.ev_warn)
        sev = np.where(worst < settings.ev_critical, 3, 2)
    person = np.where(ini.owner >= 0, ini.owner, ini.sponsor)
    return batch("earned_value", "initiative", fire, ini.ids, person, sev,
                 "SPI {spi}, CPI {cpi}: earned {ev} of {pv} planned by now, "
                 "{ac} spent", spi=evs.spi, cpi=evs.cpi, bac=evs.bac, pv=evs.pv,
                 ev=evs.ev, ac=evs.ac, share_done=evs.share_done)


@dataclass(frozen=True)
class Leakage:
    """Per savings benefit: the judged period and what the ledger shows (NaN: not judged)."""

    period_start_day: IntArray
    period_end_day: IntArray  # last day of the period
    claimed: FloatArray
    planned_spend: FloatArray
    actual_spend: FloatArray
    visible: FloatArray
    shortfall: FloatArray  # share of the claim not visible


def _sum_by_key(keys: IntArray, amounts: FloatArray) -> tuple[IntArray, FloatArray]:
    uk, inv = np.unique(keys, return_inverse=True)
    sums = np.bincount(inv, np.nan_to_num(amounts), minlength=uk.shape[0])
    return uk.astype(np.int64), sums.astype(np.float64)


def leakage(budget: Budget, savings: Savings, as_of: int) -> Leakage:
    """Judge every savings benefit against its line's plan and ledger (module docstring)."""
    n = savings.ids.shape[0]
    lrow = rows_of(budget.ids, savings.line)
    first = month_of(savings.day)
    # The next savings benefit of the same line ends a period.
    order = np.lexsort((first, lrow))
    nxt = np.full(n, -1, dtype=np.int64)
    same = lrow[order][1:] == lrow[order][:-1]
    later = first[order][1:] > first[order][:-1]
    nxt_o = np.where(same & later, first[order][1:], -1)
    nxt[order[:-1]] = nxt_o
    end = np.where(nxt >= 0, nxt, first + DEFAULT_PERIOD_MONTHS)  # exclusive
    now = month_of(np.array([as_of]))[0]
    judged = (lrow >= 0) & (end <= now)
    span = np.where(judged, end - first, 0)
    owner = np.repeat(np.arange(n), span)
    month = first[owner] + np.arange(owner.shape[0]) - np.repeat(np.cumsum(span) - span, span)
    nm = 1 << 20  # months since 1970 stay far below this: keys never collide
    key = lrow[owner] * nm + month
    pl_row = rows_of(budget.ids, budget.plan_line)
    pk, pa = _sum_by_key(np.where(pl_row >= 0, pl_row * nm + month_of(budget.plan_day), -1),
                         budget.plan_amount)
    lg_row = rows_of(budget.ids, budget.ledger_line)
    lk, la = _sum_by_key(np.where(lg_row >= 0, lg_row * nm + month_of(budget.ledger_day), -1),
                         budget.ledger_amount)

    def lookup(keys: IntArray, values: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        if keys.size == 0:
            return np.zeros(key.shape[0]), np.zeros(key.shape[0], dtype=bool)
        pos = np.clip(np.searchsorted(keys, key), 0, keys.size - 1)
        hit = keys[pos] == key
        return np.where(hit, values[pos], 0.0), hit

    pv, _ = lookup(pk, pa)
    av, has_actual = lookup(lk, la)
    planned = np.bincount(owner, pv, minlength=n)
    actual = np.bincount(owner, av, minlength=n)
    missing = np.bincount(owner, ~has_actual, minlength=n) > 0
    judged &= ~missing
    claimed = np.where(np.isfinite(savings.realised), savings.realised, savings.amount)
    visible = planned - actual
    with np.errstate(divide="ignore", invalid="ignore"):
        short = np.where(judged & (claimed > 0), (claimed - visible) / claimed, np.nan)
    nan = np.full(n, np.nan)
    return Leakage(
        period_start_day=month_start(first),
        period_end_day=month_start(end) - 1,
        claimed=np.where(judged, claimed, nan), planned_spend=np.where(judged, planned, nan),
        actual_spend=np.where(judged, actual, nan), visible=np.where(judged, visible, nan),
        shortfall=short)


def leakage_findings(budget: Budget, savings: Savings, lk: Leakage, ini: Initiatives,
                     settings: BenefitSettings = BenefitSettings()) -> FindingBatch:
    """``benefit_leakage``: claimed savings the ledger of the line does not show."""
    with np.errstate(invalid="ignore"):
        fire = lk.shortfall > settings.warn_share
        sev = np.where(lk.shortfall > settings.critical_share, 3, 2)
    lrow = rows_of(budget.ids, savings.line)
    controller = np.where(lrow >= 0, budget.controller[np.maximum(lrow, 0)], -1)
    irow = rows_of(ini.ids, savings.initiative)
    owner = np.where(irow >= 0, ini.owner[np.maximum(irow, 0)], -1)
    person = np.where(controller >= 0, controller, owner)
    return batch("benefit_leakage", "benefit", fire, savings.ids, person, sev,
                 "Claimed savings of {claimed} from {period_start_day} to "
                 "{period_end_day}; the ledger shows {visible} (spent {actual_spend} "
                 "against a plan of {planned_spend})",
                 budget_line=savings.line, initiative=savings.initiative,
                 claimed=lk.claimed, planned_spend=lk.planned_spend,
                 actual_spend=lk.actual_spend, visible=lk.visible, shortfall=lk.shortfall,
                 period_start_day=lk.period_start_day, period_end_day=lk.period_end_day)

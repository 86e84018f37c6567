"""Severity from impact: what is at stake decides how urgent a finding is, not its kind.

A finding's kind gives a *base* severity (1 info, 2 warning, 3 critical — see
`steerco.core.finding.Severity`). What is at stake raises or lowers it:

- ``money``: benefits (currency units, e.g. EUR) carried by the initiatives the finding
  concerns;
- ``critical_path``: the subject (or an initiative it concerns) has the minimum slack of
  its schedule component, so a slip moves the end date;
- ``outcome_weight``: the largest share (0–1) of an objective's weight that the metrics
  concerned carry (a metric subject, the driver/driven of a causal link, the metrics the
  initiatives concerned move).

Rules (pure, no I/O; `rate` for one finding, thresholds below):

- a signal is **critical** when it is on the critical path of work carrying at least
  `PATH_MONEY` of benefits, when it concerns at least `CRITICAL_MONEY` of benefits, or
  when its metric carries at least `CRITICAL_WEIGHT` of an objective;
- a signal is a **warning** when anything smaller is at stake (money, critical path or
  weight);
- otherwise it is **info**: nothing anyone counts on depends on it;
- an info-level kind (e.g. a slightly stale item) rises at most to warning, and hygiene
  (what cannot be tracked well, not what goes wrong) at most to warning too.

Each rating carries one sentence saying why, e.g. "critical: on the critical path of an
initiative carrying 1.2 M EUR of benefits".
"""

from __future__ import annotations

from dataclasses import dataclass

INFO, WARNING, CRITICAL = 1, 2, 3
NAMES = {INFO: "info", WARNING: "warning", CRITICAL: "critical"}
#: Benefits (currency units) that make any signal about them critical.
CRITICAL_MONEY = 1_000_000.0
#: Benefits that make a signal on the critical path critical.
PATH_MONEY = 250_000.0
#: Share of an objective's weight that makes a signal about its metric critical: more
#: than half (an objective measured by two equal metrics is not "carried" by either).
CRITICAL_WEIGHT = 0.6


@dataclass(frozen=True, slots=True)
class Stake:
    """What is at stake in one finding (see the module docstring for the units)."""

    money: float = 0.0
    critical_path: bool = False
    outcome_weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Rating:
    """A finding's severity (1–3), the sentence explaining it, and a sort key (larger is
    more urgent: severity first, then money, critical path and weight)."""

    severity: int
    reason: str
    rank: tuple[int, float, int, float]


def money_text(amount: float, currency: str = "EUR") -> str:
    """An amount as executives read it: "1.2 M EUR", "350 k EUR", "900 EUR"."""
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f} M {currency}"
    if amount >= 1_000:
        return f"{amount / 1_000:.0f} k {currency}"
    return f"{amount:.0f} {currency}"


def _weight(weight: float) -> str:
    return f"a metric it concerns carries {weight:.0%} of its objective's weight"


def _at_stake(stake: Stake, currency: str) -> str:
    """The biggest thing at stake, as the end of a sentence."""
    money = max(0.0, stake.money)
    if stake.critical_path and money > 0:
        return (f"on the critical path of an initiative carrying {money_text(money, currency)}"
                " of benefits")
    if money > 0:
        return f"concerns initiatives carrying {money_text(money, currency)} of benefits"
    if stake.outcome_weight > 0:
        return f"{_weight(stake.outcome_weight)}"
    if stake.critical_path:
        return "on the critical path of its schedule (no benefits recorded)"
    return "no benefits, critical path or objective weight depend on it"


def rate(base: int, stake: Stake, signal: bool = True, currency: str = "EUR") -> Rating:
    """Rate one finding of base severity `base` (1–3) given what is at stake.

    `signal` is False for hygiene findings (capped at warning). Raises ValueError for a
    base outside 1–3.
    """
    if base not in NAMES:
        raise ValueError(f"base severity must be 1, 2 or 3, not {base!r}")
    money = max(0.0, float(stake.money))
    weight = max(0.0, float(stake.outcome_weight))
    if (stake.critical_path and money >= PATH_MONEY) or money >= CRITICAL_MONEY \
            or weight >= CRITICAL_WEIGHT:
        level = CRITICAL
    elif money > 0 or weight > 0 or stake.critical_path:
        level = WARNING
    else:
        level = INFO
    if not signal or base == INFO:
        level = min(level, WARNING)
    if level == CRITICAL and weight >= CRITICAL_WEIGHT and not (
            money >= CRITICAL_MONEY or (stake.critical_path and money >= PATH_MONEY)):
        why = _weight(weight)
    else:
        why = _at_stake(stake, currency)
    kind = "" if signal else " (hygiene)"
    return Rating(level, f"{NAMES[level]}{kind}: {why}",
                  (level, money, int(stake.critical_path), weight))

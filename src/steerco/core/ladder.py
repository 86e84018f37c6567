"""The escalation ladder: which breaches open escalations and which escalations climb.

Pure: escalations, breaches and rules' ladders in (day numbers, see `steerco.kit.dates`),
decisions out; the caller reads the database and applies them.

Semantics (the contract of `plan`):

- A rule's ``ladder_days`` are the grace days *at each rung*: ``[3, 7, 14]`` means the
  owner (rung 0) has 3 days, then the manager (rung 1) 7 days, then the org-unit head
  (rung 2) 14 days, and then the escalation sits at the top rung (3, the steering
  committee) until it is decided. The top rung is ``len(ladder_days)``.
- An escalation climbs when its current rung's grace days have passed since it reached
  that rung (its escalated day, or its opened day at rung 0). If the ladder was not run
  for a while it climbs as many rungs as have elapsed, each reached exactly when the one
  before ran out of grace, so the result does not depend on how often the ladder runs.
- Acknowledging does not stop the clock: only a decision (resolution) does. An
  acknowledgement says "I have seen it", not "it is handled", and the stance is that a
  signal must force a decision.
- A snoozed escalation holds its rung: while ``snoozed_until`` is after today it does not
  climb, and once the snooze ends the current rung's grace days count afresh from the
  day it ended (the day it is back in the inbox), so a snooze grants a pause, not a
  pile-up of rungs on the day it ends. A snooze that ended before the rung was reached
  changes nothing.
- Resolved escalations never climb. Escalations whose rule is not given (rule switched
  off or deleted) stay where they are.
- One escalation per subject and signal: a breach (signal, subject) opens an escalation
  unless one of that signal and subject (of any rule) is unresolved, or was resolved less
  than its rule's longest grace period ago (a decision holds for that long; after it, a
  breach that is still there escalates afresh).
- When several rules match one subject's signal, the rule that applies is the first by
  `precedence` (see `precedence`: the most specific scope, then the strictest ladder,
  then the highest minimum severity, then the oldest rule); the escalation it opens
  carries that rule's worst breach. The other rules open nothing, then or later, while
  that escalation stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Subject = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Rung:
    """An escalation as the ladder sees it.

    ``reached_day``: the day it reached its current rung (its opened day at rung 0).
    ``resolved_day``: the day it was resolved, None while unresolved.
    ``snoozed_until``: the day a snooze ends (it is back in the inbox), None if never
    snoozed.
    """

    key: int
    rule: int | None
    subject: Subject
    rung: int
    reached_day: int
    resolved_day: int | None = None
    snoozed_until: int | None = None
    signal: str = ""


@dataclass(frozen=True, slots=True)
class Breach:
    """A finding that a rule acts on (already matched on kind, severity and scope)."""

    rule: int
    subject: Subject
    person: int  # who must act, -1 when nobody can be named
    severity: int
    summary: str
    signal: str = ""


@dataclass(frozen=True, slots=True)
class Climb:
    """Escalation ``key`` goes from ``from_rung`` to ``to_rung``, reached on ``day``."""

    key: int
    from_rung: int
    to_rung: int
    day: int


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run of the ladder does: breaches to open, escalations to climb."""

    opens: list[Breach]
    climbs: list[Climb]


def climb(esc: Rung, ladder: Sequence[int], today: int) -> Climb | None:
    """Where ``esc`` stands on ``today`` under ``ladder``; None when it stays put.

    Contract: a resolved escalation, an empty ladder, a rung at or past the top, or a
    ``today`` before the grace ran out gives None; so does a snooze that ends after
    ``today`` (the grace of the current rung counts from the day a snooze ended, when
    that is later than the day the rung was reached). Non-positive grace days count as 1
    (a rung is never skipped within the same day).
    """
    if esc.resolved_day is not None or not ladder:
        return None
    if esc.snoozed_until is not None and esc.snoozed_until > today:
        return None  # snoozed: it holds its rung until the day it is back
    rung, day = esc.rung, max(esc.reached_day, esc.snoozed_until or esc.reached_day)
    while 0 <= rung < len(ladder):
        due = day + max(1, int(ladder[rung]))
        if due > today:
            break
        rung, day = rung + 1, due
    if rung == esc.rung:
        return None
    return Climb(esc.key, esc.rung, rung, day)


def climbs(escalations: Iterable[Rung], ladders: Mapping[int, Sequence[int]],
           today: int) -> list[Climb]:
    """Every escalation that climbs on ``today``, in the order given."""
    out: list[Climb] = []
    for esc in escalations:
        if esc.rule is None or esc.rule not in ladders:
            continue
        c = climb(esc, ladders[esc.rule], today)
        if c is not None:
            out.append(c)
    return out


#: Scope levels, most specific first (see `precedence`).
SCOPE_METRIC, SCOPE_OBJECTIVE, SCOPE_UNIT, SCOPE_WORKSPACE = 0, 1, 2, 3


def precedence(rule: int, scope_level: int, scope_size: int, ladder: Sequence[int],
               min_severity: int) -> tuple[int, ...]:
    """The sort key of a rule among rules matching the same subject's signal (lowest
    applies): the most specific scope (a metric, then an objective, then an org-unit
    subtree — the smaller subtree first —, then the whole workspace), then the strictest
    ladder (the fewest grace days to the top, then the shortest first rung), then the
    highest minimum severity, then the oldest rule (lowest key)."""
    days = [max(1, int(d)) for d in ladder]
    return (scope_level, scope_size, sum(days), days[0] if days else 0, -min_severity, rule)


def openings(breaches: Iterable[Breach], escalations: Iterable[Rung],
             ladders: Mapping[int, Sequence[int]], today: int,
             ranks: Mapping[int, Sequence[int]] | None = None) -> list[Breach]:
    """The breaches that open a new escalation on ``today`` (one per signal and subject).

    Contract: a breach of a rule missing from ``ladders`` opens nothing; see the module
    docstring for what blocks an opening and which rule applies (``ranks``: rule →
    `precedence` key; a rule without one ranks by its key). Order: first appearance of
    (signal, subject).
    """
    blocked: set[tuple[str, Subject]] = set()
    for esc in escalations:
        if esc.resolved_day is None:
            blocked.add((esc.signal, esc.subject))
            continue
        ladder = ladders.get(esc.rule) if esc.rule is not None else None
        hold = max((int(d) for d in ladder), default=0) if ladder else 0
        if today - esc.resolved_day < hold:
            blocked.add((esc.signal, esc.subject))

    def rank(b: Breach) -> tuple[Sequence[int], int]:
        return ((ranks or {}).get(b.rule, ()), b.rule)

    chosen: dict[tuple[str, Subject], Breach] = {}
    for b in breaches:
        key = (b.signal, b.subject)
        if b.rule not in ladders or key in blocked:
            continue
        seen = chosen.get(key)
        if seen is None or rank(b) < rank(seen) or (
                b.rule == seen.rule and b.severity > seen.severity):
            chosen[key] = b
    return list(chosen.values())


def plan(breaches: Iterable[Breach], escalations: Sequence[Rung],
         ladders: Mapping[int, Sequence[int]], today: int,
         ranks: Mapping[int, Sequence[int]] | None = None) -> Plan:
    """One run of the ladder: the openings and the climbs (see the module docstring)."""
    return Plan(openings(breaches, escalations, ladders, today, ranks),
                climbs(escalations, ladders, today))

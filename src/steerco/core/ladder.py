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
- A breach (rule, subject) opens an escalation unless one of that rule and subject is
  unresolved, or was resolved less than the rule's longest grace period ago (a decision
  holds for that long; after it, a breach that is still there escalates afresh).
- Several breaches of one rule and subject open one escalation, with the worst severity.
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


@dataclass(frozen=True, slots=True)
class Breach:
    """A finding that a rule acts on (already matched on kind, severity and scope)."""

    rule: int
    subject: Subject
    person: int  # who must act, -1 when nobody can be named
    severity: int
    summary: str


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


def openings(breaches: Iterable[Breach], escalations: Iterable[Rung],
             ladders: Mapping[int, Sequence[int]], today: int) -> list[Breach]:
    """The breaches that open a new escalation on ``today`` (one per rule and subject).

    Contract: a breach of a rule missing from ``ladders`` opens nothing; see the module
    docstring for what blocks an opening. Order: first appearance of (rule, subject).
    """
    blocked: set[tuple[int, Subject]] = set()
    for esc in escalations:
        if esc.rule is None:
            continue
        if esc.resolved_day is None:
            blocked.add((esc.rule, esc.subject))
            continue
        ladder = ladders.get(esc.rule)
        hold = max((int(d) for d in ladder), default=0) if ladder else 0
        if today - esc.resolved_day < hold:
            blocked.add((esc.rule, esc.subject))
    worst: dict[tuple[int, Subject], Breach] = {}
    for b in breaches:
        key = (b.rule, b.subject)
        if b.rule not in ladders or key in blocked:
            continue
        seen = worst.get(key)
        if seen is None or b.severity > seen.severity:
            worst[key] = b
    return list(worst.values())


def plan(breaches: Iterable[Breach], escalations: Sequence[Rung],
         ladders: Mapping[int, Sequence[int]], today: int) -> Plan:
    """One run of the ladder: the openings and the climbs (see the module docstring)."""
    return Plan(openings(breaches, escalations, ladders, today),
                climbs(escalations, ladders, today))

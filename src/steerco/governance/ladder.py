"""Run the escalation ladder over a workspace: open escalations, climb them, notify.

`run_ladder` reads the findings the engine already computes (`steerco.findings.service`)
and the metric statuses of the evaluation behind them, matches them against the active
rules (kind, minimum severity, scope), lets `steerco.core.ladder` decide what opens (one
escalation per subject and signal, by the rule that applies) and what climbs, then writes
the escalations and one outbox message per new assignment. It never commits: the caller's
unit of work does.

Who is assigned at each rung:
- rung 0: the person the finding names (the subject's owner); nobody if it names none;
- rung 1: the manager of the current assignee (else as rung 2);
- rung 2: the head of the subject's org unit, or of the nearest ancestor unit with a head
  other than the current assignee (else as rung 3);
- rung 3 and up: the steering committee, i.e. the first active strategy-office holder
  (workspace-wide grants first).
Nobody deactivated is ever assigned by the ladder: an inactive manager or unit head is
skipped to the next rung's person, and an escalation whose owner has left opens at rung 1.
If nobody can be found, the escalation still climbs and keeps its assignee (who, if
deactivated, is not sent a message).

Each new assignee (of an opened escalation, or of one that climbed to someone else) gets
one outbox message of kind ``escalation``; a job delivers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steerco.core import ladder as cl
from steerco.core.orgtree import Org
from steerco.core.status import Status
from steerco.db.enums import EscalationState
from steerco.db.models import Escalation, Rule
from steerco.findings.service import KINDS as FINDING_KINDS
from steerco.findings.service import Model, load_model, run_findings
from steerco.governance.repository import (
    EscalationRepository,
    LadderRepository,
    PlacementRepository,
    RuleRepository,
    Subject,
)
from steerco.governance.schemas import STATUS_SIGNALS
from steerco.governance.service import open_escalation, subject_ref
from steerco.kit.dates import from_day, to_day
from steerco.kit.ids import format_id
from steerco.views.names import metric_names

#: Severity of a metric status used as a signal (a rule's `min_severity` applies to it).
STATUS_SEVERITY = {"off_track": 3, "missed": 3, "at_risk": 2, "stale": 2, "no_data": 1}
OUTBOX_KIND = "escalation"


@dataclass
class LadderReport:
    """What one run of the ladder did, as plain JSON-ready rows."""

    as_of: dt.date
    opened: list[dict[str, Any]] = field(default_factory=list)
    climbed: list[dict[str, Any]] = field(default_factory=list)
    messages: int = 0

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {"as_of": self.as_of.isoformat(), "opened": self.opened,
                "climbed": self.climbed, "messages": self.messages}


def _midnight(day: int) -> dt.datetime:
    return dt.datetime.combine(from_day(day), dt.time.min, tzinfo=dt.UTC)


def _status_breaches(m: Model, kinds: set[str],
                     named: Callable[[list[int]], dict[int, str]],
                     ) -> Iterable[tuple[str, int, Subject, int, str]]:
    """(kind, severity, subject, person, summary) of every metric whose status is a signal
    of `kinds`; the summary names the metric (`named`: metric keys → names)."""
    names = {int(s): s.name.lower() for s in Status}
    status = m.ev.metrics.status.status.tolist()
    ids, owner = m.snap.metrics.ids.tolist(), m.snap.metrics.owner.tolist()
    when = from_day(m.as_of).isoformat()
    rows = [(row, names.get(int(code))) for row, code in enumerate(status)]
    rows = [(row, name) for row, name in rows if name in kinds]
    titles = named([int(ids[row]) for row, _ in rows])
    for row, name in rows:
        key = int(ids[row])
        assert name is not None
        label = titles.get(key) or format_id("metric", key)
        yield (name, STATUS_SEVERITY[name], ("metric", key), int(owner[row]),
               f"{label} is {name.replace('_', ' ')} as of {when}")


def _signals(m: Model, kinds: set[str], named: Callable[[list[int]], dict[int, str]],
             ) -> list[tuple[str, int, Subject, int, str]]:
    """Every finding and status signal of `kinds` as (kind, severity, subject, person,
    summary)."""
    out = list(_status_breaches(m, kinds & set(STATUS_SIGNALS), named))
    wanted = kinds & set(FINDING_KINDS)
    if wanted:
        for b in run_findings(m, wanted):
            for f in b.rows():
                out.append((f.kind, f.severity, (f.subject_kind, f.subject), f.person,
                            f.explanation))
    return out


class _Scope:
    """Whether a rule's scope (metric, objective, org-unit subtree) covers a subject."""

    def __init__(self, session: Session, workspace_id: int,
                 subjects: Iterable[Subject], rules: Sequence[Rule]) -> None:
        self.place = PlacementRepository(session, workspace_id)
        self.repo = LadderRepository(session, workspace_id)
        need_units = any(r.org_unit_id is not None for r in rules)
        self.units = self.place.units_of(subjects) if need_units else {}
        self._subtrees: dict[int, set[int]] = {}
        self._objectives: dict[int, set[int]] = {}

    def level(self, rule: Rule) -> tuple[int, int]:
        """How specific a rule's scope is (`steerco.core.ladder.precedence`): its level
        and, for an org unit, the size of its subtree."""
        if rule.metric_id is not None:
            return cl.SCOPE_METRIC, 0
        if rule.objective_id is not None:
            return cl.SCOPE_OBJECTIVE, 0
        if rule.org_unit_id is not None:
            return cl.SCOPE_UNIT, len(self._subtree(rule.org_unit_id))
        return cl.SCOPE_WORKSPACE, 0

    def _subtree(self, unit: int) -> set[int]:
        if unit not in self._subtrees:
            self._subtrees[unit] = self.place.subtree(unit)
        return self._subtrees[unit]

    def covers(self, rule: Rule, subject: Subject) -> bool:
        if rule.metric_id is not None and subject != ("metric", rule.metric_id):
            return False
        if rule.objective_id is not None and subject != ("objective", rule.objective_id):
            if rule.objective_id not in self._objectives:
                self._objectives[rule.objective_id] = self.repo.metrics_of_objective(
                    rule.objective_id)
            if subject[0] != "metric" or subject[1] not in self._objectives[rule.objective_id]:
                return False
        return rule.org_unit_id is None or self.units.get(subject) in self._subtree(
            rule.org_unit_id)


class _Assigner:
    """Who holds an escalation at each rung (see the module docstring)."""

    def __init__(self, org: Org, units: dict[Subject, int | None], committee: list[int]) -> None:
        self.org = org
        self.units = units
        self.committee = committee[0] if committee else None

    def _active(self, person: int) -> bool:
        return person >= 0 and bool(self.org.is_active([person])[0])

    def _head(self, subject: Subject, current: int | None) -> int | None:
        unit = self.units.get(subject)
        seen: set[int] = set()
        while unit is not None and unit >= 0 and unit not in seen:
            seen.add(unit)
            head = int(self.org.head_of([unit])[0])
            if self._active(head) and head != current:
                return head
            rows = self.org.unit_parent[self.org.unit_ids == unit]
            unit = int(rows[0]) if rows.size else None
        return None

    def at(self, rung: int, subject: Subject, current: int | None) -> int | None:
        found: int | None = None
        if rung == 1 and current is not None:
            manager = int(self.org.manager_of([current])[0])
            found = manager if self._active(manager) else None
        if found is None and rung <= 2:
            found = self._head(subject, current)
        if found is None:
            found = self.committee
        return found if found is not None else current


def run_ladder(session: Session, workspace_id: int, today: dt.date) -> LadderReport:
    """Open escalations for new breaches and climb those whose grace ran out (no commit)."""
    report = LadderReport(today)
    rules = list(RuleRepository(session, workspace_id).active())
    if not rules:
        return report
    day = to_day(today)
    ladders = {r.id: [int(d) for d in r.ladder_days or []] for r in rules}
    hold = max((max(v, default=0) for v in ladders.values()), default=0)
    # Every escalation of the rules' signals (of any rule, active or not, or none): one
    # still open blocks a second of its subject and signal, whichever rule matches now.
    escs = list(EscalationRepository(session, workspace_id).of_signals(
        sorted({r.signal_kind for r in rules}), _midnight(day - hold)))
    m = load_model(session, workspace_id, today)
    signals = _signals(m, {r.signal_kind for r in rules},
                       lambda keys: metric_names(session, workspace_id, keys))
    subjects = {s[2] for s in signals} | {(e.subject_kind, e.subject_id) for e in escs}
    scope = _Scope(session, workspace_id, subjects, rules)
    by_kind: dict[str, list[Rule]] = {}
    for r in rules:
        by_kind.setdefault(r.signal_kind, []).append(r)
    breaches = [cl.Breach(r.id, subject, person, severity, summary, kind)
                for kind, severity, subject, person, summary in signals
                for r in by_kind.get(kind, [])
                if severity >= r.min_severity and scope.covers(r, subject)]
    rungs = [cl.Rung(e.id, e.rule_id, (e.subject_kind, e.subject_id), e.rung,
                     to_day(e.escalated_at or e.opened_at),
                     None if e.state is not EscalationState.RESOLVED or e.resolved_at is None
                     else to_day(e.resolved_at),
                     None if e.snoozed_until is None else to_day(e.snoozed_until),
                     e.signal_kind)
             for e in escs]
    ranks = {r.id: cl.precedence(r.id, *scope.level(r), ladders[r.id], r.min_severity)
             for r in rules}
    plan = cl.plan(breaches, rungs, ladders, day, ranks)
    kind_of = {r.id: r.signal_kind for r in rules}
    notify: list[Escalation] = []
    gone = [b for b in plan.opens if b.person >= 0 and not m.org.is_active([b.person])[0]]
    who: _Assigner | None = None
    if plan.climbs or gone:
        units = PlacementRepository(session, workspace_id).units_of(
            {(e.subject_kind, e.subject_id) for e in escs} | {b.subject for b in gone})
        who = _Assigner(m.org, units, LadderRepository(session, workspace_id)
                        .steering_committee())
    for b in plan.opens:
        rung, person = 0, (b.person if b.person >= 0 else None)
        if who is not None and b in gone:
            # The owner has left and cannot act: the escalation opens at the next rung
            # (its grace counts from today), with whoever that rung names.
            rung, person = 1, who.at(1, b.subject, b.person)
        esc = open_escalation(session, workspace_id, signal_kind=kind_of[b.rule],
                              subject_kind=b.subject[0], subject_id=b.subject[1],
                              summary=b.summary, assignee_id=person,
                              rule_id=b.rule, rung=rung, opened_at=_midnight(day))
        if rung:
            esc.escalated_at = _midnight(day)
        report.opened.append(_row(esc))
        notify.append(esc)
    if plan.climbs and who is not None:
        by_key = {e.id: e for e in escs}
        for c in plan.climbs:
            esc = by_key[c.key]
            before = esc.assignee_id
            assignee = esc.assignee_id
            for rung in range(c.from_rung + 1, c.to_rung + 1):
                assignee = who.at(rung, (esc.subject_kind, esc.subject_id), assignee)
            esc.rung, esc.escalated_at, esc.assignee_id = c.to_rung, _midnight(c.day), assignee
            report.climbed.append({**_row(esc), "from_rung": c.from_rung,
                                   "from_assignee_id": _person(before)})
            if assignee != before:  # only a new assignee needs telling
                notify.append(esc)
        session.flush()
    report.messages = _notify(session, workspace_id, notify, _midnight(day))
    return report


def _person(key: int | None) -> str | None:
    return None if key is None else format_id("person", key)


def _row(esc: Escalation) -> dict[str, Any]:
    return {"escalation_id": format_id("escalation", esc.id), "rule_id":
            None if esc.rule_id is None else format_id("rule", esc.rule_id),
            "signal_kind": esc.signal_kind,
            "subject_id": subject_ref(esc.subject_kind, esc.subject_id), "rung": esc.rung,
            "assignee_id": _person(esc.assignee_id), "summary": esc.summary}


def _notify(session: Session, workspace_id: int, escs: list[Escalation],
            now: dt.datetime) -> int:
    """One outbox message to the assignee of each escalation; returns how many."""
    from steerco.views.labels import labels_of

    repo = LadderRepository(session, workspace_id)
    # Only people who can act are told: a deactivated assignee (kept when nobody above
    # could be found) gets no message.
    emails = repo.emails((e.assignee_id for e in escs if e.assignee_id is not None),
                         active_only=True)
    rows = [_row(e) for e in escs]
    # The message body names its subject and assignee; the ids stay for links.
    names = labels_of(session, workspace_id, [r[k] for r in rows
                                              for k in ("subject_id", "assignee_id")])
    sent = 0
    for esc, row in zip(escs, rows, strict=True):
        to = emails.get(esc.assignee_id) if esc.assignee_id is not None else None
        if to is None:
            continue
        repo.queue(OUTBOX_KIND, to, {**row, "person_id": esc.assignee_id,
                                     "subject_name": names.get(row["subject_id"] or ""),
                                     "assignee_name": names.get(row["assignee_id"] or "")},
                   now)
        sent += 1
    session.flush()
    return sent

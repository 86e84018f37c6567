"""Use-cases of the governance domain (never commits).

Rules say which signals escalate; escalations are opened by the engine's ladder, then
acknowledged, reassigned and finally resolved by a decision; reviews carry an agenda
generated from the open escalations of their subtree and what changed since the last one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.enums import DecisionKind, EscalationState
from steerco.db.models import Decision, Escalation, Review, ReviewAction, Rule
from steerco.db.repository import Repository
from steerco.dependencies.repository import DependencyRepository
from steerco.evidence.history import changes_since_last_review, record_forecasts
from steerco.evidence.service import EngineState
from steerco.finance.repository import BudgetLineRepository
from steerco.governance.agenda import build_agenda, finding_severities
from steerco.governance.repository import (
    DecisionRepository,
    EscalationRepository,
    LadderRepository,
    ReviewActionRepository,
    ReviewRepository,
    RuleRepository,
    Subject,
)
from steerco.governance.schemas import (
    SUBJECT_KINDS,
    ActionCreate,
    DecisionCreate,
    EscalationAssign,
    EscalationSnooze,
    ItemDiscussed,
    ReviewCreate,
    ReviewUpdate,
    RuleCreate,
    RuleUpdate,
)
from steerco.initiatives.repository import (
    BenefitRepository,
    InitiativeRepository,
    MilestoneRepository,
)
from steerco.initiatives.service import stop_initiative
from steerco.kit import clock
from steerco.kit.dates import from_day, spoken
from steerco.kit.errors import Conflict, FieldError, ValidationFailed
from steerco.kit.ids import PREFIXES, article, format_id, parse_any, parse_id
from steerco.kit.validation import parse
from steerco.metrics.repository import CausalLinkRepository, MetricRepository
from steerco.metrics.service import get_metric, update_metric
from steerco.objectives.repository import ObjectiveRepository
from steerco.org.service import (
    apply_changes,
    optional_org_unit,
    optional_person,
    require_person,
    workspace_today,
)

#: The outbox kind of the mail that sends attendees the pack of a scheduled review.
PACK_MAIL = "review_pack"
#: A decision's kind as words in a sentence ("… decided on X: re-plan the date").
DECISION_WORDS = {"accept_risk": "accept the risk", "reallocate": "reallocate",
                  "replan_target": "re-plan the target", "replan_date": "re-plan the date",
                  "stop": "stop", "renegotiate_dependency": "renegotiate the dependency"}
#: The repository of each kind of subject a decision may be about.
SUBJECT_REPOSITORIES: dict[str, type[Repository[Any]]] = {
    "metric": MetricRepository, "objective": ObjectiveRepository,
    "initiative": InitiativeRepository,
    "milestone": MilestoneRepository, "dependency": DependencyRepository,
    "causal_link": CausalLinkRepository, "benefit": BenefitRepository,
    "budget_line": BudgetLineRepository,
}


def subject_ref(kind: str | None, key: int | None) -> str | None:
    """The public id of a subject (`met_3`); a key of an unknown kind as a bare number."""
    if kind is None or key is None:
        return None
    return format_id(kind, key) if kind in PREFIXES else str(key)


# --- rules ------------------------------------------------------------------------------


def _rule_targets(session: Session, workspace_id: int, rule: Rule,
                  changes: dict[str, Any]) -> None:
    """Resolve the metric, objective and org unit a rule is limited to (in `changes`)."""
    metric = changes.get("metric_id", rule.metric_id)
    objective = changes.get("objective_id", rule.objective_id)
    if metric is not None and objective is not None:
        field = "objective_id" if "objective_id" in changes else "metric_id"
        raise ValidationFailed(FieldError(
            field, "a rule acts on a metric or on an objective, not both: give metric_id or "
                   "objective_id", changes.get(field)))
    if "metric_id" in changes:
        ref = changes.pop("metric_id")
        rule.metric_id = None if ref is None else get_metric(session, workspace_id, ref).id
    if "objective_id" in changes:
        ref = changes.pop("objective_id")
        rule.objective_id = None if ref is None else ObjectiveRepository(
            session, workspace_id).require(parse_id(ref, "objective", "objective_id"),
                                           "objective_id").id
    if "org_unit_id" in changes:
        unit = optional_org_unit(session, workspace_id, changes.pop("org_unit_id"),
                                 "org_unit_id")
        rule.org_unit_id = unit.id if unit else None


def create_rule(session: Session, workspace_id: int, data: RuleCreate | dict[str, Any]) -> Rule:
    """Add a rule: when `signal_kind` fires at `min_severity` or worse, escalate it."""
    body = parse(RuleCreate, data)
    rule = Rule(workspace_id=workspace_id, name=body.name, signal_kind=body.signal_kind,
                min_severity=body.min_severity, ladder_days=list(body.ladder_days),
                active=body.active)
    _rule_targets(session, workspace_id, rule, body.model_dump(
        include={"metric_id", "objective_id", "org_unit_id"}))
    _refuse_twin(session, workspace_id, rule)
    return RuleRepository(session, workspace_id).add(rule)


def _refuse_twin(session: Session, workspace_id: int, rule: Rule) -> None:
    """Refuse an active rule identical to another active one (same signal, minimum
    severity and scope): both would match every breach the other does."""
    if not rule.active:
        return
    twin = RuleRepository(session, workspace_id).twin_of(rule)
    if twin is not None:
        raise ValidationFailed(FieldError(
            "signal_kind", f"an identical rule exists: “{twin.name}” "
                           f"({format_id('rule', twin.id)}) has the same signal, minimum "
                           "severity and scope; change that rule instead", rule.signal_kind))


def update_rule(session: Session, workspace_id: int, key: int,
                data: RuleUpdate | dict[str, Any]) -> Rule:
    """Change a rule's fields (still at most one of metric and objective)."""
    body = parse(RuleUpdate, data)
    rule = RuleRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    _rule_targets(session, workspace_id, rule, changes)
    if changes.get("ladder_days") is not None:
        changes["ladder_days"] = list(changes["ladder_days"])
    apply_changes(rule, changes, {"name", "signal_kind", "min_severity", "ladder_days",
                                  "active"})
    _refuse_twin(session, workspace_id, rule)
    session.flush()
    return rule


def archive_rule(session: Session, workspace_id: int, key: int) -> Rule:
    """Switch a rule off (it stays, with the escalations it opened)."""
    rule = RuleRepository(session, workspace_id).get(key)
    rule.active = False
    session.flush()
    return rule


# --- escalations ------------------------------------------------------------------------


def open_escalation(session: Session, workspace_id: int, *, signal_kind: str,
                    subject_kind: str, subject_id: int, summary: str,
                    assignee_id: int | None = None, rule_id: int | None = None,
                    rung: int = 0, opened_at: dt.datetime | None = None) -> Escalation:
    """Open an escalation of a signal (the engine's ladder does this, not clients)."""
    return EscalationRepository(session, workspace_id).add(Escalation(
        workspace_id=workspace_id, rule_id=rule_id, signal_kind=signal_kind,
        subject_kind=subject_kind, subject_id=subject_id, summary=summary, rung=rung,
        state=EscalationState.OPEN, assignee_id=assignee_id,
        opened_at=opened_at or clock.now()))


def _unresolved(esc: Escalation, doing: str) -> None:
    if esc.state is EscalationState.RESOLVED:
        ident = format_id("escalation", esc.id)
        raise Conflict(f"escalation {ident} is already resolved; it cannot be {doing}",
                       [FieldError("escalation_id", "already resolved", ident)])


def acknowledge_escalation(session: Session, workspace_id: int, key: int,
                           now: dt.datetime | None = None) -> Escalation:
    """The assignee (or a steerer) takes note; acknowledging twice changes nothing."""
    esc = EscalationRepository(session, workspace_id).get(key)
    _unresolved(esc, "acknowledged")
    if esc.state is EscalationState.OPEN:
        esc.state = EscalationState.ACKNOWLEDGED
        esc.acknowledged_at = now or clock.now()
        session.flush()
    return esc


def assign_escalation(session: Session, workspace_id: int, key: int,
                      data: EscalationAssign | dict[str, Any]) -> Escalation:
    """Hand an escalation to another person, who must acknowledge it afresh."""
    body = parse(EscalationAssign, data)
    esc = EscalationRepository(session, workspace_id).get(key)
    _unresolved(esc, "reassigned")
    person = require_person(session, workspace_id, body.assignee_id, "assignee_id")
    if person.id != esc.assignee_id:
        esc.assignee_id = person.id
        esc.state = EscalationState.OPEN
        esc.acknowledged_at = None
        session.flush()
    return esc


def snooze_escalation(session: Session, workspace_id: int, key: int,
                      data: EscalationSnooze | dict[str, Any],
                      today: dt.date | None = None) -> Escalation:
    """Take an escalation out of the inbox until a later day, with a reason (it keeps its
    rung and assignee, and is back on that day)."""
    from steerco.governance.triage import snooze_checks

    body = parse(EscalationSnooze, data)
    esc = EscalationRepository(session, workspace_id).get(key)
    _unresolved(esc, "snoozed")
    snooze_checks(body.until, body.reason, today or workspace_today(session, workspace_id))
    esc.snoozed_until, esc.snooze_reason = body.until, body.reason.strip()
    session.flush()
    return esc


# --- decisions --------------------------------------------------------------------------


def decision_subject(data: DecisionCreate | dict[str, Any]) -> Subject | None:
    """The (kind, key) a decision names in `subject_id` / `subject_kind`, if any."""
    body = parse(DecisionCreate, data)
    if body.subject_id is None:
        if body.subject_kind is not None:
            raise ValidationFailed(FieldError("subject_id", "subject_kind needs a subject_id"))
        return None
    ref = body.subject_id
    if isinstance(ref, int) and not isinstance(ref, bool):
        if body.subject_kind is None:
            raise ValidationFailed(FieldError(
                "subject_kind", "is needed when subject_id is a bare key", ref))
        return body.subject_kind, ref
    kind, key = parse_any(ref, "subject_id")
    if kind not in SUBJECT_KINDS:
        raise ValidationFailed(FieldError(
            "subject_id", f"a decision cannot be about {article(kind)}; it is about one of "
                          f"{', '.join(SUBJECT_KINDS)}", ref))
    if body.subject_kind is not None and body.subject_kind != kind:
        raise ValidationFailed(FieldError(
            "subject_kind", f"is {body.subject_kind} but subject_id is {article(kind)}",
            body.subject_kind))
    return kind, key


#: Decisions that change their subject, and the metric fields they may change.
REPLANS = {DecisionKind.REPLAN_TARGET: ("target_value", "target_date"),
           DecisionKind.REPLAN_DATE: ("target_date",)}


def _planned_effect(body: DecisionCreate, subject: Subject) -> dict[str, Any]:
    """The changes a decision names, checked before anything is written: {field: value}
    on its subject. Raises ValidationFailed naming the field otherwise."""
    given: dict[str, Any] = {k: v for k, v in (("target_value", body.new_target_value),
                               ("target_date", body.new_target_date)) if v is not None}
    allowed = REPLANS.get(body.kind, ())
    for field in given:
        if field not in allowed:
            name = f"new_{field}"
            raise ValidationFailed(FieldError(
                name, f"a {body.kind.value.replace('_', ' ')} decision cannot set a new "
                      f"{field.replace('_', ' ')}" + (" (re-plan the target for that)"
                                                      if allowed else ""),
                given[field] if not isinstance(given[field], dt.date)
                else given[field].isoformat()))
    if given and subject[0] != "metric":
        raise ValidationFailed(FieldError(
            "new_target_value" if "target_value" in given else "new_target_date",
            f"only a metric has a target; this decision is about {article(subject[0])}"))
    return given


def _carry_out(session: Session, workspace_id: int, decision: Decision,
               kind: DecisionKind, subject: Subject, changes: dict[str, Any]) -> None:
    """Make the change a decision names through the owning service (same rules, same
    audit), with the audit's actor naming the decision; record it on the decision."""
    entity, key = subject
    effect: dict[str, Any] | None = None
    actor = session.info.get("actor", "system")
    session.info["actor"] = f"{actor} by decision {format_id('decision', decision.id)}"[:100]
    try:
        if changes:
            metric = MetricRepository(session, workspace_id).get(key)
            before = {f: getattr(metric, f) for f in changes}
            update_metric(session, workspace_id, key, changes)
            effect = {"entity": "metric", "id": format_id("metric", key), "changes": {
                f: [_plain(before[f]), _plain(getattr(metric, f))] for f in changes}}
        elif kind is DecisionKind.STOP and entity == "initiative":
            ini = InitiativeRepository(session, workspace_id).get(key)
            was = bool(ini.stopped)
            stop_initiative(session, workspace_id, key)
            effect = {"entity": "initiative", "id": format_id("initiative", key),
                      "changes": {"stopped": [was, True]}}
    finally:
        session.info["actor"] = actor
    if effect is not None:
        decision.effect = effect
        session.flush()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def record_decision(session: Session, workspace_id: int, data: DecisionCreate | dict[str, Any],
                    decided_by: int, today: dt.date | None = None,
                    subject_then: dict[str, Any] | None = None) -> Decision:
    """Record a decision; one about an escalation resolves it in the same transaction.

    A decision needs an escalation or a subject. An escalation that is already resolved
    is a conflict (it has its decision), not a second decision. A re-plan carries out the
    new target / date it names on its metric, and a stop stops its initiative, in the
    same transaction through the metrics / initiatives services (a refusal there leaves
    nothing written once the caller rolls back); `effect` records the change and
    `subject_then` (the caller's reading of the subject's status and forecast) stays with it.
    """
    body = parse(DecisionCreate, data)
    subject = decision_subject(body)
    esc = None
    if body.escalation_id is not None:
        esc = EscalationRepository(session, workspace_id).require(
            parse_id(body.escalation_id, "escalation", "escalation_id"), "escalation_id")
        _unresolved(esc, "decided again")
        own = (esc.subject_kind, esc.subject_id)
        if subject is not None and subject != own:
            raise ValidationFailed(FieldError(
                "subject_id", f"the escalation is about {subject_ref(*own)}, not "
                              f"{subject_ref(*subject)}", body.subject_id))
        subject = own
    elif subject is None:
        raise ValidationFailed(FieldError(
            "escalation_id", "a decision is about an escalation or a subject: give "
                             "escalation_id or subject_id"))
    else:
        kind, key = subject
        SUBJECT_REPOSITORIES[kind](session, workspace_id).require(key, "subject_id")
    review = None
    if body.review_id is not None:
        review = ReviewRepository(session, workspace_id).require(
            parse_id(body.review_id, "review", "review_id"), "review_id")
    decided_by_person = require_person(session, workspace_id, decided_by, "decided_by_id")
    changes = _planned_effect(body, subject)
    decision = DecisionRepository(session, workspace_id).add(Decision(
        workspace_id=workspace_id, kind=body.kind, rationale=body.rationale,
        escalation_id=esc.id if esc else None, review_id=review.id if review else None,
        subject_kind=subject[0], subject_id=subject[1], decided_by_id=decided_by_person.id,
        decided_on=body.decided_on or today or workspace_today(session, workspace_id),
        subject_then=subject_then))
    _carry_out(session, workspace_id, decision, body.kind, subject, changes)
    if esc is not None:
        esc.state = EscalationState.RESOLVED
        esc.resolved_at = clock.now()
        session.flush()
    _announce_decision(session, workspace_id, decision, esc, decided_by_person.name)
    return decision


def _announce_decision(session: Session, workspace_id: int, decision: Decision,
                       esc: Escalation | None, by: str) -> None:
    """A workspace event in the outbox (webhooks: decision.recorded, and
    escalation.resolved when it resolves one), in the decision's own transaction."""
    from steerco.views.labels import labels_of

    session.flush()
    ref = subject_ref(decision.subject_kind, decision.subject_id)
    about = (labels_of(session, workspace_id, [ref]).get(ref or "") if ref else None) or (
        esc.summary if esc is not None else "")
    what = DECISION_WORDS.get(str(decision.kind), str(decision.kind).replace("_", " "))
    LadderRepository(session, workspace_id).queue(
        "decision", "", {"decision_id": format_id("decision", decision.id),
                 "escalation_id": None if esc is None else format_id("escalation", esc.id),
                 "subject_id": ref, "subject_name": about,
                 "kind": str(decision.kind), "rationale": decision.rationale,
                 "path": f"/escalations/{format_id('escalation', esc.id)}" if esc is not None
                 else "/decisions",
                 "title": f"{by} decided on {about}: {what} — {decision.rationale}"[:480]},
        clock.now())


# --- reviews ----------------------------------------------------------------------------


def _attendees(session: Session, workspace_id: int, refs: list[Any]) -> list[int]:
    return list(dict.fromkeys(
        require_person(session, workspace_id, ref, f"attendee_ids.{i}").id
        for i, ref in enumerate(refs)))


def create_review(session: Session, workspace_id: int,
                  data: ReviewCreate | dict[str, Any],
                  now: dt.datetime | None = None) -> Review:
    """Schedule a review of the workspace or of an org-unit subtree, and (same
    transaction) queue the mail of its pack to the chair and the attendees."""
    body = parse(ReviewCreate, data)
    chair = optional_person(session, workspace_id, body.chair_id, "chair_id")
    unit = optional_org_unit(session, workspace_id, body.org_unit_id, "org_unit_id")
    review = ReviewRepository(session, workspace_id).add(Review(
        workspace_id=workspace_id, kind=body.kind, title=body.title,
        scheduled_for=body.scheduled_for, chair_id=chair.id if chair else None,
        org_unit_id=unit.id if unit else None,
        attendee_ids=_attendees(session, workspace_id, body.attendee_ids)))
    schedule_mail(session, workspace_id, review, now)
    return review


#: Months between two reviews of a kind (weekly reviews are 7 days apart instead).
_REVIEW_MONTHS = {"monthly_business": 1, "quarterly_strategy": 3}
MAX_SERIES = 52


def review_date(first: dt.date, kind: str, i: int) -> dt.date:
    """The i-th date of a review cadence starting on `first` (a month-end day is clamped
    to a shorter month's last day)."""
    import calendar

    months = _REVIEW_MONTHS.get(kind)
    if months is None:
        return first + dt.timedelta(weeks=i)
    m = first.month - 1 + months * i
    year, month = first.year + m // 12, m % 12 + 1
    return first.replace(year=year, month=month,
                         day=min(first.day, calendar.monthrange(year, month)[1]))


def schedule_review_series(session: Session, workspace_id: int,
                           data: ReviewCreate | dict[str, Any], count: int) -> list[Review]:
    """Schedule `count` (1..MAX_SERIES) reviews at the cadence of their kind (weekly,
    monthly, quarterly) from `scheduled_for` on: the review rhythm of a unit."""
    body = parse(ReviewCreate, data)
    if not 1 <= count <= MAX_SERIES:
        raise ValidationFailed(FieldError("count", f"must be from 1 to {MAX_SERIES}", count))
    return [create_review(session, workspace_id, body.model_copy(update={
        "scheduled_for": review_date(body.scheduled_for, body.kind.value, i)}))
        for i in range(count)]


def update_review(session: Session, workspace_id: int, key: int,
                  data: ReviewUpdate | dict[str, Any]) -> Review:
    """Reschedule, retitle, re-chair or record that a review was held."""
    body = parse(ReviewUpdate, data)
    review = ReviewRepository(session, workspace_id).get(key)
    changes = body.model_dump(exclude_unset=True)
    if "chair_id" in changes:
        chair = optional_person(session, workspace_id, changes.pop("chair_id"), "chair_id")
        review.chair_id = chair.id if chair else None
    if "org_unit_id" in changes:
        unit = optional_org_unit(session, workspace_id, changes.pop("org_unit_id"),
                                 "org_unit_id")
        review.org_unit_id = unit.id if unit else None
    if "attendee_ids" in changes:
        review.attendee_ids = _attendees(session, workspace_id,
                                         changes.pop("attendee_ids") or [])
    apply_changes(review, changes, {"kind", "title", "scheduled_for"})
    session.flush()
    return review


def delete_review(session: Session, workspace_id: int, key: int) -> None:
    """Delete a review that was not held and has no decisions (those stay on record)."""
    review = ReviewRepository(session, workspace_id).get(key)
    ident = format_id("review", key)
    if review.held_on is not None:
        raise Conflict(f"review {ident} was held on {review.held_on.isoformat()}; a held "
                       "review stays on record",
                       [FieldError("held_on", "the review was held", review.held_on)])
    if DecisionRepository(session, workspace_id).count_for_review(key):
        raise Conflict(f"review {ident} has decisions recorded against it; it stays on record")
    session.delete(review)
    session.flush()


def generate_agenda(session: Session, workspace_id: int, key: int, st: EngineState,
                    findings: list[dict[str, Any]] | None = None) -> Review:
    """Regenerate and store a review's agenda from the engine's state `st` and the
    workspace's `findings` (JSON; none: findings are left out), comparing against the
    snapshot of the previous closed review of its series (else the latest recorded
    forecasts)."""
    review = ReviewRepository(session, workspace_id).get(key)
    _open(review, "given a new agenda")  # a held review's agenda is its record
    before = ReviewRepository(session, workspace_id).previous_closed(review)
    shot = (before.snapshot if before is not None else None) or {}
    since = shot.get("forecasts_on")
    changes = changes_since_last_review(
        session, workspace_id, st, since=dt.date.fromisoformat(since) if since else None)
    review.agenda = build_agenda(session, workspace_id, review, changes, findings,
                                 shot.get("findings") if before is not None else None)
    session.flush()
    return review


def _open(review: Review, doing: str) -> None:
    if review.closed_at is not None:
        ident = format_id("review", review.id)
        raise Conflict(f"review {ident} was closed at {review.closed_at:%Y-%m-%d %H:%M}; it "
                       f"cannot be {doing}", [FieldError("closed_at", "the review is closed",
                                                         review.closed_at.isoformat())])


def _agenda_item(review: Review, item: str | None, field: str) -> None:
    keys = [i.get("key") for i in review.agenda or []]
    if item is not None and item not in keys:
        raise ValidationFailed(FieldError(
            field, f"is not an item of the agenda of review {format_id('review', review.id)}"
                   + ("" if keys else " (its agenda is empty: generate it first)"), item))


def set_discussed(session: Session, workspace_id: int, key: int,
                  data: ItemDiscussed | dict[str, Any]) -> Review:
    """Mark an agenda item discussed (or not) during the meeting of an open review."""
    body = parse(ItemDiscussed, data)
    review = ReviewRepository(session, workspace_id).get(key)
    _open(review, "changed")
    _agenda_item(review, body.item, "item")
    done = [k for k in review.discussed or [] if k != body.item]
    review.discussed = [*done, body.item] if body.discussed else done
    session.flush()
    return review


def add_action(session: Session, workspace_id: int, key: int,
               data: ActionCreate | dict[str, Any]) -> ReviewAction:
    """Record an action at an open review: what, whose (an active person) and by when."""
    body = parse(ActionCreate, data)
    review = ReviewRepository(session, workspace_id).get(key)
    _open(review, "given actions")
    _agenda_item(review, body.item, "item")
    owner = require_person(session, workspace_id, body.owner_id, "owner_id")
    held = min(d for d in (review.scheduled_for, review.held_on) if d is not None)
    if body.due_on < held:
        raise ValidationFailed(FieldError(
            "due_on", f"the due date {spoken(body.due_on)} is before the review "
                      f"({spoken(held)}): an action is due on or after it",
            body.due_on.isoformat()))
    return ReviewActionRepository(session, workspace_id).add(ReviewAction(
        workspace_id=workspace_id, review_id=review.id, item_key=body.item,
        title=body.title, owner_id=owner.id, due_on=body.due_on))


#: The key in the latest review's `snapshot` that says its series was ended on purpose:
#: {"on": ISO day, "by": person key} (a JSON field of the review, not a column: no
#: migration; scheduling a new review of the series starts it again).
SERIES_ENDED = "series_ended"


def series_end(review: Review) -> dict[str, Any] | None:
    """{"on", "by"} when `review` ends its series on purpose, else None."""
    ended = (review.snapshot or {}).get(SERIES_ENDED)
    return ended if isinstance(ended, dict) else None


def end_series(session: Session, workspace_id: int, key: int, ended: bool,
               by: int | None, today: dt.date) -> Review:
    """End the series of review `key` (kind and org unit) at its latest review, so the
    daily `reviews` job schedules no more of it; `ended=False` resumes it. Returns the
    latest review of the series (a no-op when already so)."""
    repo = ReviewRepository(session, workspace_id)
    last = repo.latest_in_series(repo.get(key))
    shot = dict(last.snapshot or {})
    if ended == (SERIES_ENDED in shot):
        return last
    if ended:
        shot[SERIES_ENDED] = {"on": today.isoformat(), "by": by}
    else:
        shot.pop(SERIES_ENDED)
    last.snapshot = shot
    session.flush()
    return last


def set_action_done(session: Session, workspace_id: int, key: int, done: bool,
                    by: int | None, today: dt.date | None = None) -> ReviewAction:
    """Mark an action done (on `today`, workspace time zone, by person `by`) or reopen
    it; asking for the state it already has changes nothing. Actions stay open to this
    after their review closed: they are done between reviews."""
    action = ReviewActionRepository(session, workspace_id).get(key)
    if bool(action.done) == done:
        return action
    action.done = done
    action.done_on = (today or workspace_today(session, workspace_id)) if done else None
    action.done_by_id = by if done else None
    session.flush()
    return action


def close_review(session: Session, workspace_id: int, key: int, st: EngineState,
                 findings: list[dict[str, Any]], now: dt.datetime | None = None) -> Review:
    """Close the meeting: record every metric's forecast and status against the review
    (the evaluation date of `st`) and keep the severities of the findings in its scope,
    so the next review of its series shows what changed since this one. A closed review
    is a conflict. Recording forecasts on a date replaces that date's records (one
    snapshot per day: two reviews closed the same day share it)."""
    review = ReviewRepository(session, workspace_id).get(key)
    _open(review, "closed again")
    day = from_day(st.evaluation.as_of)
    record_forecasts(session, workspace_id, st, review_id=review.id)
    ended = (review.snapshot or {}).get(SERIES_ENDED)
    review.snapshot = {"forecasts_on": day.isoformat(),
                       "findings": finding_severities(session, workspace_id, review,
                                                      findings)} | (
        {SERIES_ENDED: ended} if ended else {})
    review.held_on = review.held_on or day
    review.closed_at = now or clock.now()
    session.flush()
    return review


def schedule_mail(session: Session, workspace_id: int, review: Review,
                  now: dt.datetime | None = None) -> int:
    """Queue one outbox message per attendee (the chair included) with a link to the
    pack, in the caller's transaction; returns how many. The jobs deliver them."""
    people = [p for p in [review.chair_id, *(review.attendee_ids or [])] if p is not None]
    repo = LadderRepository(session, workspace_id)
    emails = repo.emails(people)
    rid = format_id("review", review.id)
    sent = 0
    for person in dict.fromkeys(people):
        to = emails.get(person)
        if to is None:
            continue
        repo.queue(PACK_MAIL, to, {
            "review_id": rid, "person_id": format_id("person", person),
            "title": review.title, "kind": review.kind.value,
            "scheduled_for": review.scheduled_for.isoformat(),
            "subject": f"{review.title} on {review.scheduled_for:%d %b %Y}: the pack",
            "page": f"/reviews/{rid}", "pack_html": f"/api/v1/reviews/{rid}/pack",
            "pack_pdf": f"/api/v1/reviews/{rid}/pack?format=pdf"}, now or clock.now())
        sent += 1
    session.flush()
    return sent

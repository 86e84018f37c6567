"""Use-cases of the governance domain (never commits).

Rules say which signals escalate; escalations are opened by the engine's ladder, then
acknowledged, reassigned and finally resolved by a decision; reviews carry an agenda
generated from the open escalations of their subtree and what changed since the last one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.enums import EscalationState
from steerco.db.models import Decision, Escalation, Review, Rule
from steerco.db.repository import Repository
from steerco.dependencies.repository import DependencyRepository
from steerco.evidence.history import changes_since_last_review
from steerco.evidence.service import EngineState
from steerco.finance.repository import BudgetLineRepository
from steerco.governance.repository import (
    DecisionRepository,
    EscalationRepository,
    LadderRepository,
    PlacementRepository,
    ReviewRepository,
    RuleRepository,
    Subject,
)
from steerco.governance.schemas import (
    SUBJECT_KINDS,
    DecisionCreate,
    EscalationAssign,
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
from steerco.kit import clock
from steerco.kit.errors import Conflict, FieldError, ValidationFailed
from steerco.kit.ids import PREFIXES, article, format_id, parse_any, parse_id
from steerco.kit.validation import parse
from steerco.metrics.repository import CausalLinkRepository, MetricRepository
from steerco.metrics.service import get_metric
from steerco.objectives.repository import ObjectiveRepository
from steerco.org.service import (
    apply_changes,
    optional_org_unit,
    optional_person,
    require_person,
    workspace_today,
)

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
    return RuleRepository(session, workspace_id).add(rule)


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


def record_decision(session: Session, workspace_id: int, data: DecisionCreate | dict[str, Any],
                    decided_by: int, today: dt.date | None = None) -> Decision:
    """Record a decision; one about an escalation resolves it in the same transaction.

    A decision needs an escalation or a subject. An escalation that is already resolved
    is a conflict (it has its decision), not a second decision.
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
    decision = DecisionRepository(session, workspace_id).add(Decision(
        workspace_id=workspace_id, kind=body.kind, rationale=body.rationale,
        escalation_id=esc.id if esc else None, review_id=review.id if review else None,
        subject_kind=subject[0], subject_id=subject[1], decided_by_id=decided_by_person.id,
        decided_on=body.decided_on or today or workspace_today(session, workspace_id)))
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
    session.flush()
    about = esc.summary if esc is not None else subject_ref(decision.subject_kind,
                                                            decision.subject_id)
    LadderRepository(session, workspace_id).queue(
        "decision", "", {"decision_id": format_id("decision", decision.id),
                 "escalation_id": None if esc is None else format_id("escalation", esc.id),
                 "subject_id": subject_ref(decision.subject_kind, decision.subject_id),
                 "kind": str(decision.kind), "rationale": decision.rationale,
                 "title": f"{by} decided ({decision.kind}) on {about}"}, clock.now())


# --- reviews ----------------------------------------------------------------------------


def create_review(session: Session, workspace_id: int,
                  data: ReviewCreate | dict[str, Any]) -> Review:
    """Schedule a review of the workspace or of an org-unit subtree."""
    body = parse(ReviewCreate, data)
    chair = optional_person(session, workspace_id, body.chair_id, "chair_id")
    unit = optional_org_unit(session, workspace_id, body.org_unit_id, "org_unit_id")
    return ReviewRepository(session, workspace_id).add(Review(
        workspace_id=workspace_id, kind=body.kind, title=body.title,
        scheduled_for=body.scheduled_for, chair_id=chair.id if chair else None,
        org_unit_id=unit.id if unit else None))


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


def build_agenda(session: Session, workspace_id: int, review: Review,
                 changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The agenda of `review`: its subtree's unresolved escalations (highest rung, then
    oldest first), then the metrics of its subtree that moved since the last review
    (`changes` as `changes_since_last_review` returns them; worsened first)."""
    place = PlacementRepository(session, workspace_id)
    units = None if review.org_unit_id is None else place.subtree(review.org_unit_id)
    escalations = list(EscalationRepository(session, workspace_id).unresolved())
    moved: list[dict[str, Any]] = list(changes.get("changes", []))
    metrics = {c["metric_id"]: parse_id(c["metric_id"], "metric", "metric_id") for c in moved}
    if units is not None:
        where = place.units_of([(e.subject_kind, e.subject_id) for e in escalations]
                               + [("metric", k) for k in metrics.values()])
        escalations = [e for e in escalations
                       if where.get((e.subject_kind, e.subject_id)) in units]
        moved = [c for c in moved if where.get(("metric", metrics[c["metric_id"]])) in units]
    items: list[dict[str, Any]] = [{
        "type": "escalation", "escalation_id": format_id("escalation", e.id),
        "state": e.state.value, "rung": e.rung, "signal_kind": e.signal_kind,
        "subject_kind": e.subject_kind, "subject_id": subject_ref(e.subject_kind, e.subject_id),
        "summary": e.summary,
        "assignee_id": None if e.assignee_id is None else format_id("person", e.assignee_id),
        "opened_at": _iso(e.opened_at)} for e in escalations]
    items += [{"type": "change", "since": changes.get("since"), **c} for c in moved]
    return items


def _iso(value: dt.datetime) -> str:
    # SQLite hands datetimes back naive; they were stored as UTC.
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def generate_agenda(session: Session, workspace_id: int, key: int,
                    st: EngineState) -> Review:
    """Regenerate and store a review's agenda from the engine's state `st`."""
    review = ReviewRepository(session, workspace_id).get(key)
    changes = changes_since_last_review(session, workspace_id, st)
    review.agenda = build_agenda(session, workspace_id, review, changes)
    session.flush()
    return review

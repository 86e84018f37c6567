"""Queries of the governance domain: rules, escalations, decisions and reviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from steerco.db.enums import EscalationState
from steerco.db.models import (
    BudgetLine,
    CausalLink,
    Decision,
    Dependency,
    Escalation,
    FindingTriage,
    Initiative,
    Metric,
    MetricObjective,
    Milestone,
    Objective,
    OrgUnit,
    OutboxMessage,
    Person,
    PlannedBenefit,
    Review,
    ReviewAction,
    RoleGrant,
    Rule,
)
from steerco.db.models.accounts import Role
from steerco.db.repository import Repository, key_in

Subject = tuple[str, int]  # (subject kind, key), e.g. ("metric", 42)
_CHUNK = 500


class RuleRepository(Repository[Rule]):
    model = Rule
    kind = "rule"

    def active(self) -> Sequence[Rule]:
        """The rules that are switched on, by key."""
        return self.session.scalars(self.scoped().where(Rule.active.is_(True)).order_by(
            Rule.id)).all()

    def twin_of(self, rule: Rule) -> Rule | None:
        """The oldest other active rule with `rule`'s signal, minimum severity and scope."""
        q = self.scoped().where(
            Rule.active.is_(True), Rule.signal_kind == rule.signal_kind,
            Rule.min_severity == rule.min_severity,
            Rule.metric_id.is_(None) if rule.metric_id is None
            else Rule.metric_id == rule.metric_id,
            Rule.objective_id.is_(None) if rule.objective_id is None
            else Rule.objective_id == rule.objective_id,
            Rule.org_unit_id.is_(None) if rule.org_unit_id is None
            else Rule.org_unit_id == rule.org_unit_id)
        if rule.id is not None:
            q = q.where(Rule.id != rule.id)
        with self.session.no_autoflush:
            return self.session.scalars(q.order_by(Rule.id).limit(1)).first()


class EscalationRepository(Repository[Escalation]):
    model = Escalation
    kind = "escalation"

    def unresolved(self) -> Sequence[Escalation]:
        """Open and acknowledged escalations, highest rung first, then oldest first."""
        return self.session.scalars(self.scoped().where(
            Escalation.state != EscalationState.RESOLVED).order_by(
            Escalation.rung.desc(), Escalation.opened_at, Escalation.id)).all()

    def unresolved_on(self, subject_kind: str, subject_id: int) -> Sequence[Escalation]:
        """The open and acknowledged escalations about one subject, highest rung first."""
        return self.session.scalars(self.scoped().where(
            Escalation.subject_kind == subject_kind, Escalation.subject_id == subject_id,
            Escalation.state != EscalationState.RESOLVED).order_by(
            Escalation.rung.desc(), Escalation.opened_at, Escalation.id)).all()

    def of_signals(self, kinds: Sequence[str],
                   resolved_since: dt.datetime) -> Sequence[Escalation]:
        """Escalations of these signal kinds (of any rule, or none): unresolved ones, and
        those resolved at or after `resolved_since`, by key."""
        if not kinds:
            return []
        return self.session.scalars(self.scoped().where(
            Escalation.signal_kind.in_(list(kinds)),
            (Escalation.state != EscalationState.RESOLVED)
            | (Escalation.resolved_at >= resolved_since)).order_by(Escalation.id)).all()


class DecisionRepository(Repository[Decision]):
    model = Decision
    kind = "decision"

    def count_for_review(self, review_id: int) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Decision).where(
            Decision.workspace_id == self.workspace_id, Decision.review_id == review_id))
            or 0)

    def of_review(self, review_id: int) -> Sequence[Decision]:
        """The decisions taken at a review, in the order they were recorded."""
        return self.session.scalars(self.scoped().where(
            Decision.review_id == review_id).order_by(Decision.id)).all()

    def decided_between(self, first: dt.date | None, last: dt.date | None) -> Sequence[Decision]:
        """The decisions taken from `first` to `last` (both included; None: open), newest
        first."""
        q = self.scoped()
        if first is not None:
            q = q.where(Decision.decided_on >= first)
        if last is not None:
            q = q.where(Decision.decided_on <= last)
        return self.session.scalars(q.order_by(Decision.decided_on.desc(),
                                               Decision.id.desc())).all()


class ReviewRepository(Repository[Review]):
    model = Review
    kind = "review"

    def __init__(self, session: Session, workspace_id: int,
                 scheduled_from: dt.date | None = None,
                 scheduled_to: dt.date | None = None) -> None:
        super().__init__(session, workspace_id)
        self.scheduled_from = scheduled_from
        self.scheduled_to = scheduled_to

    def scoped(self) -> Select[Any]:
        """Reviews of the workspace, within the scheduled_for range if one was given."""
        q = super().scoped()
        if self.scheduled_from is not None:
            q = q.where(Review.scheduled_for >= self.scheduled_from)
        if self.scheduled_to is not None:
            q = q.where(Review.scheduled_for <= self.scheduled_to)
        return q

    def previous_closed(self, review: Review) -> Review | None:
        """The latest closed review of the same series as `review` (same kind, same org
        unit) scheduled on or before it; None for the first of its series."""
        q = super().scoped().where(
            Review.kind == review.kind, Review.id != review.id,
            Review.closed_at.is_not(None), Review.scheduled_for <= review.scheduled_for)
        q = q.where(Review.org_unit_id.is_(None) if review.org_unit_id is None
                    else Review.org_unit_id == review.org_unit_id)
        return self.session.scalars(q.order_by(Review.scheduled_for.desc(),
                                               Review.closed_at.desc()).limit(1)).first()


    def earlier_in_series(self, review: Review) -> Sequence[Review]:
        """The reviews of `review`'s series (same kind, same org unit) scheduled before
        it (on the same day: recorded before it), latest first."""
        q = super().scoped().where(
            Review.kind == review.kind, Review.id != review.id,
            (Review.scheduled_for < review.scheduled_for)
            | ((Review.scheduled_for == review.scheduled_for) & (Review.id < review.id)))
        q = q.where(Review.org_unit_id.is_(None) if review.org_unit_id is None
                    else Review.org_unit_id == review.org_unit_id)
        return self.session.scalars(q.order_by(Review.scheduled_for.desc(),
                                               Review.id.desc())).all()

    def latest_in_series(self, review: Review) -> Review:
        """The latest scheduled review of `review`'s series (same kind and org unit; on
        the same day: the later recorded) — `review` itself when none comes after it."""
        q = super().scoped().where(Review.kind == review.kind)
        q = q.where(Review.org_unit_id.is_(None) if review.org_unit_id is None
                    else Review.org_unit_id == review.org_unit_id)
        return self.session.scalars(q.order_by(Review.scheduled_for.desc(),
                                               Review.id.desc()).limit(1)).first() or review

    def latest_per_series(self) -> Sequence[Review]:
        """The latest scheduled review of every series (kind, org unit)."""
        last = select(Review.kind, Review.org_unit_id,
                      func.max(Review.scheduled_for).label("day")).where(
            Review.workspace_id == self.workspace_id).group_by(
            Review.kind, Review.org_unit_id).subquery()
        rows = self.session.scalars(super().scoped().join(last, (
            Review.kind == last.c.kind) & (Review.scheduled_for == last.c.day) & (
            (Review.org_unit_id == last.c.org_unit_id)
            | (Review.org_unit_id.is_(None) & last.c.org_unit_id.is_(None)))).order_by(
            Review.id.desc())).all()
        seen: set[tuple[Any, int | None]] = set()
        out = []
        for r in rows:  # two reviews of a series on its last day: the later recorded
            if (r.kind, r.org_unit_id) not in seen:
                seen.add((r.kind, r.org_unit_id))
                out.append(r)
        return out


class ReviewActionRepository(Repository[ReviewAction]):
    model = ReviewAction
    kind = "review_action"

    def of_review(self, review_id: int) -> Sequence[ReviewAction]:
        """The actions recorded at a review, in the order they were recorded."""
        return self.session.scalars(self.scoped().where(
            ReviewAction.review_id == review_id).order_by(ReviewAction.id)).all()

    def of_reviews(self, review_ids: Sequence[int]) -> Sequence[ReviewAction]:
        """The actions recorded at any of these reviews, by due date."""
        if not review_ids:
            return []
        return self.session.scalars(self.scoped().where(
            key_in(self.session, ReviewAction.review_id, list(review_ids))).order_by(
            ReviewAction.due_on, ReviewAction.id)).all()

    def open_of(self, person_id: int) -> Sequence[ReviewAction]:
        """The actions `person_id` owns that are not done, soonest due first."""
        return self.session.scalars(self.scoped().where(
            ReviewAction.owner_id == person_id, ReviewAction.done.is_(False)).order_by(
            ReviewAction.due_on, ReviewAction.id)).all()


class PlacementRepository:
    """Where subjects sit in the org tree (for a review's subtree), in bulk."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def subtree(self, root: int) -> set[int]:
        """`root` and every org unit below it."""
        children: dict[int, list[int]] = {}
        for key, parent in self.session.execute(select(OrgUnit.id, OrgUnit.parent_id).where(
                OrgUnit.workspace_id == self.workspace_id)):
            if parent is not None:
                children.setdefault(parent, []).append(key)
        out, todo = {root}, [root]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    def units_of(self, subjects: Iterable[Subject]) -> dict[Subject, int | None]:
        """The org unit of each subject: a metric's (or causal link's driven metric's) is
        its owner's, a milestone's or benefit's its initiative's, a dependency's its
        consumer's; a subject of another kind or not found has None."""
        by_kind: dict[str, set[int]] = {}
        for kind, key in subjects:
            by_kind.setdefault(kind, set()).add(key)
        out: dict[Subject, int | None] = {}
        for kind, keys in by_kind.items():
            query = self._unit_query(kind)
            ordered = sorted(keys)
            for i in range(0, len(ordered), _CHUNK):
                if query is None:
                    break
                chunk = ordered[i:i + _CHUNK]
                for key, unit in self.session.execute(query(chunk)):
                    out[(kind, int(key))] = None if unit is None else int(unit)
        return out

    def _unit_query(self, kind: str) -> Any:
        ws = self.workspace_id
        owner = aliased(Person)
        if kind == "metric":
            return lambda keys: select(Metric.id, owner.org_unit_id).outerjoin(
                owner, owner.id == Metric.owner_id).where(
                Metric.workspace_id == ws, Metric.id.in_(keys))
        if kind == "causal_link":
            return lambda keys: select(CausalLink.id, owner.org_unit_id).join(
                Metric, Metric.id == CausalLink.driven_id).outerjoin(
                owner, owner.id == Metric.owner_id).where(
                CausalLink.workspace_id == ws, CausalLink.id.in_(keys))
        if kind in ("objective", "initiative", "budget_line"):
            model: Any = {"objective": Objective, "initiative": Initiative,
                          "budget_line": BudgetLine}[kind]
            return lambda keys: select(model.id, model.org_unit_id).where(
                model.workspace_id == ws, model.id.in_(keys))
        if kind in ("milestone", "benefit"):
            child: Any = Milestone if kind == "milestone" else PlannedBenefit
            return lambda keys: select(child.id, Initiative.org_unit_id).join(
                Initiative, Initiative.id == child.initiative_id).where(
                child.workspace_id == ws, child.id.in_(keys))
        if kind == "dependency":
            direct, via = aliased(Initiative), aliased(Initiative)
            return lambda keys: select(
                Dependency.id, func.coalesce(direct.org_unit_id, via.org_unit_id)).outerjoin(
                direct, direct.id == Dependency.consumer_initiative_id).outerjoin(
                Milestone, Milestone.id == Dependency.consumer_milestone_id).outerjoin(
                via, via.id == Milestone.initiative_id).where(
                Dependency.workspace_id == ws, Dependency.id.in_(keys))
        return None


class LadderRepository:
    """What the escalation ladder reads beyond rules and escalations, and its outbox."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def metrics_of_objective(self, objective_id: int) -> set[int]:
        """Keys of the metrics that measure `objective_id`."""
        return {int(k) for k in self.session.scalars(select(MetricObjective.metric_id).where(
            MetricObjective.workspace_id == self.workspace_id,
            MetricObjective.objective_id == objective_id))}

    def steering_committee(self) -> list[int]:
        """Active strategy-office role holders, workspace-wide grants first, by key."""
        rows = self.session.execute(select(RoleGrant.person_id, RoleGrant.org_unit_id).join(
            Person, Person.id == RoleGrant.person_id).where(
            RoleGrant.workspace_id == self.workspace_id,
            RoleGrant.role == Role.STRATEGY_OFFICE, Person.active.is_(True)).order_by(
            RoleGrant.org_unit_id.is_not(None), RoleGrant.person_id)).all()
        out: list[int] = []
        for person, _unit in rows:
            if int(person) not in out:
                out.append(int(person))
        return out

    def emails(self, people: Iterable[int], active_only: bool = False) -> dict[int, str]:
        """The e-mail address of each of these people in the workspace (only the active
        ones with ``active_only``; the others are missing from the result)."""
        keys = sorted(set(people))
        out: dict[int, str] = {}
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            q = select(Person.id, Person.email).where(
                Person.workspace_id == self.workspace_id,
                key_in(self.session, Person.id, chunk))
            if active_only:
                q = q.where(Person.active.is_(True))
            for key, email in self.session.execute(q):
                out[int(key)] = str(email)
        return out

    def settle_outbox(self, at: dt.datetime) -> int:
        """Mark every message not yet delivered as delivered at `at`, sending nothing
        (the demo's replayed history: nobody is told of it weeks late)."""
        from sqlalchemy import update

        res = self.session.execute(update(OutboxMessage).where(
            OutboxMessage.workspace_id == self.workspace_id,
            OutboxMessage.sent_at.is_(None)).values(sent_at=at))
        return int(getattr(res, "rowcount", 0) or 0)

    def queue(self, kind: str, recipient: str, payload: dict[str, Any],
              now: dt.datetime) -> OutboxMessage:
        """Stage a message in the outbox (in the caller's transaction; a job delivers it)."""
        msg = OutboxMessage(workspace_id=self.workspace_id, kind=kind, recipient=recipient,
                            payload=payload, created_at=now)
        self.session.add(msg)
        return msg


class TriageRepository(Repository[FindingTriage]):
    """What people did about findings, by the finding's stable key."""

    model = FindingTriage
    kind = "finding_triage"

    def by_key(self, key: str) -> FindingTriage | None:
        row: FindingTriage | None = self.session.scalar(
            self.scoped().where(FindingTriage.finding_key == key))
        return row

    def all_by_key(self) -> dict[str, FindingTriage]:
        """Every triage row of the workspace, by finding key (one query)."""
        return {r.finding_key: r for r in self.session.scalars(self.scoped())}

"""JSON routes of the governance domain: rules, escalations, decisions and reviews."""

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.enums import DecisionKind, EscalationState, ReviewKind
from steerco.evidence import service as engine
from steerco.evidence.api import READ_FRESHNESS_S
from steerco.governance.repository import (
    DecisionRepository,
    EscalationRepository,
    ReviewActionRepository,
    ReviewRepository,
    RuleRepository,
    TriageRepository,
)
from steerco.governance.schemas import (
    ActionCreate,
    ActionRead,
    DecisionCreate,
    DecisionRead,
    EscalationAssign,
    EscalationRead,
    EscalationSnooze,
    ItemDiscussed,
    ReviewCreate,
    ReviewRead,
    ReviewUpdate,
    RuleCreate,
    RuleRead,
    RuleUpdate,
    SeriesState,
    SinceLastReview,
)
from steerco.governance.service import (
    SUBJECT_REPOSITORIES,
    acknowledge_escalation,
    add_action,
    archive_rule,
    assign_escalation,
    close_review,
    create_review,
    create_rule,
    decision_subject,
    delete_review,
    end_series,
    generate_agenda,
    record_decision,
    series_end,
    set_action_done,
    set_discussed,
    snooze_escalation,
    subject_ref,
    update_review,
    update_rule,
)
from steerco.governance.triage import TriageRequest, triage_finding, triage_subject
from steerco.http.auth import Ctx, Reader, Writer
from steerco.http.items import IdPath, item_routes
from steerco.http.page_cache import cached_list
from steerco.http.rest import (
    CURSOR,
    LIMIT,
    READ_ERRORS,
    VERSIONED_ERRORS,
    WRITE_ERRORS,
    IfMatch,
    Page,
    Scope,
    check_version,
    decode_cursor,
    optional_unit,
    page_of,
    path_key,
    read,
    ref_filter,
    set_etag,
    sort_query,
    stale_guard,
    unit_moves,
)
from steerco.kit.errors import Forbidden
from steerco.kit.ids import format_id, parse_id
from steerco.org.service import workspace_today
from steerco.views.decisions import subject_reading
from steerco.views.work import WORK

router = APIRouter(tags=["governance"])
Ref = Annotated[str | None, Query(max_length=40)]
Kind = Annotated[str | None, Query(max_length=64, pattern="^[a-z_]+$")]
#: The agenda is derived state, so regenerating it may skip If-Match (checked when sent).
OptionalIfMatch = Header(default=None, alias="If-Match", max_length=100,
                         description="Optional: the ETag of the version you read")


def _version(ctx: Ctx, repo: Any, key: int) -> Any:
    def version(s: Session) -> int | None:
        row = repo(s, ctx.ws).find(key)
        return None if row is None else int(row.version)
    return version


# --- rules ------------------------------------------------------------------------------


@router.get("/rules", response_model=Page[RuleRead], responses=READ_ERRORS,
            summary="List escalation rules")
@cached_list("rules")
def list_rules(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
               sort: str = sort_query(["id", "name", "signal_kind"]),
               signal_kind: Kind = None, active: bool | None = None, metric_id: Ref = None,
               objective_id: Ref = None, org_unit_id: Ref = None) -> Response:
    with ctx.read() as s:
        repo = RuleRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"signal_kind": signal_kind, "active": active,
                          "metric_id": ref_filter(metric_id, "metric", "metric_id"),
                          "objective_id": ref_filter(objective_id, "objective",
                                                     "objective_id"),
                          "org_unit_id": ref_filter(org_unit_id, "org_unit", "org_unit_id")})
        return page_of(list(rows), limit, sort, lambda r: read(RuleRead, r))


@router.post("/rules", status_code=201, response_model=RuleRead, responses=WRITE_ERRORS,
             summary="Add an escalation rule (org_unit_id limits it to a subtree)")
def post_rule(body: RuleCreate, ctx: Writer, response: Response) -> RuleRead:
    with ctx.write() as s:
        ctx.principal.require(s, "model", optional_unit(body.org_unit_id))
        row = create_rule(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(RuleRead, row)


item_routes(router, path="/rules", kind="rule", repo=RuleRepository, model=RuleRead,
            scope=scopes.of_rule, update=(RuleUpdate, update_rule, "model"),
            new_units=unit_moves,
            delete=(lambda s, ws, key: archive_rule(s, ws, key), "model",
                    "Archive a rule (active=false; the escalations it opened stay)"))


# --- escalations ------------------------------------------------------------------------


def _escalation(_s: Session, _ws: int, row: Any) -> EscalationRead:
    return read(EscalationRead, row, subject_id=subject_ref(row.subject_kind, row.subject_id))


@router.get("/escalations", response_model=Page[EscalationRead], responses=READ_ERRORS,
            summary="List escalations (opened by the engine's ladder)")
@cached_list("escalations")
def list_escalations(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                     sort: str = sort_query(["id", "opened_at"]),
                     state: EscalationState | None = None, assignee_id: Ref = None,
                     subject_kind: Kind = None, signal_kind: Kind = None) -> Response:
    with ctx.read() as s:
        repo = EscalationRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"state": state,
                          "assignee_id": ref_filter(assignee_id, "person", "assignee_id"),
                          "subject_kind": subject_kind, "signal_kind": signal_kind})
        return page_of(list(rows), limit, sort, lambda r: _escalation(s, ctx.ws, r))


item_routes(router, path="/escalations", kind="escalation", repo=EscalationRepository,
            model=EscalationRead, scope=scopes.of_escalation, to_read=_escalation)


@router.post("/escalations/{id}/acknowledge", response_model=EscalationRead,
             responses=VERSIONED_ERRORS,
             summary="Acknowledge an escalation (its assignee, or who may steer its subject)")
def post_acknowledge(id: IdPath, ctx: Writer, response: Response,
                     if_match: str | None = IfMatch) -> EscalationRead:
    key = path_key(id, "escalation")
    with stale_guard(ctx, _version(ctx, EscalationRepository, key)), ctx.write() as s:
        row = EscalationRepository(s, ctx.ws).get(key)
        sc = scopes.of_escalation(s, ctx.ws, row)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        check_version(row.version, if_match)
        row = acknowledge_escalation(s, ctx.ws, key)
        set_etag(response, row.version)
        return _escalation(s, ctx.ws, row)


@router.post("/escalations/{id}/assign", response_model=EscalationRead,
             responses=VERSIONED_ERRORS,
             summary="Hand an escalation to a person (who must acknowledge it afresh)")
def post_assign(id: IdPath, body: EscalationAssign, ctx: Writer, response: Response,
                if_match: str | None = IfMatch) -> EscalationRead:
    key = path_key(id, "escalation")
    with stale_guard(ctx, _version(ctx, EscalationRepository, key)), ctx.write() as s:
        row = EscalationRepository(s, ctx.ws).get(key)
        sc = scopes.of_escalation(s, ctx.ws, row)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        check_version(row.version, if_match)
        row = assign_escalation(s, ctx.ws, key, body)
        set_etag(response, row.version)
        return _escalation(s, ctx.ws, row)


@router.post("/escalations/{id}/snooze", response_model=EscalationRead,
             responses=VERSIONED_ERRORS,
             summary="Snooze an escalation until a later day, with a reason")
def post_snooze(id: IdPath, body: EscalationSnooze, ctx: Writer, response: Response,
                if_match: str | None = IfMatch) -> EscalationRead:
    key = path_key(id, "escalation")
    with stale_guard(ctx, _version(ctx, EscalationRepository, key)), ctx.write() as s:
        row = EscalationRepository(s, ctx.ws).get(key)
        sc = scopes.of_escalation(s, ctx.ws, row)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        check_version(row.version, if_match)
        row = snooze_escalation(s, ctx.ws, key, body)
        set_etag(response, row.version)
        return _escalation(s, ctx.ws, row)


# --- finding triage ---------------------------------------------------------------------


class TriageBody(TriageRequest):
    finding_key: str = Field(min_length=3, max_length=200,
                             description="KIND:SUBJECT, like `stale_metric:met_12` (the "
                                         "`key` of a finding)")


class TriageRead(BaseModel):
    finding_key: str
    state: str | None
    assignee_id: str | None
    snoozed_until: dt.date | None
    snooze_reason: str | None
    seen_severity: int | None
    seen_on: dt.date | None
    by_id: str | None
    version: int


def _triage(row: Any) -> TriageRead:
    return TriageRead(
        finding_key=row.finding_key, state=None if row.state is None else row.state.value,
        assignee_id=None if row.assignee_id is None else format_id("person", row.assignee_id),
        snoozed_until=row.snoozed_until, snooze_reason=row.snooze_reason,
        seen_severity=row.seen_severity, seen_on=row.seen_on,
        by_id=None if row.by_id is None else format_id("person", row.by_id),
        version=row.version)


@router.get("/finding-triage", response_model=list[TriageRead], responses=READ_ERRORS,
            summary="What people did about findings (acknowledged, assigned, snoozed, "
                    "accepted), by finding key")
def list_triage(ctx: Reader) -> list[TriageRead]:
    with ctx.read() as s:
        return [_triage(r) for r in TriageRepository(s, ctx.ws).all_by_key().values()]


@router.post("/finding-triage", response_model=TriageRead, responses=WRITE_ERRORS,
             summary="Acknowledge, assign, snooze (until a day, with a reason), accept or "
                     "reopen a finding")
def post_triage(body: TriageBody, ctx: Writer) -> TriageRead:
    kind, subject = triage_subject(body.finding_key)
    with ctx.write() as s:
        if kind in SUBJECT_REPOSITORIES and subject is not None:
            SUBJECT_REPOSITORIES[kind](s, ctx.ws).require(subject, "finding_key")
        sc = scopes.of_subject(s, ctx.ws, kind, subject)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        request = TriageRequest.model_validate(body.model_dump(exclude={"finding_key"}))
        row = triage_finding(s, ctx.ws, body.finding_key, request,
                             ctx.principal.person_id)
        return _triage(row)


# --- decisions --------------------------------------------------------------------------


def _decision(_s: Session, _ws: int, row: Any) -> DecisionRead:
    return read(DecisionRead, row, subject_id=subject_ref(row.subject_kind, row.subject_id))


@router.get("/decisions", response_model=Page[DecisionRead], responses=READ_ERRORS,
            summary="List decisions")
@cached_list("decisions")
def list_decisions(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                   sort: str = sort_query(["id", "decided_on"]), escalation_id: Ref = None,
                   review_id: Ref = None,
                   kind: DecisionKind | None = None) -> Response:
    with ctx.read() as s:
        repo = DecisionRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"escalation_id": ref_filter(escalation_id, "escalation",
                                                      "escalation_id"),
                          "review_id": ref_filter(review_id, "review", "review_id"),
                          "kind": kind})
        return page_of(list(rows), limit, sort, lambda r: _decision(s, ctx.ws, r))


@router.post("/decisions", status_code=201, response_model=DecisionRead,
             responses=WRITE_ERRORS,
             summary="Record a decision (one about an escalation resolves it)")
def post_decision(body: DecisionCreate, ctx: Writer, response: Response) -> DecisionRead:
    with ctx.write() as s:
        if body.escalation_id is not None:
            sc = scopes.of_escalation_id(s, ctx.ws, parse_id(body.escalation_id, "escalation",
                                                             "escalation_id"))
        else:
            subject = decision_subject(body)
            sc = scopes.of_subject(s, ctx.ws, *subject) if subject else Scope(None)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        row = record_decision(s, ctx.ws, body, ctx.principal.person_id,
                              subject_then=subject_reading(s, ctx.ws, decision_subject(
                                  body) if body.escalation_id is None else None,
                                  body.escalation_id))
        set_etag(response, row.version)
        return _decision(s, ctx.ws, row)


# Decisions are append-only: no PATCH, no DELETE.
item_routes(router, path="/decisions", kind="decision", repo=DecisionRepository,
            model=DecisionRead, scope=scopes.workspace_level, to_read=_decision)


# --- reviews ----------------------------------------------------------------------------


@router.get("/reviews", response_model=Page[ReviewRead], responses=READ_ERRORS,
            summary="List governance reviews")
@cached_list("reviews")
def list_reviews(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                 sort: str = sort_query(["id", "scheduled_for"]),
                 kind: ReviewKind | None = None, org_unit_id: Ref = None,
                 scheduled_from: Annotated[dt.date | None, Query(
                     alias="from", description="Scheduled on or after")] = None,
                 scheduled_to: Annotated[dt.date | None, Query(
                     alias="to", description="Scheduled on or before")] = None,
                 ) -> Response:
    with ctx.read() as s:
        repo = ReviewRepository(s, ctx.ws, scheduled_from, scheduled_to)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"kind": kind,
                          "org_unit_id": ref_filter(org_unit_id, "org_unit", "org_unit_id")})
        return page_of(list(rows), limit, sort, lambda r: read(ReviewRead, r))


@router.post("/reviews", status_code=201, response_model=ReviewRead, responses=WRITE_ERRORS,
             summary="Schedule a review (org_unit_id: the subtree it reviews)")
def post_review(body: ReviewCreate, ctx: Writer, response: Response) -> ReviewRead:
    with ctx.write() as s:
        ctx.principal.require(s, "model", optional_unit(body.org_unit_id))
        row = create_review(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(ReviewRead, row)


item_routes(router, path="/reviews", kind="review", repo=ReviewRepository, model=ReviewRead,
            scope=scopes.of_review, update=(ReviewUpdate, update_review, "model"),
            new_units=unit_moves,
            delete=(delete_review, "model",
                    "Delete a review that was not held and has no decisions"))


@router.post("/reviews/{id}/agenda", response_model=ReviewRead, responses=VERSIONED_ERRORS,
             summary="Regenerate a review's agenda: open escalations of its subtree and "
                     "what changed since the last review (If-Match optional)")
def post_agenda(id: IdPath, ctx: Writer, response: Response,
                if_match: str | None = OptionalIfMatch) -> ReviewRead:
    key = path_key(id, "review")
    # The engine's state is built (when stale) outside the write transaction.
    with ctx.read() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        st = engine.CACHE.state(s, ctx.ws, fresh_within=READ_FRESHNESS_S)
        found = WORK.get(s, ctx.ws).findings
    with stale_guard(ctx, _version(ctx, ReviewRepository, key)), ctx.write() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        if if_match is not None:
            check_version(row.version, if_match)
        row = generate_agenda(s, ctx.ws, key, st, found)
        set_etag(response, row.version)
        return read(ReviewRead, row)


@router.post("/reviews/{id}/discussed", response_model=ReviewRead, responses=VERSIONED_ERRORS,
             summary="Mark an agenda item discussed (or not) in the meeting (If-Match "
                     "optional)")
def post_discussed(id: IdPath, body: ItemDiscussed, ctx: Writer, response: Response,
                   if_match: str | None = OptionalIfMatch) -> ReviewRead:
    key = path_key(id, "review")
    with stale_guard(ctx, _version(ctx, ReviewRepository, key)), ctx.write() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        if if_match is not None:
            check_version(row.version, if_match)
        row = set_discussed(s, ctx.ws, key, body)
        set_etag(response, row.version)
        return read(ReviewRead, row)


@router.get("/reviews/{id}/actions", response_model=list[ActionRead], responses=READ_ERRORS,
            summary="The actions recorded at a review")
def get_actions(id: IdPath, ctx: Reader) -> list[ActionRead]:
    key = path_key(id, "review")
    with ctx.read() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        today = workspace_today(s, ctx.ws)
        return [_action(a, today) for a in ReviewActionRepository(s, ctx.ws).of_review(
            row.id)]


@router.post("/reviews/{id}/actions", status_code=201, response_model=ActionRead,
             responses=WRITE_ERRORS,
             summary="Record an action at a review: title, owner, due date, agenda item")
def post_action(id: IdPath, body: ActionCreate, ctx: Writer, response: Response) -> ActionRead:
    key = path_key(id, "review")
    with ctx.write() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        action = add_action(s, ctx.ws, key, body)
        set_etag(response, action.version)
        return _action(action, workspace_today(s, ctx.ws))


@router.post("/reviews/{id}/close", response_model=ReviewRead, responses=VERSIONED_ERRORS,
             summary="Close a review: record its forecasts and statuses and the findings "
                     "it saw, for the next review of its series to compare against")
def post_close(id: IdPath, ctx: Writer, response: Response,
               if_match: str | None = OptionalIfMatch) -> ReviewRead:
    key = path_key(id, "review")
    with ctx.read() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        st = engine.CACHE.state(s, ctx.ws, fresh_within=READ_FRESHNESS_S)
        found = WORK.get(s, ctx.ws).findings
    with stale_guard(ctx, _version(ctx, ReviewRepository, key)), ctx.write() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        if if_match is not None:
            check_version(row.version, if_match)
        row = close_review(s, ctx.ws, key, st, found)
        set_etag(response, row.version)
        return read(ReviewRead, row)


def _action(a: Any, today: dt.date) -> ActionRead:
    return read(ActionRead, a, overdue=not a.done and a.due_on < today)


#: Who may mark an action done or reopen it: its owner, or whoever runs its review.
ACTION_REFUSED = ("only the action's owner, or the strategy office (or an admin) over its "
                  "review's org unit, can mark it done or reopen it")


def _mark(id: str, ctx: Writer, response: Response, if_match: str | None,
          done: bool) -> ActionRead:
    key = path_key(id, "review_action")
    with stale_guard(ctx, _version(ctx, ReviewActionRepository, key)), ctx.write() as s:
        action = ReviewActionRepository(s, ctx.ws).get(key)
        review = ReviewRepository(s, ctx.ws).get(action.review_id)
        if action.owner_id != ctx.principal.person_id and not ctx.principal.can(
                s, "model", scopes.of_review(s, ctx.ws, review).unit):
            raise Forbidden(ACTION_REFUSED)
        if if_match is not None:
            check_version(action.version, if_match)
        today = workspace_today(s, ctx.ws)
        action = set_action_done(s, ctx.ws, key, done, ctx.principal.person_id, today)
        set_etag(response, action.version)
        return _action(action, today)


@router.post("/review-actions/{id}/done", response_model=ActionRead,
             responses=VERSIONED_ERRORS,
             summary="Mark an action of a review done (its owner, or whoever runs the "
                     "review; If-Match optional)")
def post_action_done(id: IdPath, ctx: Writer, response: Response,
                     if_match: str | None = OptionalIfMatch) -> ActionRead:
    return _mark(id, ctx, response, if_match, True)


@router.post("/review-actions/{id}/reopen", response_model=ActionRead,
             responses=VERSIONED_ERRORS,
             summary="Reopen an action marked done by mistake (If-Match optional)")
def post_action_reopen(id: IdPath, ctx: Writer, response: Response,
                       if_match: str | None = OptionalIfMatch) -> ActionRead:
    return _mark(id, ctx, response, if_match, False)


@router.get("/me/review-actions", response_model=list[ActionRead], responses=READ_ERRORS,
            summary="Your open actions from reviews, soonest due first (`overdue` flagged)")
def get_my_actions(ctx: Reader) -> list[ActionRead]:
    with ctx.read() as s:
        today = workspace_today(s, ctx.ws)
        return [_action(a, today) for a in ReviewActionRepository(s, ctx.ws).open_of(
            ctx.principal.person_id)]


@router.get("/reviews/{id}/since-last-review", response_model=SinceLastReview,
            responses=READ_ERRORS,
            summary="What a review follows up: actions of earlier reviews of its series "
                    "done since the previous one or still open, and the decisions taken "
                    "in its scope since then")
def get_since_last_review(id: IdPath, ctx: Reader) -> SinceLastReview:
    from steerco.governance.followup import since_last_review

    key = path_key(id, "review")
    with ctx.read() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        today = workspace_today(s, ctx.ws)
        f = since_last_review(s, ctx.ws, row)
        return SinceLastReview(
            review_id=format_id("review", row.id),
            previous_review_id=None if f.previous is None
            else format_id("review", f.previous.id), since=f.since,
            actions=[_action(a, today) for a in f.actions],
            decisions=[_decision(s, ctx.ws, d) for d in f.decisions],
            more_decisions=f.more)


def _series(id: str, ctx: Writer, ended: bool) -> SeriesState:
    key = path_key(id, "review")
    with ctx.write() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", scopes.of_review(s, ctx.ws, row).unit)
        last = end_series(s, ctx.ws, key, ended, ctx.principal.person_id,
                          workspace_today(s, ctx.ws))
        mark = series_end(last)
        return SeriesState(
            review_id=format_id("review", last.id), ended=mark is not None,
            ended_on=dt.date.fromisoformat(mark["on"]) if mark else None,
            ended_by_id=format_id("person", mark["by"]) if mark and mark.get("by") else None)


@router.post("/reviews/{id}/series/end", response_model=SeriesState, responses=WRITE_ERRORS,
             summary="End the review's series (kind and org unit): the daily `reviews` job "
                     "schedules no more of it (undone by /series/resume)")
def post_series_end(id: IdPath, ctx: Writer) -> SeriesState:
    return _series(id, ctx, True)


@router.post("/reviews/{id}/series/resume", response_model=SeriesState,
             responses=WRITE_ERRORS,
             summary="Resume an ended review series: its next review is scheduled again")
def post_series_resume(id: IdPath, ctx: Writer) -> SeriesState:
    return _series(id, ctx, False)

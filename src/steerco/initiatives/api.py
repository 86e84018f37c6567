"""JSON routes of the initiatives domain: initiatives, milestones, planned benefits."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.enums import BenefitKind, InitiativeKind, StageGate
from steerco.http.auth import Reader, Writer
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
from steerco.initiatives.repository import (
    BenefitRepository,
    InitiativeRepository,
    MilestoneRepository,
)
from steerco.initiatives.schemas import (
    BenefitCreate,
    BenefitRead,
    BenefitSignOff,
    BenefitUpdate,
    InitiativeCreate,
    InitiativeRead,
    InitiativeUpdate,
    MetricLinkIn,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
    StageMove,
)
from steerco.initiatives.service import (
    add_benefit,
    add_milestone,
    create_initiative,
    delete_benefit,
    delete_milestone,
    link_metric,
    move_stage,
    sign_off_benefit,
    stop_initiative,
    unlink_metric,
    update_benefit,
    update_initiative,
    update_milestone,
)
from steerco.kit.ids import parse_id

router = APIRouter(tags=["initiatives"])
Ref = Annotated[str | None, Query(max_length=40)]


@router.get("/initiatives", response_model=Page[InitiativeRead], responses=READ_ERRORS,
            summary="List initiatives")
@cached_list("initiatives")
def list_initiatives(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                     sort: str = sort_query(["id", "name"]), owner_id: Ref = None,
                     org_unit_id: Ref = None, stage: StageGate | None = None,
                     kind: InitiativeKind | None = None,
                     stopped: bool | None = None) -> Response:
    with ctx.read() as s:
        repo = InitiativeRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"owner_id": ref_filter(owner_id, "person", "owner_id"),
                          "org_unit_id": ref_filter(org_unit_id, "org_unit", "org_unit_id"),
                          "stage": stage, "kind": kind, "stopped": stopped})
        return page_of(list(rows), limit, sort, lambda r: read(InitiativeRead, r))


@router.post("/initiatives", status_code=201, response_model=InitiativeRead,
             responses=WRITE_ERRORS, summary="Add an initiative")
def post_initiative(body: InitiativeCreate, ctx: Writer, response: Response) -> InitiativeRead:
    with ctx.write() as s:
        unit = optional_unit(body.org_unit_id)
        ctx.principal.require(s, "model", unit)
        row = create_initiative(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(InitiativeRead, row)


item_routes(router, path="/initiatives", kind="initiative", repo=InitiativeRepository,
            model=InitiativeRead, scope=scopes.of_initiative,
            update=(InitiativeUpdate, update_initiative, "steer"),
            new_units=unit_moves,
            delete=(lambda s, ws, key: stop_initiative(s, ws, key), "steer",
                    "Stop an initiative (kept with its history)"))


@router.post("/initiatives/{id}/stage", response_model=InitiativeRead,
             responses=VERSIONED_ERRORS, summary="Move an initiative through the stage gate")
def post_stage(id: IdPath, body: StageMove, ctx: Writer, response: Response,
               if_match: str | None = IfMatch) -> InitiativeRead:
    key = path_key(id, "initiative")

    def version(s: Session) -> int | None:
        row = InitiativeRepository(s, ctx.ws).find(key)
        return None if row is None else row.version

    with stale_guard(ctx, version), ctx.write() as s:
        row = InitiativeRepository(s, ctx.ws).get(key)
        sc = scopes.of_initiative(s, ctx.ws, row)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        check_version(row.version, if_match)
        row = move_stage(s, ctx.ws, key, body.stage)
        set_etag(response, row.version)
        return read(InitiativeRead, row)


@router.post("/initiatives/{id}/metrics", status_code=204, response_class=Response,
             responses=WRITE_ERRORS, summary="Link a metric the initiative should move")
def post_initiative_metric(id: IdPath, body: MetricLinkIn, ctx: Writer) -> Response:
    key = path_key(id, "initiative")
    with ctx.write() as s:
        row = InitiativeRepository(s, ctx.ws).get(key)
        sc = scopes.of_initiative(s, ctx.ws, row)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        link_metric(s, ctx.ws, key, body.metric_id)
    return Response(status_code=204)


@router.delete("/initiatives/{id}/metrics/{metric_id}", status_code=204,
               response_class=Response, responses=WRITE_ERRORS,
               summary="Unlink a metric (the initiative is no longer expected to move it)")
def delete_initiative_metric(id: IdPath, metric_id: IdPath, ctx: Writer) -> Response:
    key = path_key(id, "initiative")
    with ctx.write() as s:
        row = InitiativeRepository(s, ctx.ws).get(key)
        sc = scopes.of_initiative(s, ctx.ws, row)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        unlink_metric(s, ctx.ws, key, path_key(metric_id, "metric"))
    return Response(status_code=204)


@router.get("/milestones", response_model=Page[MilestoneRead], responses=READ_ERRORS,
            summary="List milestones")
@cached_list("milestones")
def list_milestones(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                    sort: str = sort_query(["id", "name", "due_date"]),
                    initiative_id: Ref = None, owner_id: Ref = None) -> Response:
    with ctx.read() as s:
        repo = MilestoneRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"initiative_id": ref_filter(initiative_id, "initiative",
                                                      "initiative_id"),
                          "owner_id": ref_filter(owner_id, "person", "owner_id")})
        return page_of(list(rows), limit, sort, lambda r: read(MilestoneRead, r))


@router.post("/milestones", status_code=201, response_model=MilestoneRead,
             responses=WRITE_ERRORS, summary="Add a milestone to an initiative")
def post_milestone(body: MilestoneCreate, ctx: Writer, response: Response) -> MilestoneRead:
    with ctx.write() as s:
        ini = parse_id(body.initiative_id, "initiative", "initiative_id")
        sc = scopes.of_initiative_id(s, ctx.ws, ini)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        row = add_milestone(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(MilestoneRead, row)


item_routes(router, path="/milestones", kind="milestone", repo=MilestoneRepository,
            model=MilestoneRead, scope=scopes.of_milestone,
            update=(MilestoneUpdate, update_milestone, "steer"),
            delete=(delete_milestone, "steer", "Delete a milestone and its dependencies"))


@router.get("/benefits", response_model=Page[BenefitRead], responses=READ_ERRORS,
            summary="List planned benefits")
@cached_list("planned_benefits")
def list_benefits(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                  sort: str = sort_query(["id", "due_date", "amount"]),
                  initiative_id: Ref = None, metric_id: Ref = None,
                  budget_line_id: Ref = None,
                  kind: BenefitKind | None = None) -> Response:
    with ctx.read() as s:
        repo = BenefitRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"initiative_id": ref_filter(initiative_id, "initiative",
                                                      "initiative_id"),
                          "metric_id": ref_filter(metric_id, "metric", "metric_id"),
                          "budget_line_id": ref_filter(budget_line_id, "budget_line",
                                                       "budget_line_id"),
                          "kind": kind})
        return page_of(list(rows), limit, sort, lambda r: read(BenefitRead, r))


@router.post("/benefits", status_code=201, response_model=BenefitRead,
             responses=WRITE_ERRORS, summary="Add a planned benefit to an initiative")
def post_benefit(body: BenefitCreate, ctx: Writer, response: Response) -> BenefitRead:
    with ctx.write() as s:
        ini = parse_id(body.initiative_id, "initiative", "initiative_id")
        sc = scopes.of_initiative_id(s, ctx.ws, ini)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        row = add_benefit(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(BenefitRead, row)


item_routes(router, path="/benefits", kind="benefit", repo=BenefitRepository,
            model=BenefitRead, scope=scopes.of_benefit,
            update=(BenefitUpdate, update_benefit, "steer"),
            delete=(delete_benefit, "steer", "Delete a planned benefit (not signed off)"))


@router.post("/benefits/{id}/sign-off", response_model=BenefitRead,
             responses=VERSIONED_ERRORS,
             summary="A controller signs off the realised amount of a benefit")
def post_sign_off(id: IdPath, body: BenefitSignOff, ctx: Writer, response: Response,
                  if_match: str | None = IfMatch) -> BenefitRead:
    key = path_key(id, "benefit")

    def version(s: Session) -> int | None:
        row = BenefitRepository(s, ctx.ws).find(key)
        return None if row is None else row.version

    with stale_guard(ctx, version), ctx.write() as s:
        row = BenefitRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "signoff", scopes.of_benefit(s, ctx.ws, row).unit)
        check_version(row.version, if_match)
        row = sign_off_benefit(s, ctx.ws, key, body.realised_amount, ctx.principal.person_id)
        set_etag(response, row.version)
        return read(BenefitRead, row)

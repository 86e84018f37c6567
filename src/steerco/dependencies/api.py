"""JSON routes of cross-team dependencies."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.enums import DepType
from steerco.dependencies.repository import DependencyRepository
from steerco.dependencies.schemas import DependencyCreate, DependencyRead, DependencyUpdate
from steerco.dependencies.service import create_dependency, delete_dependency, update_dependency
from steerco.http.auth import Reader, Writer
from steerco.http.items import item_routes
from steerco.http.page_cache import cached_list
from steerco.http.rest import (
    CURSOR,
    LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    Scope,
    decode_cursor,
    page_of,
    read,
    ref_filter,
    set_etag,
    sort_query,
)
from steerco.initiatives.repository import MilestoneRepository
from steerco.kit.ids import format_id, parse_any

router = APIRouter(tags=["dependencies"])
Ref = Annotated[str | None, Query(max_length=40)]


def dependency_read(_s: Session, _ws: int, row: Any) -> DependencyRead:
    prov = (format_id("milestone", row.provider_milestone_id)
            if row.provider_milestone_id is not None
            else format_id("initiative", row.provider_initiative_id))
    cons = (format_id("milestone", row.consumer_milestone_id)
            if row.consumer_milestone_id is not None
            else format_id("initiative", row.consumer_initiative_id))
    return read(DependencyRead, row, provider=prov, consumer=cons)


@router.get("/dependencies", response_model=Page[DependencyRead], responses=READ_ERRORS,
            summary="List dependencies")
@cached_list("dependencies")
def list_dependencies(request: Request, ctx: Reader,
                      limit: int = LIMIT, cursor: str | None = CURSOR,
                      sort: str = sort_query(["id", "lag_days"]),
                      provider_initiative_id: Ref = None, consumer_initiative_id: Ref = None,
                      provider_milestone_id: Ref = None, consumer_milestone_id: Ref = None,
                      dep_type: DepType | None = None) -> Response:
    with ctx.read() as s:
        repo = DependencyRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)), {
            "provider_initiative_id": ref_filter(provider_initiative_id, "initiative",
                                                 "provider_initiative_id"),
            "consumer_initiative_id": ref_filter(consumer_initiative_id, "initiative",
                                                 "consumer_initiative_id"),
            "provider_milestone_id": ref_filter(provider_milestone_id, "milestone",
                                                "provider_milestone_id"),
            "consumer_milestone_id": ref_filter(consumer_milestone_id, "milestone",
                                                "consumer_milestone_id"),
            "dep_type": dep_type})
        return page_of(list(rows), limit, sort, lambda r: dependency_read(s, ctx.ws, r))


def _consumer_scope(s: Session, ws: int, ref: str) -> Scope:
    kind, key = parse_any(ref, "consumer")
    if kind == "milestone":
        ms = MilestoneRepository(s, ws).find(key)
        return Scope(None) if ms is None else scopes.of_milestone(s, ws, ms)
    return scopes.of_initiative_id(s, ws, key if kind == "initiative" else None)


@router.post("/dependencies", status_code=201, response_model=DependencyRead,
             responses=WRITE_ERRORS, summary="Declare that a consumer needs a provider")
def post_dependency(body: DependencyCreate, ctx: Writer,
                    response: Response) -> DependencyRead:
    with ctx.write() as s:
        sc = _consumer_scope(s, ctx.ws, body.consumer)
        ctx.principal.require(s, "steer", sc.unit, sc.owners)
        row = create_dependency(s, ctx.ws, body)
        set_etag(response, row.version)
        return dependency_read(s, ctx.ws, row)


item_routes(router, path="/dependencies", kind="dependency", repo=DependencyRepository,
            model=DependencyRead, scope=scopes.of_dependency, to_read=dependency_read,
            update=(DependencyUpdate, update_dependency, "steer"),
            delete=(delete_dependency, "steer", "Remove a dependency"))

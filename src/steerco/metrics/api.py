"""JSON routes of the metrics domain: metrics, their plans, causal links."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from steerco.db.enums import Cadence, Direction, IndicatorType, MetricKind
from steerco.kit.ids import parse_id
from steerco.metrics.repository import CausalLinkRepository, MetricRepository
from steerco.metrics.schemas import (
    CausalLinkCreate,
    CausalLinkRead,
    CausalLinkUpdate,
    MetricCreate,
    MetricRead,
    MetricUpdate,
    PlanPointIn,
    PlanPointRead,
)
from steerco.metrics.service import (
    add_causal_link,
    create_metric,
    delete_causal_link,
    set_plan,
    update_causal_link,
    update_metric,
)
from steerco.web import scopes
from steerco.web.auth import Reader, Writer
from steerco.web.items import IdPath, item_routes
from steerco.web.rest import (
    CURSOR,
    LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    decode_cursor,
    page_of,
    path_key,
    read,
    ref_filter,
    set_etag,
    sort_query,
)

router = APIRouter(tags=["metrics"])
Ref = Annotated[str | None, Query(max_length=40)]


@router.get("/metrics", response_model=Page[MetricRead], responses=READ_ERRORS,
            summary="List metrics (KPIs and key results)")
def list_metrics(ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                 sort: str = sort_query(["id", "name", "target_date", "baseline_date"]),
                 owner_id: Ref = None, kind: MetricKind | None = None,
                 direction: Direction | None = None, indicator: IndicatorType | None = None,
                 cadence: Cadence | None = None) -> dict[str, object]:
    with ctx.read() as s:
        repo = MetricRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"owner_id": ref_filter(owner_id, "person", "owner_id"),
                          "kind": kind, "direction": direction, "indicator": indicator,
                          "cadence": cadence})
        return page_of(list(rows), limit, sort, lambda r: read(MetricRead, r))


@router.post("/metrics", status_code=201, response_model=MetricRead, responses=WRITE_ERRORS,
             summary="Add a metric with its owner, plan and objectives")
def post_metric(body: MetricCreate, ctx: Writer, response: Response) -> MetricRead:
    with ctx.write() as s:
        owner = parse_id(body.owner_id, "person", "owner_id")
        ctx.principal.require(s, "model", scopes.person_unit(s, ctx.ws, owner))
        row = create_metric(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(MetricRead, row)


def _metric_moves(s: Session, ws: int, body: MetricUpdate) -> list[int | None]:
    if body.owner_id is None:
        return []
    return [scopes.person_unit(s, ws, parse_id(body.owner_id, "person", "owner_id"))]


item_routes(router, path="/metrics", kind="metric", repo=MetricRepository, model=MetricRead,
            scope=scopes.of_metric, update=(MetricUpdate, update_metric, "model"),
            new_units=_metric_moves)


@router.get("/metrics/{id}/plan", response_model=list[PlanPointRead], responses=READ_ERRORS,
            summary="A metric's explicit plan points (empty = linear plan)")
def get_plan(id: IdPath, ctx: Reader) -> list[PlanPointRead]:
    with ctx.read() as s:
        repo = MetricRepository(s, ctx.ws)
        metric = repo.get(path_key(id, "metric"))
        return [PlanPointRead.model_validate({"on": on, "value": v})
                for on, v in repo.plan_of(metric.id)]


@router.put("/metrics/{id}/plan", response_model=list[PlanPointRead], responses=WRITE_ERRORS,
            summary="Replace a metric's explicit plan")
def put_plan(id: IdPath, body: list[PlanPointIn], ctx: Writer) -> list[PlanPointRead]:
    key = path_key(id, "metric")
    with ctx.write() as s:
        repo = MetricRepository(s, ctx.ws)
        sc = scopes.of_metric(s, ctx.ws, repo.get(key))
        ctx.principal.require(s, "model", sc.unit)
        set_plan(s, ctx.ws, key, [p.model_dump() for p in body])
        return [PlanPointRead.model_validate({"on": on, "value": v})
                for on, v in repo.plan_of(key)]


@router.get("/causal-links", response_model=Page[CausalLinkRead], responses=READ_ERRORS,
            summary="List causal links (the driver tree)")
def list_causal_links(ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                      sort: str = sort_query(["id", "lag_days"]), driver_id: Ref = None,
                      driven_id: Ref = None) -> dict[str, object]:
    with ctx.read() as s:
        repo = CausalLinkRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"driver_id": ref_filter(driver_id, "metric", "driver_id"),
                          "driven_id": ref_filter(driven_id, "metric", "driven_id")})
        return page_of(list(rows), limit, sort, lambda r: read(CausalLinkRead, r))


@router.post("/causal-links", status_code=201, response_model=CausalLinkRead,
             responses=WRITE_ERRORS, summary="Record that one metric drives another")
def post_causal_link(body: CausalLinkCreate, ctx: Writer,
                     response: Response) -> CausalLinkRead:
    with ctx.write() as s:
        driven = parse_id(body.driven_id, "metric", "driven_id")
        ctx.principal.require(s, "model", scopes.of_metric_id(s, ctx.ws, driven).unit)
        row = add_causal_link(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(CausalLinkRead, row)


item_routes(router, path="/causal-links", kind="causal_link", repo=CausalLinkRepository,
            model=CausalLinkRead, scope=scopes.of_causal_link,
            update=(CausalLinkUpdate, update_causal_link, "model"),
            delete=(delete_causal_link, "model", "Remove a causal link"))

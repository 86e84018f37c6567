"""JSON routes of the metrics domain: metrics, their plans, delegated updaters, causal links."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.enums import Cadence, Direction, IndicatorType, MetricKind
from steerco.http.auth import Reader, Writer
from steerco.http.items import IdPath, item_routes
from steerco.http.page_cache import cached_list
from steerco.http.rest import (
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
    UpdaterCreate,
    UpdaterRead,
)
from steerco.metrics.service import (
    add_causal_link,
    add_updater,
    create_metric,
    delete_causal_link,
    remove_updater,
    set_plan,
    update_causal_link,
    update_metric,
)

router = APIRouter(tags=["metrics"])
Ref = Annotated[str | None, Query(max_length=40)]


@router.get("/metrics", response_model=Page[MetricRead], responses=READ_ERRORS,
            summary="List metrics (KPIs and key results)")
@cached_list("metrics")
def list_metrics(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                 sort: str = sort_query(["id", "name", "target_date", "baseline_date"]),
                 owner_id: Ref = None, kind: MetricKind | None = None,
                 direction: Direction | None = None, indicator: IndicatorType | None = None,
                 cadence: Cadence | None = None) -> Response:
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
@cached_list("causal_links")
def list_causal_links(request: Request, ctx: Reader,
                      limit: int = LIMIT, cursor: str | None = CURSOR,
                      sort: str = sort_query(["id", "lag_days"]), driver_id: Ref = None,
                      driven_id: Ref = None) -> Response:
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


# --- delegated updaters ---------------------------------------------------------------
# Who may delegate: whoever may check in on the metric in their own right — its owner
# (with any role but viewer) or admin / strategy office over the metric's org unit. The
# check uses the "checkin" action with the owner alone (`scopes.of_metric`), so a delegate
# cannot delegate further, and delegating grants check-ins only, never "steer" or "model".

PersonPath = Annotated[str, Path(max_length=40, description="A person's public id (`per_12`)")]


def _updater_read(row: Any) -> UpdaterRead:
    return read(UpdaterRead, row)


@router.get("/metrics/{id}/updaters", response_model=list[UpdaterRead],
            responses=READ_ERRORS, summary="Who may check in on a metric besides its owner")
def get_updaters(id: IdPath, ctx: Reader) -> list[UpdaterRead]:
    with ctx.read() as s:
        repo = MetricRepository(s, ctx.ws)
        metric = repo.get(path_key(id, "metric"))
        return [_updater_read(r) for r in repo.updater_rows(metric.id)]


@router.post("/metrics/{id}/updaters", status_code=201, response_model=UpdaterRead,
             responses={**WRITE_ERRORS, 200: {"model": UpdaterRead,
                                              "description": "Already an updater: unchanged"}},
             summary="Delegate check-ins on a metric to a person (idempotent)")
def post_updater(id: IdPath, body: UpdaterCreate, ctx: Writer, response: Response) -> Any:
    """Let `person_id` check in on this metric too (check-ins only: not steer or model).

    Allowed to the metric's owner and to admin / strategy office over its org unit; a
    delegate cannot delegate further. Delegating to the owner is refused (422, naming
    `person_id`); delegating again to an updater changes nothing and answers 200. Like an
    owner, a delegate needs a role other than viewer to check in.
    """
    key = path_key(id, "metric")
    with ctx.write() as s:
        metric = MetricRepository(s, ctx.ws).get(key)
        sc = scopes.of_metric(s, ctx.ws, metric)
        ctx.principal.require(s, "checkin", sc.unit, sc.owners)
        row, created = add_updater(s, ctx.ws, key, body)
        if not created:
            response.status_code = 200
        return _updater_read(row)


@router.delete("/metrics/{id}/updaters/{person_id}", status_code=204, responses=WRITE_ERRORS,
               response_class=Response, summary="Withdraw a delegation of check-ins")
def delete_updater(id: IdPath, person_id: PersonPath, ctx: Writer) -> Response:
    """Withdraw it (same rule as delegating); effective from the next request on."""
    key = path_key(id, "metric")
    person = path_key(person_id, "person", "person_id")
    with ctx.write() as s:
        metric = MetricRepository(s, ctx.ws).get(key)
        sc = scopes.of_metric(s, ctx.ws, metric)
        ctx.principal.require(s, "checkin", sc.unit, sc.owners)
        remove_updater(s, ctx.ws, key, person)
    return Response(status_code=204)

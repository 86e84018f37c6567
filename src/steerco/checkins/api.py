"""JSON routes of check-ins: batches of measurements (idempotent), and reading them.

Measurements are append-only: there is no PATCH or DELETE; a correction is a new
check-in naming the measurement it supersedes.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from steerco.accounts.service import request_hash, store_response, stored_response
from steerco.checkins.repository import MeasurementRepository
from steerco.checkins.schemas import CheckinBatch, CheckinResult, MeasurementRead
from steerco.checkins.service import check_in
from steerco.evidence.service import CACHE
from steerco.metrics.service import get_metric
from steerco.web import scopes
from steerco.web.auth import Checkiner, Reader
from steerco.web.items import item_routes
from steerco.web.rest import (
    CURSOR,
    LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    decode_cursor,
    page_of,
    read,
    ref_filter,
    sort_query,
)

router = APIRouter(tags=["check-ins"])
Ref = Annotated[str | None, Query(max_length=40)]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="Any unique string; a retry with the same key and body creates nothing "
                "new and gets the first answer again")]


def _replay(stored: Any) -> JSONResponse:
    body = dict(stored.response)
    body["replayed"] = True
    return JSONResponse(body, status_code=stored.status_code,
                        headers={"Idempotent-Replayed": "true"})


@router.post("/checkins", status_code=201, response_model=CheckinResult,
             responses={**WRITE_ERRORS, 200: {"model": CheckinResult,
                                              "description": "A replayed earlier answer"}},
             summary="Check in: append measurements (all or none), idempotently")
def post_checkins(body: CheckinBatch, ctx: Checkiner,
                  idempotency_key: IdempotencyKey = None) -> Any:
    p = ctx.principal
    digest = request_hash(body.model_dump(mode="json")) if idempotency_key else ""
    try:
        with ctx.write() as s:
            if idempotency_key:
                stored = stored_response(s, ctx.ws, p.actor, idempotency_key, digest)
                if stored is not None:
                    return _replay(stored)
            rows = []
            for i, item in enumerate(body.items):
                metric = get_metric(s, ctx.ws, item.metric_id, f"items.{i}.metric_id")
                sc = scopes.of_metric(s, ctx.ws, metric)
                p.require(s, "checkin", sc.unit, sc.owners)
                rows.append(check_in(s, ctx.ws, item, submitted_by_id=p.person_id))
            out = CheckinResult(items=[read(MeasurementRead, r) for r in rows])
            data = out.model_dump(mode="json")
            if idempotency_key:
                store_response(s, ctx.ws, p.actor, idempotency_key, digest, 201, data)
    except IntegrityError:
        if not idempotency_key:
            raise
        # A concurrent request with the same key committed first: answer as it did.
        with ctx.read() as s:
            stored = stored_response(s, ctx.ws, p.actor, idempotency_key, digest)
        if stored is None:
            raise
        return _replay(stored)
    CACHE.written(ctx.ws)
    return JSONResponse(data, status_code=201)


@router.get("/measurements", response_model=Page[MeasurementRead], responses=READ_ERRORS,
            summary="List measurements (append-only evidence)")
def list_measurements(ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                      sort: str = sort_query(["id", "as_of"]), metric_id: Ref = None,
                      submitted_by_id: Ref = None) -> dict[str, object]:
    with ctx.read() as s:
        repo = MeasurementRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"metric_id": ref_filter(metric_id, "metric", "metric_id"),
                          "submitted_by_id": ref_filter(submitted_by_id, "person",
                                                        "submitted_by_id")})
        return page_of(list(rows), limit, sort, lambda r: read(MeasurementRead, r))


item_routes(router, path="/measurements", kind="measurement", repo=MeasurementRepository,
            model=MeasurementRead, scope=scopes.of_measurement)



"""JSON routes of check-ins: batches of measurements (idempotent), and reading them.

Who may check in on a metric: its owner (whatever their role), its delegated updaters
(`/metrics/{id}/updaters`, with a role other than viewer) and admin / strategy office
over the metric's org unit.

Measurements are append-only: there is no PATCH or DELETE; a correction is a new
check-in naming the measurement it supersedes, and a void (`POST
/measurements/{id}/void`, with a reason) a new row that takes a wrong one out of the
evidence. Both are allowed to whoever may check in on the metric.
"""

from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from steerco.accounts.errors import Forbidden, TooLarge
from steerco.accounts.service import request_hash, store_response, stored_response
from steerco.authz import scopes
from steerco.checkins import files
from steerco.checkins.repository import MeasurementRepository
from steerco.checkins.schemas import (
    CheckinBatch,
    CheckinResult,
    MeasurementCreate,
    MeasurementRead,
    VoidCreate,
)
from steerco.checkins.service import check_in, void_measurement
from steerco.db.models.accounts import Role
from steerco.evidence.service import CACHE
from steerco.http.auth import Checkiner, Reader
from steerco.http.items import IdPath, item_routes
from steerco.http.rest import (
    AUTH_ERRORS,
    CURSOR,
    LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    Problem,
    decode_cursor,
    page_of,
    path_key,
    read,
    ref_filter,
    sort_query,
)
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.kit.ids import parse_id
from steerco.metrics.service import get_metric, updaters_of

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


def _metric_keys(body: CheckinBatch) -> set[int]:
    """The metric keys a batch names; a malformed id is refused item by item later."""
    keys: set[int] = set()
    for item in body.items:
        try:
            key = parse_id(item.metric_id, "metric", "metric_id")
        except ValidationFailed:
            continue
        if 0 < key <= 2**62:
            keys.add(key)
    return keys


def _item(s: Any, ws: int, i: int, item: MeasurementCreate, person: int | None) -> Any:
    """Check in one item of a batch; a refusal names the item (`items.3.value`)."""
    try:
        return check_in(s, ws, item, submitted_by_id=person)
    except ValidationFailed as exc:
        raise ValidationFailed([FieldError(f"items.{i}.{e.field}", e.message, e.value)
                                for e in exc.errors]) from None


@router.post("/checkins", status_code=201, response_model=CheckinResult,
             responses={**WRITE_ERRORS, 200: {"model": CheckinResult,
                                              "description": "A replayed earlier answer"}},
             summary="Check in: append measurements (all or none), idempotently")
def post_checkins(body: CheckinBatch, ctx: Checkiner,
                  idempotency_key: IdempotencyKey = None) -> Any:
    digest = request_hash(body.model_dump(mode="json")) if idempotency_key else ""
    try:
        with ctx.write() as s:
            p = ctx.principal
            # No look-up of the key first: a retry is rare, and the key's primary key
            # refuses it at the end (IntegrityError below), rolling back its writes.
            rows = []
            everywhere = p.holds_everywhere("checkin")
            delegates: dict[int, list[int]] | None = None
            for i, item in enumerate(body.items):
                metric = get_metric(s, ctx.ws, item.metric_id, f"items.{i}.metric_id")
                if not everywhere:  # where the metric sits matters only to subtree roles
                    sc = scopes.of_metric(s, ctx.ws, metric)
                    if delegates is None and not p.can(s, "checkin", sc.unit, sc.owners,
                                                       metric.owner_id):
                        # Owners never read delegations; a delegate's batch reads those of
                        # all its metrics in one query.
                        delegates = updaters_of(s, ctx.ws, _metric_keys(body))
                    if delegates is not None:
                        sc = scopes.of_metric_for_checkin(s, ctx.ws, metric, delegates)
                    p.require(s, "checkin", sc.unit, sc.owners, owner=metric.owner_id)
                rows.append(_item(s, ctx.ws, i, item, p.person_id))
            out = CheckinResult(items=[read(MeasurementRead, r) for r in rows])
            data = out.model_dump(mode="json")
            if idempotency_key:
                store_response(s, ctx.ws, p.actor, idempotency_key, digest, 201, data)
    except IntegrityError:
        if not idempotency_key:
            raise
        # The key was used before (a retry), or a concurrent request with it committed
        # first: answer as that request did (or refuse a different body with 422).
        with ctx.read() as s:
            stored = stored_response(s, ctx.ws, ctx.principal.actor, idempotency_key, digest)
        if stored is None:
            raise
        return _replay(stored)
    CACHE.written(ctx.ws)
    return JSONResponse(data, status_code=201)


class UploadRead(BaseModel):
    handle: str = Field(description="Pass as `evidence_file` of a check-in item")
    name: str
    size: int
    expires_in_s: int


@router.post("/evidence-files", status_code=201, response_model=UploadRead,
             responses={**AUTH_ERRORS, 413: {"model": Problem,
                                              "description": "Larger than 20 MB"}},
             summary="Upload an evidence file: answers a handle for a check-in "
                     "(kept only if a check-in uses it)")
async def post_evidence_file(ctx: Checkiner, file: Annotated[UploadFile, File()]) -> Any:
    principal = await run_in_threadpool(lambda: ctx.principal)
    if not any(r is not Role.VIEWER for r in principal.roles):
        raise Forbidden("viewers cannot check in, so they cannot upload evidence")
    data = await file.read(files.MAX_UPLOAD + 1)
    if len(data) > files.MAX_UPLOAD:
        raise TooLarge(files.MAX_UPLOAD)
    handle = await run_in_threadpool(files.stage, principal.workspace_id, file.filename, data)
    return JSONResponse(UploadRead(handle=handle, name=files.safe_name(file.filename),
                                   size=len(data), expires_in_s=int(files.STAGING_TTL))
                        .model_dump(), status_code=201)


@router.get("/measurements", response_model=Page[MeasurementRead], responses=READ_ERRORS,
            summary="List measurements (append-only evidence)")
def list_measurements(ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                      sort: str = sort_query(["id", "as_of"]), metric_id: Ref = None,
                      submitted_by_id: Ref = None) -> Response:
    with ctx.read() as s:
        repo = MeasurementRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"metric_id": ref_filter(metric_id, "metric", "metric_id"),
                          "submitted_by_id": ref_filter(submitted_by_id, "person",
                                                        "submitted_by_id")})
        return page_of(list(rows), limit, sort, lambda r: read(MeasurementRead, r))


item_routes(router, path="/measurements", kind="measurement", repo=MeasurementRepository,
            model=MeasurementRead, scope=scopes.of_measurement)


@router.post("/measurements/{id}/void", status_code=201, response_model=MeasurementRead,
             responses=WRITE_ERRORS,
             summary="Void a wrong check-in: a new row takes it out of the evidence")
def post_void(id: IdPath, body: VoidCreate, ctx: Checkiner) -> Any:
    """Append a void that supersedes measurement `id` (the newest row of its chain) with
    a required `reason`; the row and the corrections before it leave the evidence (status,
    forecast, charts), the history keeps them. Allowed to whoever may check in on the
    metric: its owner, a delegated updater, or admin / strategy office over it."""
    key = path_key(id, "measurement")
    with ctx.write() as s:
        old = MeasurementRepository(s, ctx.ws).get(key)
        metric = get_metric(s, ctx.ws, old.metric_id)
        sc = scopes.of_metric_for_checkin(s, ctx.ws, metric, None)
        ctx.principal.require(s, "checkin", sc.unit, sc.owners, owner=metric.owner_id)
        row = void_measurement(s, ctx.ws, key, body, ctx.principal.person_id)
        out = read(MeasurementRead, row)
    CACHE.written(ctx.ws)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)

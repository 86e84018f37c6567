"""GET /api/v1/export: everything as XLSX, CSV (a zip of one file per sheet) or the
strategy as YAML — the same files as `steerco export`."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.models import Metric, MetricFeed
from steerco.http.auth import Ctx, Reader, Writer
from steerco.http.items import IdPath
from steerco.http.rest import READ_ERRORS, WRITE_ERRORS, path_key
from steerco.kit.errors import NotFound
from steerco.metrics.repository import MetricRepository
from steerco.transfer.export import collect, write_csv, write_xlsx
from steerco.transfer.feeds import service as feeds
from steerco.transfer.feeds.repository import FeedRepository
from steerco.transfer.strategy import export_yaml

router = APIRouter(tags=["import and export"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export", summary="Export the workspace (xlsx, csv as a zip, or yaml)",
            responses={**READ_ERRORS,
                       200: {"content": {XLSX: {}, "application/zip": {},
                                         "application/yaml": {}},
                             "description": "The file"}})
def export(ctx: Reader, format: Annotated[Literal["xlsx", "csv", "yaml"], Query(
        description="xlsx: one workbook in the templates' layout; csv: a zip of one CSV "
                    "per sheet; yaml: the strategy for `steerco plan`")] = "xlsx") -> Response:
    with ctx.read() as s:
        if format == "yaml":
            text = export_yaml(s, ctx.ws)
            return Response(text, media_type="application/yaml", headers={
                "Content-Disposition": 'attachment; filename="strategy.yaml"'})
        rows = collect(s, ctx.ws)
    with tempfile.TemporaryDirectory() as tmp:
        if format == "xlsx":
            path = write_xlsx(rows, Path(tmp) / "steerco-export.xlsx")
            return Response(path.read_bytes(), media_type=XLSX, headers={
                "Content-Disposition": 'attachment; filename="steerco-export.xlsx"'})
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in write_csv(rows, Path(tmp)):
                z.write(f, f.name)
        return Response(buf.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": 'attachment; filename="steerco-export-csv.zip"'})


# --- SQL feeds ----------------------------------------------------------------------------


class FeedPut(BaseModel):
    url: str | None = Field(default=None, max_length=2000, description=(
        "SQLAlchemy URL of the database to read (sqlite:////path/file.db or postgresql+"
        "psycopg://user:password@host/db); never shown back. Omit to keep the stored one."))
    query: str = Field(min_length=1, max_length=20_000,
                       description="One SELECT returning (as_of, value) rows")


class FeedRead(BaseModel):
    metric_id: str
    metric: str
    cadence: str
    url: str = Field(description="The URL with its password masked (user:***@host)")
    query: str
    last_run_at: dt.datetime | None
    last_error: str | None
    rows_read: int
    rows_stored: int
    version: int


class FeedRunRead(BaseModel):
    metric_id: str
    metric: str
    read: int
    stored: int
    known: int = Field(description="Rows read before (not stored again)")
    error: str | None


def _feed_metric(s: Session, ctx: Ctx, id: str) -> Metric:
    """The metric of the path, once the caller may model it (admin, strategy office)."""
    metric = MetricRepository(s, ctx.ws).get(path_key(id, "metric"))
    ctx.principal.require(s, "model", scopes.of_metric(s, ctx.ws, metric).unit)
    return metric


def _feed_of(s: Session, ctx: Ctx, metric: Metric) -> MetricFeed:
    row = FeedRepository(s, ctx.ws).of_metric(metric.id)
    if row is None:
        raise NotFound("SQL feed of metric", metric.name)
    return row


@router.get("/metrics/{id}/feed", response_model=FeedRead, responses=READ_ERRORS,
            tags=["SQL feeds"], summary="A metric's SQL feed (URL masked) and its last run")
def get_feed(id: IdPath, ctx: Reader) -> FeedRead:
    with ctx.read() as s:
        metric = _feed_metric(s, ctx, id)
        return FeedRead.model_validate(feeds.public(_feed_of(s, ctx, metric), metric))


@router.put("/metrics/{id}/feed", response_model=FeedRead, responses=WRITE_ERRORS,
            tags=["SQL feeds"], summary="Set or change a metric's SQL feed")
def put_feed(id: IdPath, body: FeedPut, ctx: Writer) -> FeedRead:
    with ctx.write() as s:
        metric = _feed_metric(s, ctx, id)
        row = feeds.save(s, ctx.ws, metric, body.model_dump())
        return FeedRead.model_validate(feeds.public(row, metric))


@router.delete("/metrics/{id}/feed", status_code=204, responses=WRITE_ERRORS,
               tags=["SQL feeds"], summary="Remove a metric's SQL feed (its rows stay)")
def delete_feed(id: IdPath, ctx: Writer) -> Response:
    with ctx.write() as s:
        feeds.delete(s, ctx.ws, _feed_metric(s, ctx, id))
    return Response(status_code=204)


@router.post("/metrics/{id}/feed/run", response_model=FeedRunRead, responses=WRITE_ERRORS,
             tags=["SQL feeds"], summary="Run a metric's SQL feed now")
def run_feed(id: IdPath, ctx: Writer) -> FeedRunRead:
    with ctx.write() as s:
        metric = _feed_metric(s, ctx, id)
        r = feeds.run_feed(s, ctx.ws, _feed_of(s, ctx, metric), metric)
        return FeedRunRead.model_validate(r.as_json())

"""GET /api/v1/export: everything as XLSX, CSV (a zip of one file per sheet) or the
strategy as YAML — the same files as `steerco export`; /imports: upload a file to check
(a dry run) or import as a job, follow its progress and read its report."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.models import Metric, MetricFeed
from steerco.db.models.accounts import Role
from steerco.http.auth import Ctx, Reader, Writer
from steerco.http.items import IdPath
from steerco.http.rest import READ_ERRORS, WRITE_ERRORS, Problem, path_key
from steerco.jobs.queue import queue_of
from steerco.kit.errors import Conflict, FieldError, NotFound, TooLarge, ValidationFailed
from steerco.metrics.repository import MetricRepository
from steerco.transfer import mapping, upload
from steerco.transfer.export import collect, write_csv, write_xlsx
from steerco.transfer.feeds import service as feeds
from steerco.transfer.feeds.repository import FeedRepository
from steerco.transfer.read import MAX_BYTES
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


# --- imports as jobs (the same as Admin → Import) -------------------------------------


class ImportRead(BaseModel):
    id: str = Field(description="The upload's id (in the URLs below)")
    name: str
    state: Literal["queued", "reading", "checking", "writing", "done", "failed"]
    dry_run: bool
    rows_read: int
    rows_checked: int
    rows_total: int
    rows_written: int
    error: str | None = None
    report: dict[str, Any] | None = Field(default=None, description=(
        "Once done: counts per sheet, ok, written, problem_count, the first 500 problems "
        "(sheet, row, column, value, reason) and the columns that could be mapped"))
    problems_csv: str = Field(description="Every problem as CSV (once done)")


def _require_office(ctx: Ctx) -> None:
    ctx.principal.require_role(Role.ADMIN, Role.STRATEGY_OFFICE)


def _read(ctx: Ctx, token: str) -> ImportRead:
    with ctx.read() as s:
        found = upload.get(s, ctx.ws, token)
    if found is None:
        raise NotFound("import", token)
    st = found.status
    return ImportRead(
        id=token, name=found.name, state=found.state,
        dry_run=bool(st.get("dry_run", True)), rows_read=int(st.get("rows_read") or 0),
        rows_checked=int(st.get("rows_checked") or 0),
        rows_total=int(st.get("rows_total") or 0),
        rows_written=int(st.get("rows_written") or 0), error=st.get("error"),
        report=found.result, problems_csv=f"/api/v1/imports/{token}/problems.csv")


IMPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS, 413: {"model": Problem, "description": (
        f"The file is larger than {MAX_BYTES // 2**20} MB: the detail and errors[0] (field "
        "`file`) name the file, its size and the limit, e.g. “plan.xlsx” is 63 MB; the "
        "limit is 50 MB; nothing was stored")}}


@router.post("/imports", status_code=202, response_model=ImportRead, responses=IMPORT_ERRORS,
             summary="Upload a file to check (dry run) or import; runs as a job")
async def post_import(request: Request, ctx: Writer, file: Annotated[UploadFile, File(
        description="An .xlsx workbook, a .csv named after its sheet, or OKRs as .md")],
        dry_run: Annotated[bool, Query(description="Check and report only (default); "
                                                   "false: import all rows or none")] = True,
        ) -> Any:
    await run_in_threadpool(_require_office, ctx)
    name = Path(file.filename or "").name
    data = b""
    if name and Path(name).suffix.lower() in upload.SUFFIXES:
        data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TooLarge(MAX_BYTES, name, file.size or len(data), upload.TOO_LARGE_HINT)
    try:
        upload.check(name, len(data))
    except upload.UploadRefused as exc:
        raise ValidationFailed([FieldError("file", str(exc), name)]) from None
    token = await run_in_threadpool(_store, ctx, name, data, dry_run)
    await run_in_threadpool(queue_of(request.app.state).import_upload, ctx.ws, token, dry_run,
                            ctx.principal.actor)
    body = await run_in_threadpool(_read, ctx, token)
    return JSONResponse(body.model_dump(), status_code=202,
                        headers={"Location": f"/api/v1/imports/{token}"})


def _store(ctx: Ctx, name: str, data: bytes, dry_run: bool) -> str:
    with ctx.write() as s:
        return upload.store(s, ctx.ws, name, data, dry_run, ctx.principal.actor)


@router.get("/imports/{id}", response_model=ImportRead, responses=READ_ERRORS,
            summary="An import's progress (rows read, checked, written) and, once done, "
                    "its report")
def get_import(id: str, ctx: Reader) -> ImportRead:
    _require_office(ctx)
    return _read(ctx, id)


@router.get("/imports/{id}/problems.csv", responses={
    **READ_ERRORS, 200: {"content": {"text/csv": {}}, "description": "The problems"}},
    summary="An import's problems as CSV (sheet, row, column, value, reason)")
def get_import_problems(id: str, ctx: Reader) -> Response:
    _require_office(ctx)
    with ctx.read() as s:
        text = upload.problems_csv(s, ctx.ws, id)
    if text is None:
        raise NotFound("report of import", id)
    return Response(text, media_type="text/csv; charset=utf-8")


@router.post("/imports/{id}/apply", status_code=202, response_model=ImportRead,
             responses=WRITE_ERRORS, summary="Import a checked file (after a clean dry run)")
def apply_import(id: str, request: Request, ctx: Writer) -> Any:
    _require_office(ctx)
    now = _read(ctx, id)
    if now.state != "done" or not now.dry_run or not (now.report or {}).get("ok"):
        raise Conflict("only a finished dry run without problems can be imported; this one "
                       + ("is still running" if now.state not in ("done", "failed") else
                          "has problems or was imported already"))
    with ctx.write() as s:
        if not upload.queue_run(s, ctx.ws, id, dry_run=False):  # another click was first
            raise Conflict("this import was queued already")
    queue_of(request.app.state).import_upload(ctx.ws, id, False, ctx.principal.actor)
    return JSONResponse(_read(ctx, id).model_dump(), status_code=202)


# --- the saved column mapping (the same as `steerco mapping` and Admin → Import) --------


class MappingRead(BaseModel):
    sheet: str = Field(description="The sheet kind, e.g. people, objectives, measurements")
    sheet_title: str = Field(description="The sheet's title in the template, e.g. People")
    header: str = Field(description="The file's column header as compared (normalised: "
                                    "“Verantwortlich (E-Mail)” → verantwortlich_e_mail)")
    column: str = Field(description="The template column it fills; empty: ignored")
    ignored: bool = Field(description="True: the column is left out on import")


class MappingPut(BaseModel):
    column: str | None = Field(default=None, max_length=80, description=(
        "The template column of this sheet the header fills (its name or one of its "
        "synonyms, e.g. owner); empty, null, \"-\" or \"ignore\": ignore the column"))


def _mapping_read(e: mapping.Entry) -> MappingRead:
    from steerco.transfer.spec import BY_NAME

    return MappingRead(sheet=e.sheet, sheet_title=BY_NAME[e.sheet].title, header=e.header,
                       column=e.column, ignored=e.column == "")


@router.get("/import-mappings", response_model=list[MappingRead], responses=READ_ERRORS,
            summary="The workspace's saved column mapping of import files")
def list_mappings(ctx: Reader, sheet: Annotated[str | None, Query(
        description="Only this sheet kind (its name or title)")] = None) -> list[MappingRead]:
    _require_office(ctx)
    with ctx.read() as s:
        rows = mapping.entries(s, ctx.ws)
    if sheet is not None:
        kind = mapping.sheet_kind(sheet)
        if kind is None:
            raise ValidationFailed([FieldError("sheet", mapping.unknown_sheet(sheet), sheet)])
        rows = [e for e in rows if e.sheet == kind]
    return [_mapping_read(e) for e in rows]


@router.get("/import-mappings/{sheet}/{header:path}", response_model=MappingRead,
            responses=READ_ERRORS, summary="One saved header of a sheet kind")
def get_mapping(sheet: str, header: str, ctx: Reader) -> MappingRead:
    _require_office(ctx)
    with ctx.read() as s:
        found = mapping.find(s, ctx.ws, sheet, header)
    if found is None:
        raise NotFound("column mapping", f"{sheet}/{header}")
    return _mapping_read(found)


@router.put("/import-mappings/{sheet}/{header:path}", response_model=MappingRead,
            responses=WRITE_ERRORS,
            summary="Map a file's header to a template column (or ignore it); every later "
                    "import of the workspace applies it")
def put_mapping(sheet: str, header: str, body: MappingPut, ctx: Writer) -> MappingRead:
    _require_office(ctx)
    with ctx.write() as s:
        return _mapping_read(mapping.save(s, ctx.ws, sheet, header, body.column))


@router.delete("/import-mappings/{sheet}/{header:path}", status_code=204,
               responses=WRITE_ERRORS, summary="Forget a saved header")
def delete_mapping(sheet: str, header: str, ctx: Writer) -> Response:
    _require_office(ctx)
    with ctx.write() as s:
        if not mapping.remove(s, ctx.ws, sheet, header):
            raise NotFound("column mapping", f"{sheet}/{header}")
    return Response(status_code=204)

"""Admin → Import: upload a workbook, CSV or OKR markdown file; a job checks it (dry run)
while the page shows its progress (rows read, checked, written: htmx polls a fragment);
then the report row by row (problems as sheet, row, column, value, reason, also as a CSV
download), columns to map when the file's headers are not the template's, and "Import
it", which runs the import as a job the same way.

The upload is kept in the database (transfer/upload.py: any worker runs the job, any web
process shows its progress) between the dry run and "Import it"; applying re-reads it,
so what is written is what the dry run checked, all or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from steerco.accounts.errors import Forbidden
from steerco.jobs.queue import queue_of
from steerco.kit.errors import NotFound, ValidationFailed
from steerco.transfer import mapping, upload
from steerco.transfer.read import MAX_BYTES
from steerco.web.pages.forms import done
from steerco.web.pages.forms import status as shown_status
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIMIT_MB = MAX_BYTES // 2**20


def _require_office(user: PageUser) -> None:
    if not user.models:
        raise Forbidden("imports are for admins and the strategy office")


def _found(user: PageUser, token: str) -> upload.Upload:
    with user.ctx.read() as s:
        found = upload.get(s, user.ctx.ws, token)
    if found is None:
        raise NotFound("upload", token)
    return found


def _queue_again(user: PageUser, token: str, dry_run: bool) -> bool:
    with user.ctx.write() as s:
        return upload.queue_run(s, user.ctx.ws, token, dry_run)


def _saved(user: PageUser) -> list[mapping.Entry]:
    with user.ctx.read() as s:
        return mapping.entries(s, user.ctx.ws)


def _page(request: Request, user: PageUser, status_code: int = 200, **ctx: Any) -> Response:
    from steerco.transfer.spec import BY_NAME

    base: dict[str, Any] = {"error": None, "name": None, "token": None, "status": None,
                            "result": None, "map_errors": {}, "limit_mb": LIMIT_MB,
                            "saved": _saved(user), "sheets": BY_NAME}
    return render(request, "admin/import.html", status_code, **(base | ctx))


async def _enqueue(request: Request, user: PageUser, token: str, dry_run: bool) -> None:
    # In a worker thread: with the queue in immediate mode (tests) the job runs here.
    await run_in_threadpool(queue_of(request.app.state).import_upload, user.ctx.ws, token,
                            dry_run, user.principal.actor)


@router.get("/admin/import")
def upload_form(request: Request, user: User) -> Response:
    _require_office(user)
    return _page(request, user)


@router.get("/admin/import/template.xlsx")
def template(user: User) -> Response:
    """The import template: a sheet per kind, examples, drop-downs and notes."""
    import tempfile

    from steerco.transfer.export import write_xlsx

    with tempfile.TemporaryDirectory() as tmp:
        data = write_xlsx(None, Path(tmp) / "t.xlsx", template=True).read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                                      "spreadsheetml.sheet", headers={
        "Content-Disposition": 'attachment; filename="steerco-template.xlsx"'})


@router.post("/admin/import")
async def upload_file(request: Request, user: FormUser,
                      file: Annotated[UploadFile | None, File()] = None) -> Response:
    _require_office(user)
    big = getattr(request.state, "too_large", None)  # cut off by the middleware, unread
    if big is not None:
        return _page(request, user, shown_status(request, 413), name=big["name"],
                     error=upload.too_large(big["name"], big["size"], big["limit"]))
    name = Path(file.filename or "").name if file is not None else ""
    data = b""
    try:
        if file is not None and name and Path(name).suffix.lower() in upload.SUFFIXES:
            data = await file.read(MAX_BYTES + 1)
        upload.check(name, (file.size or len(data)) if file is not None and data else 0)
    except upload.UploadRefused as exc:
        return _page(request, user, shown_status(request, 413 if data else 422),
                     name=name, error=str(exc))
    token = await run_in_threadpool(_store, user, name, data)
    await _enqueue(request, user, token, True)
    return done(request, f"/admin/import/{token}")


def _store(user: PageUser, name: str, data: bytes) -> str:
    with user.ctx.write() as s:
        return upload.store(s, user.ctx.ws, name, data, True, user.principal.actor)


@router.get("/admin/import/{token}")
def run_page(request: Request, token: str, user: User) -> Response:
    """The upload's progress while its job runs, then its report."""
    _require_office(user)
    found = _found(user, token)
    return _page(request, user, token=token, name=found.name, status=found.status,
                 result=found.result)


@router.get("/admin/import/{token}/progress")
def progress(request: Request, token: str, user: User) -> Response:
    """The progress fragment htmx polls; once the job has finished, a full reload."""
    _require_office(user)
    found = _found(user, token)
    if found.state in upload.FINAL:
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "admin/import_progress.html", status=found.status, token=token,
                  name=found.name)


@router.post("/admin/import/{token}/apply")
async def apply(request: Request, token: str, user: FormUser) -> Response:
    _require_office(user)
    res = (await run_in_threadpool(_found, user, token)).result
    if res is None or not res.get("dry_run") or not res.get("ok"):
        return done(request, f"/admin/import/{token}")
    if await run_in_threadpool(_queue_again, user, token, False):  # (not twice)
        await _enqueue(request, user, token, False)
    return done(request, f"/admin/import/{token}")


@router.post("/admin/import/{token}/mapping")
async def save_mapping(request: Request, token: str, user: FormUser) -> Response:
    """Save the columns mapped on the report (per sheet kind, for every later import of
    the workspace) and check the file again with them."""
    _require_office(user)
    found = await run_in_threadpool(_found, user, token)
    st, res = found.status, found.result
    form = await request.form()
    errors: dict[str, str] = {}
    chosen = []
    for i in range(len((res or {}).get("unmapped", []))):
        item = res["unmapped"][i]  # type: ignore[index]
        target = str(form.get(f"map-{i}") or "")
        if target == "":
            errors[f"map-{i}"] = (f"Choose the column “{item['header']}” fills, or “ignore "
                                  "this column”.")
        chosen.append((item["sheet"], item["header"], target))
    if not errors:
        try:
            with user.ctx.write() as s:
                for sheet, header, target in chosen:
                    mapping.save(s, user.ctx.ws, sheet, header, target)
        except ValidationFailed as exc:
            errors["map"] = "; ".join(e.message for e in exc.errors)
    if errors:
        return _page(request, user, shown_status(request, 422), token=token,
                     name=found.name, status=st, result=res, map_errors=errors)
    await run_in_threadpool(_queue_again, user, token, True)
    await _enqueue(request, user, token, True)
    return done(request, f"/admin/import/{token}")


@router.post("/admin/import/mapping/remove")
async def remove_mapping(request: Request, user: FormUser) -> Response:
    _require_office(user)
    form = await request.form()
    with user.ctx.write() as s:
        mapping.remove(s, user.ctx.ws, str(form.get("sheet") or ""),
                       str(form.get("header") or ""))
    return done(request, "/admin/import#h-mapping")


@router.get("/admin/import/{token}/problems.csv")
def problems_csv(token: str, user: User) -> Response:
    _require_office(user)
    with user.ctx.read() as s:
        text = upload.problems_csv(s, user.ctx.ws, token)
    if text is None:
        raise NotFound("report of upload", token)
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="import-problems.csv"'})

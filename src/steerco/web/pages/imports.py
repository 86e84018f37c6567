"""Admin → Import: upload a workbook, CSV or OKR markdown file, see the dry run's report
row by row (problems as sheet, row, column, value, reason, also as a CSV download), then
apply it.

The file is kept in a private temporary folder of the workspace between the dry run and
"Apply" (named by a random token); applying re-reads it, so what is written is what the
dry run checked, all or nothing. The import runs in the request (files up to the upload
limit take seconds); the jobs queue, once merged, is where a progress bar belongs.
"""

from __future__ import annotations

import re
import secrets
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from steerco.accounts.errors import Forbidden
from steerco.kit.errors import NotFound
from steerco.transfer.read import MAX_BYTES, Book, read_path
from steerco.transfer.report import Problem, Report
from steerco.transfer.run import import_book
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ROOT = Path(tempfile.gettempdir()) / "steerco-uploads"
SUFFIXES = (".xlsx", ".xlsm", ".csv", ".md")


def _require_office(user: PageUser) -> None:
    if not user.models:
        raise Forbidden("imports are for admins and the strategy office")


def _folder(user: PageUser, token: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        raise NotFound("upload", token)
    folder = ROOT / f"ws{user.ctx.ws}-{token}"
    if not folder.is_dir():
        raise NotFound("upload", token)
    return folder


def _book(path: Path) -> Book:
    if path.suffix.lower() != ".md":
        return read_path(path)
    from steerco.transfer.okrs import OkrParseError, parse, to_book

    try:
        return to_book(parse(path.read_text(encoding="utf-8"), path.name))
    except UnicodeDecodeError:
        reason = "not UTF-8: save it as UTF-8 text"
    except OkrParseError as exc:
        reason = str(exc)
    return Book(problems=[Problem(path.name, None, None, None, reason)])


def _run(request: Request, user: PageUser, path: Path, dry_run: bool) -> Report:
    report = import_book(request.app.state.engine, user.ctx.ws, _book(path), dry_run=dry_run,
                         actor=user.principal.actor, via=f"import of {path.name}")
    (path.parent / "problems.csv").write_text(report.problems_csv(), encoding="utf-8")
    return report


@router.get("/admin/import")
def upload_form(request: Request, user: User) -> Response:
    _require_office(user)
    return render(request, "admin/import.html", report=None, token=None, name=None,
                  error=None, limit_mb=MAX_BYTES // 2**20)


@router.post("/admin/import")
async def upload(request: Request, user: FormUser,
                 file: Annotated[UploadFile | None, File()] = None) -> Response:
    _require_office(user)
    error = None
    name = Path(file.filename or "").name if file is not None else ""
    data = b""
    if file is None or not name:
        error = "Choose a file: an .xlsx workbook, a .csv file named after its sheet, or " \
                "OKRs as a markdown (.md) file."
    elif Path(name).suffix.lower() not in SUFFIXES:
        error = f"“{name}” is not a spreadsheet or an OKR file: give an .xlsx, .csv or .md file."
    else:
        data = await file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            error = (f"“{name}” is larger than {MAX_BYTES // 2**20} MB: split it (e.g. one file "
                     "per sheet, or measurements by year).")
    if error:
        return render(request, "admin/import.html", report=None, token=None, name=name,
                      error=error, limit_mb=MAX_BYTES // 2**20)
    token = secrets.token_urlsafe(18)
    folder = ROOT / f"ws{user.ctx.ws}-{token}"
    folder.mkdir(parents=True, mode=0o700)
    path = folder / name
    path.write_bytes(data)
    # In a worker thread: the import holds a database transaction for seconds.
    report = await run_in_threadpool(_run, request, user, path, True)
    return render(request, "admin/import.html", report=report, token=token, name=name,
                  error=None, limit_mb=MAX_BYTES // 2**20)


@router.post("/admin/import/{token}/apply")
def apply(request: Request, token: str, user: FormUser) -> Response:
    _require_office(user)
    folder = _folder(user, token)
    path = next(p for p in folder.iterdir() if p.name != "problems.csv")
    report = _run(request, user, path, dry_run=False)
    return render(request, "admin/import.html", report=report, token=token, name=path.name,
                  error=None, limit_mb=MAX_BYTES // 2**20)


@router.get("/admin/import/{token}/problems.csv")
def problems_csv(token: str, user: User) -> Response:
    _require_office(user)
    text = (_folder(user, token) / "problems.csv").read_text(encoding="utf-8")
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="import-problems.csv"'})


@router.get("/admin/import/template.xlsx")
def template(user: User) -> Response:
    """The import template: a sheet per kind, examples, drop-downs and notes."""
    from steerco.transfer.export import write_xlsx

    with tempfile.TemporaryDirectory() as tmp:
        data = write_xlsx(None, Path(tmp) / "t.xlsx", template=True).read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                                      "spreadsheetml.sheet", headers={
        "Content-Disposition": 'attachment; filename="steerco-template.xlsx"'})

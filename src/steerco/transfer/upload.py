"""An uploaded import file and the job that checks or imports it, with its progress.

The page (or `POST /api/v1/imports`) stores the upload in the database (`import_uploads`:
the bytes, name, size, sha256, who, the workspace) and enqueues the `import_upload` job
(jobs/queue.py); the job — in `steerco serve`'s consumer or in any `steerco worker`, on
any host that reaches the database — reads the bytes, applies the workspace's saved
column mapping, runs the file through the one pipeline (`run.import_book`: a dry run, or
the import, all or nothing) and keeps in the same row what the page shows:

- the state (queued → reading → checking → writing → done | failed) and the rows read,
  checked and written, written at most every `EVERY_S` seconds while it runs, from a
  session of its own, so any web process reads it;
- once done, the report (counts per sheet, the first `SHOWN` problems, the columns that
  could be mapped) and every problem as CSV.

On SQLite the import holds the database's write lock until it ends, so there the
progress row is written at each phase (read, checking, done) and the rows checked in
between are kept in this process (`LIVE`), which is the process serving the pages when
the in-process consumer runs the job (`steerco serve`, the default on SQLite).

Retention: an imported file's bytes are emptied when the import commits (it cannot be
imported twice); every upload, done or abandoned, is deleted `KEEP_DAYS` days after its
last change (`sweep`: by the daily `uploads` job of jobs/schedule.py, and by the
workspace's next upload).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import ImportUpload
from steerco.kit.errors import file_too_large
from steerco.transfer.read import MAX_BYTES, Book, read_path
from steerco.transfer.report import Problem, Report
from steerco.transfer.run import import_book

log = logging.getLogger("steerco.transfer")
SUFFIXES = (".xlsx", ".xlsm", ".csv", ".md")
#: Problems the page lists (the CSV download has them all).
SHOWN = 500
EVERY_S = 0.25
#: Days an upload (its bytes, progress and report) is kept after its last change.
KEEP_DAYS = 7
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
FINAL = ("done", "failed")
#: Progress of the jobs running in this process, by token (see the module's docstring).
LIVE: dict[str, dict[str, Any]] = {}
_LIVE_LOCK = threading.Lock()
_COUNTS = ("rows_read", "rows_checked", "rows_total", "rows_written")


class UploadRefused(ValueError):
    """A file the page does not take (no name, not a kind it reads, too large)."""


#: What a file over the limit is told after its size (see `too_large`).
TOO_LARGE_HINT = ("Nothing was stored: split it (e.g. one file per sheet, or measurements "
                  "by year), or import it on the server with steerco import FILE --max-mb N.")


def too_large(name: str, size: int, limit: int = MAX_BYTES) -> str:
    """What a file over the limit is told: "“plan.xlsx” is 63 MB; the limit is 50 MB. …"."""
    return f"{file_too_large(name, size, limit)}. {TOO_LARGE_HINT}"


def check(name: str, size: int, max_bytes: int = MAX_BYTES) -> None:
    """Refuse what cannot be imported before it is stored, naming the file and why."""
    if not name:
        raise UploadRefused("Choose a file: an .xlsx workbook, a .csv file named after its "
                            "sheet, or OKRs as a markdown (.md) file.")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UploadRefused(f"“{name}” is not a spreadsheet or an OKR file: give an .xlsx, "
                            ".csv or .md file.")
    if size > max_bytes:
        raise UploadRefused(too_large(name, size, max_bytes))


@dataclass(frozen=True)
class Upload:
    """What the page and the API show of an upload (never its bytes)."""

    token: str
    name: str
    size: int
    status: dict[str, Any]
    result: dict[str, Any] | None

    @property
    def state(self) -> str:
        return str(self.status.get("state", "queued"))


def store(s: Session, ws: int, name: str, data: bytes, dry_run: bool = True,
          actor: str | None = None) -> str:
    """Keep an upload for the job (and for "Import it" after its dry run); its token."""
    sweep(s, ws)
    token = secrets.token_urlsafe(18)
    s.execute(insert(ImportUpload).values(
        workspace_id=ws, token=token, name=Path(name).name[:255], size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), data=data, actor=actor, dry_run=dry_run,
        state="queued", rows_read=0, rows_checked=0, rows_total=0, rows_written=0))
    return token


def sweep(s: Session, ws: int, now: dt.datetime | None = None) -> int:
    """Delete the workspace's uploads unchanged for KEEP_DAYS days (the daily `uploads`
    job, and every upload); how many."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=KEEP_DAYS)
    res = s.execute(delete(ImportUpload).where(ImportUpload.workspace_id == ws,
                                               ImportUpload.updated_at < cutoff))
    return int(getattr(res, "rowcount", 0) or 0)


_SHOWN_COLUMNS = (ImportUpload.token, ImportUpload.name, ImportUpload.size,
                  ImportUpload.state, ImportUpload.dry_run, ImportUpload.rows_read,
                  ImportUpload.rows_checked, ImportUpload.rows_total,
                  ImportUpload.rows_written, ImportUpload.sheet, ImportUpload.error,
                  ImportUpload.report, ImportUpload.started_at, ImportUpload.finished_at)


def get(s: Session, ws: int, token: str) -> Upload | None:
    """An upload of workspace `ws` (None: no such upload, or another workspace's)."""
    if not TOKEN.fullmatch(token):
        return None
    row = s.execute(select(*_SHOWN_COLUMNS).where(
        ImportUpload.workspace_id == ws, ImportUpload.token == token)).one_or_none()
    if row is None:
        return None
    st: dict[str, Any] = {
        "state": row.state, "dry_run": row.dry_run, "name": row.name,
        "rows_read": row.rows_read, "rows_checked": row.rows_checked,
        "rows_total": row.rows_total, "rows_written": row.rows_written, "sheet": row.sheet,
        "error": row.error, "started": row.started_at, "finished": row.finished_at}
    with _LIVE_LOCK:
        live = dict(LIVE.get(token) or {})
    if live and row.state not in FINAL and live.get("state") not in FINAL:
        # This process runs it (on SQLite): its rows checked so far.
        st.update({k: v for k, v in live.items() if k in (*_COUNTS, "state", "sheet")})
    return Upload(row.token, row.name, row.size, st,
                  dict(row.report) if row.state == "done" and row.report else None)


def problems_csv(s: Session, ws: int, token: str) -> str | None:
    """Every problem of a finished run as CSV (None: no such upload, or not finished)."""
    if not TOKEN.fullmatch(token):
        return None
    return s.scalar(select(ImportUpload.problems_csv).where(
        ImportUpload.workspace_id == ws, ImportUpload.token == token))


def queue_run(s: Session, ws: int, token: str, dry_run: bool) -> bool:
    """Mark an upload queued again (for "Import it" after its dry run, or a new check
    with a changed mapping); for the import (`dry_run` False) only a finished dry run,
    in one statement, so two clicks on "Import it" enqueue one import. Whether queued."""
    where = [ImportUpload.workspace_id == ws, ImportUpload.token == token]
    if not dry_run:
        where += [ImportUpload.state == "done", ImportUpload.dry_run.is_(True)]
    res = s.execute(update(ImportUpload).where(*where).values(
        state="queued", dry_run=dry_run, report=None, problems_csv=None, error=None,
        rows_read=0, rows_checked=0, rows_total=0, rows_written=0, sheet=None,
        started_at=None, finished_at=None, updated_at=dt.datetime.now(dt.UTC)))
    return bool(getattr(res, "rowcount", 0))


def book_of(path: Path, mapping: dict[str, dict[str, str]] | None = None,
            max_bytes: int = MAX_BYTES) -> Book:
    """The book of a spreadsheet or an OKR markdown file (problems for a bad file)."""
    if path.suffix.lower() != ".md":
        return read_path(path, max_bytes, mapping)
    from steerco.transfer.okrs import OkrParseError, parse, to_book

    try:
        return to_book(parse(path.read_text(encoding="utf-8"), path.name))
    except UnicodeDecodeError as exc:
        reason = f"{path.name} is not UTF-8 (byte {exc.start}): save it as UTF-8 text"
    except OkrParseError as exc:
        reason = str(exc)
    return Book(problems=[Problem(path.name, None, None, None, reason)])


_COLUMN_OF = {"started": "started_at", "finished": "finished_at"}
_STORED = {*_COUNTS, "state", "dry_run", "sheet", "error", "report", "problems_csv",
           "started", "finished", "data"}


@dataclass
class Tracker:
    """Keeps the progress of one run in its row (from a session of its own, at most every
    EVERY_S seconds) and in `LIVE`; `in_db_while_importing` False (SQLite): the rows
    checked during the import stay in `LIVE` (the import holds the write lock)."""

    engine: Engine
    ws: int
    token: str
    state: dict[str, Any] = field(default_factory=dict)
    in_db_while_importing: bool = True
    importing: bool = False
    last: float = 0.0

    def set(self, force: bool = True, **values: Any) -> None:
        self.state.update(values)
        with _LIVE_LOCK:
            LIVE[self.token] = {k: v for k, v in self.state.items()
                                if k not in ("report", "problems_csv", "data")}
        if self.importing and not self.in_db_while_importing:
            return
        now = time.monotonic()
        if force or now - self.last >= EVERY_S:
            self.last = now
            self.save()

    def save(self) -> None:
        values = {_COLUMN_OF.get(k, k): v for k, v in self.state.items() if k in _STORED}
        try:
            with unit_of_work(make_sessionmaker(self.engine)) as s:
                s.execute(update(ImportUpload).where(
                    ImportUpload.workspace_id == self.ws,
                    ImportUpload.token == self.token).values(
                    **values, updated_at=dt.datetime.now(dt.UTC)))
        except Exception:  # progress is secondary; the final state is written again
            if self.state.get("state") in FINAL:
                raise
            log.exception("could not write the progress of upload %s", self.token)

    def progress(self, sheet: str, done: int, total: int) -> None:
        # Every row checked: what is left is the rows that referred further down, and
        # then (not in a dry run) the commit.
        last = done >= total
        self.set(force=last, sheet=sheet, rows_checked=done, rows_total=total,
                 state="writing" if last and not self.state.get("dry_run") else "checking")


def _source(engine: Engine, ws: int, token: str) -> tuple[str, bytes, str] | str:
    """The upload's (name, bytes, sha256), or why the job cannot run it."""
    if not TOKEN.fullmatch(token):
        return "the upload is gone"
    with unit_of_work(make_sessionmaker(engine)) as s:
        row = s.execute(select(ImportUpload.name, ImportUpload.data, ImportUpload.sha256)
                        .where(ImportUpload.workspace_id == ws,
                               ImportUpload.token == token)).one_or_none()
    if row is None:
        return f"the upload is gone (uploads are kept {KEEP_DAYS} days)"
    if not row.data and row.sha256 != hashlib.sha256(b"").hexdigest():
        return "the file was imported already"
    if hashlib.sha256(row.data).hexdigest() != row.sha256:
        return "the stored file is damaged (its sha256 differs): upload it again"
    return row.name, row.data if isinstance(row.data, bytes) else bytes(row.data), row.sha256


def run(engine: Engine, ws: int, token: str, dry_run: bool,
        actor: str | None = None) -> dict[str, Any]:
    """What the `import_upload` job does: check (or import) the upload `token` for
    `actor` (who uploaded it: the audit names them); the result the page shows. Never
    raises for a bad file: that is the report. Needs nothing but the database: the
    bytes are written to a private folder of this process for the reader and removed."""
    found = _source(engine, ws, token)
    if isinstance(found, str):
        if "damaged" in found:  # the row says why (an imported one keeps its report)
            Tracker(engine, ws, token, {"state": "failed", "error": found[0].upper()
                                        + found[1:] + "."}).set()
        return {"state": "failed", "error": found}
    name, data, _sha = found
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    track = Tracker(engine, ws, token, {
        "state": "reading", "dry_run": dry_run, "started": started, "rows_read": 0,
        "rows_checked": 0, "rows_total": 0, "rows_written": 0, "sheet": None,
        "error": None}, in_db_while_importing=engine.dialect.name != "sqlite")
    track.set()
    error = None
    try:
        from steerco.transfer import mapping

        with unit_of_work(make_sessionmaker(engine)) as s:
            saved = mapping.load(s, ws)
        with tempfile.TemporaryDirectory(prefix="steerco-import-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            del data
            book = book_of(path, saved)
        rows = sum(len(t.rows) for t in book.tables.values())
        track.set(state="checking", rows_read=rows, rows_total=rows)
        track.importing = True
        report = import_book(engine, ws, book, dry_run=dry_run, progress=track.progress,
                             actor=actor, via=f"import of {name}")
        track.importing = False
        written = sum(c["create"] + c["update"] for c in report.counts().values()) \
            if report.written else 0
        out = _result(name, book, report)
        done: dict[str, Any] = {"report": out, "problems_csv": report.problems_csv()}
        if report.written:  # it cannot be imported twice: the bytes are not needed
            done["data"] = b""
        track.set(state="done", rows_checked=track.state.get("rows_total", rows),
                  rows_written=written, finished=dt.datetime.now(dt.UTC), **done)
        return out
    except Exception as exc:  # the job reports it; the page never shows a traceback
        log.exception("import of %s failed", name)
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        track.importing = False
        try:
            track.set(state="failed", finished=dt.datetime.now(dt.UTC), error=(
                f"The import stopped unexpectedly ({type(exc).__name__}); nothing was "
                "written."))
        except Exception:
            log.exception("could not record the failure of upload %s", token)
        return {"state": "failed", "error": error}
    finally:
        with _LIVE_LOCK:
            LIVE.pop(token, None)
        _record(engine, ws, started, (time.perf_counter() - t0) * 1000, error)


def _result(name: str, book: Book, report: Report) -> dict[str, Any]:
    from steerco.transfer.spec import BY_NAME

    return {
        "state": "done", "name": name, "dry_run": report.dry_run, "written": report.written,
        "ok": report.ok, "changed": report.changed, "counts": report.counts(),
        "problem_count": len(report.problems),
        "problems": [{"sheet": p.sheet, "row": p.row, "column": p.column,
                      "value": None if p.value is None else str(p.value)[:200],
                      "reason": p.reason} for p in report.problems[:SHOWN]],
        # Columns the page offers to map: (sheet kind, its title, the file's header).
        "unmapped": [{"sheet": s, "title": BY_NAME[s].title, "header": h,
                      "columns": [c.name for c in BY_NAME[s].columns]}
                     for s, h in dict.fromkeys(book.unmapped)],
    }


def _record(engine: Engine, ws: int, started: dt.datetime, ms: float,
            error: str | None) -> None:
    """The run on Admin → Jobs (`import`: last run, duration, last error)."""
    from steerco.jobs.repository import record_status

    try:
        with unit_of_work(make_sessionmaker(engine)) as s:
            record_status(s, ws, "import", started, ms, error)
    except Exception:  # the import's own outcome stands; the status row is secondary
        log.exception("could not record the import job's status")

"""An uploaded import file and the job that checks or imports it, with its progress.

The page stores the upload in a private folder (`ROOT/ws<id>-<token>`, mode 0700) and
enqueues the `import_upload` job (jobs/queue.py); the job reads the file with the
workspace's saved column mapping, runs it through the one pipeline (`run.import_book`:
a dry run, or the import, all or nothing) and keeps what the page shows in the folder:

- `status.json`: the phase (queued → reading → checking → writing → done | failed) and
  the rows read, checked and written, rewritten at most every `EVERY_S` seconds while it
  runs. It is a file, not a database row, because on SQLite the import holds the
  database's write lock until it ends: a progress row could not be written beside it.
- `result.json`: the report for the page (counts per sheet, the first `SHOWN` problems,
  the columns that could be mapped), and `problems.csv`: every problem.

The folder is on the server's disk, so a `steerco worker` on another machine cannot
run these jobs: run imports with the in-process consumer of `steerco serve` (the default)
or with workers on the same host. Folders older than `KEEP_S` are removed on the next
upload.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.transfer.read import MAX_BYTES, Book, read_path
from steerco.transfer.report import Problem, Report
from steerco.transfer.run import import_book

log = logging.getLogger("steerco.transfer")
ROOT = Path(tempfile.gettempdir()) / "steerco-uploads"
SUFFIXES = (".xlsx", ".xlsm", ".csv", ".md")
STATE_FILES = ("status.json", "result.json", "problems.csv")
#: Problems the page lists (the CSV download has them all).
SHOWN = 500
EVERY_S = 0.25
KEEP_S = 24 * 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class UploadRefused(ValueError):
    """A file the page does not take (no name, not a kind it reads, too large)."""


def check(name: str, size: int, max_bytes: int = MAX_BYTES) -> None:
    """Refuse what cannot be imported before it is stored, naming the file and why."""
    if not name:
        raise UploadRefused("Choose a file: an .xlsx workbook, a .csv file named after its "
                            "sheet, or OKRs as a markdown (.md) file.")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UploadRefused(f"“{name}” is not a spreadsheet or an OKR file: give an .xlsx, "
                            ".csv or .md file.")
    if size > max_bytes:
        raise UploadRefused(f"“{name}” is larger than {max_bytes // 2**20} MB: split it (e.g. "
                            "one file per sheet, or measurements by year), or import it on the "
                            "server with steerco import FILE --max-mb N.")


def store(ws: int, name: str, data: bytes, dry_run: bool = True) -> str:
    """Keep an upload for the job (and for "Import it" after its dry run); its token."""
    _sweep()
    token = secrets.token_urlsafe(18)
    folder = ROOT / f"ws{ws}-{token}"
    folder.mkdir(parents=True, mode=0o700)
    (folder / Path(name).name).write_bytes(data)
    set_status(folder, {"state": "queued", "dry_run": dry_run, "name": Path(name).name})
    return token


def folder_of(ws: int, token: str) -> Path | None:
    """The folder of an upload of workspace `ws` (None: no such upload, or another's)."""
    if not TOKEN.fullmatch(token):
        return None
    folder = ROOT / f"ws{ws}-{token}"
    return folder if folder.is_dir() else None


def source(folder: Path) -> Path:
    """The uploaded file in its folder."""
    return next(p for p in folder.iterdir()
                if p.name not in STATE_FILES and not p.name.endswith(".tmp"))


def status(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / "status.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {"state": "queued"}


def result(folder: Path) -> dict[str, Any] | None:
    try:
        return dict(json.loads((folder / "result.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def set_status(folder: Path, data: dict[str, Any]) -> None:
    """Replace status.json in one step (a reader never sees half a file)."""
    _write(folder / "status.json", json.dumps(data, default=str))


def queue_run(folder: Path, dry_run: bool) -> None:
    """Mark an upload queued again (for "Import it" after its dry run)."""
    (folder / "result.json").unlink(missing_ok=True)
    set_status(folder, {"state": "queued", "dry_run": dry_run, "name": source(folder).name})


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _sweep() -> None:
    if not ROOT.is_dir():
        return
    cutoff = time.time() - KEEP_S
    for f in ROOT.iterdir():
        try:
            if f.is_dir() and f.stat().st_mtime < cutoff:
                shutil.rmtree(f, ignore_errors=True)
        except OSError:
            continue


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


@dataclass
class Tracker:
    """Writes the progress of one run to status.json, at most every EVERY_S seconds."""

    folder: Path
    state: dict[str, Any] = field(default_factory=dict)
    last: float = 0.0

    def set(self, force: bool = True, **values: Any) -> None:
        self.state.update(values)
        now = time.monotonic()
        if force or now - self.last >= EVERY_S:
            self.last = now
            set_status(self.folder, self.state)

    def progress(self, sheet: str, done: int, total: int) -> None:
        # Every row checked: what is left is the rows that referred further down, and
        # then (not in a dry run) the commit.
        last = done >= total
        self.set(force=last, sheet=sheet, rows_checked=done, rows_total=total,
                 state="writing" if last and not self.state.get("dry_run") else "checking")


def run(engine: Engine, ws: int, token: str, dry_run: bool,
        actor: str | None = None) -> dict[str, Any]:
    """What the `import_upload` job does: check (or import) the upload `token` for
    `actor` (who uploaded it: the audit names them); the result the page shows. Never
    raises for a bad file: that is the report."""
    folder = folder_of(ws, token)
    if folder is None:
        return {"state": "failed", "error": "the upload is gone (uploads are kept a day)"}
    path = source(folder)
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    track = Tracker(folder, {"state": "reading", "dry_run": dry_run, "name": path.name,
                             "started": started.isoformat(), "rows_read": 0,
                             "rows_checked": 0, "rows_total": 0, "rows_written": 0})
    track.set()
    error = None
    try:
        from steerco.transfer import mapping

        with unit_of_work(make_sessionmaker(engine)) as s:
            saved = mapping.load(s, ws)
        book = book_of(path, saved)
        rows = sum(len(t.rows) for t in book.tables.values())
        track.set(state="checking", rows_read=rows, rows_total=rows)
        report = import_book(engine, ws, book, dry_run=dry_run, progress=track.progress,
                             actor=actor, via=f"import of {path.name}")
        written = sum(c["create"] + c["update"] for c in report.counts().values()) \
            if report.written else 0
        out = _result(path.name, book, report)
        _write(folder / "problems.csv", report.problems_csv())
        _write(folder / "result.json", json.dumps(out, default=str))
        track.set(state="done", rows_checked=track.state.get("rows_total", rows),
                  rows_written=written, finished=dt.datetime.now(dt.UTC).isoformat())
        return out
    except Exception as exc:  # the job reports it; the page never shows a traceback
        log.exception("import of %s failed", path.name)
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        track.set(state="failed", error=(
            f"The import stopped unexpectedly ({type(exc).__name__}); nothing was written."))
        return {"state": "failed", "error": error}
    finally:
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

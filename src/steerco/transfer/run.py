"""The boundary of an import: one unit of work that commits only a clean, real run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from steerco.db.engine import make_sessionmaker
from steerco.transfer.pipeline import Progress, stage
from steerco.transfer.read import MAX_BYTES, Book, read_path
from steerco.transfer.report import Report


def import_book(engine: Engine, workspace_id: int, book: Book, *, dry_run: bool = False,
                today: dt.date | None = None, progress: Progress | None = None) -> Report:
    """Stage every row; commit when nothing was refused and it is not a dry run."""
    session = make_sessionmaker(engine)()
    try:
        if book.problems and not any(t.rows for t in book.tables.values()):
            report = Report(problems=list(book.problems))
        else:
            report = stage(session, workspace_id, book, today=today, progress=progress)
        report.dry_run = dry_run
        if report.ok and not dry_run:
            session.commit()
            report.written = True
        else:
            session.rollback()
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def import_file(engine: Engine, workspace_id: int, path: Path, *, dry_run: bool = False,
                today: dt.date | None = None, progress: Progress | None = None,
                max_bytes: int = MAX_BYTES) -> Report:
    return import_book(engine, workspace_id, read_path(path, max_bytes), dry_run=dry_run,
                       today=today, progress=progress)

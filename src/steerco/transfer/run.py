"""The boundary of an import: one unit of work that commits only a clean, real run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from steerco.db.audit import acting
from steerco.db.engine import make_sessionmaker
from steerco.transfer.pipeline import Progress, stage
from steerco.transfer.read import MAX_BYTES, Book, read_path
from steerco.transfer.report import Report


def import_book(engine: Engine, workspace_id: int, book: Book, *, dry_run: bool = False,
                today: dt.date | None = None, progress: Progress | None = None,
                actor: str | None = None, via: str = "import") -> Report:
    """Stage every row; commit when nothing was refused and it is not a dry run.

    Every row written is audited with the actor "<actor> via <via>", e.g. "per_7 via
    import of plan.xlsx" (`actor`: who started it, as `session.info["actor"]` names people
    and tokens elsewhere).
    """
    session = make_sessionmaker(engine)()
    session.info["actor"] = acting(actor, via)
    try:
        if book.problems and not any(t.rows for t in book.tables.values()):
            report = Report(problems=list(book.problems))
        else:
            report = stage(session, workspace_id, book, today=today, progress=progress)
        report.dry_run = dry_run
        if report.ok and not dry_run:
            # The event leaves in the same transaction as the import it reports (an
            # import that changed nothing, e.g. a nightly re-sync, tells nobody).
            if report.changed:
                _queue_finished(session, workspace_id, book, report)
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


def _queue_finished(session: Session, workspace_id: int, book: Book, report: Report) -> None:
    """Stage one `import.finished` outbox message (webhooks; no person is its recipient)
    naming the file and what changed per sheet, e.g. "Objectives 3 new, 2 updated"."""
    from steerco.jobs import repository as jobs_repo
    from steerco.kit import clock

    counts = report.counts()
    parts = [f"{_title(book, sheet)} {c['create']} new, {c['update']} updated"
             for sheet, c in counts.items() if c["create"] or c["update"]]
    title = "Import finished: " + "; ".join(parts)
    jobs_repo.queue(session, workspace_id, "event", "", {
        "event": "import.finished", "subject": "import", "title": title,
        "path": "/admin/import", "counts": counts, "action": ""}, clock.now())


def _title(book: Book, sheet: str) -> str:
    try:
        return book.title(sheet)
    except StopIteration:  # a bulk sheet that is not in the spec: its own name
        return sheet


def import_file(engine: Engine, workspace_id: int, path: Path, *, dry_run: bool = False,
                today: dt.date | None = None, progress: Progress | None = None,
                max_bytes: int = MAX_BYTES, actor: str | None = None,
                mapping: dict[str, dict[str, str]] | None = None) -> Report:
    """Read and import a file; `mapping` None: the workspace's saved column mapping."""
    if mapping is None:
        from steerco.transfer.mapping import load

        with Session(engine) as session:
            mapping = load(session, workspace_id)
    return import_book(engine, workspace_id, read_path(path, max_bytes, mapping),
                       dry_run=dry_run, today=today, progress=progress, actor=actor,
                       via=f"import of {path.name}")

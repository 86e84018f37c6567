"""Evidence files: uploads are staged per workspace and kept only when a check-in commits.

A file reaches a measurement in two steps. An upload (`POST /api/v1/evidence-files`, or
the check-in form) is written to the workspace's staging folder and answered with an
opaque handle; nothing else about the disk is exposed. A check-in naming the handle
moves the staged file into the metric's folder (`<workspace>/<metric>/<random>_<name>`)
and stores that relative path; when the transaction rolls back the move is undone, so a
refused check-in keeps nothing. A handle works only in the workspace that uploaded it:
it is looked up in that workspace's staging folder and nowhere else. Staged files expire
after STAGING_TTL, and each workspace stages at most STAGING_MAX files.

Serving checks that the stored path lies inside the measurement's own workspace folder,
whatever the database says.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from steerco.kit.errors import FieldError, ValidationFailed

MAX_UPLOAD = 20 * 1024 * 1024
STAGING_TTL = 3600.0
STAGING_MAX = 50
HANDLE = re.compile(r"upl_[A-Za-z0-9_-]{32}")
_STAGING = ".uploads"
_MOVES = "evidence_moves"


def evidence_dir() -> Path:
    """Where evidence files are stored (STEERCO_EVIDENCE_DIR, default ./evidence)."""
    return Path(os.environ.get("STEERCO_EVIDENCE_DIR", "evidence")).resolve()


def _staging(workspace_id: int) -> Path:
    return evidence_dir() / _STAGING / str(int(workspace_id))


def safe_name(filename: str | None) -> str:
    """A file name fit for the disk and a download: letters, digits, `._-` only."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename or "evidence")[-80:].lstrip(".")
    return name or "evidence"


def _sweep(folder: Path, now: float) -> None:
    """Drop expired staged files, then the oldest beyond STAGING_MAX - 1 (room for one)."""
    files = sorted((p for p in folder.glob("upl_*") if p.suffix != ".name"),
                   key=lambda p: p.stat().st_mtime)
    keep = []
    for p in files:
        if now - p.stat().st_mtime > STAGING_TTL:
            _remove(p)
        else:
            keep.append(p)
    for p in keep[:max(0, len(keep) - (STAGING_MAX - 1))]:
        _remove(p)


def _remove(staged: Path) -> None:
    for p in (staged, staged.with_name(staged.name + ".name")):
        p.unlink(missing_ok=True)


def stage(workspace_id: int, filename: str | None, data: bytes) -> str:
    """Stage an upload for this workspace; return its opaque handle."""
    folder = _staging(workspace_id)
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder, time.time())
    handle = "upl_" + secrets.token_urlsafe(24)
    (folder / handle).write_bytes(data)
    (folder / f"{handle}.name").write_text(safe_name(filename))
    return handle


def discard(workspace_id: int, handle: str) -> None:
    """Forget a staged upload (the check-in form's, when its check-in was refused)."""
    if HANDLE.fullmatch(handle):
        _remove(_staging(workspace_id) / handle)


def claim(session: Session, workspace_id: int, handle: str, metric_id: int,
          field: str = "evidence_file") -> str:
    """Move this workspace's staged upload `handle` to the metric's folder; return the
    relative path to store. Undone if the session's transaction rolls back."""
    return claim_into(session, workspace_id, handle, str(int(metric_id)), field)


def claim_into(session: Session, workspace_id: int, handle: str, folder: str,
               field: str = "evidence_file") -> str:
    """Move this workspace's staged upload `handle` into `folder` of the workspace's
    evidence (a metric's number, or e.g. "milestones/12"); return the relative path.
    Undone if the session's transaction rolls back."""
    if not HANDLE.fullmatch(handle):
        raise ValidationFailed(FieldError(
            field, "must be the handle of an upload (POST /api/v1/evidence-files answers "
                   "one), not a path", handle[:100]))
    staged = _staging(workspace_id) / handle
    if not staged.is_file():
        raise ValidationFailed(FieldError(
            field, "no upload with this handle in this workspace (uploads expire after "
                   f"{int(STAGING_TTL // 60)} minutes)", handle))
    label = staged.with_name(staged.name + ".name")
    name = safe_name(label.read_text() if label.is_file() else None)
    rel = f"{int(workspace_id)}/{folder}/{secrets.token_hex(8)}_{name}"
    target = evidence_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)
    session.info.setdefault(_MOVES, []).append((staged, target))
    return rel


def stored_path(workspace_id: int, rel: str | None) -> Path | None:
    """The file of a measurement of `workspace_id`, or None unless it is a regular file
    inside that workspace's own folder (never another workspace's, never elsewhere)."""
    if not rel:
        return None
    base = (evidence_dir() / str(int(workspace_id))).resolve()
    try:
        path = (base / rel.removeprefix(f"{int(workspace_id)}/")).resolve()
    except (OSError, ValueError):
        return None
    if base not in path.parents or not path.is_file():
        return None
    return path


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    for staged, _target in session.info.pop(_MOVES, []):
        staged.with_name(staged.name + ".name").unlink(missing_ok=True)


@event.listens_for(Session, "after_rollback")
def _undo(session: Session) -> None:
    # Back to staging: the client may retry the check-in with the same handle.
    for staged, target in reversed(session.info.pop(_MOVES, [])):
        try:
            os.replace(target, staged)
        except OSError:
            target.unlink(missing_ok=True)

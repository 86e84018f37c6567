"""An upload is checked and imported by the `import_upload` huey job: the file, its
progress (rows read, checked, written) and its report live in the database
(`import_uploads`), so a worker that shares nothing with the web process but the
database runs it and any session reads its progress; on the queue in immediate mode, in
the in-process consumer `steerco serve` runs, and in a worker on the Redis queue."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.models import ImportUpload, JobStatus
from steerco.jobs.queue import make_huey, start_consumer
from steerco.transfer import upload
from tests.transfer.conftest import counts

REDIS = "redis://127.0.0.1:6379/15"

#: People who need nothing else in the workspace (no unit, managers in the file).
PEOPLE = ("email,name,title,manager\nada@acme.example,Ada Lovelace,CEO,\n"
          "grace@acme.example,Grace Hopper,COO,ada@acme.example\n"
          "alan@acme.example,Alan Turing,Engineer,Grace Hopper\n")


def _huey(engine: Engine, tmp_path: Path, immediate: bool = True, name: str = "",
          url: str = "") -> Any:
    h = make_huey(url or str(tmp_path / "jobs.db"), "sqlite:///unused.db",
                  factory=make_sessionmaker(engine), name=name or f"t-{uuid.uuid4().hex[:8]}")
    h.immediate = immediate
    return h


def _store(engine: Engine, ws: int, name: str, data: bytes | str,
           actor: str | None = "per_1") -> str:
    raw = data.encode() if isinstance(data, str) else data
    with unit_of_work(make_sessionmaker(engine)) as s:
        return upload.store(s, ws, name, raw, True, actor)


def _get(engine: Engine, ws: int, token: str) -> upload.Upload:
    with make_sessionmaker(engine, readonly=True)() as s:
        found = upload.get(s, ws, token)
    assert found is not None
    return found


def _row(engine: Engine, ws: int, token: str) -> Any:
    with make_sessionmaker(engine, readonly=True)() as s:
        return s.execute(select(ImportUpload.state, ImportUpload.rows_read,
                                ImportUpload.rows_checked, ImportUpload.rows_total,
                                ImportUpload.rows_written, ImportUpload.data,
                                ImportUpload.problems_csv).where(
            ImportUpload.workspace_id == ws, ImportUpload.token == token)).one()


def _states(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    real = upload.Tracker.set

    def record(self: upload.Tracker, force: bool = True, **values: Any) -> None:
        real(self, force, **values)
        seen.append(dict(self.state))

    monkeypatch.setattr(upload.Tracker, "set", record)
    return seen


def _wait(engine: Engine, ws: int, token: str, seconds: float = 90) -> upload.Upload:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _get(engine, ws, token)
        if found.state in upload.FINAL:
            return found
        time.sleep(0.1)
    raise AssertionError(f"the job did not finish: {_get(engine, ws, token).status}")


@pytest.fixture()
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This process's temporary folder, emptied afterwards (nothing may stay in it)."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    yield where


def test_the_upload_is_a_row_with_its_bytes_hash_and_who(engine: Engine, ws: int,
                                                          private_tmp: Path) -> None:
    token = _store(engine, ws, "../people.csv", PEOPLE)
    assert list(private_tmp.iterdir()) == []  # nothing on the web process's disk
    with make_sessionmaker(engine, readonly=True)() as s:
        row = s.scalars(select(ImportUpload).where(ImportUpload.token == token)).one()
        assert (row.workspace_id, row.name, row.size, row.actor, row.state, row.dry_run) == (
            ws, "people.csv", len(PEOPLE), "per_1", "queued", True)
        assert row.sha256 == hashlib.sha256(PEOPLE.encode()).hexdigest()
        assert row.data == PEOPLE.encode()


def test_a_dry_run_job_reports_progress_then_the_report_and_writes_nothing(
        engine: Engine, ws: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _states(monkeypatch)
    monkeypatch.setattr(upload, "EVERY_S", 0.0)  # every progress call is written
    people = PEOPLE + "".join(f"p{i}@acme.example,Person {i},,\n" for i in range(450))
    token = _store(engine, ws, "people.csv", people)
    before = counts(engine, ws)
    _huey(engine, tmp_path).import_upload(ws, token, True)
    states = [s["state"] for s in seen]
    assert states[0] == "reading" and states[-1] == "done"
    checked = [s["rows_checked"] for s in seen if s["state"] == "checking"]
    assert checked == sorted(checked) and checked[-1] == 453 and len(set(checked)) >= 3
    assert all(s["rows_total"] == 453 for s in seen if s["state"] == "checking")
    final = _get(engine, ws, token)
    st = final.status
    assert (st["rows_read"], st["rows_checked"], st["rows_written"]) == (453, 453, 0)
    res = final.result
    assert res is not None and res["dry_run"] and res["ok"] and not res["written"]
    assert res["counts"] == {"People": {"create": 453, "update": 0, "unchanged": 0}}
    assert counts(engine, ws) == before | {"job_status": 1}  # only the run's status row
    assert upload.LIVE == {}


def test_the_apply_job_writes_all_rows_counts_them_and_drops_the_bytes(
        engine: Engine, ws: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = _store(engine, ws, "people.csv", PEOPLE)
    huey = _huey(engine, tmp_path)
    huey.import_upload(ws, token, True)
    with unit_of_work(make_sessionmaker(engine)) as s:
        assert upload.queue_run(s, ws, token, dry_run=False)
    again = _get(engine, ws, token)
    assert again.state == "queued" and again.result is None
    seen = _states(monkeypatch)
    huey.import_upload(ws, token, False)
    assert [s["state"] for s in seen][-2:] == ["writing", "done"]
    res = _get(engine, ws, token).result
    assert res is not None and res["written"] and not res["dry_run"]
    row = _row(engine, ws, token)
    assert row.rows_written == 3 and row.data == b""  # imported: the file is not kept
    assert counts(engine, ws)["people"] == 3
    with make_sessionmaker(engine, readonly=True)() as s:  # Admin → Jobs lists the run
        status = s.get(JobStatus, (ws, "import"))
        assert status is not None and status.runs == 2 and status.last_error is None
    # Import it again (a second click): not queued; a duplicate job: refused. Nothing is
    # imported twice and the import's report stays.
    with unit_of_work(make_sessionmaker(engine)) as s:
        assert not upload.queue_run(s, ws, token, dry_run=False)
    assert upload.run(engine, ws, token, False)["error"] == "the file was imported already"
    assert counts(engine, ws)["people"] == 3
    kept = _get(engine, ws, token)
    assert kept.state == "done" and kept.result is not None and kept.result["written"]


def test_a_bad_upload_gets_the_problems_as_csv_and_writes_nothing(
        engine: Engine, ws: int, tmp_path: Path) -> None:
    bad = PEOPLE + "zed@acme.example,Zed,,nobody@nowhere.example\n"
    token = _store(engine, ws, "people.csv", bad)
    _huey(engine, tmp_path).import_upload(ws, token, False)
    res = _get(engine, ws, token).result
    assert res is not None and not res["ok"] and not res["written"]
    assert res["problems"] == [{"sheet": "people", "row": 5, "column": "manager",
                                "value": "nobody@nowhere.example",
                                "reason": "no person with e-mail nobody@nowhere.example in "
                                          "this workspace or this file"}]
    with make_sessionmaker(engine, readonly=True)() as s:
        csv = (upload.problems_csv(s, ws, token) or "").splitlines()
    assert csv[0] == "sheet,row,column,value,reason" and csv[1].startswith("people,5,manager")
    assert _get(engine, ws, token).status["rows_written"] == 0
    assert counts(engine, ws)["people"] == 0


def test_a_job_that_fails_says_so_and_writes_nothing(
        engine: Engine, ws: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(upload, "import_book", boom)
    token = _store(engine, ws, "people.csv", PEOPLE)
    _huey(engine, tmp_path).import_upload(ws, token, False)
    st = _get(engine, ws, token).status
    assert st["state"] == "failed"
    assert st["error"] == "The import stopped unexpectedly (RuntimeError); nothing was written."
    assert counts(engine, ws)["people"] == 0
    with make_sessionmaker(engine, readonly=True)() as s:
        row = s.get(JobStatus, (ws, "import"))
        assert row is not None and row.last_error == "RuntimeError: disk on fire"


def test_the_in_process_consumer_runs_the_job(engine: Engine, ws: int, tmp_path: Path) -> None:
    """What `steerco serve` does: a consumer thread on the SQLite queue beside the
    database; the page enqueues on another huey instance of the same file."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    huey = _huey(engine, tmp_path, immediate=False, name=name)
    consumer = start_consumer(_huey(engine, tmp_path, immediate=False, name=name),
                              periodic=False)
    try:
        token = _store(engine, ws, "people.csv", PEOPLE)
        huey.import_upload(ws, token, True)
        res = _wait(engine, ws, token).result
    finally:
        consumer.stop(graceful=True)
    assert res is not None and res["ok"] and res["counts"]["People"]["create"] == 3


def test_a_worker_on_the_redis_queue_that_shares_no_folder_with_the_web_runs_the_job(
        engine: Engine, database_url: str, ws: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`steerco worker` on another host: its own engine and temporary folder, the web
    process's temporary folder gone before the job starts; the job still runs."""
    web_tmp, worker_tmp = tmp_path / "web", tmp_path / "worker"
    web_tmp.mkdir()
    worker_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(web_tmp))
    token = _store(engine, ws, "people.csv", PEOPLE)
    web_tmp.rmdir()  # fails if the upload left anything there
    monkeypatch.setattr(tempfile, "tempdir", str(worker_tmp))
    used: list[str] = []
    real = tempfile.TemporaryDirectory

    def spy(*a: Any, **k: Any) -> Any:
        folder = real(*a, **k)
        used.append(folder.name)
        return folder

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    name = f"steerco-test-{uuid.uuid4().hex[:8]}"
    web = _huey(engine, tmp_path, immediate=False, name=name, url=REDIS)
    worker_engine = make_engine(database_url)
    consumer = start_consumer(_huey(worker_engine, tmp_path, immediate=False, name=name,
                                    url=REDIS), periodic=False)
    try:
        web.import_upload(ws, token, False, "per_1")
        done = _wait(engine, ws, token)
    finally:
        consumer.stop(graceful=True)
        web.storage.flush_all()
        worker_engine.dispose()
    assert done.state == "done", done.status
    assert done.result is not None and done.result["written"]
    assert counts(engine, ws)["people"] == 3
    assert used and all(u.startswith(str(worker_tmp)) for u in used)
    assert list(worker_tmp.iterdir()) == []  # the worker's copy is gone too


def test_progress_is_read_from_another_connection_while_the_job_runs(
        engine: Engine, database_url: str, ws: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another web process (its own engine) sees the state and rows while the job runs:
    on PostgreSQL the rows checked as they grow; on SQLite (the import holds the write
    lock) the phase and rows read from the database, the rows checked in this process."""
    monkeypatch.setattr(upload, "EVERY_S", 0.0)
    people = PEOPLE + "".join(f"p{i}@acme.example,Person {i},,\n" for i in range(300))
    token = _store(engine, ws, "people.csv", people)
    other = make_engine(database_url)
    seen: list[tuple[str, int, int]] = []
    here: list[int] = []
    real = upload.Tracker.progress

    def watch(self: upload.Tracker, sheet: str, done: int, total: int) -> None:
        real(self, sheet, done, total)
        row = _row(other, ws, token)
        seen.append((row.state, row.rows_read, row.rows_checked))
        here.append(int(_get(engine, ws, token).status["rows_checked"]))

    monkeypatch.setattr(upload.Tracker, "progress", watch)
    try:
        _huey(engine, tmp_path).import_upload(ws, token, True)
    finally:
        other.dispose()
    assert seen and all(state in ("checking", "writing") and read == 303
                        for state, read, _ in seen)
    assert here == sorted(here) and here[-1] == 303 and len(set(here)) >= 3
    checked = [c for _, _, c in seen]
    if engine.dialect.name == "postgresql":
        assert checked == here
    else:
        assert set(checked) == {0}
    assert _get(engine, ws, token).status["rows_checked"] == 303


def _age(engine: Engine, token: str, days: float) -> None:
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.execute(update(ImportUpload).where(ImportUpload.token == token).values(
            updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days)))


def test_uploads_unchanged_for_keep_days_are_swept_by_the_next_upload(
        engine: Engine, ws: int) -> None:
    old, recent = _store(engine, ws, "a.csv", PEOPLE), _store(engine, ws, "b.csv", PEOPLE)
    _age(engine, old, upload.KEEP_DAYS + 0.1)
    _age(engine, recent, upload.KEEP_DAYS - 1)
    _store(engine, ws, "c.csv", PEOPLE)
    with make_sessionmaker(engine, readonly=True)() as s:
        assert upload.get(s, ws, old) is None
        assert upload.get(s, ws, recent) is not None
    assert upload.run(engine, ws, old, True) == {
        "state": "failed", "error": f"the upload is gone (uploads are kept "
                                    f"{upload.KEEP_DAYS} days)"}


def test_an_upload_of_another_workspace_or_a_forged_token_is_not_found(
        engine: Engine, ws: int) -> None:
    token = _store(engine, ws, "people.csv", "email,name\n")
    with make_sessionmaker(engine, readonly=True)() as s:
        assert upload.get(s, ws, token) is not None
        assert upload.get(s, ws + 1, token) is None
        assert upload.get(s, ws, "../../etc") is None
        assert upload.problems_csv(s, ws + 1, token) is None
    assert upload.run(engine, ws + 1, token, True)["state"] == "failed"


@pytest.mark.parametrize(("name", "size", "reason"), [
    ("", 0, "Choose a file"),
    ("notes.docx", 10, "“notes.docx” is not a spreadsheet or an OKR file"),
    ("big.csv", 50 * 2**20 + 1, "“big.csv” is 52,428,801 bytes; the limit is 50 MB."),
    ("plan.xlsx", 63 * 2**20, "“plan.xlsx” is 63 MB; the limit is 50 MB. Nothing was stored"),
    ("plan.xlsx", 50 * 2**20 + 300_000, "“plan.xlsx” is 50.3 MB; the limit is 50 MB."),
])
def test_the_page_refuses_a_file_before_storing_it(name: str, size: int, reason: str) -> None:
    with pytest.raises(upload.UploadRefused) as exc:
        upload.check(name, size)
    assert str(exc.value).startswith(reason)


def test_measurements_progress_in_bulk(engine: Engine, ws: int, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk sheet (measurements) reports its rows checked too."""
    seen = _states(monkeypatch)
    rows = "metric,as_of,value\n" + "".join(
        f"M1,{2025 - i // 365:04d}-{1 + i % 12:02d}-{1 + i % 28:02d},{i}\n" for i in range(40))
    token = _store(engine, ws, "measurements.csv", rows)
    _huey(engine, tmp_path).import_upload(ws, token, True)
    assert seen[-1]["state"] == "done" and seen[-1]["rows_read"] == 40
    assert seen[-1]["rows_checked"] == 40


def test_the_daily_uploads_job_deletes_the_workspaces_old_uploads(engine: Engine,
                                                                   ws: int) -> None:
    from steerco.jobs.schedule import DAILY
    from steerco.org.service import create_workspace

    with unit_of_work(make_sessionmaker(engine)) as s:
        other = create_workspace(s, {"slug": f"o-{uuid.uuid4().hex[:10]}", "name": "O"}).id
    old, recent = _store(engine, ws, "a.csv", PEOPLE), _store(engine, ws, "b.csv", PEOPLE)
    foreign = _store(engine, other, "a.csv", PEOPLE)
    for token in (old, foreign):
        _age(engine, token, upload.KEEP_DAYS + 0.1)
    _age(engine, recent, upload.KEEP_DAYS - 1)
    job = next(j for j in DAILY if j.name == "uploads")
    now = dt.datetime.now(dt.UTC)
    assert job.run is not None
    with unit_of_work(make_sessionmaker(engine)) as s:
        assert job.run(s, ws, now.date(), now) == {"deleted": 1}
    with make_sessionmaker(engine, readonly=True)() as s:
        assert upload.get(s, ws, old) is None and upload.get(s, ws, recent) is not None
        assert upload.get(s, other, foreign) is not None  # its own workspace's job's


def test_a_file_changed_in_the_database_is_not_imported(engine: Engine, ws: int) -> None:
    token = _store(engine, ws, "people.csv", PEOPLE)
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.execute(update(ImportUpload).where(ImportUpload.token == token).values(
            data=PEOPLE.replace("Ada", "Eve").encode()))
    assert upload.run(engine, ws, token, False)["state"] == "failed"
    st = _get(engine, ws, token).status
    assert st["state"] == "failed" and st["error"] == (
        "The stored file is damaged (its sha256 differs): upload it again.")
    assert counts(engine, ws)["people"] == 0

"""An upload is checked and imported by the `import_upload` huey job: progress (rows read,
checked, written) in status.json while it runs, then the report; on the queue in
immediate mode and in the in-process consumer `steerco serve` runs."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from steerco.db.engine import make_sessionmaker
from steerco.db.models import JobStatus
from steerco.jobs.queue import make_huey, start_consumer
from steerco.transfer import upload
from tests.transfer.conftest import counts


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "uploads"
    monkeypatch.setattr(upload, "ROOT", root)
    return root


#: People who need nothing else in the workspace (no unit, managers in the file).
PEOPLE = ("email,name,title,manager\nada@acme.example,Ada Lovelace,CEO,\n"
          "grace@acme.example,Grace Hopper,COO,ada@acme.example\n"
          "alan@acme.example,Alan Turing,Engineer,Grace Hopper\n")


def _huey(engine: Engine, tmp_path: Path, immediate: bool = True, name: str = "") -> Any:
    h = make_huey(str(tmp_path / "jobs.db"), "sqlite:///unused.db",
                  factory=make_sessionmaker(engine), name=name or f"t-{uuid.uuid4().hex[:8]}")
    h.immediate = immediate
    return h


def _statuses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    real = upload.set_status

    def record(folder: Path, data: dict[str, Any]) -> None:
        seen.append(dict(data))
        real(folder, data)

    monkeypatch.setattr(upload, "set_status", record)
    return seen


def _measurements(n: int) -> str:
    return "metric,as_of,value\n" + "".join(
        f"M1,{2025 - i // 365:04d}-{1 + i % 12:02d}-{1 + i % 28:02d},{i}\n" for i in range(n))


def test_a_dry_run_job_reports_progress_then_the_report_and_writes_nothing(
        engine: Engine, ws: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _statuses(monkeypatch)
    monkeypatch.setattr(upload, "EVERY_S", 0.0)  # every progress call is written
    people = PEOPLE + "".join(f"p{i}@acme.example,Person {i},,\n"
                                         for i in range(450))
    token = upload.store(ws, "people.csv", people.encode())
    before = counts(engine, ws)
    _huey(engine, tmp_path).import_upload(ws, token, True)
    folder = upload.folder_of(ws, token)
    assert folder is not None
    states = [s["state"] for s in seen]
    assert states[0] == "queued" and states[1] == "reading" and states[-1] == "done"
    checked = [s["rows_checked"] for s in seen if s["state"] == "checking"]
    assert checked == sorted(checked) and checked[-1] == 453 and len(set(checked)) >= 3
    assert all(s["rows_total"] == 453 for s in seen if s["state"] == "checking")
    final = upload.status(folder)
    assert (final["rows_read"], final["rows_checked"], final["rows_written"]) == (453, 453, 0)
    res = upload.result(folder)
    assert res is not None and res["dry_run"] and res["ok"] and not res["written"]
    assert res["counts"] == {"People": {"create": 453, "update": 0, "unchanged": 0}}
    assert counts(engine, ws) == before | {"job_status": 1}  # only the run's status row


def test_the_apply_job_writes_all_rows_and_counts_them(
        engine: Engine, ws: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = upload.store(ws, "people.csv", PEOPLE.encode())
    huey = _huey(engine, tmp_path)
    huey.import_upload(ws, token, True)
    folder = upload.folder_of(ws, token)
    assert folder is not None
    upload.queue_run(folder, dry_run=False)
    assert upload.status(folder)["state"] == "queued" and upload.result(folder) is None
    seen = _statuses(monkeypatch)
    huey.import_upload(ws, token, False)
    assert [s["state"] for s in seen][-2:] == ["writing", "done"]
    res = upload.result(folder)
    assert res is not None and res["written"] and not res["dry_run"]
    assert upload.status(folder)["rows_written"] == 3
    assert counts(engine, ws)["people"] == 3
    with make_sessionmaker(engine)() as s:  # Admin → Jobs lists the run
        row = s.get(JobStatus, (ws, "import"))
        assert row is not None and row.runs == 2 and row.last_error is None


def test_a_bad_upload_gets_the_problems_as_csv_and_writes_nothing(
        engine: Engine, ws: int, tmp_path: Path) -> None:
    bad = PEOPLE + "zed@acme.example,Zed,,nobody@nowhere.example\n"
    token = upload.store(ws, "people.csv", bad.encode())
    _huey(engine, tmp_path).import_upload(ws, token, False)
    folder = upload.folder_of(ws, token)
    assert folder is not None
    res = upload.result(folder)
    assert res is not None and not res["ok"] and not res["written"]
    assert res["problems"] == [{"sheet": "people", "row": 5, "column": "manager",
                                "value": "nobody@nowhere.example",
                                "reason": "no person with e-mail nobody@nowhere.example in "
                                          "this workspace or this file"}]
    csv = (folder / "problems.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "sheet,row,column,value,reason" and csv[1].startswith("people,5,manager")
    assert upload.status(folder)["rows_written"] == 0
    assert counts(engine, ws)["people"] == 0


def test_a_job_that_fails_says_so_and_writes_nothing(
        engine: Engine, ws: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import steerco.transfer.upload as mod

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(mod, "import_book", boom)
    token = upload.store(ws, "people.csv", PEOPLE.encode())
    _huey(engine, tmp_path).import_upload(ws, token, False)
    folder = upload.folder_of(ws, token)
    assert folder is not None
    st = upload.status(folder)
    assert st["state"] == "failed"
    assert st["error"] == "The import stopped unexpectedly (RuntimeError); nothing was written."
    assert counts(engine, ws)["people"] == 0
    with make_sessionmaker(engine)() as s:
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
        token = upload.store(ws, "people.csv", PEOPLE.encode())
        huey.import_upload(ws, token, True)
        folder = upload.folder_of(ws, token)
        assert folder is not None
        deadline = time.monotonic() + 60
        while upload.status(folder)["state"] != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        consumer.stop(graceful=True)
    res = json.loads((folder / "result.json").read_text())
    assert res["ok"] and res["counts"]["People"]["create"] == 3


def test_an_upload_of_another_workspace_or_a_forged_token_is_not_found(ws: int) -> None:
    token = upload.store(ws, "people.csv", b"email,name\n")
    assert upload.folder_of(ws, token) is not None
    assert upload.folder_of(ws + 1, token) is None
    assert upload.folder_of(ws, "../../etc") is None
    assert upload.run(None, ws + 1, token, True)["state"] == "failed"  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "size", "reason"), [
    ("", 0, "Choose a file"),
    ("notes.docx", 10, "“notes.docx” is not a spreadsheet or an OKR file"),
    ("big.csv", 50 * 2**20 + 1, "“big.csv” is larger than 50 MB"),
])
def test_the_page_refuses_a_file_before_storing_it(name: str, size: int, reason: str) -> None:
    with pytest.raises(upload.UploadRefused) as exc:
        upload.check(name, size)
    assert str(exc.value).startswith(reason)


def test_measurements_progress_in_bulk(engine: Engine, ws: int, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A bulk sheet (measurements) reports its rows checked too."""
    seen = _statuses(monkeypatch)
    token = upload.store(ws, "measurements.csv", _measurements(40).encode())
    _huey(engine, tmp_path).import_upload(ws, token, True)
    assert seen[-1]["state"] == "done" and seen[-1]["rows_read"] == 40
    assert seen[-1]["rows_checked"] == 40

"""`steerco feeds add|list|run|remove` as a user meets them: metrics by name, the URL's
password never printed, a failing feed exits 1 with one line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import select

from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.models import Person
from steerco.metrics.service import create_metric
from tests.cli.test_cli import steerco

SECRET = "Sup3r-s3cret-pw"


def _world(tmp_path: Path) -> Path:
    db = tmp_path / "cli.db"
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Ada Admin",
            "--workspace", "acme", "--password", "correct-horse-1", "--create-workspace",
            db=db, check=True)
    eng = make_engine(f"sqlite:///{db}")
    with unit_of_work(make_sessionmaker(eng)) as s:
        ada = s.scalars(select(Person).where(Person.email == "a@acme.example")).one()
        create_metric(s, ada.workspace_id, {
            "name": "Net revenue", "unit": "EUR", "direction": "increase_to",
            "baseline_value": 100.0, "baseline_date": "2026-01-01", "target_value": 200.0,
            "target_date": "2026-12-31", "owner_id": f"per_{ada.id}"})
    eng.dispose()
    return db


def test_add_list_run_and_remove_a_feed_from_the_command_line(tmp_path: Path) -> None:
    db = _world(tmp_path)
    src = tmp_path / "sales.db"
    con = sqlite3.connect(src)
    con.execute("CREATE TABLE sales (day TEXT, amount REAL)")
    con.executemany("INSERT INTO sales VALUES (?, ?)", [("2026-02-01", 110), ("2026-03-01", 120)])
    con.commit()
    con.close()
    added = steerco("feeds", "add", "--metric", "Net revenue", "--url", f"sqlite:///{src}",
                    "--query", "SELECT day, amount FROM sales", db=db, check=True)
    assert "SQL feed of “Net revenue” saved" in added.stdout
    run = steerco("feeds", "run", db=db, check=True)
    assert "“Net revenue”: 2 row(s) read, 2 stored, 0 read before" in run.stdout
    again = steerco("feeds", "run", "--metric", "Net revenue", db=db, check=True)
    assert "0 stored, 2 read before" in again.stdout
    listed = json.loads(steerco("feeds", "list", "--json", db=db, check=True).stdout)
    assert [(r["metric"], r["rows_stored"], r["last_error"]) for r in listed] == [
        ("Net revenue", 0, None)]
    refused = steerco("feeds", "add", "--metric", "Net revenue", "--query",
                      "DELETE FROM sales", db=db)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "query: starts with 'DELETE'" in refused.stderr
    gone = steerco("feeds", "remove", "--metric", "Net revenue", db=db, check=True)
    assert "removed" in gone.stdout


def test_the_password_is_never_printed_and_a_failure_exits_1(tmp_path: Path) -> None:
    db = _world(tmp_path)
    url = f"postgresql+psycopg://feeder:{SECRET}@127.0.0.1:1/sales"  # nothing listens
    added = steerco("feeds", "add", "--metric", "Net revenue", "--url", url, "--query",
                    "SELECT day, amount FROM sales", db=db, check=True)
    assert "postgresql+psycopg://feeder:***@127.0.0.1:1/sales" in added.stdout
    run = steerco("feeds", "run", db=db)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "failed: “Net revenue”:" in run.stderr
    listed = steerco("feeds", "list", db=db, check=True)
    as_json = steerco("feeds", "list", "--json", db=db, check=True)
    for text in (added.stdout, added.stderr, run.stdout, run.stderr, listed.stdout,
                 as_json.stdout):
        assert SECRET not in text
    assert json.loads(as_json.stdout)[0]["last_error"]

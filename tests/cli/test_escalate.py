"""`steerco escalate`: runs the ladder in one unit of work and says what opened/climbed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.test_cli import steerco


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """A migrated database with one workspace, one empty metric and a rule on it."""
    from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
    from steerco.governance.service import create_rule
    from steerco.metrics.service import create_metric
    from steerco.org.service import create_person, create_workspace

    path = tmp_path / "cli.db"
    steerco("db", "upgrade", db=path, check=True)
    engine = make_engine(f"sqlite:///{path}")
    with unit_of_work(make_sessionmaker(engine)) as session:
        ws = create_workspace(session, {"slug": "acme", "name": "Acme"}).id
        owner = create_person(session, ws, {"name": "Olga Owner", "email": "olga@x.example"})
        create_metric(session, ws, {
            "name": "Revenue", "unit": "EUR", "direction": "increase_to",
            "baseline_value": 1.0, "baseline_date": "2026-01-01", "target_value": 2.0,
            "target_date": "2026-12-31", "owner_id": owner.id})
        create_rule(session, ws, {"name": "No evidence", "signal_kind": "no_data",
                                  "min_severity": 1, "ladder_days": [3, 7]})
    engine.dispose()
    return path


def test_escalate_opens_an_escalation_once_and_commits_it(db):
    first = json.loads(steerco("escalate", "--workspace", "acme", "--today", "2026-11-22",
                               "--json", db=db, check=True).stdout)
    assert first["as_of"] == "2026-11-22" and first["messages"] == 1
    assert [(r["signal_kind"], r["rung"]) for r in first["opened"]] == [("no_data", 0)]
    again = steerco("escalate", "--today", "2026-11-23", db=db, check=True)
    assert "0 opened, 0 climbed, 0 messages queued" in again.stdout
    later = steerco("escalate", "--today", "2026-11-25", db=db, check=True)
    assert "0 opened, 1 climbed, 0 messages queued" in later.stdout  # nobody to climb to
    # Named, not numbered: the subject by its name, the assignee by theirs.
    assert "Revenue" in later.stdout and "Olga Owner" in later.stdout
    assert not re.search(r"\b[a-z]{3}_\d+\b", later.stdout)


def test_a_typo_in_today_is_one_line_and_writes_nothing(db):
    proc = steerco("escalate", "--today", "2026-13-01", db=db)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: --today must be a date like 2026-11-22, got '2026-13-01'"]
    check = json.loads(steerco("escalate", "--today", "2026-11-22", "--json", db=db,
                               check=True).stdout)
    assert len(check["opened"]) == 1


def test_escalate_has_help(db):
    assert "--today" in steerco("escalate", "--help", db=db, check=True).stdout


def test_escalate_refuses_a_future_day_and_a_dry_run_writes_nothing(db):
    import datetime as dt

    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    proc = steerco("escalate", "--workspace", "acme", "--today", future, db=db)
    assert proc.returncode == 1
    assert "after today" in proc.stderr and "--dry-run" in proc.stderr
    rehearsal = json.loads(steerco("escalate", "--workspace", "acme", "--today", future,
                                   "--dry-run", "--json", db=db, check=True).stdout)
    assert len(rehearsal["opened"]) == 1
    # Nothing was written: the same dry run again opens the same escalation again.
    again = json.loads(steerco("escalate", "--workspace", "acme", "--today", future,
                               "--dry-run", "--json", db=db, check=True).stdout)
    assert len(again["opened"]) == 1

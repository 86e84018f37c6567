"""The command line as a user meets it: help everywhere, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [[], ["db"], ["db", "upgrade"], ["db", "downgrade"], ["db", "current"], ["demo"],
            ["info"], ["serve"], ["recompute"], ["status"], ["forecasts"],
            ["forecasts", "record"], ["forecasts", "accuracy"], ["forecasts", "changes"],
            ["findings"], ["whatif"], ["accuracy"], ["admin"], ["admin", "create"]]


def steerco(*args: str, db: Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STEERCO_DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "120"}
    env.pop("STEERCO_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "steerco", *args], env=env, text=True,
                          capture_output=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "steerco")
def test_every_command_has_help(cmd, db):
    proc = steerco(*cmd, "--help", db=db, check=True)
    assert "Usage" in proc.stdout


def test_a_mistyped_command_suggests_the_right_one(db):
    proc = steerco("demoo", db=db)
    assert proc.returncode == 2
    assert "Did you mean 'demo'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_info_on_an_empty_database_says_what_to_do_in_one_line(db):
    proc = steerco("info", db=db)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: the database is not migrated yet: run `steerco db upgrade` (or `steerco demo`)"]


def test_info_json_has_a_count_for_every_entity_after_upgrade(db):
    steerco("db", "upgrade", db=db, check=True)
    counts = json.loads(steerco("info", "--json", db=db, check=True).stdout)
    for key in ("org_units", "people", "themes", "objectives", "metrics", "measurements",
                "initiatives", "milestones", "dependencies", "budget_lines", "ledger_entries"):
        assert counts[key] == 0


def test_an_unknown_workspace_is_one_line_naming_the_known_ones(db):
    steerco("db", "upgrade", db=db, check=True)
    proc = steerco("info", "--workspace", "nope", db=db)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: no workspace 'nope'; known: none yet (run steerco demo)"


def test_status_without_any_workspace_explains_how_to_get_one(db):
    steerco("db", "upgrade", db=db, check=True)
    proc = steerco("status", db=db)
    assert proc.returncode == 1
    assert "run `steerco demo`" in proc.stderr


def test_a_bad_size_or_date_is_refused_before_anything_is_written(db):
    proc = steerco("demo", "--size", "huge", db=db)
    assert proc.returncode == 1 and "--size must be one of s, m, l, xl" in proc.stderr
    proc = steerco("demo", "--as-of", "22/11/2026", db=db)
    assert proc.returncode == 1 and "--as-of must be a date" in proc.stderr
    assert not db.exists() or "no workspace" in steerco("info", "--workspace", "demo",
                                                        db=db).stderr


def test_downgrade_needs_confirmation(db):
    steerco("db", "upgrade", db=db, check=True)
    proc = steerco("db", "downgrade", db=db)
    assert proc.returncode == 1 and "pass --yes" in proc.stderr
    steerco("db", "downgrade", "--yes", db=db, check=True)
    assert "not migrated" in steerco("db", "current", db=db, check=True).stdout


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path):
    env = {**os.environ, "STEERCO_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}
    proc = subprocess.run([sys.executable, "-m", "steerco", "info"], env=env, text=True,
                          capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: database:")


def test_admin_create_refuses_a_short_password_and_then_creates_the_admin(db):
    steerco("db", "upgrade", db=db, check=True)
    args = ("admin", "create", "--email", "ada@example.org", "--name", "Ada Admin",
            "--workspace", "acme", "--create-workspace")
    short = steerco(*args, "--password", "short", db=db)
    assert short.returncode == 1
    assert short.stderr.strip() == "error: password: must be at least 10 characters"
    ok = steerco(*args, "--password", "correct horse battery", db=db, check=True)
    assert "admin Ada Admin <ada@example.org> can now log in" in ok.stdout
    assert json.loads(steerco("info", "--json", db=db, check=True).stdout)["people"] == 1


def test_the_demo_ends_with_a_three_line_tour_naming_who_to_log_in_as(db):
    proc = steerco("demo", "--size", "s", "--as-of", "2026-11-22", db=db, check=True)
    tour = [ln for ln in proc.stdout.splitlines() if ln.startswith("Tour ")]
    assert len(tour) == 3, proc.stdout
    assert "(strategy office)" in tour[0] and "@" in tour[0]
    assert "steering committee" in tour[1] and "(owner)" in tour[2]
    again = steerco("demo", "--if-missing", db=db, check=True).stdout
    assert [ln for ln in again.splitlines() if ln.startswith("Tour ")] == tour


def test_with_several_workspaces_the_first_is_taken_and_named_unless_one_is_picked(db):
    """After `make run` the demo and the real-data workspace both exist: the README's
    commands run on the first (the demo) and say so; STEERCO_WORKSPACE or --workspace
    pick another."""
    steerco("db", "upgrade", db=db, check=True)
    for slug, mail in (("acme", "ada@acme.example"), ("beta", "bo@beta.example")):
        steerco("admin", "create", "--email", mail, "--name", "Ada Admin", "--password",
                "correct horse battery", "--workspace", slug, "--create-workspace", db=db,
                check=True)
    first = steerco("recompute", "--json", db=db, check=True)
    assert "workspace 'acme' (others: beta; pick one with --workspace" in first.stderr

    def with_env(slug: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "steerco", "recompute", "--json"], text=True,
            capture_output=True, timeout=120,
            env={**os.environ, "STEERCO_DATABASE_URL": f"sqlite:///{db}",
                 "STEERCO_WORKSPACE": slug})

    picked = with_env("beta")
    assert picked.returncode == 0 and picked.stderr == ""
    wrong = with_env("gamma")
    assert wrong.returncode == 1 and "no workspace 'gamma'; known: acme, beta" in wrong.stderr

"""`steerco template`, `steerco import` and `steerco export` as a user meets them."""

from __future__ import annotations

import json

from tests.cli.test_cli import steerco


def test_template_import_dry_run_import_and_export_from_the_command_line(tmp_path):
    db = tmp_path / "cli.db"
    steerco("db", "upgrade", db=db, check=True)
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Admin",
            "--workspace", "acme", "--password", "correct-horse-1", "--create-workspace",
            db=db, check=True)
    template = tmp_path / "template.xlsx"
    steerco("template", str(template), db=db, check=True)
    dry = steerco("import", str(template), "--dry-run", "--json", db=db, check=True)
    report = json.loads(dry.stdout)
    assert report["dry_run"] and not report["written"]
    assert report["counts"]["Objectives"]["create"] == 2
    done = steerco("import", str(template), db=db, check=True)
    assert "written" in done.stdout
    again = steerco("import", str(template), db=db, check=True)
    assert "nothing changed" in again.stdout
    steerco("export", str(tmp_path / "out.xlsx"), db=db, check=True)
    assert (tmp_path / "out.xlsx").stat().st_size > 0
    steerco("export", str(tmp_path / "csv"), "--format", "csv", db=db, check=True)
    assert (tmp_path / "csv" / "objectives.csv").read_text().count("\n") == 3


def test_a_refused_import_exits_non_zero_with_the_problems_and_no_traceback(tmp_path):
    db = tmp_path / "cli.db"
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Admin",
            "--workspace", "acme", "--password", "correct-horse-1", "--create-workspace",
            db=db, check=True)
    bad = tmp_path / "people.csv"
    bad.write_text("email,name,manager\nb@acme.example,Bob,nobody@acme.example\n")
    proc = steerco("import", str(bad), db=db)
    assert proc.returncode == 1
    assert "no person with e-mail nobody@acme.example" in proc.stderr
    assert "Traceback" not in proc.stderr

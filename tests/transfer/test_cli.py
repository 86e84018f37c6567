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


def test_a_saved_column_mapping_is_set_listed_and_used_by_import(tmp_path):
    db = tmp_path / "cli.db"
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Admin",
            "--workspace", "acme", "--password", "correct-horse-1", "--create-workspace",
            db=db, check=True)
    foreign = tmp_path / "people.csv"
    foreign.write_text("Mitarbeiter;E-Mail-Adresse;Kostenstelle\n"
                       "Bo Mapped;bo@acme.example;4711\n", encoding="utf-8")
    refused = steerco("import", str(foreign), "--dry-run", db=db)
    assert refused.returncode == 1 and "unknown column" in refused.stderr
    assert "no saved column mapping" in steerco("mapping", db=db, check=True).stdout
    done = steerco("mapping", "people", "Mitarbeiter", "name", db=db, check=True)
    assert "People: 'Mitarbeiter' → name" in done.stdout
    steerco("mapping", "People", "E-Mail-Adresse", "email", db=db, check=True)
    steerco("mapping", "people", "Kostenstelle", "ignore", db=db, check=True)
    listing = steerco("mapping", db=db, check=True).stdout
    assert "kostenstelle" in listing and "(ignored)" in listing
    bad = steerco("mapping", "people", "Abteilung", "department_head", db=db)
    assert bad.returncode == 1 and "People has no column 'department_head'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert steerco("import", str(foreign), "--no-mapping", db=db).returncode == 1
    report = json.loads(steerco("import", str(foreign), "--json", db=db, check=True).stdout)
    assert report["written"] and report["counts"]["People"]["create"] == 1
    steerco("mapping", "people", "Kostenstelle", "--remove", db=db, check=True)
    assert "kostenstelle" not in steerco("mapping", db=db, check=True).stdout


def test_the_command_line_may_take_files_larger_than_the_page(tmp_path):
    """50 MB by default as on the page; --max-mb raises it (1 MB and 2 MB here, on a
    1.5 MB file whose one wrong header then shows it was read)."""
    db = tmp_path / "cli.db"
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Admin",
            "--workspace", "acme", "--password", "correct-horse-1", "--create-workspace",
            db=db, check=True)
    big = tmp_path / "people.csv"
    big.write_text("email,name,shoe size\n" + "p@acme.example,P,44\n" * 80_000,
                   encoding="utf-8")
    assert 2**20 < big.stat().st_size < 2 * 2**20
    proc = steerco("import", str(big), "--dry-run", "--max-mb", "1", db=db)
    assert proc.returncode == 1
    assert "people.csv is 1.5 MB; the limit is 1 MB" in proc.stderr.replace("\n", " ")
    proc = steerco("import", str(big), "--dry-run", "--max-mb", "2", db=db)
    assert proc.returncode == 1 and "unknown column" in proc.stderr

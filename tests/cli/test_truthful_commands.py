"""Commands that tell the truth: the version, port checks, admin creation that does not
silently take over an account, and e-mail mistakes said in words."""

from __future__ import annotations

from pathlib import Path

from steerco import __version__
from tests.cli.test_cli import steerco


def test_version_prints_the_version(tmp_path: Path) -> None:
    proc = steerco("--version", db=tmp_path / "v.db", check=True)
    assert proc.stdout.strip() == f"steerco {__version__}"


def test_serve_refuses_a_port_that_cannot_exist(tmp_path: Path) -> None:
    for port in ("99999", "0", "-1"):
        proc = steerco("serve", "--port", port, db=tmp_path / "p.db")
        assert proc.returncode == 2, port
        assert "--port" in proc.stderr
        assert "Uvicorn running" not in proc.stderr + proc.stdout


def test_admin_create_refuses_an_existing_person_unless_reset_password(
        tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    steerco("admin", "create", "--email", "ada@example.com", "--name", "Ada Admin",
            "--workspace", "acme", "--create-workspace", "--password", "first-password",
            db=db, check=True)
    proc = steerco("admin", "create", "--email", "ada@example.com", "--name", "Mallory",
                   "--workspace", "acme", "--password", "second-password", db=db)
    assert proc.returncode == 1
    assert "already Ada Admin" in proc.stderr and "--reset-password" in proc.stderr
    steerco("admin", "create", "--email", "ada@example.com", "--name", "Ada Admin",
            "--workspace", "acme", "--password", "second-password", "--reset-password",
            db=db, check=True)


def test_a_bad_email_is_refused_in_words_not_with_a_regular_expression(
        tmp_path: Path) -> None:
    proc = steerco("admin", "create", "--email", "not-an-address", "--name", "X",
                   "--workspace", "acme", "--create-workspace", "--password",
                   "long-enough-pw", db=tmp_path / "e.db")
    assert proc.returncode == 1
    assert "not an e-mail address" in proc.stderr
    assert "^" not in proc.stderr and "\\s" not in proc.stderr

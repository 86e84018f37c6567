"""The README's commands work as shown: each line of "The command line" is run, with
every optional part, against the demo company it creates (docs as tests)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ENV, _create_pg_database, _drop_pg_database

README = Path(__file__).resolve().parents[1] / "README.md"
#: Placeholders of the README and what they stand for in the test.
PLACEHOLDERS = {"E": "docs.admin@example.com", "N": "Dora Docs", "W": "demo"}


def _command_lines() -> list[str]:
    text = README.read_text()
    block = text.split("## The command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = []
    for raw in block.splitlines():
        cmd = raw.split("#", 1)[0].strip()
        if cmd.startswith("steerco"):
            lines.append(cmd)
    return lines


def _expand(line: str) -> list[list[str]]:
    """`steerco a [--x 1] [--json]` → the command with every option; `x | y | z`
    alternatives → one command each."""
    line = re.sub(r"\[([^\]]*)\]", r"\1", line)
    words = shlex.split(line)
    if "|" in words:
        head = words[:2]
        alts = " ".join(words[2:]).split("|")
        return [[*head[1:], *a.split()] for a in alts]
    return [[PLACEHOLDERS.get(w, w) for w in words[1:]]]


def test_the_readme_lists_the_commands_the_test_runs() -> None:
    lines = _command_lines()
    assert any(line.startswith("steerco whatif") for line in lines)
    assert len(lines) >= 14


def test_every_readme_command_works_on_the_demo(tmp_path: Path) -> None:
    pg = os.environ.get(PG_ENV)
    url = (_create_pg_database(pg.rsplit("/", 1)[0] + "/steerco_docs") if pg
           else f"sqlite:///{tmp_path / 'docs.db'}")
    env = {**os.environ, "STEERCO_DATABASE_URL": url, "COLUMNS": "120",
           "STEERCO_EVIDENCE_DIR": str(tmp_path / "evidence")}
    env.pop("STEERCO_DEBUG", None)
    commands = [c for line in _command_lines() for c in _expand(line)]
    # Destructive last; a server or a worker would not return.
    last = [c for c in commands if c[:2] == ["db", "downgrade"]]
    commands = [c for c in commands if c not in last and c[0] not in ("serve", "worker")] \
        + last
    try:
        for args in commands:
            if args[:2] == ["admin", "create"]:
                args = [*args, "--password", "docs-password-1"]
            proc = subprocess.run([sys.executable, "-m", "steerco", *args], env=env,
                                  text=True, capture_output=True, timeout=300)
            assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
            assert "Traceback" not in proc.stderr, args
    finally:
        if pg:
            _drop_pg_database(url)


@pytest.mark.parametrize(
    "line", ["steerco whatif --slip 'Supplier contract signed:14' [--stop ini_4] [--json]"])
def test_the_whatif_example_is_in_the_readme(line: str) -> None:
    assert line in _command_lines()

"""`make run` works from a checkout without Node.js: the built front-end files are
committed, so only a missing one may call for npm."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = Path("src/steerco/web/static/vendor")


def test_assets_need_no_npm_when_every_vendored_file_is_there(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copytree(ROOT / VENDOR, tmp_path / VENDOR)
    env = {"PATH": "/usr/bin:/bin"}  # whatever npm there is, it must not be asked for
    proc = subprocess.run(["make", "-n", "assets"], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "npm" not in proc.stdout + proc.stderr

    (tmp_path / VENDOR / "htmx.min.js").unlink()  # one missing: now npm is needed
    proc = subprocess.run(["make", "-n", "assets"], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=60)
    assert "npm ci" in proc.stdout


def test_the_licence_file_is_the_apache_2_text_that_pyproject_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()

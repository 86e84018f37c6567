"""A STEERCO_* setting out of range is named in one line, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_tick_period_out_of_range_is_named_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "STEERCO_JOBS_TICK_SECONDS": "0",
           "STEERCO_DATABASE_URL": f"sqlite:///{tmp_path / 'steerco.db'}"}
    r = subprocess.run([sys.executable, "-m", "steerco", "serve", "--port", "8799"],
                       env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "STEERCO_JOBS_TICK_SECONDS=0" in r.stderr and "greater than or equal to 1" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not (tmp_path / "steerco.db").exists()  # nothing was started or written

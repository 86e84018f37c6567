"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips when absent unless STEERCO_REQUIRE_SHARED_DATA=1."""
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    if os.environ.get("STEERCO_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(f"STEERCO_REQUIRE_SHARED_DATA=1 but {SHARED_DATA} does not exist")
    pytest.skip(f"{SHARED_DATA} is absent")

"""The app the browser tests serve: `create_app` with the pages mounted (once)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from fastapi import FastAPI

from steerco.web.app import create_app
from steerco.web.ui import mount_ui


def _simulated_clock() -> None:
    """Let a test move the server's clock: STEERCO_TEST_CLOCK_FILE names a file holding a
    number of days to add to the real time (missing or empty: the real time)."""
    path = os.environ.get("STEERCO_TEST_CLOCK_FILE")
    if not path:
        return
    from steerco.kit import clock

    real = clock.now

    def now() -> dt.datetime:
        try:
            days = float(Path(path).read_text() or 0)
        except (OSError, ValueError):
            days = 0.0
        return real() + dt.timedelta(days=days)

    clock.now = now  # type: ignore[assignment]  # module functions look it up at call time


def build() -> FastAPI:
    """Build the app from STEERCO_DATABASE_URL; mount the pages unless create_app did."""
    _simulated_clock()
    app = create_app()
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app)
    return app

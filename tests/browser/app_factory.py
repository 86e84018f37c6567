"""The app the browser tests serve: `create_app` with the pages mounted (once)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

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


class _DelayedImports:
    """The page's job queue, with each import job scheduled `delay_s` seconds later: the
    page's progress (the job waiting, then running) can be seen before the report."""

    def __init__(self, huey: Any, delay_s: float) -> None:
        self.huey, self.delay_s = huey, delay_s

    def import_upload(self, ws: int, token: str, dry_run: bool,
                      actor: str | None = None) -> Any:
        return self.huey.import_upload.schedule((ws, token, dry_run, actor),
                                                delay=self.delay_s)


def _jobs(app: FastAPI) -> None:
    """What `steerco serve` does: a consumer thread in this process on the SQLite queue
    of STEERCO_JOBS_URL (enqueued tasks only: no minute's tick changes the demo)."""
    if not os.environ.get("STEERCO_JOBS_URL"):
        return
    from steerco.jobs.queue import make_huey, start_consumer

    start_consumer(make_huey(), periodic=False)
    delay = float(os.environ.get("STEERCO_TEST_IMPORT_DELAY_S") or 0)
    app.state.huey = _DelayedImports(make_huey(), delay) if delay else make_huey()


def build() -> FastAPI:
    """Build the app from STEERCO_DATABASE_URL; mount the pages unless create_app did."""
    _simulated_clock()
    app = create_app()
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app)
    _jobs(app)
    return app

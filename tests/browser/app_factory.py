"""The app the browser tests serve: `create_app` with the pages mounted (once)."""

from __future__ import annotations

from fastapi import FastAPI

from steerco.web.app import create_app
from steerco.web.ui import mount_ui


def build() -> FastAPI:
    """Build the app from STEERCO_DATABASE_URL; mount the pages unless create_app did."""
    app = create_app()
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app)
    return app

"""The app factory: one FastAPI application for the API and (later) the pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Engine, text

from steerco import __version__
from steerco.accounts.directory import DIRECTORY
from steerco.checkins.files import MAX_UPLOAD
from steerco.db.engine import check_writable, describe_failure, make_engine, make_sessionmaker
from steerco.db.migrate import current
from steerco.http import errors
from steerco.http.auth import install_directory
from steerco.http.openapi_links import add_crud_links
from steerco.http.problems import install as install_api_errors
from steerco.http.security import Hardening
from steerco.settings import get_settings
from steerco.web.api import PREFIX, api_router
from steerco.web.ui import mount_ui


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Sync routes run on anyio's thread pool; size it like the connection pool (see
    # Settings.concurrency) so no request thread waits for a connection.
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().concurrency
    yield


def create_app(engine: Engine | None = None, warm: bool = False) -> FastAPI:
    """Build the application around `engine` (default: from STEERCO_DATABASE_URL).

    With `warm` (the served app), findings and schedules are precomputed in the
    background so the first visitor does not wait; tests leave it off.
    """
    engine = engine or make_engine()
    app = FastAPI(title="steerco", version=__version__,
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
                  description="Strategy execution computed from evidence.",
                  lifespan=_lifespan)
    app.state.engine = engine
    # The HTTP foundation knows no domain: credentials resolve through the accounts one.
    install_directory(DIRECTORY)

    def openapi_with_links() -> dict[str, Any]:
        # FastAPI's own generator, once, plus the create → item links (cached alike).
        if app.openapi_schema is None:
            app.openapi_schema = add_crud_links(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi_with_links  # type: ignore[method-assign]
    app.state.write_sessions = make_sessionmaker(engine)
    app.state.read_sessions = make_sessionmaker(engine, readonly=True)
    errors.install(app)
    install_api_errors(app)
    app.include_router(api_router(), prefix=PREFIX)
    # Evidence files (the upload endpoint, the check-in form and a milestone's completion)
    # may be up to 20 MB. Import files (Admin → Import) up to 50 MB, a page of its own
    # says so beyond that.
    from steerco.transfer.read import MAX_BYTES as IMPORT_MAX

    app.add_middleware(Hardening, uploads=rf"^({PREFIX}/evidence-files|/metrics/[^/]+/checkin"
                               r"|/milestones/[^/]+/complete)$",
                       upload_limit=MAX_UPLOAD,
                       limits=((rf"^(/admin/import|{PREFIX}/imports)$", IMPORT_MAX),))

    @app.get("/healthz", tags=["ops"],
             summary="Liveness and database check (it must be able to write)")
    def healthz() -> JSONResponse:
        body: dict[str, Any] = {"status": "ok", "version": __version__}
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            body["database"] = engine.url.get_backend_name()
            body["schema"] = current(engine)
        except Exception as exc:  # the check's whole point is to report, not raise
            body.update(status="error", detail=describe_failure(exc, engine)
                        or f"database unreachable: {type(exc).__name__}")
            return JSONResponse(body, status_code=503)
        if body["schema"] is None:
            body.update(status="error", detail="database not migrated: run steerco db upgrade")
            return JSONResponse(body, status_code=503)
        try:  # "ok" only if a write would succeed (a full disk still answers SELECT 1)
            check_writable(engine)
        except Exception as exc:
            body.update(status="error", detail=describe_failure(exc, engine)
                        or f"the database cannot write: {type(exc).__name__}")
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        # Browsers ask for it on pages without an icon link (the review pack as HTML).
        return RedirectResponse("/static/img/favicon.svg", status_code=301)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # Swagger UI from our own vendored copy (static/vendor, from npm), not a CDN:
        # the interactive docs must work on a machine without internet.
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json", title="steerco API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/vendor/swagger-favicon-32x32.png")

    # The pages last: their HTML 404 must not shadow the API's JSON errors.
    mount_ui(app, warm=warm)
    return app

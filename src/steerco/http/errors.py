"""One documented error shape for every refusal: type, title, detail, errors[{field, message}].

Anything a client can send ends in a 4xx with this shape; an unexpected bug is logged and
answered with a 500 that carries no stack trace.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from steerco.kit.errors import Conflict, NotFound, SteercoError, ValidationFailed

log = logging.getLogger("steerco.web")

_STATUS = {NotFound: 404, Conflict: 409, ValidationFailed: 422}


def problem(status: int, type_: str, title: str, detail: str,
            errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body = {"type": type_, "title": title, "detail": detail, "errors": errors or []}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one shape."""

    @app.exception_handler(SteercoError)
    async def _steerco(_req: Request, exc: SteercoError) -> JSONResponse:
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), 400)
        return problem(status, type(exc).__name__.lower(), exc.title, exc.detail,
                       [{"field": e.field, "message": e.message} for e in exc.errors])

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [{"field": ".".join(str(p) for p in e["loc"]),
                 "message": str(e["msg"]).removeprefix("Value error, ")} for e in exc.errors()]
        return problem(422, "validationfailed", "Validation failed",
                       "; ".join(f"{e['field']}: {e['message']}" for e in errs), errs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http", str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal", "Internal error",
                       "Something went wrong on our side; it has been logged.")

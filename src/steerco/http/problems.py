"""Error handlers of the API beyond http/errors.py: auth refusals, stale writes, and the
database refusing values a client sent (out-of-range numbers, NUL bytes), which must be
a 4xx, never a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlalchemy.orm.exc import StaleDataError

from steerco.db.engine import describe_failure
from steerco.http.errors import log, problem
from steerco.kit.errors import (
    Forbidden,
    IdempotencyMismatch,
    PreconditionFailed,
    PreconditionRequired,
    SteercoError,
    Throttled,
    TooLarge,
    Unauthenticated,
)


def _body(exc: SteercoError) -> list[dict[str, str]]:
    return [{"field": e.field, "message": e.message} for e in exc.errors]


def install(app: FastAPI) -> None:
    """Register the handlers (the most specific exception class wins)."""

    async def refused(_req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SteercoError)
        status = int(getattr(exc, "status", 400))
        resp = problem(status, type(exc).__name__.lower(), exc.title, exc.detail, _body(exc))
        if isinstance(exc, Unauthenticated):
            resp.headers["WWW-Authenticate"] = 'Bearer realm="steerco"'
        if isinstance(exc, Throttled):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    for cls in (Unauthenticated, Forbidden, Throttled, PreconditionRequired,
                IdempotencyMismatch, TooLarge):
        app.add_exception_handler(cls, refused)

    async def stale(_req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PreconditionFailed)
        resp = problem(412, "preconditionfailed", exc.title, exc.detail, _body(exc))
        import json

        body = json.loads(bytes(resp.body))
        body["current_version"] = exc.current_version
        out = JSONResponse(body, status_code=412, media_type="application/problem+json")
        if exc.current_version is not None:
            out.headers["ETag"] = f'"{exc.current_version}"'
        return out

    app.add_exception_handler(PreconditionFailed, stale)

    async def lost_race(_req: Request, _exc: Exception) -> JSONResponse:
        return problem(412, "preconditionfailed", "Precondition failed",
                       "someone else changed this first; read it again and retry")

    app.add_exception_handler(StaleDataError, lost_race)

    async def conflict(_req: Request, _exc: Exception) -> JSONResponse:
        return problem(409, "conflict", "Conflict",
                       "the change conflicts with existing data (a duplicate or a "
                       "concurrent change); nothing was written")

    app.add_exception_handler(IntegrityError, conflict)

    async def bad_value(_req: Request, _exc: Exception) -> JSONResponse:
        return problem(422, "validationfailed", "Validation failed",
                       "a value is out of the range the database can store")

    app.add_exception_handler(DataError, bad_value)
    app.add_exception_handler(OverflowError, bad_value)

    async def statement(req: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StatementError)
        if isinstance(exc.orig, OverflowError | ValueError):
            return await bad_value(req, exc)
        raise exc

    app.add_exception_handler(StatementError, statement)

    async def unavailable(req: Request, exc: Exception) -> JSONResponse:
        # Disk full, a read-only file, a missing directory, a lost server: say which, as
        # 503 (the request may succeed later), never a bare 500.
        detail = describe_failure(exc, getattr(req.app.state, "engine", None))
        if detail is None:
            log.warning("database failure: %s", exc)
            detail = "the database did not answer or refused the operation; nothing was written"
        return problem(503, "databaseunavailable", "Database unavailable", detail)

    app.add_exception_handler(OperationalError, unavailable)

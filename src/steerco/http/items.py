"""Generate the item routes every entity shares: GET, PATCH and DELETE of `/{kind}/{id}`.

(No `from __future__ import annotations` here: FastAPI reads the generated functions'
annotations, which must be the real classes.)
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from steerco.http.auth import Reader, Writer
from steerco.http.rest import (
    READ_ERRORS,
    VERSIONED_ERRORS,
    IfMatch,
    Scope,
    check_version,
    model_response,
    path_key,
    read,
    set_etag,
    stale_guard,
)

IdPath = Annotated[str, Path(max_length=40, description="A public id like `obj_42`")]
ScopeFn = Callable[[Session, int, Any], Scope]


def reader_of(model: type[BaseModel]) -> Callable[[Session, int, Any], Any]:
    return lambda _s, _ws, row: read(model, row)


def item_routes(router: APIRouter, *, path: str, kind: str, repo: Any,
                model: type[BaseModel], scope: ScopeFn,
                to_read: Callable[[Session, int, Any], Any] | None = None,
                update: tuple[type[BaseModel], Callable[..., Any], str] | None = None,
                new_units: Callable[[Session, int, Any], list[int | None]] | None = None,
                delete: tuple[Callable[..., Any], str, str] | None = None,
                guard: Callable[[Session, Any, Any], None] | None = None) -> None:
    """Add GET (with ETag), PATCH (If-Match) and DELETE (If-Match) of `{path}/{id}`.

    `update` is (schema, service function, action); `delete` is (service function,
    action, summary). `guard(session, principal, row)` may refuse further (e.g. a person
    whose roles reach beyond the caller's). Authorization happens before the version
    check, so a forbidden client learns nothing about versions.
    """
    label = kind.replace("_", " ")
    to_read = to_read or reader_of(model)

    def current(key: int) -> Callable[[Session], int | None]:
        def version(s: Session) -> int | None:
            row = s.get(repo.model, key)
            return None if row is None else int(row.version)
        return version

    def get_item(id: IdPath, ctx: Reader) -> Response:
        with ctx.read() as s:
            row = repo(s, ctx.ws).get(path_key(id, kind))
            out = model_response(model, to_read(s, ctx.ws, row))
            if hasattr(row, "version"):
                set_etag(out, row.version)
            return out

    router.add_api_route(f"{path}/{{id}}", get_item, methods=["GET"], response_model=model,
                         responses=READ_ERRORS, summary=f"Get one {label} (ETag: its version)",
                         operation_id=f"get_{kind}")

    if update is not None:
        schema, service, action = update

        def patch_item(id: IdPath, body: schema, ctx: Writer,  # type: ignore[valid-type]
                       response: Response, if_match: str | None = IfMatch) -> Any:
            key = path_key(id, kind)
            with stale_guard(ctx, current(key)), ctx.write() as s:
                row = repo(s, ctx.ws).get(key)
                sc = scope(s, ctx.ws, row)
                extra = new_units(s, ctx.ws, body) if new_units else []
                ctx.principal.require(s, action, sc.unit, sc.owners, units=extra)
                if guard is not None:
                    guard(s, ctx.principal, row)
                check_version(row.version, if_match)
                row = service(s, ctx.ws, key, body)
                set_etag(response, row.version)
                return to_read(s, ctx.ws, row)

        router.add_api_route(f"{path}/{{id}}", patch_item, methods=["PATCH"],
                             response_model=model, responses=VERSIONED_ERRORS,
                             summary=f"Change a {label} (send If-Match)",
                             operation_id=f"update_{kind}")

    if delete is not None:
        remove, delete_action, summary = delete

        def delete_item(id: IdPath, ctx: Writer, if_match: str | None = IfMatch) -> Response:
            key = path_key(id, kind)
            with stale_guard(ctx, current(key)), ctx.write() as s:
                row = repo(s, ctx.ws).get(key)
                sc = scope(s, ctx.ws, row)
                ctx.principal.require(s, delete_action, sc.unit, sc.owners)
                check_version(row.version, if_match)
                remove(s, ctx.ws, key)
            return Response(status_code=204)

        router.add_api_route(f"{path}/{{id}}", delete_item, methods=["DELETE"],
                             status_code=204, responses=VERSIONED_ERRORS,
                             summary=summary, operation_id=f"delete_{kind}",
                             response_class=Response)

"""What every JSON route shares: public ids out, ETags, cursors, pages, documented errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, Generic, TypeVar, get_args

from fastapi import Header, Query, Request, Response
from pydantic import BaseModel, Field
from pydantic_core import to_json

from steerco.kit.errors import (
    FieldError,
    PreconditionFailed,
    PreconditionRequired,
    SteercoError,
    ValidationFailed,
)
from steerco.kit.ids import PREFIXES, parse_id

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The one error shape (RFC 9457 problem details, plus the fields at fault)."""

    type: str
    title: str
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)
    current_version: int | None = Field(
        default=None, description="On 412: the version the entity is at now")


def _p(desc: str) -> dict[str, Any]:
    return {"model": Problem, "description": desc, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _p("Not authenticated (no, an invalid, expired or revoked token or session)"),
    403: _p("Authenticated, but your roles or token scopes do not allow this"),
    422: _p("The request is malformed or refused (fields at fault in `errors`)"),
}
READ_ERRORS = {**AUTH_ERRORS, 404: _p("Not found in your workspace")}
WRITE_ERRORS = {**READ_ERRORS, 409: _p("Conflicts with existing data")}
VERSIONED_ERRORS = {
    **WRITE_ERRORS,
    412: _p("If-Match names a stale version; `current_version` says the current one"),
    428: _p("If-Match is required for this write"),
}


def read(cls: type[R], row: Any, **extra: Any) -> R:
    """Build response model `cls` from a row: keys become public ids.

    `cls.id_kind` names the id kind of `id`; `cls.refs` maps key columns to their kinds.
    """
    plan = _PLANS.get(cls) or _plan(cls)
    data: dict[str, Any] = {}
    for name, prefix, is_time in plan:
        if extra and name in extra:
            data[name] = extra[name]
            continue
        value = getattr(row, name)
        if prefix is not None and value is not None:
            value = f"{prefix}_{value}"
        elif is_time:
            value = aware(value)
        data[name] = value
    return cls.model_validate(data)


#: Per response model: (field, public id prefix or None, is a datetime). Working this out
#: once per class, not per field of every row, halves the cost of a 50-item page (a list
#: spent most of its time building these dicts, measured).
_PLANS: dict[type, list[tuple[str, str | None, bool]]] = {}


def _plan(cls: type[BaseModel]) -> list[tuple[str, str | None, bool]]:
    kind: str = getattr(cls, "id_kind", "")
    refs: dict[str, str] = getattr(cls, "refs", {})
    plan: list[tuple[str, str | None, bool]] = []
    for name, info in cls.model_fields.items():
        prefix = (PREFIXES[kind] if name == "id" and kind
                  else PREFIXES[refs[name]] if name in refs else None)
        is_time = dt.datetime in (info.annotation, *get_args(info.annotation))
        plan.append((name, prefix, is_time))
    _PLANS[cls] = plan
    return plan


def aware(value: Any) -> Any:
    """A naive datetime (SQLite hands them back) as the UTC time it was stored as."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` for the next (null = last)."""

    items: list[T]
    next_cursor: str | None = None


# --- ETags -----------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


IfMatch = Header(default=None, alias="If-Match", max_length=100,
                 description="The ETag of the version you read (required)")


def check_version(current: int, if_match: str | None) -> None:
    """Refuse a write without If-Match (428) or naming another version (412)."""
    if if_match is None:
        raise PreconditionRequired()
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    if str(current) not in tags:
        raise PreconditionFailed(current)


# --- cursors ---------------------------------------------------------------------------

LIMIT = Query(50, ge=1, le=500, description="Items per page")
CURSOR = Query(None, max_length=500, description="`next_cursor` of the previous page")


def sort_query(fields: list[str], default: str = "id") -> Any:
    pattern = "^-?(" + "|".join(fields) + ")$"
    return Query(default, pattern=pattern,
                 description=f"Sort field, `-` for descending: {', '.join(fields)}")


def encode_cursor(sort: str, value: Any, key: int) -> str:
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str, python_type: type) -> tuple[Any, int] | None:
    """(last sort value, last key) of a cursor made for `sort`; refuse anything else."""
    if cursor is None:
        return None
    bad = ValidationFailed(FieldError("cursor", "not a cursor of this list and sort order"))
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        s, value, key = json.loads(raw)
    except (ValueError, TypeError):
        raise bad from None
    if s != sort or not isinstance(key, int) or isinstance(key, bool) or abs(key) > 2**62:
        raise bad
    try:
        if python_type is dt.date:
            value = dt.date.fromisoformat(value)
        elif python_type is dt.datetime:
            value = dt.datetime.fromisoformat(value)
        elif python_type is float:
            value = float(value)
        elif python_type is int:
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**62:
                raise ValueError(value)
        elif python_type is str:
            if not isinstance(value, str):
                raise ValueError(value)
        elif python_type is bool:
            value = bool(value)
    except (ValueError, TypeError):
        raise bad from None
    return value, key


def page_of(rows: list[Any], limit: int, sort: str, read: Any) -> Response:
    """Turn limit+1 rows into a page: the first `limit` read, and a cursor if more.

    The items are validated once, by `read`, and the page is serialized here: a plain
    dict would be validated a second time by FastAPI against the route's response model
    (which still documents the shape).
    """
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = None
    if more:
        last = rows[-1]
        field = sort.lstrip("-")
        nxt = encode_cursor(sort, getattr(last, field), last.id)
    body = to_json({"items": [read(r) for r in rows], "next_cursor": nxt})
    return Response(content=body, media_type="application/json")


def model_response(model: type[BaseModel], data: Any) -> Response:
    """`data` validated as `model` and serialized here, for a sync route that declares
    `response_model=model`: returning a Response spares FastAPI a second validation and
    a second hop to a worker thread to serialize it (measured: a sixth of a status read).
    """
    return Response(content=model.model_validate(data).model_dump_json(),
                    media_type="application/json")


def ref_filter(value: str | None, kind: str, field: str) -> int | None:
    """Parse an id given as a list filter (`owner_id=per_3`)."""
    if value is None:
        return None
    key = parse_id(value, kind, field)
    if key > 2**62:
        raise ValidationFailed(FieldError(field, "no such id", value))
    return key


def path_key(value: str, kind: str, field: str = "id") -> int:
    """Parse a public id from the path; a malformed one is simply not found."""
    from steerco.kit.errors import NotFound

    try:
        key = parse_id(value, kind, field)
    except ValidationFailed:
        raise NotFound(kind.replace("_", " "), value) from None
    if key > 2**62:
        raise NotFound(kind.replace("_", " "), value)
    return key


# --- the generic item routes: get, patch (If-Match), delete/archive (If-Match) -----------


class Scope:
    """Where an entity sits for authorization: its org unit and its owners."""

    def __init__(self, unit: int | None, owners: list[int | None] | None = None) -> None:
        self.unit = unit
        self.owners = owners or []


def stale_guard(ctx: Any, current: Any) -> Any:
    """Turn a lost race at flush (StaleDataError) into 412 with the version now current."""
    from contextlib import contextmanager

    from sqlalchemy.orm.exc import StaleDataError

    @contextmanager
    def guard() -> Any:
        try:
            yield
        except StaleDataError:
            with ctx.read() as s:
                raise PreconditionFailed(current(s)) from None

    return guard()


def optional_unit(ref: Any, field: str = "org_unit_id") -> int | None:
    """The org unit key named by an optional reference in a request body."""
    return None if ref is None else parse_id(ref, "org_unit", field)


def unit_moves(_session: Any, _workspace_id: int, body: Any) -> list[int | None]:
    """For an update: the org unit the entity moves to (empty when it does not move).

    Shaped as an `item_routes(new_units=…)` callback.
    """
    if "org_unit_id" not in body.model_fields_set:
        return []
    return [optional_unit(body.org_unit_id)]


# --- unknown query parameters ------------------------------------------------------------


class UnknownParameter(SteercoError):
    """A query parameter the route does not take (answered 400, naming the ones it does)."""

    title = "Unknown query parameter"


#: Per route: the query parameters it accepts (worked out once, from its dependant).
_ACCEPTED: dict[int, frozenset[str]] = {}


def _accepted(route: Any) -> frozenset[str]:
    known = _ACCEPTED.get(id(route))
    if known is None:
        names: set[str] = set()
        todo = [route.dependant]
        while todo:
            d = todo.pop()
            names.update(p.alias for p in d.query_params)
            todo.extend(d.dependencies)
        known = _ACCEPTED[id(route)] = frozenset(names)
    return known


def refuse_unknown_query(request: Request) -> None:
    """Refuse query parameters the route does not declare.

    A misspelt filter (`org_unit` for `org_unit_id`) was silently ignored and returned
    every row, so a script acted on the wrong ones; a 400 that lists the accepted names
    makes the mistake visible at once.
    """
    if not request.scope.get("query_string"):
        return
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    accepted = _accepted(route)
    unknown = sorted({k for k in request.query_params if k not in accepted})
    if not unknown:
        return
    names = ", ".join(sorted(accepted)) or "none"
    raise UnknownParameter(
        f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
        f"{', '.join(unknown)}; this endpoint accepts: {names}",
        [FieldError(u, f"not a parameter of this endpoint; accepted: {names}")
         for u in unknown])

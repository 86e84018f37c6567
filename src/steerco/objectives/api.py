"""JSON routes of the objectives domain: themes, objectives and their alignment."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.enums import ObjectiveLevel, Perspective
from steerco.http.auth import Reader, Writer
from steerco.http.items import IdPath, item_routes
from steerco.http.page_cache import cached_list
from steerco.http.rest import (
    CURSOR,
    LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    Page,
    decode_cursor,
    optional_unit,
    page_of,
    path_key,
    read,
    ref_filter,
    set_etag,
    sort_query,
    unit_moves,
)
from steerco.kit.errors import ValidationFailed
from steerco.kit.ids import format_id, parse_id
from steerco.objectives.repository import ObjectiveRepository, ThemeRepository
from steerco.objectives.schemas import (
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    ParentLink,
    ParentRead,
    ThemeCreate,
    ThemeRead,
    ThemeUpdate,
)
from steerco.objectives.service import (
    align,
    archive_objective,
    create_objective,
    create_theme,
    unalign,
    update_objective,
    update_theme,
)

router = APIRouter(tags=["objectives"])
Ref = Annotated[str | None, Query(max_length=40)]


@router.get("/themes", response_model=Page[ThemeRead], responses=READ_ERRORS,
            summary="List themes")
@cached_list("themes")
def list_themes(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                sort: str = sort_query(["id", "name"]),
                active: bool | None = None) -> Response:
    with ctx.read() as s:
        repo = ThemeRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"active": active})
        return page_of(list(rows), limit, sort, lambda r: read(ThemeRead, r))


@router.post("/themes", status_code=201, response_model=ThemeRead, responses=WRITE_ERRORS,
             summary="Add a theme")
def post_theme(body: ThemeCreate, ctx: Writer, response: Response) -> ThemeRead:
    with ctx.write() as s:
        ctx.principal.require(s, "model", None)
        row = create_theme(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(ThemeRead, row)


def _archive_theme(s: Session, ws: int, key: int) -> None:
    update_theme(s, ws, key, {"active": False})


item_routes(router, path="/themes", kind="theme", repo=ThemeRepository, model=ThemeRead,
            scope=scopes.workspace_level, update=(ThemeUpdate, update_theme, "model"),
            delete=(_archive_theme, "model", "Archive a theme (it becomes inactive)"))


def objective_read(s: Session, ws: int, row: Any,
                   parents: list[tuple[int, float]] | None = None) -> ObjectiveRead:
    if parents is None:
        parents = ObjectiveRepository(s, ws).alignments_of([row.id])[row.id]
    return read(ObjectiveRead, row, parents=[
        ParentRead(objective_id=format_id("objective", p), weight=w) for p, w in parents])


@router.get("/objectives", response_model=Page[ObjectiveRead], responses=READ_ERRORS,
            summary="List objectives")
@cached_list("objectives", "alignments")
def list_objectives(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                    sort: str = sort_query(["id", "title", "period_start", "period_end"]),
                    owner_id: Ref = None, org_unit_id: Ref = None, theme_id: Ref = None,
                    level: ObjectiveLevel | None = None,
                    perspective: Perspective | None = None,
                    archived: bool | None = None) -> Response:
    with ctx.read() as s:
        repo = ObjectiveRepository(s, ctx.ws)
        rows = list(repo.page(
            limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
            {"owner_id": ref_filter(owner_id, "person", "owner_id"),
             "org_unit_id": ref_filter(org_unit_id, "org_unit", "org_unit_id"),
             "theme_id": ref_filter(theme_id, "theme", "theme_id"),
             "level": level, "perspective": perspective, "archived": archived}))
        parents = repo.alignments_of([r.id for r in rows[:limit]])
        return page_of(rows, limit, sort,
                       lambda r: objective_read(s, ctx.ws, r, parents.get(r.id, [])))


@router.post("/objectives", status_code=201, response_model=ObjectiveRead,
             responses=WRITE_ERRORS, summary="Add an objective (with its parents)")
def post_objective(body: ObjectiveCreate, ctx: Writer, response: Response) -> ObjectiveRead:
    with ctx.write() as s:
        unit = optional_unit(body.org_unit_id)
        parents = _parent_units(s, ctx.ws, [p.objective_id for p in body.parents])
        ctx.principal.require(s, "model", unit, units=parents)
        row = create_objective(s, ctx.ws, body)
        set_etag(response, row.version)
        return objective_read(s, ctx.ws, row)


item_routes(router, path="/objectives", kind="objective", repo=ObjectiveRepository,
            model=ObjectiveRead, scope=scopes.of_objective, to_read=objective_read,
            update=(ObjectiveUpdate, update_objective, "steer"), new_units=unit_moves,
            delete=(lambda s, ws, key: archive_objective(s, ws, key), "model",
                    "Archive an objective (kept with its history)"))


def _parent_units(s: Session, ws: int, refs: list[Any]) -> list[int | None]:
    """The org units of the parents an objective is aligned under (or removed from): an
    alignment changes the parent's roll-up, so it needs a right there too. A parent not
    found is left to the service to refuse."""
    repo = ObjectiveRepository(s, ws)
    units: list[int | None] = []
    for i, ref in enumerate(refs):
        try:
            parent = repo.find(parse_id(ref, "objective", f"parents.{i}.objective_id"))
        except ValidationFailed:
            continue
        if parent is not None:
            units.append(parent.org_unit_id)
    return units


@router.post("/objectives/{id}/parents", status_code=201, response_model=ObjectiveRead,
             responses=WRITE_ERRORS, summary="Align an objective under a parent (weighted)")
def post_parent(id: IdPath, body: ParentLink, ctx: Writer) -> ObjectiveRead:
    key = path_key(id, "objective")
    with ctx.write() as s:
        row = ObjectiveRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", row.org_unit_id,
                              units=_parent_units(s, ctx.ws, [body.objective_id]))
        align(s, ctx.ws, key, body.objective_id, body.weight)
        return objective_read(s, ctx.ws, row)


@router.delete("/objectives/{id}/parents/{parent_id}", status_code=204,
               responses=WRITE_ERRORS, response_class=Response,
               summary="Remove an alignment")
def delete_parent(id: IdPath, parent_id: Annotated[str, Path(max_length=40)],
                  ctx: Writer) -> Response:
    key = path_key(id, "objective")
    parent = path_key(parent_id, "objective", "parent_id")
    with ctx.write() as s:
        row = ObjectiveRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "model", row.org_unit_id,
                              units=_parent_units(s, ctx.ws, [parent]))
        unalign(s, ctx.ws, key, parent)
    return Response(status_code=204)

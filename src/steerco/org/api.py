"""JSON routes of the org domain: org units and people."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from steerco.accounts import service as accounts
from steerco.authz import scopes
from steerco.db.enums import OrgKind
from steerco.db.models import Person
from steerco.http.auth import Principal, Reader, Writer
from steerco.http.items import item_routes
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
    read,
    ref_filter,
    set_etag,
    sort_query,
)
from steerco.kit.ids import parse_id
from steerco.org.repository import OrgUnitRepository, PersonRepository
from steerco.org.schemas import (
    OrgUnitCreate,
    OrgUnitRead,
    OrgUnitUpdate,
    PersonCreate,
    PersonRead,
    PersonUpdate,
)
from steerco.org.service import create_org_unit, create_person, update_org_unit

router = APIRouter()
Ref = Annotated[str | None, Query(max_length=40)]


@router.get("/org-units", response_model=Page[OrgUnitRead], responses=READ_ERRORS,
            tags=["org"], summary="List org units")
@cached_list("org_units")
def list_org_units(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                   sort: str = sort_query(["id", "name"]), parent_id: Ref = None,
                   kind: OrgKind | None = None) -> Response:
    with ctx.read() as s:
        repo = OrgUnitRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"parent_id": ref_filter(parent_id, "org_unit", "parent_id"),
                          "kind": kind})
        return page_of(list(rows), limit, sort, lambda r: read(OrgUnitRead, r))


@router.post("/org-units", status_code=201, response_model=OrgUnitRead,
             responses=WRITE_ERRORS, tags=["org"], summary="Add an org unit")
def post_org_unit(body: OrgUnitCreate, ctx: Writer, response: Response) -> OrgUnitRead:
    with ctx.write() as s:
        parent = None if body.parent_id is None else parse_id(body.parent_id, "org_unit",
                                                              "parent_id")
        ctx.principal.require(s, "admin", parent)
        row = create_org_unit(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(OrgUnitRead, row)


def _unit_moves(s: object, ws: int, body: OrgUnitUpdate) -> list[int | None]:
    if "parent_id" not in body.model_fields_set or body.parent_id is None:
        return []
    return [parse_id(body.parent_id, "org_unit", "parent_id")]


item_routes(router, path="/org-units", kind="org_unit", repo=OrgUnitRepository,
            model=OrgUnitRead, scope=scopes.of_unit,
            update=(OrgUnitUpdate, update_org_unit, "admin"), new_units=_unit_moves)


@router.get("/people", response_model=Page[PersonRead], responses=READ_ERRORS,
            tags=["org"], summary="List people")
@cached_list("people")
def list_people(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                sort: str = sort_query(["id", "name", "email"]), org_unit_id: Ref = None,
                manager_id: Ref = None, active: bool | None = None) -> Response:
    with ctx.read() as s:
        repo = PersonRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"org_unit_id": ref_filter(org_unit_id, "org_unit", "org_unit_id"),
                          "manager_id": ref_filter(manager_id, "person", "manager_id"),
                          "active": active})
        return page_of(list(rows), limit, sort, lambda r: read(PersonRead, r))


@router.post("/people", status_code=201, response_model=PersonRead, responses=WRITE_ERRORS,
             tags=["org"], summary="Add a person")
def post_person(body: PersonCreate, ctx: Writer, response: Response) -> PersonRead:
    with ctx.write() as s:
        unit = optional_unit(body.org_unit_id)
        ctx.principal.require(s, "admin", unit)
        row = create_person(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(PersonRead, row)


def _person_moves(s: object, ws: int, body: PersonUpdate) -> list[int | None]:
    if "org_unit_id" not in body.model_fields_set:
        return []
    return [None if body.org_unit_id is None
            else parse_id(body.org_unit_id, "org_unit", "org_unit_id")]


def _over_person(s: Session, principal: Principal, row: Person) -> None:
    principal.require_over_person(s, row.id)


# Deactivating someone ends their sessions and tokens (accounts.update_person); and
# nobody changes a person whose roles reach beyond their own admin scope.
item_routes(router, path="/people", kind="person", repo=PersonRepository, model=PersonRead,
            scope=scopes.of_person, update=(PersonUpdate, accounts.update_person, "admin"),
            new_units=_person_moves, guard=_over_person)

"""JSON routes of the finance domain: budget lines and the (append-only) ledger."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from steerco.authz import scopes
from steerco.db.enums import BudgetKind
from steerco.finance.repository import BudgetLineRepository, LedgerRepository
from steerco.finance.schemas import (
    BudgetLineCreate,
    BudgetLineRead,
    BudgetLineUpdate,
    LedgerCorrection,
    LedgerCorrectionRead,
    LedgerEntryCreate,
    LedgerEntryRead,
    PeriodAmount,
)
from steerco.finance.service import (
    correct_ledger_entry,
    create_budget_line,
    post_ledger_entry,
    set_budget_plan,
    update_budget_line,
)
from steerco.http.auth import Reader, Writer
from steerco.http.items import IdPath, item_routes
from steerco.http.page_cache import cached_list
from steerco.http.rest import (
    CURSOR,
    LIMIT,
    READ_ERRORS,
    VERSIONED_ERRORS,
    WRITE_ERRORS,
    IfMatch,
    Page,
    check_version,
    decode_cursor,
    optional_unit,
    page_of,
    path_key,
    read,
    ref_filter,
    set_etag,
    sort_query,
    stale_guard,
    unit_moves,
)
from steerco.kit.ids import parse_id

router = APIRouter(tags=["finance"])
Ref = Annotated[str | None, Query(max_length=40)]


@router.get("/budget-lines", response_model=Page[BudgetLineRead], responses=READ_ERRORS,
            summary="List budget lines")
@cached_list("budget_lines")
def list_budget_lines(request: Request, ctx: Reader,
                      limit: int = LIMIT, cursor: str | None = CURSOR,
                      sort: str = sort_query(["id", "code", "name"]), org_unit_id: Ref = None,
                      initiative_id: Ref = None,
                      kind: BudgetKind | None = None) -> Response:
    with ctx.read() as s:
        repo = BudgetLineRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"org_unit_id": ref_filter(org_unit_id, "org_unit", "org_unit_id"),
                          "initiative_id": ref_filter(initiative_id, "initiative",
                                                      "initiative_id"),
                          "kind": kind})
        return page_of(list(rows), limit, sort, lambda r: read(BudgetLineRead, r))


@router.post("/budget-lines", status_code=201, response_model=BudgetLineRead,
             responses=WRITE_ERRORS, summary="Add a budget line with its planned amounts")
def post_budget_line(body: BudgetLineCreate, ctx: Writer, response: Response) -> BudgetLineRead:
    with ctx.write() as s:
        unit = optional_unit(body.org_unit_id)
        ctx.principal.require(s, "finance", unit)
        row = create_budget_line(s, ctx.ws, body)
        set_etag(response, row.version)
        return read(BudgetLineRead, row)


item_routes(router, path="/budget-lines", kind="budget_line", repo=BudgetLineRepository,
            model=BudgetLineRead, scope=scopes.of_budget_line,
            update=(BudgetLineUpdate, update_budget_line, "finance"), new_units=unit_moves)


@router.get("/budget-lines/{id}/plan", response_model=list[PeriodAmount],
            responses=READ_ERRORS, summary="A budget line's planned spend per period")
def get_budget_plan(id: IdPath, ctx: Reader) -> list[PeriodAmount]:
    with ctx.read() as s:
        repo = BudgetLineRepository(s, ctx.ws)
        line = repo.get(path_key(id, "budget_line"))
        return [PeriodAmount(period=p, amount=a) for p, a in repo.plan_of(line.id)]


@router.put("/budget-lines/{id}/plan", response_model=list[PeriodAmount],
            responses=VERSIONED_ERRORS,
            summary="Replace a budget line's planned spend per period (send If-Match)")
def put_budget_plan(id: IdPath, body: list[PeriodAmount], ctx: Writer, response: Response,
                    if_match: str | None = IfMatch) -> list[PeriodAmount]:
    key = path_key(id, "budget_line")

    def version(s: Session) -> int | None:
        row = BudgetLineRepository(s, ctx.ws).find(key)
        return None if row is None else row.version

    with stale_guard(ctx, version), ctx.write() as s:
        repo = BudgetLineRepository(s, ctx.ws)
        line = repo.get(key)
        ctx.principal.require(s, "finance", scopes.of_budget_line(s, ctx.ws, line).unit)
        check_version(line.version, if_match)
        line = set_budget_plan(s, ctx.ws, key, body)
        set_etag(response, line.version)
        return [PeriodAmount(period=p, amount=a) for p, a in repo.plan_of(key)]


@router.get("/ledger-entries", response_model=Page[LedgerEntryRead], responses=READ_ERRORS,
            summary="List ledger actuals (append-only)")
@cached_list("ledger_entries")
def list_ledger(request: Request, ctx: Reader, limit: int = LIMIT, cursor: str | None = CURSOR,
                sort: str = sort_query(["id", "period", "posted_on"]),
                budget_line_id: Ref = None) -> Response:
    with ctx.read() as s:
        repo = LedgerRepository(s, ctx.ws)
        rows = repo.page(limit, sort, decode_cursor(cursor, sort, repo.column_type(sort)),
                         {"budget_line_id": ref_filter(budget_line_id, "budget_line",
                                                       "budget_line_id")})
        return page_of(list(rows), limit, sort, lambda r: read(LedgerEntryRead, r))


@router.post("/ledger-entries", status_code=201, response_model=LedgerEntryRead,
             responses=WRITE_ERRORS, summary="Post an actual to a budget line")
def post_ledger(body: LedgerEntryCreate, ctx: Writer) -> LedgerEntryRead:
    with ctx.write() as s:
        line = BudgetLineRepository(s, ctx.ws).find(
            parse_id(body.budget_line_id, "budget_line", "budget_line_id"))
        ctx.principal.require(s, "finance", None if line is None else line.org_unit_id)
        return read(LedgerEntryRead, post_ledger_entry(s, ctx.ws, body))


item_routes(router, path="/ledger-entries", kind="ledger_entry", repo=LedgerRepository,
            model=LedgerEntryRead, scope=scopes.of_ledger_entry)


@router.post("/ledger-entries/{id}/correct", status_code=201,
             response_model=LedgerCorrectionRead, responses=WRITE_ERRORS,
             summary="Correct an actual: reverse it and post the right amount")
def post_ledger_correction(id: IdPath, body: LedgerCorrection,
                           ctx: Writer) -> LedgerCorrectionRead:
    key = path_key(id, "ledger_entry")
    with ctx.write() as s:
        row = LedgerRepository(s, ctx.ws).get(key)
        ctx.principal.require(s, "finance", scopes.of_ledger_entry(s, ctx.ws, row).unit)
        reversal, replacement = correct_ledger_entry(s, ctx.ws, key, body)
        return LedgerCorrectionRead(reversal=read(LedgerEntryRead, reversal),
                                    replacement=read(LedgerEntryRead, replacement))

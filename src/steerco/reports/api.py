"""JSON API edge of the review pack: GET /reviews/{id}/pack as HTML or PDF."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from steerco.evidence import service as engine
from steerco.evidence.api import READ_FRESHNESS_S
from steerco.governance.repository import ReviewRepository
from steerco.http.auth import Reader
from steerco.http.errors import problem
from steerco.http.items import IdPath
from steerco.http.rest import READ_ERRORS, path_key
from steerco.reports.pack import PdfUnavailable, pack_data, pack_html, pack_pdf

router = APIRouter(tags=["governance"])
PACK_RESPONSES: dict[int | str, dict[str, object]] = {
    **READ_ERRORS,
    200: {"content": {"text/html": {}, "application/pdf": {}},
          "description": "The pack: HTML (default) or PDF"},
    503: {"description": "PDF asked for but WeasyPrint's system libraries (Pango) are "
                         "missing: the problem's detail says what to install"}}


def render_pack(request: Request, ctx: Reader, key: int, fmt: str) -> Response:
    """The pack of review `key` (`fmt` html or pdf) as a download; shared with the page."""
    with ctx.read() as s:
        row = ReviewRepository(s, ctx.ws).get(key)
        st = engine.CACHE.state(s, ctx.ws, fresh_within=READ_FRESHNESS_S)
        html = pack_html(pack_data(s, ctx.ws, key, st))
        name = f"review-{row.scheduled_for.isoformat()}-{key}"
    if fmt == "pdf":
        try:
            pdf = pack_pdf(html, base_url=str(request.base_url))
        except PdfUnavailable as exc:  # 503: it works once Pango is installed
            return problem(503, "pdfunavailable", exc.title, exc.detail)
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'inline; filename="{name}.html"'})


@router.get("/reviews/{id}/pack", responses=PACK_RESPONSES, response_class=Response,
            summary="The review's pack: cover, exceptions, strategy map, charts of the "
                    "agenda's metrics, decisions taken and pending (HTML or PDF)")
def get_pack(id: IdPath, request: Request, ctx: Reader,
             format: Annotated[Literal["html", "pdf"], Query(
                 description="html (default) or pdf")] = "html") -> Response:
    return render_pack(request, ctx, path_key(id, "review"), format)

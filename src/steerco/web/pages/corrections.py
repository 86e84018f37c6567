"""Correcting or voiding a check-in from the metric page: a new measurement that
supersedes the wrong one (a void takes it out of the evidence), with a required reason
kept in the history (nothing is overwritten).

Who may correct is who may check in on the metric (its owner, a delegated updater, or the
strategy office / an admin over it): a typo of 1e20 or a 1999 date is fixed by its owner
without an administrator.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.checkins.service import check_in, void_measurement
from steerco.db.models import Measurement, Metric
from steerco.evidence.service import CACHE
from steerco.kit.errors import Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views import metrics as views
from steerco.web.pages.common import key_of, person_names
from steerco.web.pages.metrics import _can_checkin, _messages, _metric
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
REFUSED = ("only the metric's owner, its delegated updaters (or the strategy office) can "
           "correct its check-ins")


def _load(s: Session, user: PageUser, mid: str, mea: str) -> tuple[Metric, Measurement]:
    m = _metric(s, user.ctx.ws, mid)
    old = views.measurement(s, user.ctx.ws, key_of(mea, "measurement"))
    if old is None or old.metric_id != m.id:
        raise NotFound("measurement", mea)
    if not _can_checkin(s, user, m):
        raise Forbidden(REFUSED)
    return m, old


def _page(request: Request, s: Session, user: PageUser, m: Metric, old: Measurement,
          form: dict[str, str], errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    if request.headers.get("hx-request"):
        status_code = 200  # htmx swaps only 2xx answers into the page
    ctx: dict[str, Any] = {
        "m": m, "old": old, "form": form, "errors": errors or {},
        "mid": format_id("metric", m.id), "mea": format_id("measurement", old.id),
        "by": person_names(s, user.ctx.ws, [old.submitted_by_id]).get(
            old.submitted_by_id or -1, "—")}
    return render(request, "correction.html", status_code=status_code, **ctx)


def _exact(value: float) -> str:
    """The value as typed back, to the last digit (never rounded: `:g` would turn
    40088912.34 into 4.00889e+07 and a correction would silently change it)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@router.get("/metrics/{mid}/corrections/{mea}")
def correction(request: Request, mid: str, mea: str, user: User) -> Response:
    with user.ctx.read() as s:
        m, old = _load(s, user, mid, mea)
        form = {"value": _exact(old.value), "as_of": old.as_of.isoformat(), "reason": ""}
        return _page(request, s, user, m, old, form)


@router.post("/metrics/{mid}/corrections/{mea}")
async def correct(request: Request, mid: str, mea: str, user: FormUser) -> Response:
    raw = await request.form()
    form = {k: str(raw.get(k) or "").strip() for k in ("value", "as_of", "reason")}
    errors: dict[str, str] = {}
    if not form["reason"]:
        errors["reason"] = ("Say why the value is corrected (e.g. “typo: 1e20 for 120”); "
                            "the reason stays in the history.")
    if not form["value"]:
        errors["value"] = "Enter the corrected value."
    with user.ctx.write() as s:
        m, old = _load(s, user, mid, mea)
        if not errors:
            try:
                row = check_in(s, user.ctx.ws, {
                    "metric_id": m.id, "value": form["value"], "as_of": form["as_of"],
                    "note": f"Correction: {form['reason']}",
                    "evidence_url": old.evidence_url, "confidence": old.confidence,
                    "supersedes_id": format_id("measurement", old.id)},
                    submitted_by_id=user.person_id)
                new_id = format_id("measurement", row.id)
            except ValidationFailed as exc:
                s.rollback()
                errors = _messages(exc.errors)
        if errors:
            m, old = _load(s, user, mid, mea)
            return _page(request, s, user, m, old, form, errors, status_code=422)
    target = f"/metrics/{mid}?checked_in={new_id}#h-hist"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# --- voids ------------------------------------------------------------------------------


def _void_page(request: Request, s: Session, user: PageUser, m: Metric, old: Measurement,
               form: dict[str, str], errors: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    if request.headers.get("hx-request"):
        status_code = 200  # htmx swaps only 2xx answers into the page
    ctx: dict[str, Any] = {
        "m": m, "old": old, "form": form, "errors": errors or {},
        "mid": format_id("metric", m.id), "mea": format_id("measurement", old.id),
        "by": person_names(s, user.ctx.ws, [old.submitted_by_id]).get(
            old.submitted_by_id or -1, "—")}
    return render(request, "void.html", status_code=status_code, **ctx)


@router.get("/metrics/{mid}/voids/{mea}")
def void_form(request: Request, mid: str, mea: str, user: User) -> Response:
    with user.ctx.read() as s:
        m, old = _load(s, user, mid, mea)
        return _void_page(request, s, user, m, old, {"reason": ""})


@router.post("/metrics/{mid}/voids/{mea}")
async def void(request: Request, mid: str, mea: str, user: FormUser) -> Response:
    """Void the check-in: a new row takes it out of the evidence (the API's service)."""
    raw = await request.form()
    form = {"reason": str(raw.get("reason") or "").strip()}
    errors: dict[str, str] = {}
    if not form["reason"]:
        errors["reason"] = ("Say why this check-in is wrong (e.g. “typo: 1e20 for 120”); "
                            "the reason stays in the history.")
    with user.ctx.write() as s:
        m, old = _load(s, user, mid, mea)
        if not errors:
            try:
                void_measurement(s, user.ctx.ws, old.id, form,
                                 submitted_by_id=user.person_id)
            except ValidationFailed as exc:
                s.rollback()
                errors = {"reason": "; ".join(e.message for e in exc.errors)}
        if errors:
            m, old = _load(s, user, mid, mea)
            return _void_page(request, s, user, m, old, form, errors, status_code=422)
    CACHE.written(user.ctx.ws)
    target = f"/metrics/{mid}?voided={mea}#h-hist"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)

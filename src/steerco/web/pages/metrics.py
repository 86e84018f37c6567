"""Metrics: the list, one metric's page (history, drivers, chart) and the check-in form."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from steerco.accounts.errors import Forbidden
from steerco.authz import scopes
from steerco.checkins import files
from steerco.checkins.repository import MeasurementRepository
from steerco.checkins.service import check_in
from steerco.core.status import Status
from steerco.db.models import CausalLink, Metric
from steerco.evidence.service import metric_view
from steerco.kit import numbers
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import format_id, parse_any
from steerco.metrics.service import updaters_of
from steerco.views import Session
from steerco.views import metrics as views
from steerco.web.pages.charts import metric_chart
from steerco.web.pages.common import (
    WORK,
    escalations_on,
    key_of,
    metric_row,
    objective_row,
    page_of,
    pager,
    person_names,
    state,
    status_name,
    today,
)
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_UPLOAD = files.MAX_UPLOAD
STATUSES = ["off_track", "missed", "at_risk", "stale", "no_data", "on_track", "achieved"]
STATUS_CODES = {name.lower(): int(s) for name, s in Status.__members__.items()}


@router.get("/metrics")
def metrics(request: Request, user: User, page: int = 1, q: str = "", status: str = "",
            mine: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        st = state(s, ws)
        owner = user.person_id if mine else None
        mr = st.evaluation.metrics
        if status in STATUSES:
            # Filter by computed status in the engine's arrays, then load only one page.
            code = STATUS_CODES[status]
            keys = st.snapshot.metrics.ids[mr.status.status == code]
            ids = views.listed_keys(s, ws, q, owner)
            wanted = np.intersect1d(np.array(ids, dtype=np.int64), keys)
            total = int(wanted.shape[0])
        else:
            total = views.listed_count(s, ws, q, owner)
        p = pager(page, total)
        if status in STATUSES:
            page_keys = [int(k) for k in wanted[p.offset:p.offset + p.per_page]]
            rows = views.listed_page(s, ws, q, owner, keys=page_keys)
        else:
            rows = views.listed_page(s, ws, q, owner, p.offset, p.per_page)
        items: list[dict[str, Any]] = []
        for key, name, unit, kind, owner, cadence in rows:
            r = metric_row(st, key)
            sname = status_name(int(mr.status.status[r])) if r >= 0 else "no_data"
            items.append({"id": format_id("metric", key), "name": name, "unit": unit,
                          "kind": kind.value, "owner": owner, "cadence": cadence.value,
                          "status": sname, "row": r})
        shown = items
        for it in shown:
            v = metric_view(st, it["row"], it["unit"]) if it["row"] >= 0 else {}
            it.update(last=v.get("last_value"), p_hit=v.get("p_hit"),
                      forecast=v.get("forecast"), target=v.get("target_value"))
        names = person_names(s, ws, [it["owner"] for it in shown])
    return render(request, "metrics.html", items=shown, pager=p, names=names, q=q,
                  status=status, mine=mine, statuses=STATUSES)


def _metric(s: Session, ws: int, mid: str) -> Metric:
    m = views.find(s, ws, key_of(mid, "metric"))
    if m is None:
        raise NotFound("metric", mid)
    return m


def _can_checkin(s: Session, user: PageUser, m: Metric,
                 updaters: dict[int, list[int]] | None = None) -> bool:
    """The owner (whatever their role), a delegated updater, or admin / strategy office
    over the metric: the same rule as the API (steerco.http.auth)."""
    sc = scopes.of_metric_for_checkin(s, user.ctx.ws, m, updaters)
    return user.can(s, "checkin", sc.unit, list(sc.owners), m.owner_id)


def _page(request: Request, user: PageUser, mid: str, form: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200,
          hpage: int = 1, done: str | None = None) -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        m = _metric(s, ws, mid)
        st = state(s, ws)
        r = metric_row(st, m.id)
        v = metric_view(st, r, m.unit) if r >= 0 else None
        chart = metric_chart(st, r, m.name, m.unit) if r >= 0 else None
        every = list(MeasurementRepository(s, ws).history(m.id))
        # A void is shown on the row it voids ("voided by NAME on DATE: reason").
        voids = {h.supersedes_id: h for h in every if h.void and h.supersedes_id}
        hist = [h for h in every if not h.void]
        superseded = {h.supersedes_id for h in every if h.supersedes_id is not None}
        hist.sort(key=lambda h: (h.as_of, h.id), reverse=True)
        rows, hp = page_of(hist, hpage, 20)
        objs = views.objectives_of(s, ws, m.id)
        o_status = st.evaluation.objectives.status
        objectives = []
        for k, title in objs:
            orow = objective_row(st, k)
            objectives.append({"id": format_id("objective", k), "title": title,
                               "status": status_name(int(o_status[orow])) if orow >= 0
                               else "no_data"})
        links, other_m = views.causal_links_of(s, ws, m.id)
        work = WORK.get(s, ws)
        mr = st.evaluation.metrics

        def link_row(ln: CausalLink, end: int) -> dict[str, Any]:
            om = other_m.get(end)
            orow = metric_row(st, end)
            fnd = work.of(format_id("causal_link", ln.id))
            verdict = next((f for f in fnd if f["kind"] == "causal_link_not_holding"), None)
            return {"id": format_id("metric", end), "name": om.name if om else "?",
                    "owner": om.owner_id if om else None, "sign": ln.sign, "lag": ln.lag_days,
                    "status": status_name(int(mr.status.status[orow])) if orow >= 0
                    else "no_data", "verdict": verdict,
                    "conflict": any(f["kind"] == "cross_team_conflict" for f in fnd)}

        drivers = [link_row(ln, ln.driver_id) for ln in links if ln.driven_id == m.id]
        driven = [link_row(ln, ln.driven_id) for ln in links if ln.driver_id == m.id]
        delegated = updaters_of(s, ws, [m.id])
        updaters = delegated[m.id]
        names = person_names(s, ws, [m.owner_id, *updaters,
                                     *[h.submitted_by_id for h in rows],
                                     *[v.submitted_by_id for v in voids.values()],
                                     *[d["owner"] for d in drivers + driven]])
        can = _can_checkin(s, user, m, delegated)
        sc = scopes.of_metric(s, ws, m)
        can_edit = user.can(s, "model", sc.unit) or user.can(s, "checkin", sc.unit,
                                                             list(sc.owners))
        findings = work.of(format_id("metric", m.id))
        escalations = escalations_on(s, ws, "metric", m.id)
        day = today(s, ws)  # in the workspace's time zone
        done_text = _flash(m, every, done, "checked_in")
        void_text = _flash(m, every, request.query_params.get("voided"), "voided")
    values = form or {"value": "", "as_of": day.isoformat(), "evidence_url": "",
                      "confidence": "", "note": ""}
    ctx: dict[str, Any] = {"m": m, "v": v, "chart": chart, "history": rows, "hpager": hp,
           "superseded": superseded, "objectives": objectives, "drivers": drivers,
           "driven": driven, "names": names, "can_checkin": can, "form": values,
           "errors": errors or {}, "findings": findings, "done": done_text, "updaters": updaters,
           "escalations": escalations, "voids": voids, "can_edit": can_edit,
           "voided": void_text,
           "mid": format_id("metric", m.id)}
    if form is not None and request.headers.get("hx-request"):
        return render(request, "_checkin_form.html", status_code=200, **ctx)
    return render(request, "metric.html", status_code=status_code, **ctx)


def _flash(m: Metric, every: list[Any], mea: str | None, what: str) -> str | None:
    """What a check-in, correction or void did, by value, metric name and date ("Checked
    in 11 orders for Orders shipped on 1 Dec 2026"): never the measurement's id."""
    if not mea:
        return None
    try:
        key = parse_any(mea, "measurement")[1]
    except Exception:  # a hand-made address: no flash rather than an error
        return None
    row = next((h for h in every if h.id == key), None)
    if row is None:
        return None
    figure = " ".join(x for x in (numbers.number(row.value), m.unit or "") if x)
    verb = ("Voided" if what == "voided" else
            "Corrected to" if row.supersedes_id is not None else "Checked in")
    return f"{verb} {figure} for {m.name} on {row.as_of.day} {row.as_of.strftime('%b %Y')}"


@router.get("/metrics/{mid}")
def metric(request: Request, mid: str, user: User, hpage: int = 1,
           checked_in: str | None = None) -> Response:
    return _page(request, user, mid, hpage=hpage, done=checked_in)


@router.post("/metrics/{mid}/checkin")
async def checkin_submit(request: Request, mid: str, user: FormUser) -> Response:
    form = await request.form()
    fields = {k: str(form.get(k) or "").strip() for k in
              ("value", "as_of", "evidence_url", "confidence", "note")}
    errors: dict[str, str] = {}
    upload = form.get("evidence_file")
    data = b""
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            errors["evidence_file"] = "The file is larger than 20 MB."
    confidence: float | None = None
    if fields["confidence"]:
        try:
            confidence = float(fields["confidence"]) / 100
            if not 0 <= confidence <= 1:
                raise ValueError
        except ValueError:
            errors["confidence"] = "Enter a confidence between 0 and 100 (%)."
    if not fields["value"]:
        errors["value"] = "Enter the measured value."
    if not fields["as_of"]:
        errors["as_of"] = "Enter the date the value was measured."
    with user.ctx.write() as s:
        m = _metric(s, user.ctx.ws, mid)
        if not _can_checkin(s, user, m):
            raise Forbidden("only the metric's owner, its delegated updaters (or the strategy "
                            "office) can check in on it")
        if not errors:
            body: dict[str, Any] = {
                "metric_id": m.id, "value": fields["value"], "as_of": fields["as_of"],
                "evidence_url": fields["evidence_url"] or None,
                "note": fields["note"] or None, "confidence": confidence,
                # The second click: ticked only after the page warned of an outlier.
                "confirm_outlier": bool(form.get("confirm_outlier"))}
            handle = None
            try:
                if data and isinstance(upload, UploadFile):
                    handle = files.stage(user.ctx.ws, upload.filename, data)
                    body["evidence_file"] = handle
                row = check_in(s, user.ctx.ws, body, submitted_by_id=user.person_id)
                new_id = format_id("measurement", row.id)
            except ValidationFailed as exc:
                s.rollback()  # moves the file back to staging ...
                if handle is not None:  # ... from where this form's upload goes at once
                    files.discard(user.ctx.ws, handle)
                errors.update(_messages(exc.errors))
                if handle is not None:
                    errors.setdefault("evidence_file", "Nothing was saved: choose the file "
                                                       "again after correcting the above.")
    if errors:
        return _page(request, user, mid, form=fields, errors=errors, status_code=422)
    target = f"/metrics/{mid}?checked_in={new_id}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


FRIENDLY = {
    "value": "Enter a number, like 42 or 3.5.",
    "as_of": "Enter a date like 2026-03-31.",
    "evidence_url": "Enter a web address starting with http:// or https://.",
}


def _messages(errs: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in errs:
        field = e.field.split(".")[-1]
        msg = e.message
        if field in FRIENDLY and ("valid" in msg or "pattern" in msg or "parse" in msg):
            msg = FRIENDLY[field]
        elif field == "as_of" and "after today" in msg:
            msg = f"That date is in the future: {e.message}."
        elif field == "as_of" and "baseline" in msg:
            msg = msg.split(";")[0] + ": enter a date on or after it."
        elif field == "confirm_outlier":
            msg = (f"{e.value:g} is far outside this metric's history — check the value. "
                   "If it is right, tick the box below and check in again.")
        out.setdefault(field if field in ("value", "as_of", "evidence_url", "evidence_file",
                                          "note", "confidence", "confirm_outlier")
                       else "value", msg)
    return out


@router.get("/evidence/{mea}")
def evidence_file(mea: str, user: User) -> Response:
    key = key_of(mea, "measurement")
    with user.ctx.read() as s:
        row = views.measurement(s, user.ctx.ws, key)
        if row is None or not row.evidence_file:
            raise NotFound("measurement", mea)
        rel = row.evidence_file
    path = files.stored_path(user.ctx.ws, rel)
    if path is None:  # only a file inside this workspace's own folder is served
        raise NotFound("evidence file", mea)
    return FileResponse(path, filename=path.name.split("_", 1)[-1],
                        content_disposition_type="attachment")

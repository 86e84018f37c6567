"""Findings: every signal and hygiene finding, filterable and paginated."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response

from steerco.findings.service import KINDS, SIGNAL_KINDS
from steerco.kit.ids import format_id
from steerco.views.labels import labels_of
from steerco.web.pages.common import WORK, link, page_of, person_names, pid_key
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import User

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/findings")
def findings(request: Request, user: User, page: int = 1, kind: str = "",
             severity: str = "", person: str = "", subject: str = "") -> Response:
    ws = user.ctx.ws
    with user.ctx.read() as s:
        rows = WORK.get(s, ws).findings
        counts = Counter(f["kind"] for f in rows)
        if kind in KINDS:
            rows = [f for f in rows if f["kind"] == kind]
        if severity.isdigit():
            rows = [f for f in rows if f["severity"] >= int(severity)]
        if person == "me":
            me = format_id("person", user.person_id)
            rows = [f for f in rows if f["person_id"] == me]
        if subject:
            rows = [f for f in rows if f["subject"]["kind"] == subject]
        shown, p = page_of(rows, page, 30)
        names = person_names(s, ws, [pid_key(f["person_id"]) for f in shown])
        subject_labels = labels_of(s, ws, [f["subject"]["id"] for f in shown])
    return render(request, "findings.html", items=shown, pager=p, names=names, kind=kind,
                  severity=severity, person=person, subject=subject, counts=counts,
                  signal_kinds=SIGNAL_KINDS, hygiene_kinds=[k for k in KINDS
                                                            if k not in SIGNAL_KINDS],
                  link=link, pid_key=pid_key, subject_labels=subject_labels,
                  subjects=["metric", "objective", "initiative", "milestone", "dependency",
                            "benefit", "causal_link"])

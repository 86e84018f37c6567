"""Findings: every signal and hygiene finding, triaged.

The default view shows what needs a look: findings nobody triaged yet, those that got
worse than when someone last looked (their severity rose above `seen_severity`), and
those whose snooze ran out — at most one screen (`SCREEN`), ordered by impact
(`steerco.core.severity`: money, critical path, outcome weight). "Since the last review"
is therefore per finding: the last time someone triaged it (a whole-workspace snapshot at
a review meeting would need the findings of a past day recomputed on every page).
Acknowledge, assign, snooze and accept go through the triage service the API uses.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from steerco.authz import scopes
from steerco.db.repository import table_generations
from steerco.findings.service import KINDS, SIGNAL_KINDS
from steerco.governance.repository import TriageRepository
from steerco.governance.service import SUBJECT_REPOSITORIES
from steerco.governance.triage import shown, triage_finding, triage_subject
from steerco.kit.errors import Forbidden, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views.labels import labels_of
from steerco.views.names import choices, people_named
from steerco.web.pages.common import WORK, link, page_of, person_names, pid_key, today
from steerco.web.pages.render import PageRoute, render
from steerco.web.pages.session import FormUser, PageUser, User

router = APIRouter(route_class=PageRoute, include_in_schema=False)
#: Rows of the default view: one screen.
SCREEN = 15
VIEWS = {"new": "New or worse", "all": "All findings", "snoozed": "Snoozed",
         "accepted": "Accepted"}
NEEDS_A_LOOK = {"new", "worse", "back"}
TRIAGE_FIELDS = ("finding_key", "action", "assignee", "until", "reason", "back")


def _page(request: Request, s: Session, user: PageUser, q: dict[str, str], page: int,
          errors: dict[str, dict[str, str]] | None = None,
          form: dict[str, str] | None = None, status_code: int = 200,
          back: str | None = None) -> Response:
    ws = user.ctx.ws
    work = WORK.get(s, ws)
    rows = work.findings
    triage = TriageRepository(s, ws).all_by_key()
    day = today(s, ws)
    # Where each finding stands depends only on the findings, the triage rows and the day:
    # computed once per (findings, triage generation, day), not per request.
    memo_key = ("triage", table_generations(s, ws, ("finding_triage",)), day)
    derived = work.memo.get(memo_key)
    if derived is None:
        state = {f["key"]: shown(triage.get(f["key"]), f["severity"], day) for f in rows}
        by_state: dict[str, list[dict[str, Any]]] = {}
        for f in rows:
            by_state.setdefault("new" if state[f["key"]] in NEEDS_A_LOOK else state[f["key"]],
                                []).append(f)
        derived = work.memo[memo_key] = (Counter(f["kind"] for f in rows), by_state, state)
    counts, by_state, state = derived
    view = q["view"] if q["view"] in VIEWS else "new"
    by_view = Counter({k: len(v) for k, v in by_state.items()})
    if view != "all":
        rows = by_state.get(view, [])
    if q["kind"] in KINDS:
        rows = [f for f in rows if f["kind"] == q["kind"]]
    if q["severity"].isdigit():
        rows = [f for f in rows if f["severity"] >= int(q["severity"])]
    if q["person"] == "me":
        me = format_id("person", user.person_id)
        rows = [f for f in rows if f["person_id"] == me or (
            triage.get(f["key"]) is not None
            and triage[f["key"]].assignee_id == user.person_id)]
    if q["subject"]:
        rows = [f for f in rows if f["subject"]["kind"] == q["subject"]]
    if q["group"] == "subject":  # the worst subject first, its findings together
        # The same filters group the same way until the findings or the triage change.
        group_key = (None if q["person"] == "me" else
                     ("grouped", memo_key, view, q["kind"], q["severity"], q["subject"]))
        grouped = work.memo.get(group_key) if group_key else None
        if grouped is None:
            first: dict[str, int] = {}
            for i, f in enumerate(rows):
                first.setdefault(f["subject"]["id"] or "", i)
            grouped = sorted(rows, key=lambda f: first[f["subject"]["id"] or ""])
            if group_key:
                work.memo[group_key] = grouped
        rows = grouped
    more = 0
    if view == "new":
        more = max(0, len(rows) - SCREEN)
        shown_rows, p = page_of(rows[:SCREEN], 1, SCREEN)
    else:
        shown_rows, p = page_of(rows, page, 30)
    rows_triage = {f["key"]: triage.get(f["key"]) for f in shown_rows}
    names = person_names(s, ws, [pid_key(f["person_id"]) for f in shown_rows]
                         + [t.assignee_id for t in rows_triage.values() if t is not None])
    subject_labels = labels_of(s, ws, [f["subject"]["id"] for f in shown_rows])
    return render(request, "findings.html", status_code=status_code, items=shown_rows,
                  pager=p, names=names, counts=counts, q=q, view=view, views=VIEWS,
                  by_view=by_view, more=more, state=state, triage=rows_triage,
                  signal_kinds=SIGNAL_KINDS, hygiene_kinds=[k for k in KINDS
                                                            if k not in SIGNAL_KINDS],
                  link=link, pid_key=pid_key, subject_labels=subject_labels,
                  errors=errors or {}, form=form or {}, choices=choices(s, ws),
                  back=back or (request.url.path + ("?" + request.url.query
                                                    if request.url.query else "")),
                  subjects=["metric", "objective", "initiative", "milestone", "dependency",
                            "benefit", "causal_link"])


def _query(**kw: str) -> dict[str, str]:
    return {k: kw.get(k, "") or "" for k in ("kind", "severity", "person", "subject", "view",
                                             "group")}


@router.get("/findings")
def findings(request: Request, user: User, page: int = 1, kind: str = "",
             severity: str = "", person: str = "", subject: str = "", view: str = "",
             group: str = "") -> Response:
    with user.ctx.read() as s:
        return _page(request, s, user, _query(kind=kind, severity=severity, person=person,
                                              subject=subject, view=view, group=group), page)


def _messages(exc: ValidationFailed, form: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        field = {"assignee_id": "assignee"}.get(e.field, e.field)
        got = form.get(field, "")
        msg = e.message
        if field == "until" and got and "date" in msg and "after" not in msg:
            msg = f"“{got}” is not a date; enter one like 2026-12-31."
        out.setdefault(field if field in TRIAGE_FIELDS else "reason", msg)
    return out


@router.post("/findings/triage")
async def triage(request: Request, user: FormUser) -> Response:
    raw = await request.form()
    form = {k: str(raw.get(k) or "").strip() for k in TRIAGE_FIELDS}
    back = form["back"] if form["back"].startswith("/findings") else "/findings"
    key = form["finding_key"]
    ws = user.ctx.ws
    errors: dict[str, str] = {}
    with user.ctx.write() as s:
        kind, subject = triage_subject(key)
        if kind in SUBJECT_REPOSITORIES and subject is not None:
            SUBJECT_REPOSITORIES[kind](s, ws).require(subject, "finding_key")
        sc = scopes.of_subject(s, ws, kind, subject)
        if not user.can(s, "steer", sc.unit, list(sc.owners)):
            raise Forbidden("only the owner of what the finding is about, or an executive or "
                            "the strategy office over its org unit, can triage it")
        body: dict[str, Any] = {"action": form["action"]}
        if form["action"] == "assign":
            found = people_named(s, ws, form["assignee"]) if form["assignee"] else []
            if len(found) == 1:
                body["assignee_id"] = found[0].id
            else:
                errors["assignee"] = (
                    "Type the name of the person to assign it to." if not form["assignee"]
                    else f"No single person is called “{form['assignee']}”; pick one from "
                         "the list.")
        if form["action"] == "snooze":
            if not form["until"]:
                errors["until"] = "Say until which day it can wait."
            else:
                body["until"] = form["until"]
        if form["reason"]:
            body["reason"] = form["reason"]
        if not errors:
            current = WORK.get(s, ws).by_key.get(key)
            try:
                triage_finding(s, ws, key, body, user.person_id,
                               severity=None if current is None else int(current["severity"]))
            except ValidationFailed as exc:
                s.rollback()
                errors = _messages(exc, form)
        if errors:
            params = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
            return _page(request, s, user, _query(**params), 1, errors={key: errors},
                         form=form, back=back,
                         status_code=200 if request.headers.get("hx-request") else 422)
    if request.headers.get("hx-request"):  # htmx follows HX-Redirect, a plain form the 303
        return Response(status_code=204, headers={"HX-Redirect": back})
    return RedirectResponse(back, status_code=303)

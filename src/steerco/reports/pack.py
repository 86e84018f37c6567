"""The pack of a review: cover, exceptions, strategy map, metric charts, decisions.

`pack_data` gathers what the pack shows (names, never ids, as labels), `pack_html`
renders it with Jinja2 as one self-contained HTML document (inline CSS, inline SVG
charts), and `pack_pdf` prints that document with WeasyPrint. WeasyPrint needs the
operating system's Pango; without it `pack_pdf` raises `PdfUnavailable` naming what to
install, and the HTML pack still works.
"""

from __future__ import annotations

from typing import Any

import jinja2
import numpy as np
from sqlalchemy.orm import Session

from steerco.core.snapshot import rows_of
from steerco.db.enums import EscalationState
from steerco.evidence.service import STATUS_NAMES, EngineState
from steerco.governance.agenda import LEVEL, SECTIONS, page_link
from steerco.governance.followup import since_last_review
from steerco.governance.repository import (
    DecisionRepository,
    EscalationRepository,
    ReviewActionRepository,
    ReviewRepository,
)
from steerco.kit.dates import from_day
from steerco.kit.errors import SteercoError
from steerco.kit.ids import format_id, parse_id
from steerco.metrics.repository import MetricRepository
from steerco.reports.svg import metric_svg
from steerco.views import strategy_map
from steerco.views.labels import labels_of, titled_agenda
from steerco.views.names import person_names, unit_name
from steerco.web.pages.charts import metric_chart

#: At most this many metric charts (the agenda's metrics, in agenda order).
MAX_CHARTS = 12
#: The strategy map fits one page: at most this many objectives, top levels first.
MAX_MAP = 40
LEVELS = ["company", "business_unit", "department", "team"]
PERSPECTIVES = {"financial": "Financial", "customer": "Customer",
                "internal_process": "Internal process", "learning_growth": "Learning & growth"}
KIND_LABELS = {"weekly_ops": "Weekly operations review",
               "monthly_business": "Monthly business review",
               "quarterly_strategy": "Quarterly strategy review"}
RUNGS = ["owner", "manager", "unit head", "steering committee"]
#: Decision kinds as a reader says them.
DECISION_LABELS = {"accept_risk": "Accept the risk", "reallocate": "Reallocate",
                   "replan_target": "Re-plan the target", "replan_date": "Re-plan the date",
                   "stop": "Stop", "renegotiate_dependency": "Renegotiate the dependency"}
PANGO_HINT = ("PDF output needs the Pango library of the operating system, which WeasyPrint "
              "uses to lay out text. Install it (Debian/Ubuntu: apt-get install "
              "libpango-1.0-0 libpangoft2-1.0-0; Fedora: dnf install pango; macOS: brew "
              "install pango) and restart steerco. The HTML pack works without it.")

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("steerco.reports", "templates"),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True)


class PdfUnavailable(SteercoError):
    """WeasyPrint cannot run here (its system libraries are missing): the message says
    what to install. The API answers 503: the PDF works once they are installed."""

    title = "PDF output unavailable"


def _value(x: Any) -> str:
    return str(getattr(x, "value", x))


def _strategy_map(s: Session, ws: int, st: EngineState, unit: int | None) -> dict[str, Any]:
    objs = strategy_map.objectives(s, ws, unit)
    objs.sort(key=lambda o: (LEVELS.index(_value(o[2])) if _value(o[2]) in LEVELS else 9,
                             o[1]))
    shown = objs[:MAX_MAP]
    rows = rows_of(st.snapshot.objective_ids,
                   np.array([o[0] for o in shown], dtype=np.int64))
    status = st.evaluation.objectives.status
    by: dict[str, list[dict[str, Any]]] = {p: [] for p in PERSPECTIVES}
    for o, r in zip(shown, rows, strict=True):
        by.setdefault(_value(o[3]), []).append({
            "title": o[1], "level": _value(o[2]).replace("_", " "),
            "status": STATUS_NAMES[int(status[r])] if r >= 0 else "no_data"})
    return {"rows": [(PERSPECTIVES.get(p, p.replace("_", " ").capitalize()), items)
                     for p, items in by.items() if items],
            "shown": len(shown), "total": len(objs)}


def _charts(s: Session, ws: int, st: EngineState,
            agenda: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys: list[int] = []
    for item in agenda:
        pid = item.get("metric_id") or (item.get("subject_id")
                                        if item.get("subject_kind") == "metric" else None)
        if pid:
            k = parse_id(pid, "metric", "metric_id")
            if k not in keys:
                keys.append(k)
    out = []
    repo = MetricRepository(s, ws)
    for k in keys[:MAX_CHARTS]:
        row = int(rows_of(st.snapshot.metrics.ids, [k])[0])
        metric = repo.find(k)
        if row < 0 or metric is None:
            continue
        chart = metric_chart(st, row, metric.name, metric.unit)
        out.append({"title": metric.name, "description": chart["description"],
                    "svg": metric_svg(chart, metric.name)})
    return out


def pack_data(s: Session, ws: int, key: int, st: EngineState) -> dict[str, Any]:
    """Everything the pack of review `key` shows (see the module's docstring)."""
    review = ReviewRepository(s, ws).get(key)
    agenda = titled_agenda(s, ws, review.agenda or [])
    decisions = list(DecisionRepository(s, ws).of_review(review.id))
    actions = list(ReviewActionRepository(s, ws).of_review(review.id))
    people = person_names(s, ws, [review.chair_id, *(review.attendee_ids or []),
                                  *(d.decided_by_id for d in decisions),
                                  *(a.owner_id for a in actions),
                                  *(int(i["assignee_id"].split("_")[1]) for i in agenda
                                    if i.get("assignee_id"))])
    subjects = labels_of(s, ws, [format_id(d.subject_kind, d.subject_id)
                                 for d in decisions if d.subject_kind and d.subject_id])
    titles = {i["key"]: i.get("title", i["key"]) for i in agenda}
    esc = EscalationRepository(s, ws)
    pending = []
    for item in agenda:
        if item.get("escalation_id"):
            e = esc.find(parse_id(item["escalation_id"], "escalation", "escalation_id"))
            if e is not None and e.state is not EscalationState.RESOLVED:
                pending.append({**item, "holder": people.get(
                    e.assignee_id or -1, "nobody"), "rung": RUNGS[min(e.rung, 3)]})
    for item in agenda:
        aid = item.get("assignee_id")
        item["assignee"] = people.get(int(aid.split("_")[1]), "nobody") if aid else None
    sections = [{"type": t, "name": name, "items": [i for i in agenda if i["type"] == t]}
                for t, name in SECTIONS.items()]
    return {
        "since": since_json(s, ws, review, from_day(int(st.evaluation.as_of))),
        "review": review, "id": format_id("review", review.id),
        "kind": KIND_LABELS.get(_value(review.kind), _value(review.kind)),
        "level": RUNGS[LEVEL.get(review.kind, 0)],
        "unit": unit_name(s, ws, review.org_unit_id) or "The whole company",
        "chair": people.get(review.chair_id or -1),
        "attendees": [people[p] for p in review.attendee_ids or [] if p in people],
        "as_of": from_day(int(st.evaluation.as_of)),
        "sections": [x for x in sections if x["items"]], "count": len(agenda),
        "discussed": set(review.discussed or []),
        "map": _strategy_map(s, ws, st, review.org_unit_id),
        "charts": _charts(s, ws, st, agenda),
        "decisions": [{"kind": DECISION_LABELS.get(_value(d.kind), _value(d.kind)),
                       "rationale": d.rationale,
                       "by": people.get(d.decided_by_id, "?"), "on": d.decided_on,
                       "about": subjects.get(format_id(d.subject_kind, d.subject_id), "")
                       if d.subject_kind and d.subject_id else ""} for d in decisions],
        "pending": pending,
        "actions": [{"title": a.title, "owner": people.get(a.owner_id, "?"), "due": a.due_on,
                     "about": titles.get(a.item_key or "", ""), "done": a.done}
                    for a in actions],
    }


def since_json(s: Session, ws: int, review: Any, today: Any) -> dict[str, Any]:
    """"Since the last review" of a review, by names: the decisions taken in its scope
    since the previous review of its series and the actions given at earlier reviews
    (done since, or still open; overdue flagged). Shared by the pack and the page."""
    f = since_last_review(s, ws, review)
    people = person_names(s, ws, [*(d.decided_by_id for d in f.decisions),
                                  *(a.owner_id for a in f.actions),
                                  *(a.done_by_id for a in f.actions)])
    about = labels_of(s, ws, [format_id(d.subject_kind, d.subject_id) for d in f.decisions
                              if d.subject_kind and d.subject_id])
    reviews = {r.id: r for r in ReviewRepository(s, ws).earlier_in_series(review)}
    return {
        "previous": f.previous, "since": f.since, "more": f.more,
        "decisions": [{
            "kind": DECISION_LABELS.get(_value(d.kind), _value(d.kind)),
            "rationale": d.rationale, "by": people.get(d.decided_by_id, "?"),
            "on": d.decided_on,
            "about": about.get(format_id(d.subject_kind, d.subject_id), "")
            if d.subject_kind and d.subject_id else "",
            "link": page_link(format_id(d.subject_kind, d.subject_id))
            if d.subject_kind and d.subject_id else None} for d in f.decisions],
        "actions": [{
            "id": format_id("review_action", a.id), "title": a.title, "key": a.id,
            "owner": people.get(a.owner_id, "?"), "owner_id": a.owner_id, "due": a.due_on,
            "done": a.done, "done_on": a.done_on,
            "done_by": people.get(a.done_by_id or -1),
            "overdue": not a.done and a.due_on < today,
            "review": reviews[a.review_id].title if a.review_id in reviews else "",
            "review_on": reviews[a.review_id].scheduled_for if a.review_id in reviews
            else None} for a in f.actions],
    }


def pack_html(data: dict[str, Any]) -> str:
    """The pack as one self-contained HTML document."""
    return _ENV.get_template("pack.html").render(**data)


def pack_document(html: str, base_url: str | None = None) -> tuple[bytes, int]:
    """(PDF bytes, number of A4 pages) of the pack printed by WeasyPrint;
    `PdfUnavailable` without Pango."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: a system library failed to load
        raise PdfUnavailable(f"{PANGO_HINT} (WeasyPrint said: {exc})") from exc
    doc = HTML(string=html, base_url=base_url).render()
    return bytes(doc.write_pdf()), len(doc.pages)


def pack_pdf(html: str, base_url: str | None = None) -> bytes:
    """The pack as PDF (A4), printed by WeasyPrint; `PdfUnavailable` without Pango."""
    return pack_document(html, base_url)[0]

"""A review's agenda, built from exceptions only, one item per thing named.

An item is a subject (a metric, an initiative, a benefit …) that needs the meeting's
attention for one or more reasons, in this order of precedence (its `type`):

- `escalation` — an unresolved escalation at or above the review's level (`LEVEL`): a
  decision is requested;
- `benefit` — a benefit at risk (a `benefit_leakage` finding);
- `finding` — a signal finding (warning or worse) that is new or worse since the previous
  review of the same series;
- `change` — a metric whose status, forecast or P(hit) moved since that review ("does this
  change our forecast?").

A subject with several reasons is one item carrying all of them (no duplicates). Each item
names its subject (`title`, the label a reader knows it by) and links to its page (`link`);
its `key` (the subject's public id) is what the meeting marks discussed.

The series of a review is its kind and org unit; the previous closed review of the series
left a snapshot (`Review.snapshot`: the date its forecasts were recorded, the findings'
severities) that "new or worse" and "what changed" compare against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.enums import ReviewKind
from steerco.db.models import Escalation, Review
from steerco.findings.service import SIGNAL_KINDS
from steerco.governance.repository import EscalationRepository, PlacementRepository
from steerco.kit.ids import PREFIXES, format_id, parse_any
from steerco.views.labels import labels_of

#: The lowest escalation rung each kind of review takes up: the weekly operations review
#: sees every open escalation of its unit, the monthly business review those that reached
#: a manager, the quarterly strategy review those that reached a unit head or beyond.
LEVEL: dict[ReviewKind, int] = {ReviewKind.WEEKLY_OPS: 0, ReviewKind.MONTHLY_BUSINESS: 1,
                                ReviewKind.QUARTERLY_STRATEGY: 2}
#: Item types in order of precedence, with the heading the pages and the pack show.
SECTIONS: dict[str, str] = {"escalation": "Decisions requested",
                            "benefit": "Benefits at risk",
                            "finding": "New or worse findings",
                            "change": "Forecast and status changes"}
#: Findings from this severity up are exceptions (2 warning, 3 critical).
MIN_SEVERITY = 2
#: At most this many findings items (worst first) and change items (worsened first):
#: an agenda is read in one meeting.
MAX_FINDINGS = 30
MAX_CHANGES = 30
#: At most this many decisions requested (highest rung, then oldest, first).
MAX_ESCALATIONS = 40
_PAGES = {"metric": "metrics", "objective": "objectives", "initiative": "initiatives",
          "org_unit": "units"}


def page_link(public_id: str | None) -> str | None:
    """The page of a public id (the same addresses as web.pages.common.link)."""
    if not public_id:
        return None
    try:
        kind, _ = parse_any(public_id, "id")
    except Exception:  # a bare key of an unknown kind: no page to link
        return None
    return f"/{_PAGES[kind]}/{public_id}" if kind in _PAGES else f"/go/{public_id}"


def finding_key(f: dict[str, Any]) -> str:
    """A finding's identity across days: its kind and subject (`green_dashboard:met_3`)."""
    return f"{f['kind']}:{f['subject']['id']}"


def in_scope(session: Session, workspace_id: int, review: Review,
             subjects: Iterable[str | None]) -> set[str]:
    """The public ids among `subjects` that sit in the review's org-unit subtree (all of
    them for a workspace-wide review)."""
    ids = {s for s in subjects if s}
    if review.org_unit_id is None:
        return ids
    place = PlacementRepository(session, workspace_id)
    units = place.subtree(review.org_unit_id)
    keyed: dict[str, tuple[str, int]] = {}
    for pid in ids:
        try:
            keyed[pid] = parse_any(pid, "subject")
        except Exception:
            continue
    where = place.units_of(keyed.values())
    return {pid for pid, sub in keyed.items() if where.get(sub) in units}


def finding_severities(session: Session, workspace_id: int, review: Review,
                       findings: list[dict[str, Any]]) -> dict[str, int]:
    """Finding key → severity of the signal findings in the review's scope (what a closed
    review keeps for the next one to compare against)."""
    signals = [f for f in findings if f["kind"] in SIGNAL_KINDS]
    scope = in_scope(session, workspace_id, review, (f["subject"]["id"] for f in signals))
    out: dict[str, int] = {}
    for f in signals:
        if f["subject"]["id"] in scope:
            k = finding_key(f)
            out[k] = max(out.get(k, 0), int(f["severity"]))
    return out


def _iso(value: dt.datetime) -> str:
    # SQLite hands datetimes back naive; they were stored as UTC.
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()


def _subject_ref(kind: str, key: int) -> str:
    return format_id(kind, key) if kind in PREFIXES else str(key)


def _escalation_fields(e: Escalation) -> dict[str, Any]:
    return {"escalation_id": format_id("escalation", e.id), "state": e.state.value,
            "rung": e.rung, "signal_kind": e.signal_kind, "summary": e.summary,
            "assignee_id": None if e.assignee_id is None else format_id("person", e.assignee_id),
            "opened_at": _iso(e.opened_at)}


def build_agenda(session: Session, workspace_id: int, review: Review,
                 changes: dict[str, Any], findings: list[dict[str, Any]] | None = None,
                 previous: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The agenda of `review` (see the module's docstring), as JSON items.

    `changes` is what `changes_since_last_review` returns; `findings` the workspace's
    findings as JSON (`findings.service.finding_json`); `previous` the finding severities
    of the previous review of the series (None: every finding in scope is new).

    Item: {key, type, title, link, subject_kind, subject_id, reasons: [str], and per
    reason its fields: escalation_id, state, rung, signal_kind, summary, assignee_id,
    opened_at (escalation); findings: [{kind, severity, explanation, new}] (finding,
    benefit); metric_id, since, status_before, status_now, worse, forecast_before,
    forecast_now, p_hit_before, p_hit_now (change)}. Sorted by type precedence, then
    escalations by rung (highest first) and age, findings by severity, changes worsened
    first.
    """
    level = LEVEL.get(review.kind, 0)
    escalations = [e for e in EscalationRepository(session, workspace_id).unresolved()
                   if e.rung >= level]
    moved: list[dict[str, Any]] = list(changes.get("changes", []))
    wanted = [f for f in (findings or []) if f["kind"] in SIGNAL_KINDS
              and int(f["severity"]) >= MIN_SEVERITY and f["subject"]["id"]]
    before = previous or {}
    exceptions = [f for f in wanted if f["kind"] == "benefit_leakage"
                  or int(f["severity"]) > before.get(finding_key(f), 0)]
    exceptions.sort(key=lambda f: -int(f["severity"]))
    scope = in_scope(session, workspace_id, review,
                     [_subject_ref(e.subject_kind, e.subject_id) for e in escalations]
                     + [c["metric_id"] for c in moved]
                     + [f["subject"]["id"] for f in exceptions])

    items: dict[str, dict[str, Any]] = {}

    def item(kind: str, pid: str, subject_kind: str) -> dict[str, Any]:
        if pid not in items:
            items[pid] = {"key": pid, "type": kind, "title": pid, "link": page_link(pid),
                          "subject_kind": subject_kind, "subject_id": pid, "reasons": []}
        return items[pid]

    for e in escalations:
        pid = _subject_ref(e.subject_kind, e.subject_id)
        if pid not in scope or pid in items:  # one escalation per subject: the highest
            continue
        if len(items) >= MAX_ESCALATIONS:
            break
        it = item("escalation", pid, e.subject_kind)
        it.update(_escalation_fields(e))
        it["reasons"].append(f"Decision requested: {e.summary}")
    n_findings = 0
    for f in exceptions:
        pid = f["subject"]["id"]
        if pid not in scope:
            continue
        if pid not in items:
            if n_findings >= MAX_FINDINGS:
                continue
            n_findings += 1
        kind = "benefit" if f["kind"] == "benefit_leakage" else "finding"
        it = item(kind, pid, f["subject"]["kind"])
        new = finding_key(f) not in before
        it.setdefault("findings", []).append({
            "kind": f["kind"], "severity": int(f["severity"]),
            "explanation": f["explanation"], "new": new})
        word = "benefit at risk" if kind == "benefit" else ("new" if new else "worse")
        it["reasons"].append(f"{f['kind'].replace('_', ' ').capitalize()} ({word}): "
                             f"{f['explanation']}")
    n_changes = 0
    for c in moved:
        pid = c["metric_id"]
        if pid not in scope:
            continue
        if pid not in items:
            if n_changes >= MAX_CHANGES:
                continue
            n_changes += 1
        it = item("change", pid, "metric")
        it.update({"since": changes.get("since"), **c})
        it["reasons"].append(_change_text(c))
    labels = labels_of(session, workspace_id, items)
    for pid, it in items.items():
        it["title"] = labels.get(pid, it["title"])
    order = list(SECTIONS)
    return sorted(items.values(), key=lambda i: order.index(i["type"]))


def _change_text(c: dict[str, Any]) -> str:
    before, now = c.get("status_before"), c.get("status_now")
    status = (f"status {str(before).replace('_', ' ')} → {str(now).replace('_', ' ')}"
              if before != now else f"status still {str(now).replace('_', ' ')}")
    fb, fn = c.get("forecast_before"), c.get("forecast_now")
    fc = "" if fb is None or fn is None else f"; forecast {fb:,.4g} → {fn:,.4g}"
    return f"{'Worse' if c.get('worse') else 'Changed'}: {status}{fc}"

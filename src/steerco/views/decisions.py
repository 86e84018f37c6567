"""Read models of deciding: the escalation inbox, one escalation, and the decision log.

Everything is named (subjects by title, people by name); a decision's subject is read
"then" (what the decision stored, `Decision.subject_then`) and "now" (the engine's current
state), so the log shows whether deciding helped.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steerco.core.snapshot import rows_of
from steerco.db.enums import DecisionKind, EscalationState
from steerco.db.models import AuditEntry, Decision, Escalation, Initiative, Metric
from steerco.evidence.service import CACHE, STATUS_NAMES
from steerco.governance.repository import PlacementRepository
from steerco.governance.service import subject_ref
from steerco.kit.ids import parse_id
from steerco.org.service import workspace_today
from steerco.views.labels import labels_of
from steerco.views.names import person_names, subtree, unit_names

KIND_LABELS = {DecisionKind.ACCEPT_RISK: "Accept the risk",
               DecisionKind.REALLOCATE: "Reallocate",
               DecisionKind.REPLAN_TARGET: "Re-plan the target",
               DecisionKind.REPLAN_DATE: "Re-plan the date",
               DecisionKind.STOP: "Stop",
               DecisionKind.RENEGOTIATE_DEPENDENCY: "Renegotiate a dependency"}


#: A public id inside a text (an escalation's summary names its subject by id).
ID_IN_TEXT = re.compile(r"\b[a-z]{3}_\d+\b")


def named(text: str, labels: dict[str, str]) -> str:
    """`text` with the public ids it contains replaced by what they name ("met_3 is off
    track" → "“Net revenue” is off track")."""
    return ID_IN_TEXT.sub(lambda m: f"“{labels[m.group(0)]}”" if m.group(0) in labels
                          else m.group(0), text)


def _finite(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def subject_reading(s: Session, ws: int, subject: tuple[str, int] | None,
                    escalation_ref: Any = None) -> dict[str, Any] | None:
    """The status and forecast of a decision's subject now (a metric: status, forecast,
    P(hit), target; an initiative: whether it is stopped), or None for other subjects.
    `escalation_ref` (a public id or key) stands for the escalation's own subject."""
    if subject is None and escalation_ref is not None:
        esc = s.get(Escalation, parse_id(escalation_ref, "escalation", "escalation_id"))
        if esc is None or esc.workspace_id != ws:
            return None
        subject = (esc.subject_kind, esc.subject_id)
    if subject is None:
        return None
    return readings(s, ws, [subject]).get(subject)


def readings(s: Session, ws: int,
             subjects: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
    """`subject_reading` of many subjects at once (two queries and one engine read)."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    metric_keys = sorted({k for kind, k in subjects if kind == "metric"})
    ini_keys = sorted({k for kind, k in subjects if kind == "initiative"})
    if metric_keys:
        st = CACHE.state(s, ws, workspace_today(s, ws))
        mr = st.evaluation.metrics
        for i in range(0, len(metric_keys), 500):
            chunk = metric_keys[i:i + 500]
            found = list(s.execute(select(Metric.id, Metric.target_value, Metric.target_date)
                                   .where(Metric.workspace_id == ws, Metric.id.in_(chunk))))
            rows = rows_of(st.snapshot.metrics.ids, [int(k) for k, _, _ in found]).tolist()
            for (key, target, day), r in zip(found, rows, strict=True):
                reading: dict[str, Any] = {"target_value": target,
                                           "target_date": day.isoformat()}
                if r >= 0:
                    reading.update(status=STATUS_NAMES[int(mr.status.status[r])],
                                   forecast=_finite(mr.forecast[r]), p_hit=_finite(mr.p_hit[r]))
                out[("metric", int(key))] = reading
    for i in range(0, len(ini_keys), 500):
        for key, stopped, due in s.execute(select(
                Initiative.id, Initiative.stopped, Initiative.due_date).where(
                Initiative.workspace_id == ws, Initiative.id.in_(ini_keys[i:i + 500]))):
            out[("initiative", int(key))] = {
                "status": "stopped" if stopped else "running",
                "due_date": due.isoformat() if due else None}
    return out


@dataclass
class EscalationRow:
    """An escalation as the inbox and its page show it."""

    e: Escalation
    subject: str  # the subject's title
    subject_id: str  # its public id (links, tooltips)
    assignee: str
    snoozed: bool


def _rows(s: Session, ws: int, escs: list[Escalation], today: dt.date) -> list[EscalationRow]:
    refs = [subject_ref(e.subject_kind, e.subject_id) or "" for e in escs]
    labels = labels_of(s, ws, refs)
    names = person_names(s, ws, [e.assignee_id for e in escs])
    return [EscalationRow(e, labels.get(ref, e.subject_kind.replace("_", " ")), ref,
                          names.get(e.assignee_id or -1, "nobody"),
                          e.snoozed_until is not None and e.snoozed_until > today)
            for e, ref in zip(escs, refs, strict=True)]


def inbox(s: Session, ws: int, person: int | None, limit: int = 200) -> list[EscalationRow]:
    """Unresolved escalations waiting on `person` (everyone's when None), highest rung
    first, then oldest; snoozed ones last (they come back on their day)."""
    q = select(Escalation).where(Escalation.workspace_id == ws,
                                 Escalation.state != EscalationState.RESOLVED)
    if person is not None:
        q = q.where(Escalation.assignee_id == person)
    escs = list(s.scalars(q.order_by(Escalation.rung.desc(), Escalation.opened_at,
                                     Escalation.id).limit(limit)))
    rows = _rows(s, ws, escs, workspace_today(s, ws))
    return sorted(rows, key=lambda r: r.snoozed)


def escalation(s: Session, ws: int, key: int) -> EscalationRow | None:
    """One escalation of the workspace, named."""
    e = s.get(Escalation, key)
    if e is None or e.workspace_id != ws:
        return None
    return _rows(s, ws, [e], workspace_today(s, ws))[0]


def decision_of(s: Session, ws: int, escalation_id: int) -> Decision | None:
    """The decision that resolved an escalation, if any."""
    return s.scalar(select(Decision).where(Decision.workspace_id == ws,
                                           Decision.escalation_id == escalation_id))


@dataclass
class LogFilters:
    """The decision log's filters: org unit (its subtree), owner of the subject, kind,
    and the period decided in (inclusive)."""

    unit: int | None = None
    owner: int | None = None
    kind: DecisionKind | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def _owners(s: Session, ws: int, subjects: set[tuple[str, int]]) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    metrics = [k for kind, k in subjects if kind == "metric"]
    inis = [k for kind, k in subjects if kind == "initiative"]
    if metrics:
        for k, mo in s.execute(select(Metric.id, Metric.owner_id).where(
                Metric.workspace_id == ws, Metric.id.in_(metrics))):
            out[("metric", int(k))] = int(mo)
    if inis:
        for k, o in s.execute(select(Initiative.id, Initiative.owner_id).where(
                Initiative.workspace_id == ws, Initiative.id.in_(inis))):
            if o is not None:
                out[("initiative", int(k))] = int(o)
    return out


def decision_log(s: Session, ws: int, f: LogFilters, limit: int = 200,
                 only: int | None = None) -> list[dict[str, Any]]:
    """Decisions (the newest `limit`, or just decision `only`), newest first, each with the
    signal that forced it (its escalation), who decided and when, the change it carried
    out, and its subject then and now."""
    q = select(Decision).where(Decision.workspace_id == ws)
    if only is not None:
        q = q.where(Decision.id == only)
    if f.kind is not None:
        q = q.where(Decision.kind == f.kind)
    if f.since is not None:
        q = q.where(Decision.decided_on >= f.since)
    if f.until is not None:
        q = q.where(Decision.decided_on <= f.until)
    # the unit and owner filters are applied in Python: read more than is shown
    decisions = list(s.scalars(q.order_by(Decision.decided_on.desc(), Decision.id.desc())
                               .limit(limit * 10)))
    subjects = {(d.subject_kind, d.subject_id) for d in decisions
                if d.subject_kind is not None and d.subject_id is not None}
    units = PlacementRepository(s, ws).units_of(subjects)
    owners = _owners(s, ws, subjects)
    if f.unit is not None:
        keep = subtree(s, ws, f.unit)
        decisions = [d for d in decisions
                     if units.get((d.subject_kind or "", d.subject_id or 0)) in keep]
    if f.owner is not None:
        decisions = [d for d in decisions
                     if owners.get((d.subject_kind or "", d.subject_id or 0)) == f.owner]
    decisions = decisions[:limit]
    escs = {e.id: e for e in s.scalars(select(Escalation).where(
        Escalation.workspace_id == ws,
        Escalation.id.in_([d.escalation_id for d in decisions if d.escalation_id])))}
    refs = [subject_ref(d.subject_kind, d.subject_id) for d in decisions]
    labels = labels_of(s, ws, refs)
    people = person_names(s, ws, [d.decided_by_id for d in decisions]
                          + list(owners.values()))
    unit_label = unit_names(s, ws, [u for u in units.values() if u is not None])
    now = readings(s, ws, [(d.subject_kind, d.subject_id) for d in decisions
                           if d.subject_kind is not None and d.subject_id is not None])
    out = []
    for d, ref in zip(decisions, refs, strict=True):
        subj = (d.subject_kind or "", d.subject_id or 0)
        esc = escs.get(d.escalation_id or -1)
        out.append({
            "d": d, "kind": KIND_LABELS.get(d.kind, d.kind.value), "subject": labels.get(
                ref or "", (d.subject_kind or "").replace("_", " ")), "subject_id": ref,
            "by": people.get(d.decided_by_id, "someone"),
            "owner": people.get(owners.get(subj, -1), "—"),
            "unit": unit_label.get(units.get(subj) or -1, "—"),
            "signal": None if esc is None else {
                "kind": esc.signal_kind, "summary": esc.summary, "rung": esc.rung,
                "opened_at": esc.opened_at, "id": esc.id},
            "effect": d.effect, "then": d.subject_then, "now": now.get(subj)})
    return out


def effect_audit(s: Session, ws: int, d: Decision) -> AuditEntry | None:
    """The audit entry of the change a decision carried out (its actor names the
    decision, e.g. "per_5 by decision dec_12"), or None."""
    if not d.effect:
        return None
    table = {"metric": "metrics", "initiative": "initiatives"}.get(d.effect.get("entity", ""))
    key = str(d.effect.get("id", "")).partition("_")[2]
    if table is None or not key.isdigit():
        return None
    found: AuditEntry | None = s.scalar(select(AuditEntry).where(
        AuditEntry.workspace_id == ws, AuditEntry.entity == table,
        AuditEntry.entity_id == int(key),
        AuditEntry.actor.like(f"% by decision dec_{d.id}")).order_by(
        AuditEntry.id.desc()).limit(1))
    return found

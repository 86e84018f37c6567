"""The open escalations about one subject, for its page (beside its findings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from steerco.governance.repository import EscalationRepository
from steerco.views.names import person_names


def escalations_on(s: Session, ws: int, kind: str, key: int) -> list[dict[str, Any]]:
    """The unresolved escalations about one subject, highest rung first, with the name of
    the person each waits on."""
    rows = EscalationRepository(s, ws).unresolved_on(kind, key)
    names = person_names(s, ws, [e.assignee_id for e in rows])
    return [{"e": e, "assignee": names.get(e.assignee_id or -1, "nobody")} for e in rows]

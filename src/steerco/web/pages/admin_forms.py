"""What the administration forms share: picking things by name, the services' refusals
as in-place messages (field, value, why), and "changed by NAME at TIME" conflicts.

A form's values are a `dict[str, str]` of its fields as typed; errors a `dict[str, str]`
from form field to a sentence. Nothing here queries the database itself: names come from
steerco.views.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from steerco.accounts.errors import Forbidden
from steerco.kit.errors import ValidationFailed
from steerco.views import Session
from steerco.views.audit import last_change
from steerco.views.names import person_names, unit_names
from steerco.web.pages.common import pid_key
from steerco.web.pages.forms_work import one
from steerco.web.pages.session import PageUser


async def form_of(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    """The posted values of `names`, stripped ('' for a missing one)."""
    raw = await request.form()
    return {k: str(raw.get(k) or "").strip() for k in names}


# The name picker every authoring form uses (one message wording for all of them).
pick = one


def messages(exc: ValidationFailed, form: dict[str, str], field_of: dict[str, str],
             labels: dict[str, str], default: str) -> dict[str, str]:
    """The service's refusals by form field, each naming the field, the value typed and
    why it was refused (the service's own reason)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        head = e.field.split(".")[0]
        field = field_of.get(head, head)
        if field not in form:
            field = default
        value = form.get(field, "")
        label = labels.get(field, field.replace("_", " ").capitalize())
        shown = f"“{value}”" if value else "an empty value"
        out.setdefault(field, f"{label}: {shown} was refused — {e.message}.")
    return out or {default: exc.detail}


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def conflict(s: Session, ws: int, table: str, key: int,
             labels: dict[str, str]) -> dict[str, Any]:
    """Who changed a row last, when, and what (field: before → after), people and units
    by their names."""
    entry = last_change(s, ws, table, key)
    if entry is None:
        return {"who": "someone", "at": None, "changes": []}
    actor = pid_key(entry.actor) if entry.actor.startswith("per_") else None
    who = person_names(s, ws, [actor]).get(actor or -1, "an API client")
    raw = {f: v for f, v in sorted((entry.changes or {}).items())
           if isinstance(v, list) and len(v) == 2 and f != "version"}
    people = {"manager_id", "head_id", "owner_id"}
    units = {"org_unit_id", "parent_id"}
    named_people = person_names(s, ws, [x for f in people for x in raw.get(f, [])])
    named_units = unit_names(s, ws, [x for f in units for x in raw.get(f, [])])

    def name(f: str, v: Any) -> str:
        if f in people:
            return _shown(named_people.get(v, v))
        if f in units:
            return _shown(named_units.get(v, v))
        return _shown(v)

    changes = [{"field": labels.get(f, f.replace("_", " ")), "before": name(f, v[0]),
                "after": name(f, v[1])} for f, v in raw.items()]
    return {"who": who, "at": entry.at, "changes": changes}


def done(request: Request, target: str) -> Response:
    """Go to `target` after a save (htmx follows HX-Redirect; a plain form, the 303)."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def require_some_admin(user: PageUser) -> None:
    """Refuse anyone without an admin grant somewhere (the service then checks where)."""
    if not user.administers:
        raise Forbidden("managing org units, people and logins is for admins")


def shown_status(request: Request, status_code: int) -> int:
    """The status a form's answer is sent with: htmx swaps only 2xx answers into the
    page, so a refused htmx post answers 200 (a plain post keeps its 409/422)."""
    return 200 if request.headers.get("hx-request") else status_code

"""What the execution and finance forms share (initiatives, milestones, dependencies,
budget lines, ledger actuals, benefits): reading a posted form, resolving a name typed
into a field, the service's refusals by form field, and who changed a row since the form
was read (from the audit log), the way web/pages/objective_edit.py does for objectives.

Every message names the field, the value and why; the caller keeps the user's input and
renders it again with the messages in place.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from steerco.kit.errors import ValidationFailed
from steerco.views import Session
from steerco.views.audit import last_change
from steerco.web.pages.common import person_names, pid_key

#: Looks up names of keys (e.g. person_names): (session, workspace, keys) → {key: name}.
Namer = Callable[[Session, int, Iterable[Any]], Mapping[int, str]]


async def read_form(request: Request, names: Iterable[str]) -> dict[str, str]:
    """The posted fields `names`, stripped (a missing one is "")."""
    raw = await request.form()
    return {k: str(raw.get(k) or "").strip() for k in names}


def one(found: list[Any], field: str, text: str, what: str,
        errors: dict[str, str]) -> int | None:
    """The key of the one match of a name typed into `field`, else an error for it."""
    if not text:
        return None
    if not found:
        errors[field] = f"No {what} is called “{text}”. Pick one from the list."
    elif len(found) > 1:
        errors[field] = (f"{len(found)} people are called “{text}”; type the e-mail to say "
                         "which." if what == "person" else
                         f"{len(found)} {what}s are called “{text}”; pick one from the list.")
    else:
        return int(found[0].id)
    return None


def number(text: str, field: str, errors: dict[str, str], example: str = "1250.50",
           required: bool = True) -> float | None:
    """A finite number typed into `field` (spaces and thousands commas allowed)."""
    if not text:
        if required:
            errors[field] = f"Enter an amount, e.g. {example}."
        return None
    try:
        v = float(text.replace(" ", "").replace(",", ""))
    except ValueError:
        v = math.nan
    if not math.isfinite(v):
        errors[field] = f"“{text}” is not a number; enter one like {example}."
        return None
    return v


def day(text: str, field: str, errors: dict[str, str], required: bool = True) -> dt.date | None:
    if not text:
        if required:
            errors[field] = "Enter a date like 2026-01-31."
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[field] = f"“{text}” is not a date; enter one like 2026-01-31."
        return None


def month(text: str, field: str, errors: dict[str, str]) -> dt.date | None:
    """A period typed as 2026-03 (a month input) or a date in it: its first day."""
    if not text:
        errors[field] = "Enter a month like 2026-03."
        return None
    try:
        d = dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        errors[field] = f"“{text}” is not a month; enter one like 2026-03."
        return None
    return d.replace(day=1)


def messages(exc: ValidationFailed, form_field: Mapping[str, str], fields: Iterable[str],
             fallback: str, form: Mapping[str, str] | None = None) -> dict[str, str]:
    """The service's refusals by form field (`form_field` maps a service field to the
    form's), saying what a date field got and wants; others land on `fallback`."""
    known = set(fields)
    out: dict[str, str] = {}
    for e in exc.errors:
        head = e.field.split(".")[0]
        field = form_field.get(head, head)
        msg = e.message
        if "valid date" in msg:
            got = (form or {}).get(field, "")
            msg = (f"“{got}” is not a date; enter one like 2026-01-31." if got
                   else "Enter a date like 2026-01-31.")
        out.setdefault(field if field in known else fallback, msg)
    return out or {fallback: exc.detail}


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def changed_by(s: Session, ws: int, table: str, key: int, labels: Mapping[str, str],
               named: Mapping[str, Namer] | None = None) -> dict[str, Any]:
    """Who changed row `key` of `table` last, when, and what (label: before → after),
    with the keys of `named` fields shown as names (people, units, …), never ids."""
    entry = last_change(s, ws, table, key)
    if entry is None:
        return {"who": "someone", "at": None, "changes": []}
    actor = pid_key(entry.actor) if entry.actor.startswith("per_") else None
    who = person_names(s, ws, [actor]).get(actor or -1, "an API client")
    raw = {f: v for f, v in sorted((entry.changes or {}).items())
           if isinstance(v, list) and len(v) == 2 and f not in ("version", "updated_at")}
    names = {f: namer(s, ws, [x for x in raw[f] if isinstance(x, int)])
             for f, namer in (named or {}).items() if f in raw}

    def show(f: str, v: Any) -> str:
        return _shown(names[f].get(v, v) if f in names else v)

    changes = [{"field": labels.get(f, f.replace("_", " ")), "before": show(f, v[0]),
                "after": show(f, v[1])} for f, v in raw.items()]
    return {"who": who, "at": entry.at, "changes": changes}


def status(request: Request, code: int) -> int:
    """htmx swaps only 2xx answers into the page: a refusal it posted answers 200."""
    return 200 if request.headers.get("hx-request") else code


def done(request: Request, target: str) -> Response:
    """Go to `target` after a save (htmx follows HX-Redirect; a plain form, the 303).

    Its `saved=1` becomes a token of its own: a browser does not reload a page whose
    address differs only in the fragment, and two saves in a row must both show.
    """
    target = target.replace("saved=1", f"saved={secrets.token_hex(3)}", 1)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)

"""What authoring pages share: a name typed into a field → the one thing it names, a
number typed into a field, the answer after a save, and the "changed by NAME at TIME"
of a version conflict (from the audit log).

Every message names the field's value and says why; callers keep the user's input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from steerco.views import Session
from steerco.views.audit import last_change
from steerco.views.names import person_names
from steerco.web.pages.common import pid_key


def one(found: list[Any], field: str, text: str, what: str,
        errors: dict[str, str]) -> int | None:
    """The key of the one match of a name typed into `field`, else an error for it."""
    if not text:
        return None
    if not found:
        errors[field] = f"No {what} is called “{text}”. Pick one from the list."
    elif len(found) > 1:
        errors[field] = (f"{len(found)} {what}s are called “{text}”; type the e-mail to "
                         "say which." if what == "person" else
                         f"{len(found)} {what}s are called “{text}”.")
    else:
        return int(found[0].id)
    return None


def number(text: str, field: str, errors: dict[str, str], default: float | None = None,
           example: str = "1 or 0.5") -> float | None:
    """`text` as a float; empty → `default`; anything else an error naming the value."""
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        errors[field] = f"“{text}” is not a number; enter e.g. {example}."
        return default
    if value != value or value in (float("inf"), float("-inf")):
        errors[field] = f"“{text}” is not a finite number; enter e.g. {example}."
        return default
    return value


def done(request: Request, target: str) -> Response:
    """Go to `target` after a save (htmx follows HX-Redirect; a plain form, the 303)."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def read_form(request: Request, names: Iterable[str]) -> dict[str, str]:
    """The named fields of a posted form, as stripped text ("" when absent)."""
    raw = await request.form()
    return {k: str(raw.get(k) or "").strip() for k in names}


def shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def conflict_of(s: Session, ws: int, table: str, key: int, labels: dict[str, str],
                named: dict[str, Callable[[Session, int, list[Any]], dict[Any, str]]]
                | None = None, hidden: Iterable[str] = ()) -> dict[str, Any]:
    """Who changed row `key` of `table` last, when, and what (field: before → after).

    `labels` gives each column's label; `named` maps a key column (owner_id, …) to a
    function giving names by key, so people and units read by name, never by key.
    """
    entry = last_change(s, ws, table, key)
    if entry is None:
        return {"who": "someone", "at": None, "changes": []}
    actor = pid_key(entry.actor) if entry.actor.startswith("per_") else None
    who = person_names(s, ws, [actor]).get(actor or -1, "an API client")
    skip = {"version", *hidden}
    raw = {f: v for f, v in sorted((entry.changes or {}).items())
           if isinstance(v, list) and len(v) == 2 and f not in skip}
    names = {f: fn(s, ws, raw[f]) for f, fn in (named or {}).items() if f in raw}
    changes = [{"field": labels.get(f, f.replace("_", " ")),
                "before": shown(names[f].get(v[0], v[0]) if f in names else v[0]),
                "after": shown(names[f].get(v[1], v[1]) if f in names else v[1])}
               for f, v in raw.items()]
    return {"who": who, "at": entry.at, "changes": changes}

"""What every authoring form shares (objectives, metrics, initiatives, milestones,
dependencies, budget lines, ledger actuals, benefits, and the administration's people,
units, themes, rules, reviews and settings): reading a posted form, resolving a name typed
into a field, numbers and dates typed, the service's refusals by form field, who changed
a row since the form was read (from the audit log), and the answer after a save.

A form's values are a `dict[str, str]` of its fields as typed; errors a `dict[str, str]`
from form field to a sentence naming the field, the value and why. The caller keeps the
user's input and renders it again with the messages in place (the templates' `field`
macro in _form_macros.html shows each next to its field). Who may do what stays with
each entity's page, stated once there. Nothing here queries the database itself: names
come from steerco.views.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from steerco.kit.errors import Forbidden, NotFound, ValidationFailed
from steerco.kit.ids import format_id
from steerco.views import Session
from steerco.views.audit import last_change
from steerco.views.names import unit_names
from steerco.web.pages.common import person_names, pid_key
from steerco.web.pages.render import render
from steerco.web.pages.session import PageUser

T = TypeVar("T")
R = TypeVar("R")

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


def labelled_messages(exc: ValidationFailed, form: Mapping[str, str],
                      field_of: Mapping[str, str], labels: Mapping[str, str],
                      default: str) -> dict[str, str]:
    """The service's refusals by form field, each saying the field's label, the value
    typed and the service's own reason: "Name: “x” was refused — reason." (the wording
    of the administration forms)."""
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


#: Fields holding people and org units, shown by name (the administration's conflicts).
PEOPLE_AND_UNITS: dict[str, Namer] = {
    "owner_id": person_names, "manager_id": person_names, "head_id": person_names,
    "org_unit_id": unit_names, "parent_id": unit_names}


def changed_by(s: Session, ws: int, table: str, key: int, labels: Mapping[str, str],
               named: Mapping[str, Namer] | None = None,
               hidden: Iterable[str] = ()) -> dict[str, Any]:
    """Who changed row `key` of `table` last, when, and what (label: before → after),
    with the keys of `named` fields shown as names (people, units, …), never ids;
    `hidden` fields are left out."""
    entry = last_change(s, ws, table, key)
    if entry is None:
        return {"who": "someone", "at": None, "changes": []}
    actor = pid_key(entry.actor) if entry.actor.startswith("per_") else None
    who = person_names(s, ws, [actor]).get(actor or -1, "an API client")
    skip = {"version", "updated_at", *hidden}
    raw = {f: v for f, v in sorted((entry.changes or {}).items())
           if isinstance(v, list) and len(v) == 2 and f not in skip}
    names = {f: namer(s, ws, [x for x in raw[f] if isinstance(x, int)])
             for f, namer in (named or {}).items() if f in raw}

    def show(f: str, v: Any) -> str:
        return _shown(names[f].get(v, v) if f in names else v)

    changes = [{"field": labels.get(f, f.replace("_", " ")), "before": show(f, v[0]),
                "after": show(f, v[1])} for f, v in raw.items()]
    return {"who": who, "at": entry.at, "changes": changes}


def stale(s: Session, ws: int, form: Mapping[str, str], row: Any, labels: Mapping[str, str],
          named: Mapping[str, Namer] | None = None,
          hidden: Iterable[str] = ()) -> dict[str, Any] | None:
    """None when the form was read at the row's current version; else who changed the
    row since, when and what (`changed_by`), for a 409 that keeps the user's input."""
    if form.get("version") == str(row.version):
        return None
    return changed_by(s, ws, row.__tablename__, row.id, labels, named, hidden)


def attempt(s: Session, errors: dict[str, str], call: Callable[[], T],
            refused: Callable[[ValidationFailed], Mapping[str, str]]) -> T | None:
    """Run a service `call` and land its refusals in `errors` by form field (as
    `refused(exc)` says), next to what the form itself already found: every bad field is
    reported at once, never one round at a time. A refusal rolls the unit of work back.

    When the form already has `errors` the call is only a check: whatever it did is
    rolled back and None returned; a field the form could not read keeps the form's own
    message, and any other refusal the service could not reach without it waits."""
    checking = bool(errors)
    try:
        result = call()
    except ValidationFailed as exc:
        s.rollback()
        merge(errors, refused(exc))
        return None
    except NotFound:
        if not checking:
            raise
        s.rollback()  # a name the form could not read: its own message says why
        return None
    if checking:
        s.rollback()
        return None
    return result


def merge(errors: dict[str, str], more: Mapping[str, str]) -> dict[str, str]:
    """`errors` with the messages of `more` for fields that have none yet (the first
    message found for a field is the one shown next to it)."""
    for field, message in more.items():
        errors.setdefault(field, message)
    return errors


def found(row: R | None, kind: str, public_id: str) -> R:
    """The row a page's address names (`public_id`, of id kind `kind`), or a 404."""
    if row is None:
        raise NotFound(kind, public_id)
    return row


def render_form(request: Request, template: str, name: str, kind: str, row: Any | None,
                form: Mapping[str, str], errors: Mapping[str, str] | None = None,
                conflict: dict[str, Any] | None = None, status_code: int = 200,
                **extra: Any) -> Response:
    """An authoring form's page: `row` (None for a new one) as `name` and its public id
    as `name`+"id" (u/uid, p/pid, …), the values as typed, the messages by field, a lost
    race (`conflict`), sent with `status_code` (200 to htmx, see `status`)."""
    context: dict[str, Any] = {name: row,
                               f"{name}id": format_id(kind, row.id) if row else None}
    return render(request, template, status_code=status(request, status_code),
                  form=form, errors=errors or {}, conflict=conflict, **context, **extra)


def status(request: Request, code: int) -> int:
    """htmx swaps only 2xx answers into the page: a refusal it posted answers 200."""
    return 200 if request.headers.get("hx-request") else code


def done(request: Request, target: str) -> Response:
    """Go to `target` after a save (htmx follows HX-Redirect; a plain form, the 303)."""
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def done_again(request: Request, target: str) -> Response:
    """`done` for a page saved more than once in a row (an edit page with sections): its
    `saved=1` becomes a token of its own, as a browser does not reload a page whose
    address differs only in the fragment, and each save must show."""
    return done(request, target.replace("saved=1", f"saved={secrets.token_hex(3)}", 1))


def require_some_admin(user: PageUser) -> None:
    """Refuse anyone without an admin grant somewhere (the service then checks where)."""
    if not user.administers:
        raise Forbidden("managing org units, people and logins is for admins")

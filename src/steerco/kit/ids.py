"""Public ids: a short type prefix and the row's integer key, e.g. `obj_42`.

Integer keys keep bulk loads and the engine's dense arrays fast; the prefix makes an id
self-describing, so "the owner you gave is a team, not a person" is an answerable error
and an id pasted into the wrong field is caught instead of silently matching a row of
another table.
"""

from __future__ import annotations

import re

from steerco.kit.errors import FieldError, ValidationFailed

#: The key part of an id: ASCII digits without a leading zero. `str.isdigit` would let
#: `obj_01` and full-width digits (`obj_１`) name the same row as `obj_1`.
_KEY = re.compile(r"[1-9][0-9]{0,18}")


def parse_key(rest: str) -> int | None:
    """The integer key of an id's number part, or None unless it is canonical."""
    return int(rest) if _KEY.fullmatch(rest) else None

PREFIXES: dict[str, str] = {
    "workspace": "ws",
    "org_unit": "org",
    "person": "per",
    "theme": "thm",
    "objective": "obj",
    "metric": "met",
    "measurement": "mea",
    "causal_link": "cau",
    "initiative": "ini",
    "milestone": "mil",
    "dependency": "dep",
    "budget_line": "bud",
    "ledger_entry": "led",
    "benefit": "ben",
    "rule": "rul",
    "escalation": "esc",
    "decision": "dec",
    "review": "rev",
    "review_action": "act",
}
KINDS: dict[str, str] = {v: k for k, v in PREFIXES.items()}


def format_id(kind: str, key: int) -> str:
    """Return the public id of row `key` of entity `kind`."""
    return f"{PREFIXES[kind]}_{key}"


def parse_any(value: object, field: str) -> tuple[str, int]:
    """Parse a public id of any kind into (kind, key); refuse malformed ids."""
    if isinstance(value, str):
        prefix, sep, rest = value.partition("_")
        key = parse_key(rest) if sep and prefix in KINDS else None
        if key is not None:
            return KINDS[prefix], key
    raise ValidationFailed(FieldError(field, f"{value!r} is not a steerco id (like 'per_12')",
                                      value))


def article(kind: str) -> str:
    """'a person', 'an org unit': the kind with its indefinite article, for messages."""
    words = kind.replace("_", " ")
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def parse_id(value: object, kind: str, field: str) -> int:
    """Parse a public id that must be of `kind`; name the kind it really is otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        got, key = parse_any(value, field)
    except ValidationFailed:  # the example is of the kind asked for, not a person's id
        raise ValidationFailed(FieldError(
            field, f"{value!r} is not {article(kind)} id (like '{PREFIXES[kind]}_12')",
            value)) from None
    if got != kind:
        raise ValidationFailed(FieldError(
            field, f"must be {article(kind)}, got {article(got)} ({value})", value))
    return key

"""Turn pydantic's validation errors into steerco's typed FieldErrors.

This is the one place pydantic's wording ("Input should be less than or equal to 1000")
becomes a person's ("the weight must be at most 1,000"): the field keeps its dotted path
(API clients match on it), only the message is said in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from steerco.kit.errors import FieldError, FieldValueError, ValidationFailed

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _label(loc: tuple[Any, ...]) -> str:
    """The field a message talks about, in words: `objectives.0.weight` → "weight"."""
    names = [p for p in loc if isinstance(p, str)]
    name = names[-1] if names else "value"
    return name.removesuffix("_id").replace("_", " ")


def _num(x: Any) -> str:
    if isinstance(x, int | float) and not isinstance(x, bool):
        return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"
    return str(x)


def _article(label: str) -> str:
    return ("an " if label[:1] in "aeiou" else "a ") + label


def _message(err: Any, label: str) -> str:
    """A pydantic error said in words; an unknown kind keeps pydantic's own message (a bad
    date too: the pages match its "valid date" and say what they got and what they want)."""
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    the = f"the {label}"
    if kind == "missing" or (given is None and kind.endswith("_type") and kind != "date_type") or (
            kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"{_article(label)} is required"
    said = {
        "less_than_equal": lambda: f"{the} must be at most {_num(ctx.get('le'))}",
        "less_than": lambda: f"{the} must be below {_num(ctx.get('lt'))}",
        "greater_than_equal": lambda: f"{the} must be at least {_num(ctx.get('ge'))}",
        "greater_than": lambda: f"{the} must be above {_num(ctx.get('gt'))}",
        "string_too_long": lambda: f"{the} must be at most "
                                   f"{_num(ctx.get('max_length'))} characters",
        "finite_number": lambda: f"{the} must be a finite number",
        "float_parsing": lambda: f"{the} must be a number, got '{given}'",
        "int_parsing": lambda: f"{the} must be a whole number, got '{given}'",
        "extra_forbidden": lambda: f"there is no field '{label}' here",
    }.get(kind)
    if said is not None:
        return said()
    return str(err["msg"]).removeprefix("Value error, ")


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One FieldError per pydantic error, with a dotted field path (`plan.2.value`)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldValueError):
            loc = ".".join([*(str(p) for p in err["loc"]), cause.field])
        out.append(FieldError(loc, _message(err, _label(tuple(loc.split(".")))),
                              err.get("input")))
    return out


def parse(model: type[M], data: Any) -> M:
    """Validate `data` as `model` or raise ValidationFailed naming every bad field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


class Checks:
    """A service's independent checks, run all before it refuses once naming every bad
    field (never one round at a time): `checks(lambda: require(...))` runs one check and
    keeps its refusal, `add` states one, `done` refuses with them all.

        checks = Checks()
        owner = checks(lambda: require_person(s, ws, body.owner_id, "owner_id"))
        unit = checks(lambda: optional_org_unit(s, ws, body.org_unit_id, "org_unit_id"))
        checks.done()  # ValidationFailed with both, if both are bad
    """

    def __init__(self, errors: list[FieldError] | None = None) -> None:
        self.errors: list[FieldError] = list(errors or [])

    def __call__(self, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except ValidationFailed as exc:
            self.errors.extend(exc.errors)
            return None

    def add(self, field: str, message: str, value: Any = None) -> None:
        self.errors.append(FieldError(field, message, value))

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

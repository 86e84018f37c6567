"""Turn pydantic's validation errors into steerco's typed FieldErrors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from steerco.kit.errors import FieldError, ValidationFailed

M = TypeVar("M", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """One FieldError per pydantic error, with a dotted field path (`plan.2.value`)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(FieldError(loc, msg, err.get("input")))
    return out


def parse(model: type[M], data: Any) -> M:
    """Validate `data` as `model` or raise ValidationFailed naming every bad field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None

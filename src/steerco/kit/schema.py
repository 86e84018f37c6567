"""Base pydantic settings shared by every request schema."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(v: str) -> str:
    # Said in words: pydantic's own message would show the regular expression.
    if not _EMAIL.match(v):
        raise ValueError(f"'{v}' is not an e-mail address (like ada@example.com)")
    return v


#: A public id (`per_12`) or a bare integer key.
Ref = int | str
Finite = Annotated[float, AfterValidator(_finite)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
Weight = Annotated[float, Field(gt=0, le=1000)]
Email = Annotated[str, Field(max_length=320, json_schema_extra={"format": "email"}),
                  AfterValidator(_email)]

"""Base pydantic settings shared by every request schema."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a typo is an error, not a no-op.

    Non-finite numbers (Infinity, NaN — Python's JSON reader accepts both) are refused in
    every float field: a stored Infinity reads back as null and breaks every chart.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(v: str) -> str:
    # Said in words: pydantic's own message would show the regular expression.
    if not _EMAIL.match(v):
        raise ValueError(f"'{v}' is not an e-mail address (like ada@example.com)")
    return v


#: The largest magnitude any amount or metric number may have (a million billion): far
#: beyond any real budget or KPI in any currency or unit, yet it refuses the 1e20 of a
#: slipped finger that would otherwise be stored and read back as "€100000000T".
MAX_MAGNITUDE = 1e15


def _plausible(v: float) -> float:
    if abs(v) > MAX_MAGNITUDE:
        raise ValueError(f"{v:g} is not a plausible number: it must be at most "
                         f"{MAX_MAGNITUDE:g} either way")
    return v


#: A public id (`per_12`) or a bare integer key.
Ref = int | str
#: A finite float (refuses Infinity and NaN: "Input should be a finite number"), for fields
#: of models that are not `Strict` too.
Finite = Annotated[float, Field(allow_inf_nan=False)]
#: A finite float of plausible magnitude (see MAX_MAGNITUDE): amounts and metric numbers.
Plausible = Annotated[float, Field(allow_inf_nan=False), AfterValidator(_plausible)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
Weight = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
Email = Annotated[str, Field(max_length=320, json_schema_extra={"format": "email"}),
                  AfterValidator(_email)]

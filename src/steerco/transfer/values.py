"""Cell values → Python values, by column type and the workspace's locale (never guessed).

A spreadsheet cell arrives typed (calamine gives floats, dates, booleans) or as text (CSV,
or a number typed as text); text numbers and dates are read by the workspace's locale:
`de` reads "1.234,5" and "31.12.2026", `en` reads "1,234.5" and ISO dates, and a number
whose separators do not fit the locale is refused rather than read one way or the other.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from typing import Any

#: Locales whose numbers use a decimal comma and a point (or space) for thousands.
DECIMAL_COMMA = frozenset({"de", "fr", "es", "it", "nl", "pt", "da", "sv", "nb", "fi", "pl",
                           "cs", "ru", "tr", "de-ch"})
#: Day-first date formats by locale, beside ISO 8601 which every locale reads.
DATE_FORMATS: dict[str, tuple[str, ...]] = {
    "en": (), "en-us": ("%m/%d/%Y",), "en-gb": ("%d/%m/%Y",), "de": ("%d.%m.%Y",),
    "fr": ("%d/%m/%Y",), "es": ("%d/%m/%Y",), "it": ("%d/%m/%Y",), "nl": ("%d-%m-%Y",),
}
LOCALES = tuple(sorted(set(DATE_FORMATS) | DECIMAL_COMMA | {"en"}))

_POINT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_COMMA = re.compile(r"^[+-]?(\d{1,3}([. \u00a0\u202f]\d{3})+|\d+)(,\d+)?$")
_TRUE = {"true", "yes", "y", "1", "x", "wahr", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", "", "falsch", "nein", "non"}


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message says why."""


@dataclass(frozen=True)
class Reader:
    """Reads text cells the way the workspace's locale writes them."""

    locale: str = "en"

    @functools.cached_property
    def decimal_comma(self) -> bool:
        return self.locale.lower() in DECIMAL_COMMA or self.locale.lower().split("-")[0] in (
            DECIMAL_COMMA - {"de-ch"})

    def number(self, raw: Any) -> float:
        if isinstance(raw, bool):
            raise CellError("is a true/false value, not a number")
        if isinstance(raw, int | float):
            value = float(raw)
        elif isinstance(raw, str):
            text = raw.strip()
            if not self.decimal_comma and "," not in text and "_" not in text:
                try:  # the common case, fast: 1M measurement cells go through here
                    value = float(text)
                except ValueError:
                    raise CellError("is not a number") from None
                if not math.isfinite(value):
                    raise CellError("is not a finite number")
                return value
            if self.decimal_comma:
                if not _COMMA.match(text):
                    raise CellError(f"is not a number as this workspace writes them "
                                    f"(locale {self.locale}: like 1.234,5)")
                text = re.sub(r"[. \u00a0\u202f]", "", text).replace(",", ".")
            else:
                if not _POINT.match(text):
                    hint = " (a decimal comma? this workspace's locale is " \
                           f"{self.locale}: write 3.5)" if re.fullmatch(
                               r"[+-]?\d+,\d+", text) else ""
                    raise CellError(f"is not a number{hint}")
                text = text.replace(",", "")
            value = float(text)
        else:
            raise CellError("is not a number")
        if not math.isfinite(value):
            raise CellError("is not a finite number")
        return value

    def integer(self, raw: Any) -> int:
        value = self.number(raw)
        if value != int(value):
            raise CellError("is not a whole number")
        return int(value)

    def date(self, raw: Any) -> dt.date:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:  # the common case first: an ISO date in a CSV file
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
            text = raw.strip()
            try:
                return dt.date.fromisoformat(text[:10] if "T" in text else text)
            except ValueError:
                pass
            for fmt in DATE_FORMATS.get(self.locale.lower(), ()):
                try:
                    return dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
            formats = ["YYYY-MM-DD", *(f.replace("%d", "DD").replace("%m", "MM")
                                       .replace("%Y", "YYYY")
                                       for f in DATE_FORMATS.get(self.locale.lower(), ()))]
            raise CellError(f"is not a date (write {' or '.join(formats)})")
        raise CellError("is not a date")

    @staticmethod
    def boolean(raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw)
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError("is not true or false (write yes or no)")

    @staticmethod
    def text(raw: Any) -> str:
        if isinstance(raw, float) and raw == int(raw):
            return str(int(raw))  # a code typed as a number in a spreadsheet
        if isinstance(raw, dt.datetime | dt.date):
            return raw.isoformat()
        return str(raw).strip()


def blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")

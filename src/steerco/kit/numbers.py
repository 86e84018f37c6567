"""Numbers as text: never a value that reads as its target, its neighbour, 0 % or 100 %.

One module formats every figure a person reads (pages, the CLI, the engine's reason
sentences), so the same value reads the same everywhere. Rounding is chosen per value:

- `number` shows three significant digits (the integer part is never cut), and more
  when the text would otherwise equal the text of a value it is read next to (`near`:
  its target, its plan, the other values of a column): 9.96 next to a target of 10 is
  "9.96", 9.996 is "9.996", and 3.94 / 3.89 / 3.91 stay distinct. A million and more
  is written compactly ("1.23 M"); beyond a trillion in scientific notation.
- `percent` shows a fraction as a percentage with as few decimals as it can, but never
  rounds a value that is not 0 to "0 %" nor one that is not 100 % to "100 %": 0.996 is
  "99.6 %", a tolerance of 0.004 is "0.4 %".
- `money` shows an amount in its currency with thousands separators: whole units from
  100 up, cents below, compact ("€1.23B") from a billion.

Separators and symbols are locale-aware through Babel (`LOCALE`, English by default);
the choice of digits is ours and locale-independent.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from decimal import Decimal, localcontext
from typing import Any

from babel.numbers import format_compact_currency, format_currency, format_decimal

#: The locale of separators and currency symbols.
LOCALE = "en"
#: Significant digits shown when nothing forces more.
SIG = 3
#: More decimals than this never help a reader (floats carry about 15 digits).
MAX_DECIMALS = 10
MISSING = "—"
_COMPACT = ((1e12, " T"), (1e9, " B"), (1e6, " M"))


def finite(x: Any) -> float | None:
    """`x` as a finite float, or None (None, NaN, ±inf, or not a number at all)."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _finite_all(values: Any) -> list[float]:
    if values is None:
        return []
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        values = [values]
    return [v for v in (finite(x) for x in values) if v is not None]


def _decimals_for(v: float, sig: int) -> int:
    """Decimals that show `sig` significant digits of `v` (never fewer than 0)."""
    if v == 0:
        return 0
    return max(0, min(MAX_DECIMALS, sig - 1 - math.floor(math.log10(abs(v)))))


# Memoised: Babel parses the pattern and the locale on every call (about 30 µs), and a
# page formats the same targets and plans many times (the cockpit's strategy map spent a
# quarter of its time here on the `l` demo). The function is pure in its arguments.
@functools.lru_cache(maxsize=1 << 16)
def _plain(v: float, decimals: int, locale: str) -> str:
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    # Precision enough for any float's digits (the default 28 refuses e.g. 1e30 typos).
    with localcontext() as ctx:
        ctx.prec = 400
        text = format_decimal(Decimal(repr(v)), format=pattern, locale=locale)
    return "0" if text in ("-0", "−0") else text


def _distinct(render: Callable[[float, int], str], v: float, others: list[float], start: int,
              forbidden: Iterable[str] = ()) -> str:
    """The text of `v` with the fewest decimals from `start` that differs from the text
    of every other value (rendered alike) and from each `forbidden` text."""
    banned = set(forbidden)
    text = render(v, start)
    for d in range(start, MAX_DECIMALS + 1):
        text = render(v, d)
        if text not in banned and all(render(o, d) != text for o in others if o != v):
            return text
    return text


def number(x: Any, near: Any = None, *, sig: int = SIG, unit: str = "",
           missing: str = MISSING, locale: str | None = None) -> str:
    """`x` with `sig` significant digits, more if it would read as a value in `near`."""
    v = finite(x)
    if v is None:
        return missing
    loc = locale or LOCALE
    others = _finite_all(near)
    av = abs(v)
    if av >= 1e15:
        text = f"{v:.{sig - 1}e}".replace("e+", "e")
    elif av >= 1e6:
        scale, suffix = next((s, x) for s, x in _COMPACT if av >= s)

        def compact(y: float, d: int) -> str:
            return _plain(y / scale, d, loc) + suffix

        text = _distinct(compact, v, others, _decimals_for(v / scale, sig))
    else:
        def plain(y: float, d: int) -> str:
            return _plain(y, d, loc)

        text = _distinct(plain, v, others, _decimals_for(v, sig))
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def percent(x: Any, near: Any = None, *, missing: str = MISSING,
            locale: str | None = None) -> str:
    """The fraction `x` as a percentage ("99.6 %" for 0.996): never "0 %" for a value
    that is not 0, never "100 %" for one that is not 1, nor the text of a value in `near`."""
    v = finite(x)
    if v is None:
        return missing
    loc = locale or LOCALE

    def render(y: float, d: int) -> str:
        return _plain(y * 100, d, loc) + " %"

    # Beyond four significant places a share reads best as a bound, still never 0 or 100.
    if 0 < abs(v) < 1e-4:
        return ("> -" if v < 0 else "< ") + _plain(0.01, 2, loc) + " %"
    if 1 - 1e-4 < v < 1:
        return "> " + _plain(99.99, 2, loc) + " %"
    forbidden = set()
    if v != 0:
        forbidden |= {render(0.0, 0), "-0 %"}
    if v != 1:
        forbidden.add(render(1.0, 0))
    # Two significant digits for small shares (0.4 %), whole percents otherwise.
    start = 0 if abs(v) >= 0.1 else _decimals_for(v * 100, 2)
    return _distinct(render, v, _finite_all(near), start, forbidden)


def money(x: Any, currency: str | None = "EUR", *, missing: str = MISSING,
          locale: str | None = None) -> str:
    """An amount in `currency` with thousands separators and sensible precision."""
    v = finite(x)
    if v is None:
        return missing
    loc = locale or LOCALE
    cur = (currency or "EUR").upper()
    if abs(v) >= 1e9:
        return str(format_compact_currency(v, cur, locale=loc, fraction_digits=2))
    whole = abs(v) >= 100 or v == int(v)
    pattern = "¤#,##0" if whole else "¤#,##0.00"
    return str(format_currency(Decimal(repr(v)), cur, format=pattern, locale=loc,
                               currency_digits=False))


def count(x: Any, *, missing: str = MISSING, locale: str | None = None) -> str:
    """A whole count with thousands separators ("12,345")."""
    v = finite(x)
    if v is None:
        return missing
    return _plain(float(round(v)), 0, locale or LOCALE)

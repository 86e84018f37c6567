"""A plan pasted from a spreadsheet: "date<TAB>value" lines → plan points (pure).

Spreadsheets copy a block of cells as lines of tab-separated cells; a CSV written for a
decimal-comma locale separates them with semicolons. Either separator is read. A first
line whose date cell is not a date is a header and skipped. Dates and numbers are read
by the workspace's locale (steerco.transfer.values.Reader): a decimal comma only where
the locale writes one, so "3,5" is never silently 35 or 3.5 in the wrong workspace.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from steerco.transfer.values import CellError, Reader

#: More lines than this is not a plan but a mistake (a whole sheet pasted).
MAX_LINES = 1000
_SPLIT = re.compile(r"\t|;")


@dataclass(frozen=True)
class LineError:
    """Line `line` (1-based, as pasted) is refused: `value` is the offending text."""

    line: int
    value: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: “{self.value}” {self.reason}"


def parse_plan_block(text: str, locale: str = "en"
                     ) -> tuple[list[tuple[dt.date, float]], list[LineError]]:
    """Points (in date order) and the bad lines of a pasted block.

    Every bad line is reported (not only the first), by its line number, with the text
    and the reason; the caller saves nothing when there is any. Blank lines are skipped.
    Refused: a line without two cells, more than two non-empty cells, a cell that is no
    date or number in the locale, a date given twice, more than MAX_LINES lines.
    """
    reader = Reader(locale)
    points: list[tuple[dt.date, float]] = []
    errors: list[LineError] = []
    seen: dict[dt.date, int] = {}
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        return [], [LineError(len(lines), f"{len(lines)} lines",
                              f"are too many: paste at most {MAX_LINES}")]
    first = True
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        cells = [c.strip() for c in _SPLIT.split(raw)]
        while cells and not cells[-1]:  # a spreadsheet's empty trailing cells
            cells.pop()
        header, first = first, False
        if len(cells) != 2:
            if header and not _is_date(reader, cells[0]):
                continue
            errors.append(LineError(n, raw.strip(), "needs two cells, a date and a value, "
                                                    "separated by a tab or a semicolon"))
            continue
        try:
            on = reader.date(cells[0])
        except CellError as exc:
            if header:  # e.g. "Date<TAB>Plan"
                continue
            errors.append(LineError(n, cells[0], str(exc)))
            continue
        try:
            value = reader.number(cells[1])
        except CellError as exc:
            errors.append(LineError(n, cells[1], str(exc)))
            continue
        if on in seen:
            errors.append(LineError(n, cells[0], f"is given twice (also on line {seen[on]})"))
            continue
        seen[on] = n
        points.append((on, value))
    points.sort()
    return points, errors


def _is_date(reader: Reader, text: str) -> bool:
    try:
        reader.date(text)
    except CellError:
        return False
    return True

"""What an import did or would do: one outcome per row, one problem per refused cell."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "update", "unchanged"]


@dataclass(frozen=True)
class Problem:
    """Why a row was refused: 'Objectives row 14, owner: no person with e-mail x@y …'."""

    sheet: str
    row: int | None
    column: str | None
    value: Any
    reason: str

    def __str__(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet} row {self.row}"
        col = f", {self.column}" if self.column else ""
        val = "" if self.value in (None, "") else f" ({_short(self.value)})"
        return f"{where}{col}{val}: {self.reason}"


@dataclass(frozen=True)
class Outcome:
    """What happens to one row: created, updated (field: before → after) or unchanged."""

    sheet: str
    row: int
    key: str
    action: Action
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class Report:
    """The row-by-row account of an import; `written` is True only when it committed."""

    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False
    bulk: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        """{sheet: {create: n, update: n, unchanged: n}} (bulk sheets counted as a whole)."""
        out: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            per = out.setdefault(o.sheet, {"create": 0, "update": 0, "unchanged": 0})
            per[o.action] += 1
        for sheet, per in self.bulk.items():
            tgt = out.setdefault(sheet, {"create": 0, "update": 0, "unchanged": 0})
            for k, v in per.items():
                tgt[k] += v
        return out

    @property
    def changed(self) -> bool:
        return any(c["create"] or c["update"] for c in self.counts().values())

    def problems_csv(self) -> str:
        """The problems as a CSV file to download (sheet, row, column, value, reason)."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["sheet", "row", "column", "value", "reason"])
        for p in self.problems:
            w.writerow([p.sheet, p.row or "", p.column or "", _short(p.value), p.reason])
        return buf.getvalue()

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run, "written": self.written, "counts": self.counts(),
            "problems": [{"sheet": p.sheet, "row": p.row, "column": p.column,
                          "value": _short(p.value), "reason": p.reason}
                         for p in self.problems],
            "rows": [{"sheet": o.sheet, "row": o.row, "key": o.key, "action": o.action,
                      "changes": {k: [_short(a), _short(b)] for k, (a, b) in o.changes.items()}}
                     for o in self.outcomes],
        }


def _short(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"

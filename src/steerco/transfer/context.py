"""What every sheet handler shares: the session, the locale, and keys → rows so far."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steerco.db.models import (
    BudgetLine,
    Initiative,
    Metric,
    Milestone,
    Objective,
    OrgUnit,
    Person,
    Theme,
)
from steerco.kit.ids import PREFIXES, format_id
from steerco.transfer.repository import TransferRepository
from steerco.transfer.values import Reader

#: Sheet of the keys each kind of reference names, and how a message calls it.
REF_KINDS: dict[str, tuple[str, str]] = {
    "org_unit": ("org_units", "org unit with code"),
    "theme": ("themes", "theme with key"),
    "objective": ("objectives", "objective with key"),
    "metric": ("metrics", "metric with key"),
    "initiative": ("initiatives", "initiative with key"),
    "milestone": ("milestones", "milestone with key"),
    "budget_line": ("budget_lines", "budget line with code"),
}


class RowRefused(Exception):
    """One or more cells of a row are refused: [(column, value, reason)]."""

    def __init__(self, problems: list[tuple[str | None, Any, str]]) -> None:
        super().__init__("; ".join(p[2] for p in problems))
        self.problems = problems


class Deferred(Exception):
    """A reference to a row further down the file: set it once every sheet is in."""


@dataclass
class Ctx:
    session: Session
    workspace_id: int
    reader: Reader
    today: dt.date
    repo: TransferRepository
    keys: dict[str, dict[str, int]] = field(default_factory=dict)
    names: dict[str, list[int]] = field(default_factory=dict)
    #: Keys each sheet of the file defines (so a forward reference is deferred, not refused).
    file_keys: dict[str, set[str]] = field(default_factory=dict)
    #: (sheet, row number, work) to run after every sheet is in.
    deferred: list[tuple[str, int, Callable[[], None]]] = field(default_factory=list)
    current_row: int = 0
    #: (provider, consumer) → dependency, built on first use and kept up to date by the
    #: dependencies sheet (one query per import, not one per row).
    dependency_index: dict[tuple[str, str], Any] | None = None
    dependency_graph: dict[tuple[str, int], list[tuple[str, int]]] = field(
        default_factory=dict)
    #: metric → {day: value} and (budget line, period) → plan row, likewise read once per
    #: import and kept up to date by their sheets (read per row, the `l` demo's 11,000
    #: plan values made the dry run quadratic).
    plan_index: dict[int, dict[dt.date, float]] | None = None
    budget_plan_index: dict[tuple[int, dt.date], Any] | None = None

    @classmethod
    def load(cls, session: Session, workspace_id: int, today: dt.date,
             locale: str | None = None) -> Ctx:
        repo = TransferRepository(session, workspace_id)
        ctx = cls(session, workspace_id, Reader(locale or repo.locale()), today, repo)
        people = repo.all(Person)
        ctx.keys["person"] = {p.email.lower(): p.id for p in people}
        for p in people:
            ctx.names.setdefault(p.name.strip().lower(), []).append(p.id)
        ctx.keys["org_unit"] = {u.code: u.id for u in repo.all(OrgUnit) if u.code}
        ctx.keys["budget_line"] = {b.code: b.id for b in repo.all(BudgetLine)}
        ctx.keys["milestone"] = {m.external_ref or format_id("milestone", m.id): m.id
                                 for m in repo.all(Milestone)}
        for kind, model in (("theme", Theme), ("objective", Objective), ("metric", Metric),
                            ("initiative", Initiative)):
            ctx.keys[kind] = {r.external_key or format_id(kind, r.id): r.id
                              for r in repo.all(model)}
        return ctx

    def keys_for_ids(self, message: str) -> str:
        """'… mil_198 → mil_144' → '… I1-B → I1-A': name rows as the file names them."""
        import re

        reverse = {format_id(kind, k): key for kind in ("objective", "milestone", "initiative",
                                                        "metric", "theme")
                   for key, k in self.keys[kind].items()}
        return re.sub(r"\b[a-z]{3}_\d+\b", lambda m: reverse.get(m.group(0), m.group(0)),
                      message)

    def register(self, kind: str, key: str, row_id: int) -> None:
        self.keys[kind][key.lower() if kind == "person" else key] = row_id

    def find(self, kind: str, key: str) -> int | None:
        return self.keys[kind].get(key.lower() if kind == "person" else key)

    def ref(self, kind: str, column: str, value: str | None, *, defer: bool = False) -> int | None:
        """The row a cell names, None for a blank cell; Deferred for a row further down."""
        if value is None:
            return None
        if kind == "person":
            return self.person(column, value, defer=defer)
        found = self.find(kind, value)
        if found is not None:
            return found
        sheet, what = REF_KINDS[kind]
        if defer and value in self.file_keys.get(sheet, set()):
            raise Deferred
        hint = ""
        if value.startswith(tuple(f"{p}_" for p in PREFIXES.values())) and \
                not value.startswith(f"{PREFIXES[kind]}_"):
            hint = f" (a {value.split('_')[0]}_ id names no {kind.replace('_', ' ')})"
        raise RowRefused([(column, value, f"no {what} {value!r} in this workspace or "
                                          f"this file{hint}")])

    def person(self, column: str, value: str, *, defer: bool = False) -> int:
        found = self.find("person", value)
        if found is not None:
            return found
        if "@" not in value:
            ids = self.names.get(value.strip().lower(), [])
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                raise RowRefused([(column, value, f"{len(ids)} people are called {value}: "
                                                  "give the e-mail")])
        if defer and value.lower() in self.file_keys.get("people", set()):
            raise Deferred
        what = "e-mail" if "@" in value else "e-mail or name"
        raise RowRefused([(column, value, f"no person with {what} {value} in this workspace "
                                          "or this file")])

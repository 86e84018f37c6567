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
from steerco.transfer.report import Problem
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
    #: Whole-workspace reads a sheet needs, read once per import (not once per row) and
    #: kept up to date by the sheet as it writes.
    cache: dict[str, Any] = field(default_factory=dict)
    #: Every person of the workspace by id (the batched sheets check who is active).
    people: dict[int, Person] = field(default_factory=dict)
    #: Work of the bulk sheets once every sheet and the deferred rows are in (references
    #: further down the file, stage gates), each returning the problems of its rows.
    finish: list[Callable[[], list[Problem]]] = field(default_factory=list)
    #: Names (lower case) of the people this file adds, before they are written: a
    #: reference by name to one of them waits until they are (see `person`).
    pending_names: set[str] = field(default_factory=set)
    #: Rows checked so far of the sheet at hand (the import's progress), every 200 rows.
    checking: Callable[[int], None] | None = None

    def once(self, name: str, load: Callable[[], Any]) -> Any:
        if name not in self.cache:
            self.cache[name] = load()
        return self.cache[name]

    @classmethod
    def load(cls, session: Session, workspace_id: int, today: dt.date,
             locale: str | None = None) -> Ctx:
        repo = TransferRepository(session, workspace_id)
        ctx = cls(session, workspace_id, Reader(locale or repo.locale()), today, repo)
        people = repo.all(Person)
        ctx.people = {p.id: p for p in people}
        ctx.keys["person"] = {p.email.lower(): p.id for p in people}
        for p in people:
            ctx.names.setdefault(p.name.strip().lower(), []).append(p.id)
        ctx.keys["org_unit"] = {u.code: u.id for u in repo.all(OrgUnit) if u.code}
        ctx.keys["budget_line"] = {b.code: b.id for b in repo.all(BudgetLine)}
        # Keys only (one query per kind, no ORM objects): a sync of 10,000 issues must not
        # load 10,000 milestones to learn their keys.
        ctx.keys["milestone"] = repo.keys(Milestone, Milestone.external_ref, "milestone")
        for kind, model in (("theme", Theme), ("objective", Objective), ("metric", Metric),
                            ("initiative", Initiative)):
            ctx.keys[kind] = repo.keys(model, model.external_key, kind)
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
        if defer and (value.lower() in self.file_keys.get("people", set()) or
                      value.strip().lower() in self.pending_names):
            raise Deferred
        what = "e-mail" if "@" in value else "e-mail or name"
        raise RowRefused([(column, value, f"no person with {what} {value} in this workspace "
                                          "or this file")])

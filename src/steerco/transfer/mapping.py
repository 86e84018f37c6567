"""A workspace's column mapping: file headers that are not the template's, mapped once.

A file from another tool names its columns its own way ("Verantwortlich", "KR owner").
Headers the template knows (its names and synonyms, spec.py) need nothing; any other
header is mapped here, per sheet kind, to a template column — or to nothing, to ignore
it — and every later import of the workspace applies it (the page's "Save the mapping",
`steerco mapping`). Validated here, stored by `MappingRepository` (never commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from steerco.db.models import ImportMapping
from steerco.kit.errors import FieldError, ValidationFailed
from steerco.transfer.spec import BY_NAME, SHEETS, column_named, norm, sheet_named

#: {sheet kind: {normalised header: template column, or "" to ignore the column}}
Mapping = dict[str, dict[str, str]]
#: What a form or the CLI gives to ignore a column.
IGNORE = ("", "-", "ignore", "(ignore)")


@dataclass(frozen=True)
class Entry:
    sheet: str
    header: str
    column: str  # "" = ignored


class MappingRepository:
    """The import_mappings rows of one workspace."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def rows(self) -> Sequence[ImportMapping]:
        return self.session.scalars(select(ImportMapping).where(
            ImportMapping.workspace_id == self.workspace_id).order_by(
            ImportMapping.sheet, ImportMapping.header)).all()

    def put(self, sheet: str, header: str, column: str) -> None:
        row = self.session.scalar(select(ImportMapping).where(
            ImportMapping.workspace_id == self.workspace_id, ImportMapping.sheet == sheet,
            ImportMapping.header == header))
        if row is None:
            self.session.add(ImportMapping(workspace_id=self.workspace_id, sheet=sheet,
                                           header=header, column=column))
        else:
            row.column = column
        self.session.flush()

    def remove(self, sheet: str, header: str) -> int:
        res = self.session.execute(delete(ImportMapping).where(
            ImportMapping.workspace_id == self.workspace_id, ImportMapping.sheet == sheet,
            ImportMapping.header == header))
        self.session.flush()
        return int(getattr(res, "rowcount", 0) or 0)


def load(session: Session, workspace_id: int) -> Mapping:
    """The saved mapping of a workspace, as `read.read_path` applies it."""
    out: Mapping = {}
    for r in MappingRepository(session, workspace_id).rows():
        out.setdefault(r.sheet, {})[r.header] = r.column
    return out


def entries(session: Session, workspace_id: int) -> list[Entry]:
    return [Entry(r.sheet, r.header, r.column)
            for r in MappingRepository(session, workspace_id).rows()]


def sheet_kind(sheet: str) -> str | None:
    """The sheet kind named by its name or title (None: no such kind)."""
    spec = BY_NAME.get(sheet) or sheet_named(sheet)
    return None if spec is None else spec.name


def unknown_sheet(sheet: str) -> str:
    return f"no sheet kind {sheet!r}; one of: " + ", ".join(s.title for s in SHEETS)


def find(session: Session, workspace_id: int, sheet: str, header: str) -> Entry | None:
    """The saved entry of `header` (as given or normalised) of sheet kind `sheet`."""
    kind = sheet_kind(sheet)
    key = norm(header)
    return next((e for e in entries(session, workspace_id)
                 if e.sheet == kind and e.header == key), None)


def save(session: Session, workspace_id: int, sheet: str, header: str,
         column: str | None) -> Entry:
    """Map `header` of sheet kind `sheet` (its name or title) to `column` (a template column
    of that sheet; empty, "-" or "ignore": ignore the column). ValidationFailed naming the
    field otherwise: an unknown sheet, an unknown column, a header the template already
    knows (mapping it elsewhere would make the template's own files read wrongly)."""
    spec = BY_NAME.get(sheet) or sheet_named(sheet)
    if spec is None:
        raise ValidationFailed([FieldError("sheet", unknown_sheet(sheet), sheet)])
    key = norm(header)
    if not key:
        raise ValidationFailed([FieldError("header", "give the file's column header",
                                           header)])
    known = column_named(spec, header)
    if known is not None:
        raise ValidationFailed([FieldError("header", (
            f"{header!r} is already the {spec.title} column {known.name!r} of the template; "
            "it needs no mapping"), header)])
    target = (column or "").strip()
    if target.lower() in IGNORE:
        target = ""
    elif target not in {c.name for c in spec.columns}:
        found = column_named(spec, target)
        if found is None:
            raise ValidationFailed([FieldError("column", (
                f"{spec.title} has no column {target!r}; one of: "
                + ", ".join(c.name for c in spec.columns) + " (or ignore)"), target)])
        target = found.name
    MappingRepository(session, workspace_id).put(spec.name, key, target)
    return Entry(spec.name, key, target)


def remove(session: Session, workspace_id: int, sheet: str, header: str) -> bool:
    spec = BY_NAME.get(sheet) or sheet_named(sheet)
    if spec is None:
        return False
    return MappingRepository(session, workspace_id).remove(spec.name, norm(header)) > 0

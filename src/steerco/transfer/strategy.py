"""Strategy as code: a YAML file of the workspace's strategy, planned and applied.

The file has one section per sheet (org_units, people, themes, objectives, alignments,
metrics, metric_objectives, plan_points, initiatives, milestones, dependencies,
budget_lines, budget_plans), each a list of mappings with the sheets' column names; it
goes through the same pipeline as a spreadsheet. `plan` is a dry run plus what would be
archived: themes, objectives and initiatives of a section the file lists but which the
file no longer names (themes are deactivated, objectives archived, initiatives stopped).
`apply` refuses when the workspace changed since the plan: the plan records a
fingerprint of the strategy it was computed against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from steerco.db.audit import acting
from steerco.db.engine import make_sessionmaker
from steerco.db.models import Initiative, Objective, Theme
from steerco.initiatives.service import stop_initiative
from steerco.kit.ids import format_id
from steerco.objectives.service import archive_objective, update_theme
from steerco.transfer.export import collect
from steerco.transfer.pipeline import stage
from steerco.transfer.read import Book, _add_table
from steerco.transfer.report import Problem, Report
from steerco.transfer.repository import TransferRepository
from steerco.transfer.spec import BY_NAME, SHEETS

SECTIONS = ("org_units", "people", "themes", "objectives", "alignments", "metrics",
            "metric_objectives", "plan_points", "initiatives", "milestones", "dependencies",
            "budget_lines", "budget_plans")
#: Sections whose rows are archived when the file drops them: (kind, model, archive).
ARCHIVABLE: dict[str, tuple[str, Any, Callable[[Session, int, int], Any]]] = {
    "themes": ("theme", Theme, lambda s, ws, k: update_theme(s, ws, k, {"active": False})),
    "objectives": ("objective", Objective, archive_objective),
    "initiatives": ("initiative", Initiative, stop_initiative),
}


@dataclass
class Plan:
    report: Report
    archive: list[tuple[str, str, str]] = field(default_factory=list)  # (section, key, name)
    fingerprint: str = ""

    @property
    def empty(self) -> bool:
        return self.report.ok and not self.report.changed and not self.archive


def read_yaml(text: str, name: str = "strategy.yaml") -> tuple[Book, set[str]]:
    """The file as a Book (and the sections it lists); structure errors are problems."""
    book = Book()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        book.problems.append(Problem(name, mark.line + 1 if mark else None, None, None,
                                     f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return book, set()
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        book.problems.append(Problem(name, None, None, None,
                                     "the file must be a mapping of sections"))
        return book, set()
    doc.pop("version", None)
    for section, items in doc.items():
        if section not in SECTIONS:
            book.problems.append(Problem(str(section), None, None, None,
                                         "unknown section; one of: " + ", ".join(SECTIONS)))
            continue
        if items is None:
            items = []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            book.problems.append(Problem(section, None, None, None,
                                         "must be a list of mappings"))
            continue
        spec = BY_NAME[section]
        header = [c.name for c in spec.columns]
        extra = sorted({k for i in items for k in i if k not in header}, key=str)
        rows = [header + extra, *([i.get(k) for k in header + extra] for i in items)]
        _add_table(section, rows, book)
        book.tables[section].title = section
        # Items are numbered as the file lists them (the header is not an item).
        book.tables[section].rows = [(n - 1, r) for n, r in book.tables[section].rows]
    return book, set(doc) & set(SECTIONS)


def fingerprint(session: Session, workspace_id: int) -> str:
    """A hash of the workspace's strategy (everything `export --yaml` writes)."""
    rows = collect(session, workspace_id)
    data = {k: rows[k] for k in SECTIONS}
    return hashlib.sha256(json.dumps(data, default=str, sort_keys=True).encode()).hexdigest()


def plan(engine: Engine, workspace_id: int, text: str, name: str = "strategy.yaml",
         today: dt.date | None = None, apply: bool = False,
         expect: str | None = None, actor: str | None = None) -> Plan:
    """Compute (and with `apply`, write atomically) what the file changes; what it
    writes is audited as "<actor> via apply of <name>"."""
    book, sections = read_yaml(text, name)
    session = make_sessionmaker(engine)()
    session.info["actor"] = acting(actor, f"apply of {name}")
    try:
        before = fingerprint(session, workspace_id)
        if apply and expect is not None and expect != before:
            report = Report(problems=[Problem(name, None, None, None, (
                "the workspace changed since the plan was made: run `steerco plan` again"))])
            return Plan(report, fingerprint=before)
        report = stage(session, workspace_id, book, today=today) if not book.problems or any(
            t.rows for t in book.tables.values()) else Report(problems=list(book.problems))
        result = Plan(report, fingerprint=before)
        repo = TransferRepository(session, workspace_id)
        for section in sorted(sections & set(ARCHIVABLE)):
            kind, model, archive = ARCHIVABLE[section]
            named = {str(r.get("key")) for _, r in book.rows(section)}
            for row in repo.all(model):
                key = row.external_key or format_id(kind, row.id)
                live = row.active if model is Theme else (
                    not row.archived if model is Objective else not row.stopped)
                if live and key not in named:
                    result.archive.append((section, key, getattr(row, "title", None) or
                                           row.name))
                    if apply:
                        archive(session, workspace_id, row.id)
        report.dry_run = not apply
        if apply and report.ok:
            session.commit()
            report.written = True
        else:
            session.rollback()
        return result
    finally:
        session.close()


def export_yaml(session: Session, workspace_id: int) -> str:
    rows = collect(session, workspace_id)
    doc: dict[str, Any] = {"version": 1}
    for section in SECTIONS:
        cols = [c.name for c in BY_NAME[section].columns]
        doc[section] = [{c: v for c, v in zip(cols, r, strict=True) if v is not None}
                        for r in rows[section]]
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))


_JSON_TYPES = {"text": {"type": "string"}, "number": {"type": "number"},
               "integer": {"type": "integer"}, "bool": {"type": "boolean"},
               "date": {"type": "string", "format": "date"},
               "list": {"type": "string", "description": "keys separated by ;"}}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the strategy file (published as docs/strategy.schema.json)."""
    props: dict[str, Any] = {"version": {"const": 1}}
    for spec in SHEETS:
        if spec.name not in SECTIONS:
            continue
        columns: dict[str, Any] = {}
        for c in spec.columns:
            columns[c.name] = ({"enum": list(c.choices)} if c.choices
                               else dict(_JSON_TYPES[c.kind]))
            if c.note:
                columns[c.name]["description"] = c.note
        props[spec.name] = {"type": "array", "description": spec.note, "items": {
            "type": "object", "additionalProperties": False, "properties": columns,
            "required": [c.name for c in spec.columns if c.required]}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://steerco.example/strategy.schema.json",
            "title": "steerco strategy file", "type": "object",
            "additionalProperties": False, "properties": props}


def save_plan(path: Path, result: Plan, text: str) -> Path:
    """Remember what the plan was computed against, next to the file."""
    out = path.with_name(path.name + ".plan")
    out.write_text(json.dumps({"workspace": result.fingerprint,
                               "file": hashlib.sha256(text.encode()).hexdigest()}))
    return out

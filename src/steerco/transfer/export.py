"""Everything of a workspace as rows in the templates' layout, to XLSX or CSV files.

Rows are named by external keys (a row without one by its public id, e.g. `obj_42`, which
an import stores as its key), so importing an export into an empty workspace and
exporting again gives the same content.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
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
from steerco.kit.ids import format_id
from steerco.transfer.repository import TransferRepository
from steerco.transfer.spec import SHEETS, SheetSpec

Rows = dict[str, list[list[Any]]]


def _v(x: Any) -> Any:
    return getattr(x, "value", x)


def collect(session: Session, workspace_id: int) -> Rows:
    """{sheet name: rows (in column order)} of the whole workspace, sorted by key."""
    repo = TransferRepository(session, workspace_id)
    people = {p.id: p for p in repo.all(Person)}
    units = {u.id: u for u in repo.all(OrgUnit)}
    def key(kind: str, r: Any) -> str:
        return getattr(r, "external_key", None) or format_id(kind, r.id)
    themes = {t.id: key("theme", t) for t in repo.all(Theme)}
    objs = {o.id: key("objective", o) for o in repo.all(Objective)}
    mets = {m.id: key("metric", m) for m in repo.all(Metric)}
    inis = {i.id: key("initiative", i) for i in repo.all(Initiative)}
    mils = {m.id: m.external_ref or format_id("milestone", m.id) for m in repo.all(Milestone)}
    lines = {b.id: b.code for b in repo.all(BudgetLine)}
    email = {k: p.email for k, p in people.items()}
    code = {k: u.code or format_id("org_unit", k) for k, u in units.items()}

    def ref(m: dict[int, str], k: int | None) -> str | None:
        return None if k is None else m.get(k)

    out: Rows = {}
    out["org_units"] = [[code[u.id], u.name, _v(u.kind), ref(code, u.parent_id),
                         ref(email, u.head_id)] for u in units.values()]
    out["people"] = [[p.email, p.name, p.title, ref(email, p.manager_id),
                      ref(code, p.org_unit_id)] for p in people.values()]
    out["themes"] = [[themes[t.id], t.name, t.description, ref(email, t.owner_id), t.active]
                     for t in repo.all(Theme)]
    out["objectives"] = [[objs[o.id], o.title, o.description, o.period_start, o.period_end,
                          _v(o.level), _v(o.perspective), ref(email, o.owner_id),
                          ref(code, o.org_unit_id), ref(themes, o.theme_id)]
                         for o in repo.all(Objective)]
    out["alignments"] = [[objs[c], objs[p], a.weight] for (c, p), a in repo.alignments().items()]
    out["metrics"] = [[mets[m.id], m.name, _v(m.kind), m.unit, _v(m.direction),
                       m.baseline_value, m.baseline_date, m.target_value, m.target_date,
                       m.tolerance, _v(m.tolerance_mode), _v(m.indicator), _v(m.cadence),
                       ref(email, m.owner_id), m.description] for m in repo.all(Metric)]
    out["metric_objectives"] = [[mets[m], objs[o], x.weight]
                                for (m, o), x in repo.metric_objectives().items()]
    out["plan_points"] = [[mets[m], d, x] for m, plan in repo.plan_points().items()
                          for d, x in plan.items()]
    links = repo.initiative_metrics()
    out["initiatives"] = [[inis[i.id], i.name, _v(i.kind), _v(i.stage), ref(email, i.owner_id),
                           ref(email, i.sponsor_id), ref(email, i.controller_id),
                           ref(code, i.org_unit_id), i.start_date, i.due_date,
                           ";".join(sorted(mets[k] for k in links.get(i.id, []))) or None,
                           i.description] for i in repo.all(Initiative)]
    out["milestones"] = [[mils[m.id], inis[m.initiative_id], m.name, ref(email, m.owner_id),
                          m.due_date, m.forecast_date, m.duration_days, m.completed_on,
                          m.evidence_url] for m in repo.all(Milestone)]
    out["dependencies"] = [[
        ref(mils, d.provider_milestone_id) or ref(inis, d.provider_initiative_id),
        ref(mils, d.consumer_milestone_id) or ref(inis, d.consumer_initiative_id),
        _v(d.dep_type), d.lag_days, d.need_date, d.committed_date, d.note]
        for d in repo.dependencies()]
    out["budget_lines"] = [[b.code, b.name, _v(b.kind), b.currency, ref(code, b.org_unit_id),
                            ref(inis, b.initiative_id), ref(email, b.controller_id)]
                           for b in repo.all(BudgetLine)]
    out["budget_plans"] = [[lines[ln], period, p.amount]
                           for (ln, period), p in repo.budget_plans().items()]
    out["measurements"] = [[mets[m.metric_id], m.as_of, m.value, m.note, m.evidence_url,
                            m.confidence] for m in repo.measurements_for_export()]
    from steerco.db.models import LedgerEntry
    out["ledger"] = [[lines[e.budget_line_id], e.period, e.amount, e.posted_on, e.reference]
                     for e in repo.all(LedgerEntry)]
    for name, rows in out.items():
        rows.sort(key=lambda r: tuple("" if c is None else str(c) for c in r))
        del name
    return out


def _cell(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, dt.date):
        return x.isoformat()
    return str(x)


def write_csv(rows: Rows, folder: Path) -> list[Path]:
    """One UTF-8 CSV per sheet (named after the sheet) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in SHEETS:
        path = folder / f"{spec.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([c.name for c in spec.columns])
            w.writerows([_cell(x) for x in r] for r in rows.get(spec.name, []))
        paths.append(path)
    return paths


def write_xlsx(rows: Rows | None, path: Path, *, template: bool = False) -> Path:
    """A workbook with a sheet per kind (the template: example rows, drop-down lists for
    enumerations and a Notes sheet)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not template,
                                         "strings_to_numbers": False,
                                         "strings_to_formulas": False,
                                         "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    if template:
        _notes(wb, bold)
    for spec in SHEETS:
        ws = wb.add_worksheet(spec.title)
        for j, col in enumerate(spec.columns):
            ws.write_string(0, j, col.name, bold)
            ws.set_column(j, j, max(12, len(col.name) + 2))
            if col.note or col.choices:
                ws.write_comment(0, j, col.note or "one of: " + ", ".join(col.choices)) \
                    if template else None
            if template and col.choices:
                ws.data_validation(1, j, 10_000, j, {
                    "validate": "list", "source": list(col.choices),
                    "error_title": col.name, "error_message": "one of: " + ", ".join(col.choices)})
        ws.freeze_panes(1, 0)
        data = [[c.example for c in spec.columns], *EXTRA_EXAMPLES.get(spec.name, [])] \
            if template else (rows or {}).get(spec.name, [])
        for i, r in enumerate(_iter(data), start=1):
            for j, x in enumerate(r):
                _write(ws, i, j, x, date, spec)
    wb.close()
    return path


#: Further example rows, so the template's examples refer to each other as real data does.
EXTRA_EXAMPLES: dict[str, list[list[Any]]] = {
    "objectives": [["O2", "Onboard every customer in a day", "", "2026-01-01", "2026-12-31",
                    "team", "internal_process", "ada@acme.example", "ACME", "T1"]],
    # A second milestone for the dependency example to need: a dependency between an
    # initiative and its own milestone closes a cycle and is refused.
    "milestones": [["I1-M2", "I1", "Rolled out to every region", "", "2026-08-31", "", 1,
                    "", ""]],
}


def _iter(data: list[list[Any]]) -> Iterator[list[Any]]:
    yield from data


def _write(ws: Any, i: int, j: int, x: Any, date: Any, spec: SheetSpec) -> None:
    if x is None or x == "":
        return
    kind = spec.columns[j].kind
    if isinstance(x, bool):
        ws.write_boolean(i, j, x)
    elif isinstance(x, int | float) and not isinstance(x, bool):
        ws.write_number(i, j, x)
    elif isinstance(x, dt.date):
        ws.write_datetime(i, j, dt.datetime(x.year, x.month, x.day), date)
    elif kind == "date" and isinstance(x, str):
        d = dt.date.fromisoformat(x)
        ws.write_datetime(i, j, dt.datetime(d.year, d.month, d.day), date)
    else:
        ws.write_string(i, j, str(x))


def _notes(wb: Any, bold: Any) -> None:
    ws = wb.add_worksheet("Notes")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 110)
    lines = [
        ("How to fill this in", "One sheet per kind; the first row holds the column names "
         "(synonyms such as 'E-Mail' or 'Due' are understood). Delete sheets you do not need."),
        ("Keys", "Each row has a key (a code, an e-mail or a key you choose); other sheets "
         "name rows by it. Importing the same file again finds the rows by their keys and "
         "changes nothing: the report says 'unchanged'."),
        ("People", "Name people by e-mail (or by full name when it is unique)."),
        ("Dates and numbers", "Dates as YYYY-MM-DD (or date cells); text numbers are read "
         "in the workspace's locale (a decimal comma only where the locale says so)."),
        ("Blank cells", "A blank optional cell leaves the current value as it is."),
        ("Formulas", "Type values, not formulas: a formula cell is refused."),
        ("All or nothing", "If any row is refused, nothing is written; the report lists every "
         "problem as sheet, row, column, value and reason. Try it first with --dry-run."),
    ]
    ws.write_row(0, 0, ["topic", "note"], bold)
    for i, (a, b) in enumerate(lines, start=1):
        ws.write_row(i, 0, [a, b])
    r = len(lines) + 2
    ws.write_row(r, 0, ["sheet", "what it holds"], bold)
    for i, spec in enumerate(SHEETS, start=r + 1):
        ws.write_row(i, 0, [spec.title, spec.note])

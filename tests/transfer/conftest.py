"""Fixtures of the import tests: a committed, fresh workspace per test (imports commit)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.repository import entity_counts
from steerco.org.service import create_workspace
from steerco.transfer.run import import_file

TODAY = dt.date(2026, 11, 30)


@pytest.fixture()
def ws(engine: Engine) -> int:
    with unit_of_work(make_sessionmaker(engine)) as s:
        return create_workspace(s, {"slug": f"t-{uuid.uuid4().hex[:12]}", "name": "Acme"}).id


def counts(engine: Engine, ws: int) -> dict[str, int]:
    with Session(engine) as s:
        return {k: v for k, v in entity_counts(s, ws).items() if k != "workspaces"}


def run(engine: Engine, ws: int, path: Path, dry_run: bool = False, **kw: Any) -> Any:
    return import_file(engine, ws, path, dry_run=dry_run, today=TODAY, **kw)


def workbook(path: Path, sheets: dict[str, list[list[Any]]],
             formulas: dict[str, list[tuple[int, int, str]]] | None = None) -> Path:
    """An .xlsx with these sheets (first row = header); formulas as (row, col, formula)."""
    wb = xlsxwriter.Workbook(str(path))
    for title, rows in sheets.items():
        sheet = wb.add_worksheet(title)
        for i, row in enumerate(rows):
            for j, x in enumerate(row):
                if x is not None:
                    sheet.write(i, j, x)
        for i, j, f in (formulas or {}).get(title, []):
            sheet.write_formula(i, j, f)
    wb.close()
    return path


def csvs(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


#: A small company in CSV: two units, three people, objectives aligned, a metric with
#: plan and history, an initiative with milestones, a dependency and the money.
COMPANY = {
    "org_units": "code,name,kind,parent,head\n"
                 "ACME,Acme Corp,company,,ada@acme.example\n"
                 "OPS,Operations,department,ACME,grace@acme.example\n",
    "people": "email,name,title,manager,org_unit\n"
              "ada@acme.example,Ada Lovelace,CEO,,ACME\n"
              "grace@acme.example,Grace Hopper,COO,ada@acme.example,OPS\n"
              "alan@acme.example,Alan Turing,Engineer,Grace Hopper,OPS\n",
    "themes": "key,name,description,owner,active\nT1,Win the mid-market,,ada@acme.example,yes\n",
    "objectives": "key,title,description,period_start,period_end,level,perspective,owner,"
                  "org_unit,theme\n"
                  "O1,Customers choose us first,,2026-01-01,2026-12-31,company,customer,"
                  "ada@acme.example,ACME,T1\n"
                  "O2,Onboard in a day,,2026-01-01,2026-12-31,department,internal_process,"
                  "grace@acme.example,OPS,T1\n",
    "alignments": "child,parent,weight\nO2,O1,2\n",
    "metrics": "key,name,kind,unit,direction,baseline_value,baseline_date,target_value,"
               "target_date,tolerance,tolerance_mode,indicator,cadence,owner,description\n"
               "M1,Net revenue retention,key_result,%,increase_to,98,2026-01-01,110,2026-12-31,"
               "0.05,relative,lagging,monthly,ada@acme.example,\n",
    "metric_objectives": "metric,objective,weight\nM1,O1,1\n",
    "plan_points": "metric,on,value\nM1,2026-06-30,104\n",
    "measurements": "metric,as_of,value,note\nM1,2025-12-31,97.5,history\nM1,2026-03-31,99.5,\n",
    "initiatives": "key,name,kind,stage,owner,sponsor,controller,org_unit,start_date,due_date,"
                   "metrics,description\n"
                   "I1,Self-service onboarding,project,defined,grace@acme.example,,,OPS,"
                   "2026-02-01,2026-09-30,M1,\n",
    "milestones": "key,initiative,name,owner,due_date,forecast_date,duration_days,completed_on,"
                  "evidence_url\n"
                  "I1-A,I1,Pilot live,alan@acme.example,2026-05-31,,5,,\n"
                  "I1-B,I1,Rolled out,,2026-09-15,,10,,\n",
    "dependencies": "provider,consumer,dep_type,lag_days,need_date,committed_date,note\n"
                    "I1-A,I1-B,FS,0,,,\n",
    "budget_lines": "code,name,kind,currency,org_unit,initiative,controller\n"
                    "CC100,Onboarding team,opex,EUR,OPS,I1,\n",
    "budget_plans": "budget_line,period,amount\nCC100,2026-03-01,25000\n",
    "ledger": "budget_line,period,amount,posted_on,reference\n"
              "CC100,2026-03-01,23750.5,2026-04-03,INV-1\n",
}


def refused(engine: Engine, ws: int, path: Path) -> dict[tuple[str, int | None, str | None], Any]:
    """The problems of an import that must be refused, by (sheet, row, column), after
    checking that it wrote nothing."""
    before = counts(engine, ws)
    report = run(engine, ws, path)
    assert not report.ok and not report.written
    assert counts(engine, ws) == before, "a refused import wrote something"
    return {(p.sheet, p.row, p.column): p for p in report.problems}

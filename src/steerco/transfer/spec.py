"""The layout of every sheet: columns, types, enumerations, header synonyms, examples.

Templates, exports and the importer all read this one description, so an export has the
template's layout and a template's example rows import as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from steerco.db.enums import (
    BudgetKind,
    Cadence,
    DepType,
    Direction,
    IndicatorType,
    InitiativeKind,
    MetricKind,
    ObjectiveLevel,
    OrgKind,
    Perspective,
    StageGate,
    ToleranceMode,
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text, number, integer, date, bool, enum, list
    required: bool = False
    choices: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    example: Any = None
    note: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    title: str
    columns: tuple[Column, ...]
    note: str
    synonyms: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _enum(e: type) -> tuple[str, ...]:
    return tuple(m.value for m in e)  # type: ignore[attr-defined]


def C(name: str, kind: str = "text", required: bool = False, example: Any = None,
      note: str = "", synonyms: tuple[str, ...] = (), choices: type | None = None) -> Column:
    return Column(name, "enum" if choices else kind, required,
                  _enum(choices) if choices else (), synonyms, example, note)


PERSON = "a person's e-mail (or their full name when it is unique)"

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("org_units", "Org units", (
        C("code", required=True, example="ACME", note="unique code: how other sheets name it",
          synonyms=("unit code", "org code", "id")),
        C("name", required=True, example="Acme Corp", synonyms=("unit", "org unit", "title")),
        C("kind", required=True, choices=OrgKind, example="company", synonyms=("type", "level")),
        C("parent", example="", note="code of the parent unit",
          synonyms=("parent code", "parent unit", "reports to")),
        C("head", example="ada@acme.example", note=PERSON, synonyms=("head email", "lead")),
    ), "The org tree: company → business unit → department → team.",
        ("units", "org", "organisation", "organization")),
    SheetSpec("people", "People", (
        C("email", required=True, example="ada@acme.example",
          synonyms=("e-mail", "mail", "email address")),
        C("name", required=True, example="Ada Lovelace", synonyms=("full name", "person")),
        C("title", example="CEO", synonyms=("job title", "role", "position")),
        C("manager", example="", note=PERSON, synonyms=("manager email", "reports to")),
        C("org_unit", example="ACME", note="code of the person's unit",
          synonyms=("unit", "team", "department", "org unit code")),
    ), "Everyone who owns, updates, sponsors or decides something.",
        ("persons", "employees", "staff")),
    SheetSpec("themes", "Themes", (
        C("key", required=True, example="T1", note="unique key of the theme",
          synonyms=("id", "theme key")),
        C("name", required=True, example="Win the mid-market", synonyms=("theme", "title")),
        C("description", example=""),
        C("owner", example="ada@acme.example", note=PERSON),
        C("active", "bool", example=True, note="yes or no (default yes)"),
    ), "Strategic themes (more than five active ones is a focus problem).",
        ("strategic themes", "priorities")),
    SheetSpec("objectives", "Objectives", (
        C("key", required=True, example="O1", note="unique key of the objective",
          synonyms=("id", "objective key", "ref")),
        C("title", required=True, example="Become the customers' first choice",
          synonyms=("objective", "name")),
        C("description", example=""),
        C("period_start", "date", True, "2026-01-01", synonyms=("start", "from", "start date")),
        C("period_end", "date", True, "2026-12-31", synonyms=("end", "to", "end date")),
        C("level", required=True, choices=ObjectiveLevel, example="company"),
        C("perspective", required=True, choices=Perspective, example="customer",
          synonyms=("bsc perspective",)),
        C("owner", required=True, example="ada@acme.example", note=PERSON,
          synonyms=("owner email", "accountable")),
        C("org_unit", example="ACME", note="code of the unit", synonyms=("unit", "team")),
        C("theme", example="T1", note="key of the theme"),
    ), "Qualitative goals for a period, each with one owner.", ("okrs", "goals")),
    SheetSpec("alignments", "Alignments", (
        C("child", required=True, example="O2", note="key of the contributing objective",
          synonyms=("objective", "child objective")),
        C("parent", required=True, example="O1", note="key of the objective it supports",
          synonyms=("parent objective", "aligned to", "supports")),
        C("weight", "number", example=1, note="contribution weight > 0 (default 1)"),
    ), "Which objective supports which, with a weight (a cycle is refused).",
        ("alignment", "objective links")),
    SheetSpec("metrics", "Metrics", (
        C("key", required=True, example="M1", note="unique key of the metric",
          synonyms=("id", "metric key", "kr key")),
        C("name", required=True, example="Net revenue retention",
          synonyms=("metric", "kpi", "key result")),
        C("kind", choices=MetricKind, example="key_result"),
        C("unit", required=True, example="%"),
        C("direction", required=True, choices=Direction, example="increase_to"),
        C("baseline_value", "number", True, 98, synonyms=("baseline", "start value")),
        C("baseline_date", "date", True, "2026-01-01"),
        C("target_value", "number", True, 110, synonyms=("target", "goal")),
        C("target_date", "date", True, "2026-12-31", synonyms=("due", "deadline")),
        C("tolerance", "number", example=0.05, note="band around plan that is still on plan"),
        C("tolerance_mode", choices=ToleranceMode, example="relative"),
        C("indicator", choices=IndicatorType, example="lagging"),
        C("cadence", choices=Cadence, example="monthly", synonyms=("frequency",)),
        C("owner", required=True, example="ada@acme.example", note=PERSON),
        C("description", example=""),
    ), "KPIs and key results with baseline and target; plans and check-ins on their sheets.",
        ("kpis", "key results", "krs")),
    SheetSpec("metric_objectives", "Metric objectives", (
        C("metric", required=True, example="M1", note="key of the metric"),
        C("objective", required=True, example="O1", note="key of the objective it measures"),
        C("weight", "number", example=1, note="contribution weight > 0 (default 1)"),
    ), "Which objectives each metric measures, with a weight.", ("measures",)),
    SheetSpec("plan_points", "Plan", (
        C("metric", required=True, example="M1", note="key of the metric"),
        C("on", "date", True, "2026-06-30", synonyms=("date", "as of", "period")),
        C("value", "number", True, 104, synonyms=("plan", "planned value")),
    ), "Explicit plan values of a metric (without any, the plan is linear).",
        ("plan", "plans", "metric plan")),
    SheetSpec("measurements", "Measurements", (
        C("metric", required=True, example="M1", note="key of the metric",
          synonyms=("kpi", "metric key")),
        C("as_of", "date", True, "2026-03-31", synonyms=("date", "period", "as of date")),
        C("value", "number", True, 99.5, synonyms=("actual", "actual value")),
        C("note", example="", synonyms=("comment",)),
        C("evidence_url", example="", synonyms=("evidence", "link")),
        C("confidence", "number", example="", note="0 to 1"),
    ), "Check-ins: a value as of a date (history before the baseline is accepted).",
        ("checkins", "check-ins", "actuals", "values")),
    SheetSpec("initiatives", "Initiatives", (
        C("key", required=True, example="I1", note="unique key of the initiative",
          synonyms=("id", "initiative key", "project key")),
        C("name", required=True, example="Self-service onboarding",
          synonyms=("initiative", "project", "title")),
        C("kind", choices=InitiativeKind, example="project", synonyms=("type",)),
        C("stage", choices=StageGate, example="defined"),
        C("owner", example="ada@acme.example", note=PERSON),
        C("sponsor", example="", note=PERSON),
        C("controller", example="", note=PERSON),
        C("org_unit", example="ACME", note="code of the unit"),
        C("start_date", "date", example="2026-02-01", synonyms=("start",)),
        C("due_date", "date", example="2026-09-30", synonyms=("due", "end", "end date")),
        C("metrics", "list", example="M1", note="keys of the metrics it should move, "
                                                "separated by ;"),
        C("description", example=""),
    ), "Programs, projects and cost measures.", ("projects", "programs")),
    SheetSpec("milestones", "Milestones", (
        C("key", required=True, example="I1-M1", note="unique key of the milestone",
          synonyms=("id", "milestone key", "external ref")),
        C("initiative", required=True, example="I1", note="key of the initiative"),
        C("name", required=True, example="Pilot live", synonyms=("milestone", "title")),
        C("owner", example="", note=PERSON),
        C("due_date", "date", True, "2026-05-31", synonyms=("due", "date")),
        C("forecast_date", "date", example="", synonyms=("forecast",)),
        C("duration_days", "integer", example=1, synonyms=("duration",)),
        C("completed_on", "date", example="", synonyms=("done", "completed")),
        C("evidence_url", example=""),
    ), "Dated deliverables of an initiative.", ("deliverables",)),
    SheetSpec("dependencies", "Dependencies", (
        C("provider", required=True, example="I1-M1",
          note="key of the milestone or initiative that delivers",
          synonyms=("from", "blocks", "predecessor")),
        C("consumer", required=True, example="I1-M2",
          note="key of the milestone or initiative that needs it",
          synonyms=("to", "blocked by", "successor")),
        C("dep_type", choices=DepType, example="FS", synonyms=("type",)),
        C("lag_days", "integer", example=0, synonyms=("lag",)),
        C("need_date", "date", example=""),
        C("committed_date", "date", example=""),
        C("note", example=""),
    ), "Provider → consumer between milestones or initiatives (a cycle is refused).",
        ("links", "issue links")),
    SheetSpec("budget_lines", "Budget lines", (
        C("code", required=True, example="CC100-6000", synonyms=("budget line", "account")),
        C("name", required=True, example="Onboarding team"),
        C("kind", choices=BudgetKind, example="opex"),
        C("currency", example="EUR"),
        C("org_unit", example="ACME", note="code of the unit"),
        C("initiative", example="I1", note="key of the initiative it funds"),
        C("controller", example="", note=PERSON),
    ), "Lines of the budget (cost centre × account).", ("budget",)),
    SheetSpec("budget_plans", "Budget plan", (
        C("budget_line", required=True, example="CC100-6000", note="code of the budget line"),
        C("period", "date", True, "2026-03-01", note="first day of the month"),
        C("amount", "number", True, 25000),
    ), "Planned amount of a budget line per month.", ("budget plan", "plan amounts")),
    SheetSpec("ledger", "Ledger", (
        C("budget_line", required=True, example="CC100-6000", note="code of the budget line"),
        C("period", "date", True, "2026-03-01", note="first day of the month"),
        C("amount", "number", True, 23750.5, synonyms=("actual", "value")),
        C("posted_on", "date", True, "2026-04-03", synonyms=("posting date", "posted")),
        C("reference", example="INV-0001", synonyms=("document", "voucher")),
    ), "Actuals posted by finance (append-only).", ("actuals", "ledger entries", "gl")),
)

BY_NAME = {s.name: s for s in SHEETS}


def norm(text: str) -> str:
    """'Due Date ' → 'due_date', 'E-Mail' → 'e_mail': how headers and sheet names compare."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def sheet_named(title: str) -> SheetSpec | None:
    n = norm(title)
    for s in SHEETS:
        if n in {norm(s.name), norm(s.title), *(norm(x) for x in s.synonyms)}:
            return s
    return None


def column_named(spec: SheetSpec, header: str) -> Column | None:
    n = norm(header)
    for c in spec.columns:
        if n in {norm(c.name), *(norm(x) for x in c.synonyms)}:
            return c
    return None

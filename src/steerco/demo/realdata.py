"""A second workspace, `real`, built only from published data through the importers.

Nothing in it is generated: every row comes from `../shared/data` (see its README for
sources and licences) and enters through `steerco.transfer`, the pipeline behind
`steerco import`:

- **Sourcegraph's OKRs** (CY19-Q3 and Q4, `okrs/`) through the OKR importer
  (`steerco import okrs`): objectives, key results, owners by team, and the
  end-of-quarter notes as final check-ins where a value can be read.
- **Four real KPI series** (`kpis/`) as metric histories through the measurements sheet:
  each hangs off an objective of its own. Its target year is the series' last twelve
  months (four quarters for the quarterly one); the plan for each month of that year is
  the same month a year before grown by the median year-over-year growth of every year
  before the target year, and the target is the plan of the last month. So the plan
  and target come from the series' own history, never from its target year, and the
  engine's status (achieved or missed: the target day has passed) says whether the
  last year kept to the series' own trend. A history whose median growth is not
  positive gets "stay at or above" last year's level instead of "increase to".
- **Apache issue links** (`issuelinks/apache_issuelink_30.csv`, with due dates from
  `apache_due.csv` where the issue has one) as rows of the initiatives, milestones and
  dependencies sheets: one initiative per Apache project, a milestone per issue, the
  blocking links ("blocks", "is blocked by", "depends upon", "is depended upon by", as in
  `bench.issuelinks`) as provider → consumer dependencies. They go through the pipeline
  as a connector's sync does: a link that would close a cycle is refused with its path
  and left out, the rest is written.

`load_real` is idempotent: a second run finds the workspace and does nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.org.repository import PersonRepository, WorkspaceRepository
from steerco.org.service import create_workspace
from steerco.transfer.okrs import parse, to_book
from steerco.transfer.pipeline import stage
from steerco.transfer.read import Book, Table
from steerco.transfer.report import Report
from steerco.transfer.spec import BY_NAME

SLUG = "real"
NAME = "Real published data"
DOMAIN = "okrs.example"
KPI_UNIT = "KPI"
KPI_OWNER = "kpi-desk@realdata.example"
APACHE_UNIT = "APACHE"
APACHE_OWNER = "apache-links@realdata.example"


@dataclass(frozen=True)
class Series:
    """One published series: where it is, how its rows are dated, what it measures."""

    key: str
    file: str
    column: str
    name: str
    unit: str
    objective: str
    source: str
    #: months between two observations (1 monthly, 3 quarterly)
    step: int = 1
    #: the first period when the file does not date its rows
    first: dt.date | None = None


SERIES = (
    Series("KPI-WINE", "pmdarima_wineind.csv", "value",
           "Australian wine sales (bottles up to 1 litre)", "units",
           "Grow Australian wine sales in the year to {end}",
           "pmdarima 2.1.1 `wineind` (Australian total wine sales by wine makers, "
           "Jan 1980 – Aug 1994)"),
    Series("KPI-BEER", "pmdarima_ausbeer.csv", "value",
           "Australian beer production (quarterly)", "megalitres",
           "Keep Australian beer production growing in the year to {end}",
           "pmdarima 2.1.1 `ausbeer` (quarterly Australian beer production; the file is "
           "undated, its documentation starts it in 1956 Q1)", step=3,
           first=dt.date(1956, 1, 1)),
    Series("KPI-ELEC", "statsmodels_elec_equip.csv", "STS.M.I7.W.TOVT.NS0016.4.000",
           "Euro area electrical equipment new orders (index)", "index",
           "Grow new orders for electrical equipment in the year to {end}",
           "statsmodels 0.15.0 `elec_equip` (ECB series STS.M.I7.W.TOVT.NS0016.4.000)"),
    Series("KPI-JOBS", "vega_us_employment.csv", "nonfarm",
           "US nonfarm employment (thousands of jobs)", "thousand jobs",
           "Grow US nonfarm employment in the year to {end}",
           "vega_datasets 0.9.0 `us-employment` (US Bureau of Labor Statistics, "
           "monthly, 2006–2015)"),
)

#: Apache link name → True when the row's issue comes first (as bench.issuelinks).
PRECEDENCE = {"blocks": True, "is depended upon by": True,
              "is blocked by": False, "depends upon": False}


@dataclass
class Loaded:
    """What `load_real` did, for the command line."""

    created: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def shared_data() -> Path | None:
    """`../shared/data` of the checkout (or STEERCO_SHARED_DATA), None when absent."""
    env = os.environ.get("STEERCO_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd().parent / "shared" / "data",
                   Path(__file__).resolve().parents[4] / "shared" / "data"]
    return next((p for p in candidates if (p / "okrs").is_dir() and (p / "kpis").is_dir()),
                None)


def _months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _month_end(d: dt.date) -> dt.date:
    return _months(d, 1) - dt.timedelta(days=1)


def read_series(data: Path, s: Series) -> list[tuple[dt.date, float]]:
    """(the last day of each period, value) in file order, as the file has them."""
    out: list[tuple[dt.date, float]] = []
    with (data / "kpis" / s.file).open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        col = header.index(s.column)
        for i, row in enumerate(reader):
            label = row[0]
            if not row[col].strip():
                continue  # ausbeer's last period is empty in the file: no value, no row
            if s.first is not None:
                start = _months(s.first, i * s.step)
            elif label[:4].isdigit():
                start = dt.date.fromisoformat(label[:10])
            else:  # "Jan 1980"
                start = dt.datetime.strptime(label, "%b %Y").date()
            out.append((_month_end(_months(start, s.step - 1)), float(row[col])))
    return out


@dataclass(frozen=True)
class Plan:
    """A series' target year: its plan, derived from the years before it."""

    growth: float
    direction: str
    baseline: tuple[dt.date, float]
    points: list[tuple[dt.date, float]]

    @property
    def target(self) -> tuple[dt.date, float]:
        return self.points[-1]


def plan_of(values: list[tuple[dt.date, float]], step: int) -> Plan:
    """The plan of the last year: each period a year before × (1 + median YoY growth of
    every period before the target year)."""
    per_year = 12 // step
    v = np.array([x for _, x in values])
    history = v[:-per_year]
    yoy = history[per_year:] / history[:-per_year] - 1.0
    growth = float(np.median(yoy))
    g = max(growth, 0.0)
    points = [(values[i][0], round(float(v[i - per_year]) * (1.0 + g), 2))
              for i in range(len(v) - per_year, len(v))]
    # The baseline is where the last target period stood a year before.
    base_at = len(v) - 1 - per_year
    baseline = (values[base_at][0], float(v[base_at]))
    direction = "increase_to" if g > 0 else "stay_at_or_above"
    return Plan(growth, direction, baseline, points)


def _table(book: Book, name: str) -> Table:
    t = book.tables.get(name)
    if t is None:
        t = book.tables[name] = Table(BY_NAME[name], BY_NAME[name].title)
    return t


def _add(book: Book, name: str, row: dict[str, Any]) -> None:
    t = _table(book, name)
    t.rows.append((len(t.rows) + 2, {k: v for k, v in row.items() if v is not None}))


def kpi_book(data: Path) -> tuple[Book, list[str]]:
    """The KPI series as sheets: a unit and its owner, an objective per series, the
    metric with its derived plan, and every observation as a measurement."""
    book, told = Book(), []
    _add(book, "org_units", {"code": KPI_UNIT, "name": "Published KPI series",
                             "kind": "department"})
    _add(book, "people", {"email": KPI_OWNER, "name": "KPI desk",
                          "title": "keeps the published KPI series", "org_unit": KPI_UNIT})
    _add(book, "themes", {"key": "T-KPI", "name": "Real KPI series against their own trend",
                          "owner": KPI_OWNER})
    for s in SERIES:
        values = read_series(data, s)
        plan = plan_of(values, s.step)
        end, target = plan.target
        start = _months(plan.points[0][0].replace(day=1), -(s.step - 1))
        okey = f"O-{s.key}"
        _add(book, "objectives", {
            "key": okey, "title": s.objective.format(end=end.strftime("%b %Y")),
            "description": f"Source: {s.source}. Target year {start:%b %Y} – {end:%b %Y}.",
            "period_start": start, "period_end": end, "level": "department",
            "perspective": "financial" if s.unit != "thousand jobs" else "customer",
            "owner": KPI_OWNER, "org_unit": KPI_UNIT, "theme": "T-KPI"})
        how = (f"each period's plan is the same period a year before × (1 + "
               f"{plan.growth:+.1%}), the median year-over-year growth of "
               f"{values[0][0]:%b %Y} – {plan.baseline[0]:%b %Y}")
        if plan.direction != "increase_to":
            how += "; that growth is not positive, so the aim is to hold last year's level"
        _add(book, "metrics", {
            "key": s.key, "name": s.name, "kind": "kpi", "unit": s.unit,
            "direction": plan.direction, "baseline_value": plan.baseline[1],
            "baseline_date": plan.baseline[0], "target_value": target, "target_date": end,
            "tolerance": 0.05, "tolerance_mode": "relative", "indicator": "lagging",
            "cadence": "quarterly" if s.step == 3 else "monthly", "owner": KPI_OWNER,
            "description": f"{s.source}. Plan and target derived from its own history: "
                           f"{how}."})
        _add(book, "metric_objectives", {"metric": s.key, "objective": okey})
        for on, value in plan.points:
            _add(book, "plan_points", {"metric": s.key, "on": on, "value": value})
        for on, value in values:
            _add(book, "measurements", {"metric": s.key, "as_of": on, "value": value})
        told.append(f"{s.name}: target {target:,.2f} {s.unit} by {end} "
                    f"(median growth {plan.growth:+.1%} before {plan.baseline[0]:%b %Y})")
    return book, told


def links_sheets(data: Path) -> dict[str, list[dict[str, Any]]]:
    """Initiatives (one per Apache project), milestones (one per linked issue) and the
    blocking links as dependencies, from the issue-link CSV; dated from apache_due.csv."""
    folder = data / "issuelinks"
    pairs: dict[tuple[str, str], str] = {}
    with (folder / "apache_issuelink_30.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            first = PRECEDENCE.get(row["name"])
            if first is None:
                continue
            a, b = row["issuekey"], row["linkedIssueKey"]
            pairs.setdefault((a, b) if first else (b, a), row["name"])
    due: dict[str, tuple[dt.date, dt.date]] = {}
    last = dt.date(2000, 1, 1)
    with (folder / "apache_due.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            opened = dt.datetime.strptime(row["openeddate"], "%Y-%m-%d %H:%M:%S").date()
            day = opened + dt.timedelta(days=int(float(row["ProgressTime"])) +
                                        int(float(row["RemainingDay"])))
            finish = day + dt.timedelta(days=int(float(row["delaydays"])))
            due[row["issuekey"]] = (day, finish)
            last = max(last, finish)
    keys = sorted({k for p in pairs for k in p})
    projects = sorted({k.rsplit("-", 1)[0] for k in keys})
    milestones: list[dict[str, Any]] = []
    spans: dict[str, list[dt.date]] = {}
    for k in keys:
        day, finish = due.get(k, (last, last))
        spans.setdefault(f"apache:{k.rsplit('-', 1)[0]}", []).append(day)
        milestones.append({
            "key": k, "initiative": f"apache:{k.rsplit('-', 1)[0]}", "name": f"Issue {k}",
            "owner": APACHE_OWNER, "due_date": day, "completed_on": finish,
            "evidence_url": f"https://issues.apache.org/jira/browse/{k}"})
    initiatives = [{"key": f"apache:{p}", "name": f"Apache {p}", "kind": "project",
                    "owner": APACHE_OWNER, "org_unit": APACHE_UNIT,
                    "start_date": min(spans[f"apache:{p}"]),
                    "due_date": max(spans[f"apache:{p}"]),
                    "description": "The linked issues of this Apache project in "
                                   "SEAnalytics/datasets (apache_issuelink_30.csv)."}
                   for p in projects]
    dependencies = [{"provider": a, "consumer": b, "dep_type": "FS",
                     "note": f"Apache issue link: {name}"} for (a, b), name in pairs.items()]
    return {"initiatives": initiatives, "milestones": milestones,
            "dependencies": dependencies}


def _book(sheets: dict[str, list[dict[str, Any]]]) -> Book:
    book = Book()
    for name, rows in sheets.items():
        for r in rows:
            _add(book, name, r)
    return book


def load_real(engine: Engine, data: Path) -> Loaded:
    """Create the `real` workspace from `data` unless it exists: every file staged through
    the pipeline in one transaction, committed only when the OKRs and KPIs came in whole
    (a link closing a cycle is the one refusal allowed: it is left out and reported)."""
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "cli:real-data"
        if WorkspaceRepository(s).by_slug(SLUG) is not None:
            return Loaded(created=False)
        ws = create_workspace(s, {"slug": SLUG, "name": NAME}).id
        result = Loaded(created=True)
        # The KPI series first: lists in id order then open on metrics with history
        # rather than on the many key results whose notes state no value.
        kpis, result.targets = kpi_book(data)
        _merge(result, _checked(stage(s, ws, kpis), "kpis"))
        for quarter in ("q3", "q4"):
            path = data / "okrs" / f"sourcegraph_2019_{quarter}.md"
            book = to_book(parse(path.read_text(encoding="utf-8"), path.name), DOMAIN)
            _merge(result, _checked(stage(s, ws, book), path.name))
        owner = Book()
        _add(owner, "org_units", {"code": APACHE_UNIT, "name": "Apache projects (issue links)",
                                  "kind": "department"})
        _add(owner, "people", {"email": APACHE_OWNER, "name": "Apache issue links",
                               "title": "owner of the imported Apache issues",
                               "org_unit": APACHE_UNIT})
        _merge(result, _checked(stage(s, ws, owner), "apache owner"))
        report = stage(s, ws, _book(links_sheets(data)))
        result.refused = [f"{p.sheet} row {p.row}: {p.reason}" for p in report.problems]
        if any("cycle" not in p.reason for p in report.problems):
            _checked(report, "apache_issuelink_30.csv")
        _merge(result, report)
        _close_projects(s, ws)
        result.logins = _logins(s, ws)
    return result


def _close_projects(session: Session, ws: int) -> None:
    """Every milestone of an Apache project is done (see `links_sheets`), so is the
    project; the links file is its whole dependency list, so that is declared."""
    from steerco.initiatives.service import declare_dependencies, update_initiative
    from steerco.kit.clock import today
    from steerco.transfer.context import Ctx

    keys = Ctx.load(session, ws, today()).keys["initiative"]
    for key, ini in keys.items():
        if key.startswith("apache:"):
            update_initiative(session, ws, ini, {"percent_complete": 1.0})
            declare_dependencies(session, ws, ini)


#: Who to log in as (password DEMO_PASSWORD): people the files themselves name.
LOGINS = (("ceo@okrs.example", ("strategy_office", "admin")),
          (KPI_OWNER, ("owner",)))


def _logins(session: Session, ws: int) -> list[tuple[str, str, str]]:
    from steerco.accounts.demo import DEMO_PASSWORD
    from steerco.accounts.service import add_grant, set_credential

    out = []
    for email, roles in LOGINS:
        person = PersonRepository(session, ws).by_email(email)
        assert person is not None, email
        cred = set_credential(session, ws, person.id,
                              {"login": email, "password": DEMO_PASSWORD})
        cred.demo = True  # listed like the demo's logins (and only these)
        for role in roles:
            add_grant(session, ws, {"person_id": person.id, "role": role})
            out.append((email, person.name, role))
    return out


def _checked(report: Report, what: str) -> Report:
    if report.problems:
        first = "; ".join(f"{p.sheet} row {p.row} {p.column}: {p.reason}"
                          for p in report.problems[:3])
        raise RuntimeError(f"the real-data workspace: {what} was refused: {first}")
    return report


def _merge(result: Loaded, report: Report) -> None:
    for sheet, c in report.counts().items():
        into = result.counts.setdefault(sheet, {"create": 0, "update": 0, "unchanged": 0})
        for k, v in c.items():
            into[k] = into.get(k, 0) + v


__all__ = ["NAME", "SERIES", "SLUG", "Loaded", "kpi_book", "links_sheets", "load_real",
           "plan_of", "read_series", "shared_data"]

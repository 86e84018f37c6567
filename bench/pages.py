"""Server time per web page and form POST on the `l` demo: p95 vs a bare endpoint.

`python -m bench.pages [--quick] [--json] [--size s|m|l|xl] [--no-forms] [--forms a,b]`
(default size l, the size the target is for). Requests go in process through Starlette's
TestClient (no network), logged in as the strategy office; the peer is a FastAPI app
whose one endpoint returns a constant, timed the same way in the same run. Each page is
requested once to warm the caches (the engine's snapshot, findings and schedule), then
timed. Target: p95 ≤ 150 ms per page.

Then every authoring form is posted as a browser does (`forms`): its page is fetched
(untimed; an edit form once, then posted again with its row's next version), the form's
fields are read from the HTML as the browser would send them, one
field is changed (alternating between two values, or a fresh subject, so each post
really writes) and the POST round trip is timed up to its answer (a 303 to the page that
shows the change). The forms write into a copy of the demo database
(`bench/.data/forms_<size>.db`, made afresh each run), so the page figures and later runs
see the demo unchanged; the bench login also holds the admin role there. Target: p95 ≤
150 ms per form. `cpu_ms` is this process's CPU time per request (all threads: the
app's background refreshes count too); `load_avg` is the 1-minute load average.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bench._common import run
from bench.demo_db import DATA, sqlite_demo
from steerco.accounts import service as accounts
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.models import (
    BudgetLine,
    Credential,
    Dependency,
    Initiative,
    Measurement,
    Metric,
    MetricObjective,
    Milestone,
    Objective,
    OrgUnit,
    Person,
    RoleGrant,
    Rule,
    Theme,
)
from steerco.governance.service import open_escalation
from steerco.web.app import create_app
from steerco.web.ui import mount_ui

LOGIN, PASSWORD = "bench-office@demo.example", "bench-password-1"
TARGET_MS = 150.0
#: Posts of each form whose redirect target is also fetched and timed.
AFTER_SAMPLES = 3


def _user(engine: Any, ws: int) -> dict[str, int]:
    """A strategy-office login, and the entities the detail pages show."""
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "bench"
        person = s.scalar(select(Metric.owner_id).where(Metric.workspace_id == ws).group_by(
            Metric.owner_id).order_by(func.count().desc()).limit(1))
        if s.scalar(select(Credential.id).where(Credential.login == LOGIN)) is None:
            accounts.set_credential(s, ws, person, {"login": LOGIN, "password": PASSWORD})
        if s.scalar(select(RoleGrant.id).where(RoleGrant.person_id == person,
                                               RoleGrant.workspace_id == ws)) is None:
            accounts.add_grant(s, ws, {"person_id": person, "role": "strategy_office"})
        objective = s.scalar(select(MetricObjective.objective_id).join(
            Objective, Objective.id == MetricObjective.objective_id).where(
            Objective.workspace_id == ws, Objective.level == "company").group_by(
            MetricObjective.objective_id).order_by(func.count().desc()).limit(1))
        metric = s.scalar(select(Metric.id).where(Metric.workspace_id == ws).limit(1))
        initiative = s.scalar(select(Milestone.initiative_id).join(
            Dependency, Dependency.provider_milestone_id == Milestone.id).where(
            Milestone.workspace_id == ws).group_by(Milestone.initiative_id).order_by(
            func.count().desc()).limit(1)) or s.scalar(select(Initiative.id).limit(1))
        unit = s.scalar(select(OrgUnit.id).where(OrgUnit.workspace_id == ws,
                                                 OrgUnit.parent_id.is_(None)))
        bu = s.scalar(select(OrgUnit.id).where(OrgUnit.workspace_id == ws,
                                               OrgUnit.kind == "business_unit"))
    return {"objective": int(objective or 0), "metric": int(metric or 0),
            "initiative": int(initiative or 0), "unit": int(unit or 0), "bu": int(bu or 0)}


def _pages(k: dict[str, int]) -> dict[str, str]:
    return {
        "my_work": "/my-work", "cockpit": "/cockpit",
        "cockpit_unit": f"/cockpit?unit=org_{k['bu']}", "objectives": "/objectives",
        "objectives_filtered": "/objectives?status=off_track&page=3",
        "objective": f"/objectives/obj_{k['objective']}", "metrics": "/metrics?page=40",
        "metric": f"/metrics/met_{k['metric']}", "initiatives": "/initiatives?page=20",
        "initiative": f"/initiatives/ini_{k['initiative']}",
        "explorer": f"/explorer?initiative=ini_{k['initiative']}",
        "explorer_unit": f"/explorer?unit=org_{k['bu']}", "findings": "/findings?page=30",
        "findings_kind": "/findings?kind=broken_dependency", "units": "/units?page=5",
        "unit": f"/units/org_{k['unit']}", "admin_people": "/admin/people?page=10",
        "admin_tokens": "/admin/tokens",
        "findings_new": "/findings", "findings_by_subject": "/findings?view=all&group=subject",
        "escalations": "/escalations?who=all", "decisions": "/decisions",
    }


def _time(client: TestClient, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path, headers={"accept": "text/html"})
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{path} answered {r.status_code}")
    return out


def _p95(xs: list[float]) -> float:
    return round(float(np.percentile(xs, 95)), 1)


def _figures(xs: list[float], cpu_s: float) -> dict[str, float]:
    return {"p95_ms": _p95(xs), "median_ms": round(float(np.median(xs)), 1),
            "cpu_ms": round(cpu_s * 1000 / len(xs), 1)}


# --- forms ---------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """The POST forms of a page with the fields a browser would submit (stdlib parser:
    the pages are our own, well-formed HTML)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""),
                          "method": a.get("method", "get").lower(), "fields": {},
                          "options": {}}
            self.forms.append(self._form)
            return
        f, name = self._form, a.get("name")
        if f is None or not name:
            if tag == "option" and f is not None and self._select:
                self._option(f, a)
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    f["fields"][name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file", "reset", "image"):
                f["fields"].setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select = name
            f["options"][name] = []
        elif tag == "textarea":
            self._textarea = name
            f["fields"][name] = ""

    def _option(self, f: dict[str, Any], a: dict[str, str]) -> None:
        assert self._select is not None
        f["options"][self._select].append(a.get("value", ""))
        if "selected" in a:
            f["fields"][self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        f = self._form
        if tag == "select" and f is not None and self._select:
            opts = f["options"][self._select]
            if self._select not in f["fields"] and opts:
                f["fields"][self._select] = opts[0]
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def post_forms(html: str) -> list[dict[str, Any]]:
    """[{action, fields, options}] of every method="post" form of a page."""
    reader = _FormReader()
    reader.feed(html)
    return [f for f in reader.forms if f["method"] == "post"]


Change = Callable[[dict[str, str], int], dict[str, str]]


def toggle(field: str, suffix: str = " (bench)") -> Change:
    """Alternate a text field between its first value and that value with `suffix`."""
    first: dict[str, str] = {}

    def change(fields: dict[str, str], i: int) -> dict[str, str]:
        base = first.setdefault(field, fields.get(field, "").removesuffix(suffix))
        return {field: base + suffix if i % 2 == 0 else base}
    return change


def toggle_number(field: str, step: float = 1.0) -> Change:
    """Alternate a number field between its first value and that value + `step`."""
    first: dict[str, float] = {}

    def change(fields: dict[str, str], i: int) -> dict[str, str]:
        base = first.setdefault(field, float(fields.get(field) or 0))
        v = base + step if i % 2 == 0 else base
        return {field: f"{v:g}"}
    return change


def fixed(**values: str) -> Change:
    return lambda _fields, _i: dict(values)


def both(*changes: Change) -> Change:
    def change(fields: dict[str, str], i: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in changes:
            out.update(c(fields, i))
        return out
    return change


@dataclass
class FormCase:
    """One authoring form: the page that holds it, its action, what each post changes."""

    name: str
    page: Callable[[int], str]
    action: Callable[[int], str]
    change: Change
    #: Field values that pick the form among several with the same action.
    which: dict[str, str] | None = None
    #: Picks among the matching forms (default: the first).
    pick: Callable[[list[dict[str, Any]], int], dict[str, Any]] | None = None
    #: The form shows what the previous post saved (an edit form): checked, so a post
    #: that answered 303 without writing cannot pass for a fast one.
    echo: bool = True
    #: Fetch the page before every post (each post has another subject). Otherwise the
    #: page is read once and its form posted again with the row's next version (an edit
    #: page shows the engine's view, which an edit to its model rebuilds: seconds on `l`
    #: per fetch), and read again after the last post to check what it shows.
    refetch: bool = False


def _copy_demo(engine: Any, size: str) -> Any:
    """A fresh copy of the demo database for the forms to write into."""
    target = DATA / f"forms_{size}.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{target}{suffix}"):
            os.remove(f"{target}{suffix}")
    src_path = engine.url.database
    with sqlite3.connect(src_path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return make_engine(f"sqlite:///{target}")


def _form_keys(engine: Any, ws: int, keys: dict[str, int], n: int) -> dict[str, Any]:
    """Entities the forms edit, an admin grant for the bench login, and `n` escalations
    assigned to it to decide (in the copy)."""
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "bench"
        me = s.scalar(select(Credential.person_id).where(Credential.login == LOGIN))
        if s.scalar(select(RoleGrant.id).where(RoleGrant.person_id == me,
                                               RoleGrant.role == "admin")) is None:
            accounts.add_grant(s, ws, {"person_id": me, "role": "admin"})
        metrics = s.scalars(select(Metric.id).where(Metric.workspace_id == ws).where(
            Metric.id.in_(select(Measurement.metric_id))).order_by(Metric.id).limit(3)).all()
        out: dict[str, Any] = {
            **keys, "checkin": metrics[0], "correct": metrics[1], "void": metrics[2],
            "milestone": s.scalar(select(Milestone.id).where(
                Milestone.initiative_id == keys["initiative"]).order_by(Milestone.id)),
            "dependency": s.scalar(select(Dependency.id).where(
                Dependency.workspace_id == ws).order_by(Dependency.id)),
            "budget_line": s.scalar(select(BudgetLine.id).where(
                BudgetLine.workspace_id == ws).order_by(BudgetLine.id)),
            "person": s.scalar(select(Person.id).where(Person.workspace_id == ws,
                                                       Person.id != me).order_by(Person.id)),
            "department": s.scalar(select(OrgUnit.id).where(
                OrgUnit.workspace_id == ws, OrgUnit.kind == "department").order_by(
                OrgUnit.id)),
            "theme": s.scalar(select(Theme.id).where(Theme.workspace_id == ws).order_by(
                Theme.id)),
            "rule": s.scalar(select(Rule.id).where(Rule.workspace_id == ws).order_by(
                Rule.id)),
        }
        out["escalations"] = [open_escalation(
            s, ws, signal_kind="stale_metric", subject_kind="metric",
            subject_id=int(metrics[0]), summary=f"Bench escalation {i + 1}",
            assignee_id=me).id for i in range(n + 1)]
        s.flush()
    return out


def _live_row(engine: Any, metric: int) -> int:
    """The newest measurement of `metric` that no row supersedes and is no void."""
    with make_sessionmaker(engine)() as s:
        m = Measurement
        later = select(m.supersedes_id).where(m.metric_id == metric,
                                              m.supersedes_id.is_not(None))
        return int(s.scalar(select(m.id).where(
            m.metric_id == metric, m.void.is_(False), m.id.not_in(later)).order_by(
            m.id.desc()).limit(1)) or 0)


def _first_unused(used: set[str]) -> Callable[[list[dict[str, Any]], int], dict[str, Any]]:
    def pick(forms: list[dict[str, Any]], _i: int) -> dict[str, Any]:
        for f in forms:
            if f["fields"].get("finding_key") not in used:
                used.add(f["fields"].get("finding_key", ""))
                return f
        raise SystemExit("no finding left to triage on the findings page")
    return pick


def form_cases(engine: Any, k: dict[str, Any]) -> list[FormCase]:
    obj, met, ini = f"obj_{k['objective']}", f"met_{k['metric']}", f"ini_{k['initiative']}"
    esc = k["escalations"]
    today = time.strftime("%Y-%m-%d")

    def correct(_i: int) -> str:
        return f"/metrics/met_{k['correct']}/corrections/mea_{_live_row(engine, k['correct'])}"

    def void(_i: int) -> str:
        return f"/metrics/met_{k['void']}/voids/mea_{_live_row(engine, k['void'])}"

    def same(path: str) -> Callable[[int], str]:
        return lambda _i: path

    return [
        FormCase("objective_create", same("/objectives/new"), same("/objectives/new"),
                 lambda _f, i: {"title": f"Bench objective {i + 1}", "level": "team"},
                 echo=False),
        FormCase("objective_edit", same(f"/objectives/{obj}/edit"),
                 same(f"/objectives/{obj}/edit"), toggle("title")),
        FormCase("metric_edit", same(f"/metrics/{met}/edit"), same(f"/metrics/{met}/edit"),
                 toggle("name")),
        FormCase("plan_save", same(f"/metrics/{met}/edit"), same(f"/metrics/{met}/plan"),
                 toggle_number("value")),
        FormCase("check_in", same(f"/metrics/met_{k['checkin']}"),
                 same(f"/metrics/met_{k['checkin']}/checkin"),
                 lambda f, i: {"as_of": today, "value": str(_last_value(
                     engine, k["checkin"]) * (1.01 if i % 2 == 0 else 1.0))}, echo=False),
        FormCase("correction", correct, correct,
                 both(toggle_number("value", 0.5), fixed(reason="bench correction")),
                 echo=False, refetch=True),
        FormCase("void", void, void, fixed(reason="bench void"), echo=False,
                 refetch=True),
        FormCase("initiative_edit", same(f"/initiatives/{ini}/edit"),
                 same(f"/initiatives/{ini}/edit"), toggle("description", "bench")),
        FormCase("milestone_add", same(f"/initiatives/{ini}/edit"),
                 same(f"/initiatives/{ini}/milestones"),
                 lambda f, i: {"ms_name": f"Bench milestone {i + 1}", "ms_due": today},
                 echo=False),
        FormCase("milestone_edit", same(f"/milestones/mil_{k['milestone']}/edit"),
                 same(f"/milestones/mil_{k['milestone']}/edit"), toggle("name")),
        FormCase("dependency_edit", same(f"/dependencies/dep_{k['dependency']}/edit"),
                 same(f"/dependencies/dep_{k['dependency']}/edit"),
                 toggle_number("dep_lag")),
        FormCase("ledger_actual", same(f"/finance/bud_{k['budget_line']}"),
                 same(f"/finance/bud_{k['budget_line']}/actuals"),
                 lambda f, i: {"amount": str(100 + i), "posted_on": today,
                                "reference": f"bench {i + 1}"}, echo=False),
        FormCase("admin_person", same(f"/admin/people/per_{k['person']}/edit"),
                 same(f"/admin/people/per_{k['person']}/edit"), toggle("name")),
        FormCase("admin_unit", same(f"/admin/units/org_{k['department']}/edit"),
                 same(f"/admin/units/org_{k['department']}/edit"), toggle("name")),
        FormCase("admin_theme", same(f"/admin/themes/thm_{k['theme']}/edit"),
                 same(f"/admin/themes/thm_{k['theme']}/edit"), toggle("name")),
        FormCase("admin_rule", same(f"/admin/rules/rul_{k['rule']}/edit"),
                 same(f"/admin/rules/rul_{k['rule']}/edit"), toggle("name")),
        FormCase("admin_settings", same("/admin/workspace"), same("/admin/workspace"),
                 toggle("name")),
        FormCase("escalation_decision", lambda i: f"/escalations/esc_{esc[i]}",
                 lambda i: f"/escalations/esc_{esc[i]}/decide",
                 fixed(kind="accept_risk", rationale="bench: the risk is accepted"),
                 echo=False, refetch=True),
        FormCase("finding_triage", same("/findings"), same("/findings/triage"),
                 fixed(), which={"action": "acknowledge"}, pick=_first_unused(set()),
                 echo=False, refetch=True),
    ]


def _last_value(engine: Any, metric: int) -> float:
    with make_sessionmaker(engine)() as s:
        return float(s.scalar(select(Measurement.value).where(
            Measurement.metric_id == metric, Measurement.void.is_(False)).order_by(
            Measurement.id.desc()).limit(1)) or 1.0)


def _form(client: TestClient, case: FormCase, i: int) -> dict[str, Any]:
    page = client.get(case.page(i), headers={"accept": "text/html"})
    if page.status_code != 200:
        raise SystemExit(f"{case.name}: {case.page(i)} answered {page.status_code}")
    action = case.action(i)
    forms = [f for f in post_forms(page.text) if f["action"] == action and all(
        f["fields"].get(a) == b for a, b in (case.which or {}).items())]
    if not forms:
        raise SystemExit(f"{case.name}: no form posting to {action} on {case.page(i)}")
    return case.pick(forms, i) if case.pick else forms[0]


def _shows(case: FormCase, form: dict[str, Any], sent: dict[str, str]) -> None:
    shown = {k: form["fields"].get(k) for k in sent}
    if any(shown[k] != v and _num(shown[k]) != _num(v) for k, v in sent.items()):
        raise SystemExit(f"{case.name}: the form shows {shown} after saving {sent}")


def time_form(client: TestClient, case: FormCase, n: int,
              ) -> tuple[list[float], float, list[float], float]:
    """POST round trips of one form (ms), the CPU seconds they took, the page the
    first `AFTER_SAMPLES` posts redirect to (ms: the fresh state the author sees next,
    where an edit to the engine's model is patched into its evaluation or rebuilds the
    findings, so only a few are timed) and the CPU seconds those pages took."""
    out: list[float] = []
    after: list[float] = []
    cpu = after_cpu = 0.0
    sent: dict[str, str] = {}
    form = _form(client, case, 0)
    for i in range(n):
        if case.refetch and i:
            form = _form(client, case, i)
        sent = case.change(form["fields"], i)
        data = {**form["fields"], **sent}
        action = case.action(i)
        c0, t0 = time.process_time(), time.perf_counter()
        r = client.post(action, data=data, headers={"accept": "text/html"},
                        follow_redirects=False)
        out.append((time.perf_counter() - t0) * 1000)
        cpu += time.process_time() - c0
        if r.status_code != 303:
            errors = re.findall(r'class="(?:error|field-error)[^"]*"[^>]*>([^<]+)<', r.text)
            raise SystemExit(f"{case.name}: POST {action} answered {r.status_code}: "
                             f"{errors or r.text[:300]} (sent {data})")
        if "version" in form["fields"]:  # the row's next version, as its page would say
            form["fields"]["version"] = str(int(form["fields"]["version"]) + 1)
        if i < AFTER_SAMPLES:
            c0 = time.process_time()
            after += _time(client, r.headers["location"], 1)
            after_cpu += time.process_time() - c0
    if case.echo:
        shown = _form(client, case, n - 1)
        _shows(case, shown, {**sent, **({"version": form["fields"]["version"]}
                                        if "version" in form["fields"] else {})})
    return out, cpu, after, after_cpu


def _num(text: str | None) -> float | None:
    try:
        return float(text or "")
    except ValueError:
        return None


def _login(client: TestClient) -> None:
    # The log-in form is CSRF-protected: post it as a browser does, with the page's token.
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None, "the log-in page has no csrf_token field"
    r = client.post("/login", data={"login": LOGIN, "password": PASSWORD,
                                    "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def forms_body(args: argparse.Namespace, engine: Any, ws: int, keys: dict[str, int],
               n: int) -> dict[str, Any]:
    """Every form's POST p95 on a copy of the demo."""
    copy = _copy_demo(engine, args.size)
    k = _form_keys(copy, ws, keys, n)
    app = create_app(copy)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app, warm=False)
    client = TestClient(app)
    _login(client)
    t0 = time.perf_counter()
    _time(client, "/cockpit", 1)  # build the copy's engine state and findings
    warm_s = time.perf_counter() - t0
    only = set(args.forms.split(",")) if args.forms else None
    forms: dict[str, Any] = {}
    for case in form_cases(copy, k):
        if only is not None and case.name not in only:
            continue
        xs, cpu, after, after_cpu = time_form(client, case, n)
        forms[case.name] = {"action": case.action(0), **_figures(xs, cpu),
                            "page_after_max_ms": round(max(after), 1),
                            "page_after_median_ms": round(float(np.median(after)), 1),
                            "page_after_cpu_ms": round(after_cpu * 1000 / len(after), 1)}
        print(f"  form {case.name}: p95 {forms[case.name]['p95_ms']} ms", file=sys.stderr)
    copy.dispose()
    worst = max(forms.items(), key=lambda kv: kv[1]["p95_ms"]) if forms else ("", {})
    return {"forms": forms, "forms_warm_up_s": round(warm_s, 2),
            "worst_form": worst[0], "worst_form_p95_ms": worst[1].get("p95_ms"),
            "forms_within_target": all(f["p95_ms"] <= TARGET_MS for f in forms.values())}


def _table(result: dict[str, Any]) -> str:
    """The human table: p95, median and CPU per page and per form against the target."""
    lines = [f"{'':24} {'p95 ms':>8} {'median':>8} {'cpu ms':>8}  (target p95 <= "
             f"{TARGET_MS:g} ms; load average {result['load_avg']})"]
    for group in ("pages", "forms"):
        for name, f in result.get(group, {}).items():
            flag = "" if f["p95_ms"] <= TARGET_MS else "  OVER"
            lines.append(f"{group[:-1]} {name:19} {f['p95_ms']:8.1f} {f['median_ms']:8.1f} "
                         f"{f['cpu_ms']:8.1f}{flag}")
    return "\n".join(lines)


def body(args: argparse.Namespace) -> dict[str, Any]:
    n = 8 if args.quick else 30
    engine, ws, _ = sqlite_demo(args.size)
    keys = _user(engine, ws)
    app = create_app(engine)
    if not any(getattr(r, "path", None) == "/login" for r in app.routes):
        mount_ui(app, warm=False)
    bare = FastAPI()

    @bare.get("/")
    def constant() -> dict[str, str]:
        return {"status": "ok"}

    client = TestClient(app)
    _login(client)
    load = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    for path in _pages(keys).values():  # warm the caches
        _time(client, path, 1)
    warm_s = time.perf_counter() - t0
    bare_client = TestClient(bare)
    _time(bare_client, "/", 20)
    bare_ms = _time(bare_client, "/", max(50, n * 5))
    pages: dict[str, Any] = {}
    if not args.forms:
        for name, path in _pages(keys).items():
            c0 = time.process_time()
            xs = _time(client, path, n)
            pages[name] = {"path": path, **_figures(xs, time.process_time() - c0)}
    worst: dict[str, Any] = max(pages.values(), key=lambda p: p["p95_ms"]) if pages \
        else {"path": "", "p95_ms": 0.0}
    bare_p95 = _p95(bare_ms)
    result: dict[str, Any] = {
        "demo": args.size, "requests_per_page": n, "warm_up_s": round(warm_s, 2),
        "pages": pages, "p95_ms": {k: v["p95_ms"] for k, v in pages.items()},
        "worst_page": worst["path"], "worst_p95_ms": worst["p95_ms"],
        "bare_p95_ms": bare_p95,
        "peer_ratio_worst": round(worst["p95_ms"] / max(bare_p95, 0.01), 1),
        "target_p95_ms": TARGET_MS, "all_within_target": worst["p95_ms"] <= TARGET_MS,
    }
    client.close()
    if not args.no_forms:
        result.update(forms_body(args, engine, ws, keys, n))
        result["all_within_target"] = (result["all_within_target"]
                                       and result["forms_within_target"])
    result["load_avg"] = {"start": load, "end": [round(x, 2) for x in os.getloadavg()]}
    print(_table(result), file=sys.stderr)
    return result


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", default="l", choices=["s", "m", "l", "xl"],
                   help="demo size (default l, the size the target is for)")
    p.add_argument("--no-forms", action="store_true", help="time the pages only")
    p.add_argument("--forms", default="",
                   help="time only these forms (comma-separated names), no pages")


if __name__ == "__main__":
    run("pages", body, "Server time per web page and form POST on a demo (p95) vs a bare "
        "endpoint.", _args)

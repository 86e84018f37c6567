"""The authorization matrix: every endpoint × every role × where the target sits.

ROUTES below is the one table. Each row names an endpoint, what it acts on, the status
of success, and which roles may succeed on a target in their own org-unit subtree
(`own`, where they also own the target) and in another subtree (`other`). Every role
below is granted on the `own` subtree only, except `ws_admin` (workspace-wide). All
other outcomes follow from the row: a role not allowed gets 403; a user of another
workspace gets `other_ws` (404 for anything addressed by id: no existence leaks);
anonymous requests and revoked tokens get 401 (`public` rows answer the same to all).
A route of the app without a row fails `test_every_route_has_a_row`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.web.api import PREFIX
from tests.api.conftest import Tenant, seed_tenant
from tests.api.targets import build

ALL = frozenset({"ws_admin", "admin", "strategy_office", "executive", "controller", "owner",
                 "viewer"})
BUT_VIEWER = ALL - {"viewer"}
MODEL = frozenset({"ws_admin", "admin", "strategy_office"})
FINANCE = frozenset({"ws_admin", "admin", "controller"})
ADMIN = frozenset({"ws_admin", "admin"})
WS = frozenset({"ws_admin"})
NONE: frozenset[str] = frozenset()
CONTROLLER = frozenset({"controller"})

Body = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    target: str
    ok: int
    own: frozenset[str]
    other: frozenset[str]
    other_ws: int = 404
    body: Body | None = None
    if_match: bool = False
    public: int | None = None
    upload: bool = False


def r(method: str, path: str, target: str, ok: int, own: frozenset[str],
      other: frozenset[str], **kw: Any) -> Row:
    return Row(method, path, target, ok, own, other, **kw)


METRIC_BODY: Body = lambda d: {  # noqa: E731
    "name": "New", "unit": "EUR", "direction": "increase_to", "baseline_value": 1.0,
    "baseline_date": "2026-01-01", "target_value": 2.0, "target_date": "2026-12-31",
    "owner_id": d["owner"]}

ROUTES: list[Row] = [
    # accounts and access
    r("POST", "/auth/login", "none", 401, ALL, ALL, other_ws=401, public=401,
      body=lambda d: {"login": f"nobody{d['n']}@x.example", "password": "wrong"}),
    r("POST", "/auth/logout", "none", 204, ALL, ALL, other_ws=204, public=204),
    r("GET", "/auth/session", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/auth/password", "none", 403, NONE, NONE, other_ws=403,
      body=lambda d: {"current_password": "x", "new_password": "0123456789ab"}),
    r("POST", "/auth/password-reset", "none", 202, ALL, ALL, other_ws=202, public=202,
      body=lambda d: {"login": f"nobody{d['n']}@x.example"}),
    r("POST", "/auth/password-reset/confirm", "none", 422, ALL, ALL, other_ws=422,
      public=422, body=lambda d: {"token": "nope", "new_password": "0123456789ab"}),
    r("GET", "/tokens", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/tokens", "none", 201, NONE, NONE, other_ws=403,
      body=lambda d: {"name": "x", "scopes": ["read"]}),
    # token management needs a session or an admin-scope token (the matrix's tokens are
    # write tokens; see test_token_management_needs_a_session_or_an_admin_scope_token)
    r("DELETE", "/tokens/{id}", "token", 204, NONE, NONE, other_ws=403),
    # your own notifications and preferences: anyone, about themselves only
    r("GET", "/me/notifications", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/me/notifications/read", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/me/notification-preferences", "none", 200, ALL, ALL, other_ws=200),
    r("PUT", "/me/notification-preferences", "none", 200, ALL, ALL, other_ws=200,
      body=lambda d: {"email": "digest"}),
    r("GET", "/grants", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/grants", "new_person", 201, ADMIN, WS, other_ws=422,
      body=lambda d: {"person_id": d["person"], "role": "viewer", "org_unit_id": d["unit"]}),
    r("DELETE", "/grants/{id}", "grant", 204, ADMIN, WS),
    r("PUT", "/people/{id}/credential", "person", 204, ADMIN, WS,
      body=lambda d: {"login": f"c{d['n']}@login.example", "password": "long enough pw"}),
    r("GET", "/audit/{id}", "objective", 200, ALL, ALL, other_ws=200),
    # org
    r("GET", "/workspace", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/export", "none", 200, ALL, ALL, other_ws=200),
    # imports of uploaded files write anywhere in the workspace: an admin or strategy
    # office grant for the whole workspace; the upload below is not a spreadsheet (422),
    # a queued check has no problems file yet (404) and cannot be applied (409)
    r("POST", "/imports", "none", 422, WS, WS, other_ws=422, upload=True),
    r("GET", "/imports/{id}", "import_upload", 200, WS, WS),
    r("GET", "/imports/{id}/problems.csv", "import_upload", 404, WS, WS),
    r("POST", "/imports/{id}/apply", "import_upload", 409, WS, WS),
    # the saved column mapping of import files: who may import may map (another
    # workspace reads and writes its own mapping, where that header is not saved)
    r("GET", "/import-mappings", "none", 200, WS, WS, other_ws=200),
    r("GET", "/import-mappings/{sheet}/{header:path}", "import_mapping", 200, WS, WS),
    r("PUT", "/import-mappings/{sheet}/{header:path}", "import_mapping", 200, WS, WS,
      other_ws=200, body=lambda d: {"column": "owner"}),
    r("DELETE", "/import-mappings/{sheet}/{header:path}", "import_mapping", 204, WS, WS),
    # (an unchanged value keeps version 1 for the next role's If-Match)
    r("PATCH", "/workspace", "none", 200, WS, WS, other_ws=200, if_match=True,
      body=lambda d: {"currency": "EUR"}),
    r("GET", "/org-units", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/org-units", "none", 201, ADMIN, WS, other_ws=422,
      body=lambda d: {"name": "Team", "kind": "team", "parent_id": d["unit"]}),
    r("GET", "/org-units/{id}", "org_unit", 200, ALL, ALL),
    r("PATCH", "/org-units/{id}", "org_unit", 200, ADMIN, WS, if_match=True,
      body=lambda d: {"name": "Renamed"}),
    r("GET", "/people", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/people", "none", 201, ADMIN, WS, other_ws=422,
      body=lambda d: {"name": "Neo", "email": f"neo{d['n']}@x.example",
                      "org_unit_id": d["unit"]}),
    r("GET", "/people/{id}", "person", 200, ALL, ALL),
    r("PATCH", "/people/{id}", "person", 200, ADMIN, WS, if_match=True,
      body=lambda d: {"title": "Boss"}),
    # objectives
    r("GET", "/themes", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/themes", "none", 201, WS, WS, other_ws=201, body=lambda d: {"name": "T"}),
    r("GET", "/themes/{id}", "theme", 200, ALL, ALL),
    r("PATCH", "/themes/{id}", "theme", 200, WS, WS, if_match=True,
      body=lambda d: {"name": "T2"}),
    r("DELETE", "/themes/{id}", "theme", 204, WS, WS, if_match=True),
    r("GET", "/objectives", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/objectives", "none", 201, MODEL, WS, other_ws=422, body=lambda d: {
        "title": "New", "period_start": "2026-01-01", "period_end": "2026-12-31",
        "level": "team", "perspective": "customer", "owner_id": d["owner"],
        "org_unit_id": d["unit"]}),
    r("GET", "/objectives/{id}", "objective", 200, ALL, ALL),
    r("PATCH", "/objectives/{id}", "objective", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"title": "Renamed"}),
    r("DELETE", "/objectives/{id}", "objective", 204, MODEL, WS, if_match=True),
    r("POST", "/objectives/{id}/parents", "objective", 201, MODEL, WS,
      body=lambda d: {"objective_id": d["other"], "weight": 2.0}),
    r("DELETE", "/objectives/{id}/parents/{parent}", "alignment", 204, MODEL, WS),
    r("GET", "/objectives/{id}/status", "objective", 200, ALL, ALL),
    # metrics
    r("GET", "/metrics", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/metrics", "none", 201, MODEL, WS, other_ws=422, body=METRIC_BODY),
    r("GET", "/metrics/{id}", "metric", 200, ALL, ALL),
    r("PATCH", "/metrics/{id}", "metric", 200, MODEL, WS, if_match=True,
      body=lambda d: {"name": "Renamed"}),
    r("GET", "/metrics/{id}/plan", "metric", 200, ALL, ALL),
    r("PUT", "/metrics/{id}/plan", "metric", 200, MODEL, WS,
      body=lambda d: [{"on": "2026-06-01", "value": 1.5}]),
    r("GET", "/metrics/{id}/forecast", "metric", 200, ALL, ALL),
    # SQL feeds of metrics: modelling (the query and the source are the model's)
    r("GET", "/metrics/{id}/feed", "metric_feed", 200, MODEL, WS),
    r("PUT", "/metrics/{id}/feed", "metric", 200, MODEL, WS, body=lambda d: {
        "url": "sqlite:////nonexistent/steerco-feed.db", "query": "SELECT 1, 2"}),
    r("POST", "/metrics/{id}/feed/run", "metric_feed", 200, MODEL, WS),
    r("DELETE", "/metrics/{id}/feed", "metric_feed", 204, MODEL, WS),
    r("GET", "/causal-links", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/causal-links", "causal_link", 201, MODEL, WS, other_ws=422,
      body=lambda d: {"driver_id": d["driven"], "driven_id": d["third"], "sign": -1}),
    r("GET", "/causal-links/{id}", "causal_link", 200, ALL, ALL),
    r("PATCH", "/causal-links/{id}", "causal_link", 200, MODEL, WS, if_match=True,
      body=lambda d: {"lag_days": 3}),
    r("DELETE", "/causal-links/{id}", "causal_link", 204, MODEL, WS, if_match=True),
    # metric updaters (delegating needs "checkin" in one's own right: owner or MODEL roles)
    r("GET", "/metrics/{id}/updaters", "metric_updater", 200, ALL, ALL),
    r("POST", "/metrics/{id}/updaters", "metric_delegate", 201, BUT_VIEWER, WS,
      body=lambda d: {"person_id": d["person_id"]}),
    r("DELETE", "/metrics/{id}/updaters/{person_id}", "metric_updater", 204, BUT_VIEWER, WS),
    # check-ins
    # (owning a metric allows checking in on it whatever the role: a viewer owner too)
    r("POST", "/checkins", "metric", 201, ALL, WS, other_ws=422, body=lambda d: {
        "items": [{"metric_id": d["id"], "value": 1.2, "as_of": "2026-02-01"}]}),
    r("POST", "/evidence-files", "none", 201, BUT_VIEWER, BUT_VIEWER, other_ws=201,
      upload=True),
    r("GET", "/measurements", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/measurements/{id}", "measurement", 200, ALL, ALL),
    # voiding a check-in: whoever may check in on the metric (its owner whatever the role)
    r("POST", "/measurements/{id}/void", "measurement", 201, ALL, WS,
      body=lambda d: {"reason": "typo"}),
    # initiatives
    r("GET", "/initiatives", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/initiatives", "none", 201, MODEL, WS, other_ws=422,
      body=lambda d: {"name": "New", "org_unit_id": d["unit"], "owner_id": d["owner"]}),
    r("GET", "/initiatives/{id}", "initiative", 200, ALL, ALL),
    r("PATCH", "/initiatives/{id}", "initiative", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"name": "Renamed"}),
    r("DELETE", "/initiatives/{id}", "initiative", 204, BUT_VIEWER, WS, if_match=True),
    r("POST", "/initiatives/{id}/stage", "initiative", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"stage": "identified"}),
    r("POST", "/initiatives/{id}/metrics", "initiative", 204, BUT_VIEWER, WS,
      body=lambda d: {"metric_id": d["metric"]}),
    r("DELETE", "/initiatives/{id}/metrics/{metric_id}", "initiative_metric", 204,
      BUT_VIEWER, WS),
    r("GET", "/milestones", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/milestones", "initiative", 201, BUT_VIEWER, WS, other_ws=422,
      body=lambda d: {"initiative_id": d["id"], "name": "M", "due_date": "2026-05-01"}),
    r("GET", "/milestones/{id}", "milestone", 200, ALL, ALL),
    r("PATCH", "/milestones/{id}", "milestone", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"forecast_date": "2026-07-01"}),
    r("DELETE", "/milestones/{id}", "milestone", 204, BUT_VIEWER, WS, if_match=True),
    r("GET", "/benefits", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/benefits", "initiative", 201, BUT_VIEWER, WS, other_ws=422,
      body=lambda d: {"initiative_id": d["id"], "kind": "metric_impact", "amount": 2.0,
                      "due_date": "2026-08-01", "metric_id": d["metric"]}),
    r("GET", "/benefits/{id}", "benefit", 200, ALL, ALL),
    r("PATCH", "/benefits/{id}", "benefit", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"amount": 7.0}),
    r("DELETE", "/benefits/{id}", "benefit", 204, BUT_VIEWER, WS, if_match=True),
    r("POST", "/benefits/{id}/sign-off", "benefit", 200, CONTROLLER, NONE, if_match=True,
      body=lambda d: {"realised_amount": 4.0}),
    # dependencies
    r("GET", "/dependencies", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/dependencies", "dependency", 201, BUT_VIEWER, WS, other_ws=422,
      body=lambda d: {"provider": d["provider"], "consumer": d["consumer"]}),
    r("GET", "/dependencies/{id}", "dependency", 200, ALL, ALL),
    r("PATCH", "/dependencies/{id}", "dependency", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"lag_days": 2}),
    r("DELETE", "/dependencies/{id}", "dependency", 204, BUT_VIEWER, WS, if_match=True),
    # finance
    r("GET", "/budget-lines", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/budget-lines", "none", 201, FINANCE, WS, other_ws=422,
      body=lambda d: {"code": f"N{d['n']}", "name": "Line", "org_unit_id": d["unit"]}),
    r("GET", "/budget-lines/{id}", "budget_line", 200, ALL, ALL),
    r("PATCH", "/budget-lines/{id}", "budget_line", 200, FINANCE, WS, if_match=True,
      body=lambda d: {"name": "Renamed"}),
    r("GET", "/budget-lines/{id}/plan", "budget_line", 200, ALL, ALL),
    r("PUT", "/budget-lines/{id}/plan", "budget_line", 200, FINANCE, WS, if_match=True,
      body=lambda d: [{"period": "2026-03-01", "amount": 1200.0}]),
    r("GET", "/ledger-entries", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/ledger-entries", "ledger_entry", 201, FINANCE, WS, other_ws=422,
      body=lambda d: {"budget_line_id": d["line"], "period": "2026-02-01", "amount": 1.0,
                      "posted_on": "2026-02-03"}),
    r("GET", "/ledger-entries/{id}", "ledger_entry", 200, ALL, ALL),
    r("POST", "/ledger-entries/{id}/correct", "ledger_entry", 201, FINANCE, WS,
      body=lambda d: {"amount": 2.0, "posted_on": "2026-02-03", "reason": "typo"}),
    # governance (escalations: the assignee may act as an owner; decisions are append-only)
    r("GET", "/rules", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/rules", "none", 201, MODEL, WS, other_ws=422,
      body=lambda d: {"name": "Rule", "signal_kind": "reality_gap", "org_unit_id": d["unit"],
                      "active": False}),  # one per role: identical active rules are refused
    r("GET", "/rules/{id}", "rule", 200, ALL, ALL),
    r("PATCH", "/rules/{id}", "rule", 200, MODEL, WS, if_match=True,
      body=lambda d: {"ladder_days": [1, 2]}),
    r("DELETE", "/rules/{id}", "rule", 204, MODEL, WS, if_match=True),
    r("GET", "/escalations", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/escalations/{id}", "escalation", 200, ALL, ALL),
    r("POST", "/escalations/{id}/acknowledge", "escalation", 200, BUT_VIEWER, WS,
      if_match=True),
    r("POST", "/escalations/{id}/assign", "escalation", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"assignee_id": d["owner"]}),
    r("POST", "/escalations/{id}/snooze", "escalation", 200, BUT_VIEWER, WS, if_match=True,
      body=lambda d: {"until": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
                      "reason": "Waiting for the supplier"}),
    r("GET", "/finding-triage", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/finding-triage", "finding", 200, BUT_VIEWER, WS, other_ws=422,
      body=lambda d: {"finding_key": d["id"], "action": "acknowledge"}),
    r("GET", "/decisions", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/decisions", "escalation", 201, BUT_VIEWER, WS, other_ws=422,
      body=lambda d: {"escalation_id": d["id"], "kind": "replan_date", "rationale": "Later"}),
    r("GET", "/decisions/{id}", "decision", 200, ALL, ALL),
    r("GET", "/reviews", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/reviews", "none", 201, MODEL, WS, other_ws=422,
      body=lambda d: {"kind": "monthly_business", "title": "MBR",
                      "scheduled_for": "2026-04-01", "org_unit_id": d["unit"]}),
    r("GET", "/reviews/{id}", "review", 200, ALL, ALL),
    r("PATCH", "/reviews/{id}", "review", 200, MODEL, WS, if_match=True,
      body=lambda d: {"title": "Renamed"}),
    r("DELETE", "/reviews/{id}", "review", 204, MODEL, WS, if_match=True),
    r("POST", "/reviews/{id}/agenda", "review", 200, MODEL, WS, if_match=True),
    r("POST", "/reviews/{id}/discussed", "review_agenda", 200, MODEL, WS,
      body=lambda d: {"item": d["item"]}),
    r("GET", "/reviews/{id}/actions", "review", 200, ALL, ALL),
    r("POST", "/reviews/{id}/actions", "review", 201, MODEL, WS,
      body=lambda d: {"title": "Call", "owner_id": d["owner"], "due_on": "2026-03-09"}),
    r("POST", "/reviews/{id}/close", "review_agenda", 200, MODEL, WS),
    r("GET", "/reviews/{id}/pack", "review", 200, ALL, ALL),
    r("GET", "/reviews/{id}/since-last-review", "review", 200, ALL, ALL),
    r("POST", "/reviews/{id}/series/end", "review", 200, MODEL, WS),
    r("POST", "/reviews/{id}/series/resume", "review", 200, MODEL, WS),
    # an action's owner (any role) or whoever runs its review marks it done
    r("POST", "/review-actions/{id}/done", "review_action", 200, ALL, WS),
    r("POST", "/review-actions/{id}/reopen", "review_action", 200, ALL, WS),
    r("GET", "/me/review-actions", "none", 200, ALL, ALL, other_ws=200),
    # engine
    r("GET", "/status/tree", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/status/counts", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/forecasts/accuracy", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/forecasts/changes", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/accuracy/owners", "none", 200, ALL, ALL, other_ws=200),
    r("GET", "/initiatives/{id}/schedule-risk", "initiative", 200, ALL, ALL),
    r("POST", "/schedule-risk/whatif", "milestone", 200, ALL, ALL, other_ws=422,
      body=lambda d: {"milestone_id": d["id"], "days": 10}),
    r("GET", "/findings", "none", 200, ALL, ALL, other_ws=200),
    r("POST", "/whatif", "milestone", 200, ALL, ALL, other_ws=422,
      body=lambda d: {"slips": [f"{d['id']}:10"]}),
]

ROLES = sorted(ALL)


@dataclass
class World:
    a: Tenant
    b: Tenant
    revoked: str


@pytest.fixture(scope="module")
def world(api_engine: Any) -> World:
    a, b = seed_tenant(api_engine), seed_tenant(api_engine)
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        secret, tok = accounts.create_token(s, a.ws, a.users["viewer"],
                                            {"name": "old", "scopes": ["write"]})
        accounts.revoke_token(s, tok)
    build(api_engine, a, "measurement", a.own, a.users["owner"])
    build(api_engine, b, "measurement", b.own, b.users["owner"])
    return World(a, b, secret)


def _target(engine: Any, t: Tenant, row: Row, role: str, variant: str) -> dict[str, Any]:
    kind = row.target
    if variant == "own":
        return build(engine, t, kind, t.own, t.users[role])
    return build(engine, t, kind, t.other, t.owner_of_other)


def _call(client: Any, row: Row, ids: dict[str, Any], headers: dict[str, str]) -> int:
    path = PREFIX + row.path.replace(":path}", "}").format(**ids)
    h = dict(headers)
    if row.if_match:
        h["If-Match"] = '"1"'
    kw: dict[str, Any] = {"headers": h}
    if row.body is not None:
        kw["json"] = row.body(ids)
    if row.upload:
        kw["files"] = {"file": ("report.pdf", b"%PDF-1.4 evidence", "application/pdf")}
    client.cookies.clear()
    resp = client.request(row.method, path, **kw)
    assert resp.status_code < 500, resp.text
    return int(resp.status_code)


def _label(row: Row) -> str:
    return f"{row.method} {row.path}"


@pytest.mark.parametrize("row", ROUTES, ids=_label)
def test_each_endpoint_answers_every_role_and_place_as_the_table_says(
        client: Any, world: World, row: Row) -> None:
    engine = client.app.state.engine
    a = world.a
    wrong: list[str] = []

    def expect(case: str, got: int, want: int) -> None:
        if got != want:
            wrong.append(f"{case}: got {got}, want {want}")

    for role in ROLES:
        for variant in ("own", "other"):
            allowed = role in (row.own if variant == "own" else row.other)
            want = row.ok if allowed else 403
            if row.public is not None:
                want = row.public
            ids = _target(engine, a, row, role, variant)
            expect(f"{role}/{variant}", _call(client, row, ids, a.auth(role)), want)
    ids = _target(engine, a, row, "owner", "own")
    expect("other workspace", _call(client, row, ids, world.b.auth("ws_admin")),
           row.public if row.public is not None else row.other_ws)
    ids = _target(engine, a, row, "owner", "own")
    expect("anonymous", _call(client, row, ids, {}),
           row.public if row.public is not None else 401)
    ids = _target(engine, a, row, "owner", "own")
    expect("revoked token", _call(client, row, ids,
                                  {"Authorization": f"Bearer {world.revoked}"}),
           row.public if row.public is not None else 401)
    assert not wrong, f"{_label(row)}:\n  " + "\n  ".join(wrong)


def app_routes(app: Any) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route of the app, including routers it includes."""
    out = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            out.append((route.path, set(route.methods)))
        elif hasattr(route, "effective_route_contexts"):  # an included router (FastAPI ≥ 0.13x)
            out += [(c.path, set(c.methods)) for c in route.effective_route_contexts()]
    return out


def test_every_route_has_a_row(app: Any) -> None:
    table = {(row.method, PREFIX + row.path.replace("{parent}", "{parent_id}"))
             for row in ROUTES}
    table = {(m, p.replace("/audit/{id}", "/audit/{entity_id}")) for m, p in table}
    routes = {(m, path) for path, methods in app_routes(app)
              if path.startswith(PREFIX) for m in methods}
    assert len(routes) > 50
    assert routes - table == set(), "routes without a row in the matrix"
    assert table - routes == set(), "rows without a route"

"""The authorization matrix, continued: classes of holes a security test found (issue 10).

Each table below is one class: who may change a person whose roles reach beyond their own
(target grants), what a deactivated person can still do (nothing), which credentials may
manage tokens, whose evidence files a check-in may name and a page may serve, and under
which objectives one may align.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import Engine, update

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Measurement
from steerco.org.service import create_person
from tests.api.conftest import Tenant, seed_tenant
from tests.api.targets import build

API = "/api/v1"
_n = itertools.count(1)
PASSWORD = "correct horse battery"


def _person_with_grants(engine: Engine, t: Tenant, grants: list[str | None]) -> int:
    """A person in the `own` unit holding `admin` on each of `grants` (None: everywhere,
    "own"/"other": that subtree)."""
    units = {None: None, "own": t.own, "other": t.other}
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        p = create_person(s, t.ws, {"name": "Target", "email": f"t{next(_n)}@x.example",
                                    "org_unit_id": t.own})
        for where in grants:
            accounts.add_grant(s, t.ws, {"person_id": p.id, "role": "admin",
                                         "org_unit_id": units[where]})
        return p.id


def _target_writes(client: Any, t: Tenant, who: str, person: int) -> dict[str, int]:
    """What `who` gets for each write on `person`'s access."""
    h = t.auth(who)
    key = f"per_{person}"
    out = {}
    out["credential"] = client.put(f"{API}/people/{key}/credential", headers=h, json={
        "login": f"taken-over-{person}-{who}@x.example", "password": "0123456789ab"}
    ).status_code
    etag = client.get(f"{API}/people/{key}", headers=h).headers["ETag"]
    out["deactivate"] = client.patch(f"{API}/people/{key}", json={"active": False},
                                     headers={**h, "If-Match": etag}).status_code
    out["grant"] = client.post(f"{API}/grants", headers=h, json={
        "person_id": key, "role": "viewer", "org_unit_id": f"org_{t.own}"}).status_code
    return out


# (the target's admin grants, what a unit admin of `own` gets, what a workspace admin gets)
TARGET_GRANTS = [
    ([], 204, 204),
    (["own"], 204, 204),
    ([None], 403, 204),
    (["other"], 403, 204),
    (["own", None], 403, 204),
]


@pytest.mark.parametrize(("grants", "unit_admin", "ws_admin"), TARGET_GRANTS,
                         ids=lambda v: str(v))
def test_nobody_changes_a_person_whose_roles_reach_beyond_their_own_scope(
        client: Any, api_engine: Engine, grants: list[str | None], unit_admin: int,
        ws_admin: int) -> None:
    t = seed_tenant(api_engine)
    for who, want in (("admin", unit_admin), ("ws_admin", ws_admin)):
        person = _person_with_grants(api_engine, t, grants)
        got = _target_writes(client, t, who, person)
        expected = {"credential": want, "deactivate": 200 if want == 204 else want,
                    "grant": 201 if want == 204 else want}
        assert got == expected, (who, grants)
    # withdrawing one of their grants is refused alike
    person = _person_with_grants(api_engine, t, grants)
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        g = accounts.add_grant(s, t.ws, {"person_id": person, "role": "viewer",
                                         "org_unit_id": t.own})
    r = client.delete(f"{API}/grants/grt_{g.id}", headers=t.auth("admin"))
    assert r.status_code == unit_admin, r.text


def test_a_unit_admin_cannot_take_over_a_workspace_admin_by_setting_their_password(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    boss = _person_with_grants(api_engine, t, [None])
    r = client.put(f"{API}/people/per_{boss}/credential", headers=t.auth("admin"),
                   json={"login": f"boss{boss}@x.example", "password": "attacker chose"})
    assert r.status_code == 403
    assert "beyond your admin scope" in r.json()["detail"]
    r = client.post(f"{API}/auth/login", json={"login": f"boss{boss}@x.example",
                                               "password": "attacker chose"})
    assert r.status_code == 401


# --- deactivated people -------------------------------------------------------------------

# (method, path, body) that a deactivated person's token and session both lose
AS_DEACTIVATED = [
    ("GET", "/auth/session", None),
    ("GET", "/objectives", None),
    ("POST", "/themes", {"name": "Still here"}),
]


def _deactivate(client: Any, t: Tenant, person: int) -> None:
    etag = client.get(f"{API}/people/per_{person}", headers=t.auth("ws_admin")).headers["ETag"]
    r = client.patch(f"{API}/people/per_{person}", json={"active": False},
                     headers={**t.auth("ws_admin"), "If-Match": etag})
    assert r.status_code == 200, r.text


def test_deactivating_a_person_ends_their_sessions_tokens_and_logins_at_once(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    person = t.users["strategy_office"]
    login = f"leaver{person}@x.example"
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        accounts.set_credential(s, t.ws, person, {"login": login, "password": PASSWORD})
    r = client.post(f"{API}/auth/login", json={"login": login, "password": PASSWORD})
    cookie, csrf = r.cookies["steerco_session"], r.json()["csrf_token"]
    client.cookies.clear()
    as_session = {"Cookie": f"steerco_session={cookie}", "X-CSRF-Token": csrf}
    for method, path, body in AS_DEACTIVATED:  # both work before
        for h in (t.auth("strategy_office"), as_session):
            got = client.request(method, API + path, headers=h, json=body).status_code
            assert got in (200, 201), (method, path)
    _deactivate(client, t, person)
    for method, path, body in AS_DEACTIVATED:
        for h in (t.auth("strategy_office"), as_session):
            assert client.request(method, API + path, headers=h, json=body).status_code == 401
    r = client.post(f"{API}/auth/login", json={"login": login, "password": PASSWORD})
    assert r.status_code == 401
    # reactivating does not bring the old token back
    etag = client.get(f"{API}/people/per_{person}", headers=t.auth("ws_admin")).headers["ETag"]
    client.patch(f"{API}/people/per_{person}", json={"active": True},
                 headers={**t.auth("ws_admin"), "If-Match": etag})
    assert client.get(f"{API}/objectives", headers=t.auth("strategy_office")).status_code == 401


# Every create or update that assigns a person: (method, path, body of the person key).
ASSIGN = [
    ("POST", "/metrics", lambda p, t: {
        "name": "M", "unit": "EUR", "direction": "increase_to", "baseline_value": 1.0,
        "baseline_date": "2026-01-01", "target_value": 2.0, "target_date": "2026-12-31",
        "owner_id": p}),
    ("POST", "/objectives", lambda p, t: {
        "title": "O", "period_start": "2026-01-01", "period_end": "2026-12-31",
        "level": "team", "perspective": "customer", "owner_id": p,
        "org_unit_id": f"org_{t.own}"}),
    ("POST", "/initiatives", lambda p, t: {"name": "I", "org_unit_id": f"org_{t.own}",
                                           "owner_id": p}),
    ("POST", "/initiatives", lambda p, t: {"name": "I", "org_unit_id": f"org_{t.own}",
                                           "sponsor_id": p}),
    ("POST", "/people", lambda p, t: {"name": "N", "email": f"n{p}@new.example",
                                      "manager_id": p}),
    ("POST", "/org-units", lambda p, t: {"name": "U", "kind": "team", "head_id": p,
                                         "parent_id": f"org_{t.own}"}),
    ("POST", "/budget-lines", lambda p, t: {"code": f"C{p}", "name": "L",
                                            "controller_id": p}),
    ("POST", "/reviews", lambda p, t: {"kind": "monthly_business", "title": "R",
                                       "scheduled_for": "2026-04-01", "chair_id": p}),
]


@pytest.mark.parametrize(("method", "path", "body"), ASSIGN,
                         ids=[f"{m} {p} #{i}" for i, (m, p, _) in enumerate(ASSIGN)])
def test_a_deactivated_person_cannot_be_made_owner_of_anything(
        client: Any, api_engine: Engine, method: str, path: str, body: Any) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    person = t.users["viewer"]
    _deactivate(client, t, person)
    r = client.request(method, API + path, headers=t.auth("ws_admin"),
                       json=body(f"per_{person}", t))
    assert r.status_code == 422, r.text
    assert "deactivated" in r.json()["detail"]
    active = t.users["owner"]
    r = client.request(method, API + path, headers=t.auth("ws_admin"),
                       json=body(f"per_{active}", t))
    assert r.status_code == 201, r.text


def test_an_owner_change_to_a_deactivated_person_is_refused(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    ids = build(api_engine, t, "metric", t.own, t.users["owner"])
    _deactivate(client, t, t.users["viewer"])
    etag = client.get(f"{API}/metrics/{ids['id']}", headers=t.auth("ws_admin")).headers["ETag"]
    r = client.patch(f"{API}/metrics/{ids['id']}", json={"owner_id": f"per_{t.users['viewer']}"},
                     headers={**t.auth("ws_admin"), "If-Match": etag})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "owner_id"


# --- token scopes for token management ---------------------------------------------------

@pytest.mark.parametrize(("scope", "want"), [("read", 403), ("checkin", 403),
                                             ("write", 403), ("admin", 204)])
def test_token_management_needs_a_session_or_an_admin_scope_token(
        client: Any, api_engine: Engine, scope: str, want: int) -> None:
    t = seed_tenant(api_engine, scopes=(scope,))
    others = build(api_engine, t, "token", t.own, t.users["admin"])
    r = client.delete(f"{API}/tokens/{others['id']}", headers=t.auth("owner"))
    assert r.status_code == 403  # never someone else's (without a workspace admin role)
    own = build(api_engine, t, "token", t.own, t.users["owner"])
    r = client.delete(f"{API}/tokens/{own['id']}", headers=t.auth("owner"))
    assert r.status_code == want, r.text


# --- evidence ownership --------------------------------------------------------------------

def _upload(client: Any, t: Tenant, who: str = "owner", data: bytes = b"evidence") -> str:
    r = client.post(f"{API}/evidence-files", headers=t.auth(who),
                    files={"file": ("q3 report.pdf", data, "application/pdf")})
    assert r.status_code == 201, r.text
    return str(r.json()["handle"])


def _checkin(client: Any, t: Tenant, metric: str, evidence: str) -> Any:
    return client.post(f"{API}/checkins", headers=t.auth("owner"), json={"items": [
        {"metric_id": metric, "value": 1.2, "as_of": "2026-02-01", "evidence_file": evidence}]})


@pytest.fixture()
def evidence_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("STEERCO_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path / "evidence"


def test_a_check_in_names_evidence_only_by_an_upload_of_its_own_workspace(
        client: Any, api_engine: Engine, evidence_dir: Any) -> None:
    a, b = seed_tenant(api_engine), seed_tenant(api_engine)
    metric = build(api_engine, a, "metric", a.own, a.users["owner"])["id"]
    secret = evidence_dir / str(b.ws) / "1" / "secret.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text("the other workspace's numbers")
    refused = [str(secret), f"{b.ws}/1/secret.txt", f"../{b.ws}/1/secret.txt",
               "/etc/passwd", _upload(client, b)]
    for evidence in refused:
        r = _checkin(client, a, metric, evidence)
        assert r.status_code == 422, (evidence, r.text)
        assert r.json()["errors"][0]["field"].endswith("evidence_file")
    handle = _upload(client, a)
    r = _checkin(client, a, metric, handle)
    assert r.status_code == 201, r.text
    stored = r.json()["items"][0]["evidence_file"]
    assert stored.startswith(f"{a.ws}/") and stored.endswith("q3_report.pdf")
    assert _checkin(client, a, metric, handle).status_code == 422  # used up


def test_the_evidence_page_serves_only_files_of_the_measurements_workspace(
        client: Any, api_engine: Engine, evidence_dir: Any) -> None:
    a, b = seed_tenant(api_engine, subtree_roles=False), seed_tenant(api_engine)
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        accounts.set_credential(s, a.ws, a.users["viewer"],
                                {"login": f"ev{a.ws}@x.example", "password": PASSWORD})
    foreign = evidence_dir / str(b.ws) / "9" / "secret.txt"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("b's secret")
    metric = build(api_engine, a, "metric", a.own, a.users["owner"])["id"]
    mea = _checkin(client, a, metric, _upload(client, a, data=b"a's own")).json()["items"][0]
    client.post(f"{API}/auth/login", json={"login": f"ev{a.ws}@x.example",
                                           "password": PASSWORD})
    r = client.get(f"/evidence/{mea['id']}")
    assert r.status_code == 200 and r.content == b"a's own"
    key = int(mea["id"].removeprefix("mea_"))
    for planted in (str(foreign), f"{b.ws}/9/secret.txt", f"{a.ws}/../{b.ws}/9/secret.txt",
                    "/etc/hostname"):
        with unit_of_work(make_sessionmaker(api_engine)) as s:
            s.execute(update(Measurement).where(Measurement.id == key)
                      .values(evidence_file=planted))
        assert client.get(f"/evidence/{mea['id']}").status_code == 404, planted
    client.cookies.clear()


# --- aligning under another unit's objective -------------------------------------------

@pytest.mark.parametrize("who", ["admin", "strategy_office", "ws_admin"])
def test_aligning_under_an_objective_needs_a_right_on_the_parents_unit(
        client: Any, api_engine: Engine, who: str) -> None:
    t = seed_tenant(api_engine)
    want = 201 if who == "ws_admin" else 403
    child = build(api_engine, t, "objective", t.own, t.users["owner"])["id"]
    parent = build(api_engine, t, "objective", t.other, t.owner_of_other)["id"]
    r = client.post(f"{API}/objectives/{child}/parents", headers=t.auth(who),
                    json={"objective_id": parent})
    assert r.status_code == want, r.text
    r = client.post(f"{API}/objectives", headers=t.auth(who), json={
        "title": "New", "period_start": "2026-01-01", "period_end": "2026-12-31",
        "level": "team", "perspective": "customer", "owner_id": f"per_{t.users['owner']}",
        "org_unit_id": f"org_{t.own}", "parents": [{"objective_id": parent}]})
    assert r.status_code == want, r.text
    aligned = build(api_engine, t, "objective", t.own, t.users["owner"])["id"]
    if who != "ws_admin":  # removing the alignment changes the parent's roll-up too
        client.post(f"{API}/objectives/{aligned}/parents", headers=t.auth("ws_admin"),
                    json={"objective_id": parent})
        r = client.delete(f"{API}/objectives/{aligned}/parents/{parent}", headers=t.auth(who))
        assert r.status_code == 403

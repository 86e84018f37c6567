"""Issue 10, beyond the authorization matrix: leavers' work, the public log-in page, the
login lockout under concurrency, password resets, logins per workspace, uploads of
refused check-ins, and hardening (headers, body size, log-in CSRF, token expiry, ids)."""

from __future__ import annotations

import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from steerco.accounts import service as accounts
from steerco.accounts.demo import create_demo_users
from steerco.db.engine import make_engine, make_sessionmaker, unit_of_work
from steerco.db.migrate import upgrade
from steerco.db.models import OutboxMessage
from steerco.kit.errors import ValidationFailed
from steerco.kit.ids import parse_any
from steerco.org.service import create_org_unit, create_person, create_workspace
from steerco.web.app import create_app
from tests.api.conftest import Tenant, seed_tenant
from tests.api.targets import build

API = "/api/v1"
PASSWORD = "correct horse battery"
_n = itertools.count(1)


def _login_for(engine: Engine, t: Tenant, role: str) -> str:
    login = f"{role}-{t.ws}-{next(_n)}@hard.example"
    with unit_of_work(make_sessionmaker(engine)) as s:
        accounts.set_credential(s, t.ws, t.users[role], {"login": login, "password": PASSWORD})
    return login


def _deactivate(client: Any, t: Tenant, person: int) -> None:
    etag = client.get(f"{API}/people/per_{person}", headers=t.auth("ws_admin")).headers["ETag"]
    r = client.patch(f"{API}/people/per_{person}", json={"active": False},
                     headers={**t.auth("ws_admin"), "If-Match": etag})
    assert r.status_code == 200, r.text


# --- 3: a leaver's open items are an ownership finding for their manager -----------------

def test_a_deactivated_owners_open_items_become_ownership_findings_for_their_manager(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        leaver = create_person(s, t.ws, {"name": "Lea Leaver", "email": "lea@x.example",
                                         "org_unit_id": t.own,
                                         "manager_id": t.users["executive"]}).id
    items = [build(api_engine, t, kind, t.own, leaver)["id"]
             for kind in ("metric", "objective", "initiative", "milestone")]
    _deactivate(client, t, leaver)
    r = client.get(f"{API}/findings", params={"kind": "ownership"}, headers=t.auth("viewer"))
    assert r.status_code == 200, r.text
    mine = {f["subject"]["id"]: f for f in r.json() if f["evidence"].get("owner")
            == f"per_{leaver}"}
    assert set(items) <= set(mine), r.json()
    assert {mine[i]["person_id"] for i in items} == {f"per_{t.users['executive']}"}


# --- 4: the public log-in page lists only the demo's own logins ---------------------------

@pytest.fixture()
def own_app(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path / 'own.db'}")
    upgrade(engine)
    yield engine, create_app(engine)
    engine.dispose()


def _demo_company(engine: Engine, slug: str = "demo") -> int:
    with unit_of_work(make_sessionmaker(engine)) as s:
        s.info["actor"] = "test"
        ws = create_workspace(s, {"slug": slug, "name": "Demo"})
        head = create_person(s, ws.id, {"name": "Hal Head", "email": "hal@demo.example"})
        create_org_unit(s, ws.id, {"name": "Co", "kind": "company", "head_id": head.id})
        for i in range(6):
            create_person(s, ws.id, {"name": f"Demo {i}", "email": f"d{i}@demo.example"})
        return ws.id


def _listed(client: TestClient) -> set[str]:
    return set(re.findall(r"<td><code>([^<]+)</code></td>", client.get("/login").text))


def test_the_login_page_lists_only_the_logins_the_demo_created(own_app: Any) -> None:
    engine, app = own_app
    ws = _demo_company(engine)
    with unit_of_work(make_sessionmaker(engine)) as s:
        demo = {login for login, _, _ in create_demo_users(s, ws)}
        real = create_person(s, ws, {"name": "Real Admin", "email": "cfo@real.example"})
        accounts.set_credential(s, ws, real.id, {"login": "cfo@real.example",
                                                 "password": PASSWORD})
        accounts.add_grant(s, ws, {"person_id": real.id, "role": "admin"})
    with TestClient(app) as c:
        listed = _listed(c)
    assert listed == demo and "cfo@real.example" not in listed


def test_a_workspace_the_demo_did_not_make_lists_no_logins(own_app: Any) -> None:
    engine, app = own_app
    with unit_of_work(make_sessionmaker(engine)) as s:
        ws = create_workspace(s, {"slug": "demo", "name": "Not a demo at all"})
        p = create_person(s, ws.id, {"name": "Real", "email": "ceo@real.example"})
        accounts.set_credential(s, ws.id, p.id, {"login": "ceo@real.example",
                                                 "password": PASSWORD})
        accounts.add_grant(s, ws.id, {"person_id": p.id, "role": "admin"})
    with TestClient(app) as c:
        assert _listed(c) == set()


# --- 5: the lockout holds under concurrent guesses ---------------------------------------

@pytest.mark.postgres
def test_concurrent_wrong_guesses_check_at_most_the_allowed_number_of_passwords(
        api_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    if api_engine.dialect.name != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent writers")
    t = seed_tenant(api_engine)
    login = _login_for(api_engine, t, "viewer")
    checks = 0
    lock = threading.Lock()
    real = accounts.HASHER.verify_and_update

    def counted(password: str, hashed: str) -> Any:
        nonlocal checks
        with lock:
            checks += 1
        return real(password, hashed)

    monkeypatch.setattr(accounts.HASHER, "verify_and_update", counted)
    barrier = threading.Barrier(30)

    def guess(i: int) -> bool:
        barrier.wait()
        with unit_of_work(make_sessionmaker(api_engine)) as s:
            return accounts.authenticate(s, login, f"wrong guess {i}").credential is not None

    with ThreadPoolExecutor(30) as pool:
        assert not any(pool.map(guess, range(30)))
    assert checks <= accounts.THROTTLE_FAILURES
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        assert accounts.authenticate(s, login, PASSWORD).retry_after is not None


def test_the_lockout_counts_every_attempt_before_checking_the_password(
        client: Any, tenant: Tenant) -> None:
    login = _login_for(client.app.state.engine, tenant, "owner")
    for _ in range(accounts.THROTTLE_FAILURES):
        assert client.post(f"{API}/auth/login", json={"login": login, "password": "no"}
                           ).status_code == 401
    r = client.post(f"{API}/auth/login", json={"login": login, "password": PASSWORD})
    assert r.status_code == 429


# --- 6: password resets ---------------------------------------------------------------

def _reset_tokens(engine: Engine, login: str) -> list[str]:
    with unit_of_work(make_sessionmaker(engine)) as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == login)
                         .order_by(OutboxMessage.id)).all()
        return [m.payload["token"] for m in rows]


def _confirm(client: Any, token: str, new: str = "a brand new passphrase") -> int:
    return int(client.post(f"{API}/auth/password-reset/confirm",
                           json={"token": token, "new_password": new}).status_code)


def test_an_older_reset_token_dies_when_a_newer_one_is_used(client: Any, tenant: Tenant) -> None:
    engine = client.app.state.engine
    login = _login_for(engine, tenant, "executive")
    for _ in range(2):
        assert client.post(f"{API}/auth/password-reset", json={"login": login}).status_code == 202
    old, new = _reset_tokens(engine, login)
    assert _confirm(client, new) == 204
    assert _confirm(client, old, "the attacker's passphrase") == 422


def test_a_reset_token_dies_when_the_password_changes(client: Any, tenant: Tenant) -> None:
    engine = client.app.state.engine
    login = _login_for(engine, tenant, "controller")
    client.post(f"{API}/auth/password-reset", json={"login": login})
    with unit_of_work(make_sessionmaker(engine)) as s:
        accounts.change_password(s, tenant.users["controller"], PASSWORD, "changed passphrase")
    assert _confirm(client, _reset_tokens(engine, login)[-1]) == 422


def test_reset_requests_are_throttled_per_login_and_per_client_address(
        app: Any, tenant: Tenant) -> None:
    engine = app.state.engine
    login = _login_for(engine, tenant, "viewer")
    with TestClient(app, client=(f"198.51.100.{next(_n) % 250}", 4000)) as c:
        codes = [c.post(f"{API}/auth/password-reset", json={"login": login}).status_code
                 for _ in range(30)]
    assert codes.count(202) == accounts.RESET_PER_LOGIN and set(codes) == {202, 429}
    assert len(_reset_tokens(engine, login)) == accounts.RESET_PER_LOGIN
    with TestClient(app, client=(f"203.0.113.{next(_n) % 250}", 4000)) as c:
        codes = [c.post(f"{API}/auth/password-reset",
                        json={"login": f"nobody{i}-{next(_n)}@x.example"}).status_code
                 for i in range(accounts.RESET_PER_ADDRESS + 5)]
    assert codes.count(202) == accounts.RESET_PER_ADDRESS
    r = TestClient(app, client=("192.0.2.1", 1)).post(f"{API}/auth/password-reset",
                                                     json={"login": login})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0  # per login, anywhere


def test_the_reset_answer_is_sent_before_the_login_is_looked_up(
        app: Any, tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same work before the answer for known and unknown logins: the look-up and the
    e-mail happen after it (a background task), so timing reveals nothing."""
    from steerco.accounts import api as accounts_api

    login = _login_for(app.state.engine, tenant, "owner")
    order: list[str] = []
    monkeypatch.setattr(accounts_api.accounts, "request_password_reset",
                        lambda s, who: order.append(f"lookup {who}"))

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        async def noted(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append(f"answered {message['status']}")
            await send(message)
        await app(scope, receive, noted)

    with TestClient(spy, client=("198.18.0.7", 1)) as c:
        for who in (login, "unknown@nowhere.example"):
            c.post(f"{API}/auth/password-reset", json={"login": who})
    assert order == ["answered 202", f"lookup {login}",
                     "answered 202", "lookup unknown@nowhere.example"]


# --- 8: logins are per workspace: another workspace's logins are not revealed -------------

def test_setting_a_login_used_in_another_workspace_reveals_nothing_and_both_log_in(
        client: Any, api_engine: Engine) -> None:
    a, b = seed_tenant(api_engine), seed_tenant(api_engine)
    login = f"shared-{a.ws}@x.example"
    r = client.put(f"{API}/people/per_{a.users['viewer']}/credential",
                   headers=a.auth("ws_admin"), json={"login": login, "password": PASSWORD})
    assert r.status_code == 204
    r = client.put(f"{API}/people/per_{b.users['viewer']}/credential",
                   headers=b.auth("ws_admin"), json={"login": login,
                                                     "password": "b's own passphrase"})
    assert r.status_code == 204, r.text  # no "this login is taken"
    for password, ws in ((PASSWORD, a.ws), ("b's own passphrase", b.ws)):
        r = client.post(f"{API}/auth/login", json={"login": login, "password": password})
        assert r.status_code == 200 and r.json()["workspace_id"] == f"ws_{ws}"
    client.cookies.clear()
    r = client.put(f"{API}/people/per_{a.users['owner']}/credential",
                   headers=a.auth("ws_admin"), json={"login": login, "password": PASSWORD})
    assert r.status_code == 422  # within one workspace a login still names one person


# --- 9: a refused check-in keeps no file ----------------------------------------------

@pytest.fixture()
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEERCO_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path / "evidence"


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_check_in_form_refused_after_its_upload_leaves_no_file(
        app: Any, api_engine: Engine, evidence_dir: Path) -> None:
    t = seed_tenant(api_engine)
    metric = build(api_engine, t, "metric", t.own, t.users["owner"])["id"]
    login = _login_for(api_engine, t, "owner")
    with TestClient(app, follow_redirects=False) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token is not None
        c.post("/login", data={"login": login, "password": PASSWORD,
                               "csrf_token": token.group(1)})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get(f"/metrics/{metric}").text)
        assert csrf is not None
        form = {"csrf_token": csrf.group(1), "value": "12", "as_of": "2999-01-01",
                "note": "kept on error"}
        r = c.post(f"/metrics/{metric}/checkin", data=form,
                   files={"evidence_file": ("big.bin", b"x" * 100_000, "text/plain")})
        assert r.status_code == 422
        assert "kept on error" in r.text and "choose the file again" in r.text
        assert _files(evidence_dir) == []
        form["as_of"] = "2026-02-01"
        r = c.post(f"/metrics/{metric}/checkin", data=form,
                   files={"evidence_file": ("ok.txt", b"fine", "text/plain")})
        assert r.status_code == 303, r.text
        assert [p.name.split("_", 1)[1] for p in _files(evidence_dir)] == ["ok.txt"]


def test_an_api_check_in_refused_after_naming_an_upload_keeps_nothing_in_place(
        client: Any, api_engine: Engine, evidence_dir: Path) -> None:
    t = seed_tenant(api_engine)
    metric = build(api_engine, t, "metric", t.own, t.users["owner"])["id"]
    handle = client.post(f"{API}/evidence-files", headers=t.auth("owner"),
                         files={"file": ("a.pdf", b"pdf", "application/pdf")}).json()["handle"]
    r = client.post(f"{API}/checkins", headers=t.auth("owner"), json={"items": [
        {"metric_id": metric, "value": 1, "as_of": "2026-02-01", "evidence_file": handle},
        {"metric_id": metric, "value": 1, "as_of": "2999-02-01"}]})
    assert r.status_code == 422
    assert not (evidence_dir / str(t.ws)).exists() or _files(evidence_dir / str(t.ws)) == []
    r = client.post(f"{API}/checkins", headers=t.auth("owner"), json={"items": [
        {"metric_id": metric, "value": 1, "as_of": "2026-02-01", "evidence_file": handle}]})
    assert r.status_code == 201, r.text  # the handle still works after the refusal
    assert len(_files(evidence_dir / str(t.ws))) == 1


# --- 11: hardening ---------------------------------------------------------------------

def test_a_body_over_the_limit_is_refused_with_413_before_anything_is_stored(
        client: Any, tenant: Tenant) -> None:
    huge = "x" * (5 * 1024 * 1024)
    r = client.post(f"{API}/objectives", headers=tenant.auth("ws_admin"), json={
        "title": "Big", "description": huge, "period_start": "2026-01-01",
        "period_end": "2026-12-31", "level": "team", "perspective": "customer",
        "owner_id": f"per_{tenant.users['owner']}"})
    assert r.status_code == 413
    assert set(r.json()) >= {"type", "title", "detail", "errors"}
    assert "larger than 1 MB" in r.json()["detail"]

    def chunks() -> Any:  # no Content-Length: counted as it streams
        for _ in range(3):
            yield b"[" + b" " * (512 * 1024)

    r = client.post(f"{API}/themes", headers={**tenant.auth("ws_admin"),
                                              "Content-Type": "application/json"},
                    content=chunks())
    assert r.status_code == 413, r.text
    r = client.post(f"{API}/evidence-files", headers=tenant.auth("owner"),
                    files={"file": ("big.bin", b"x" * (21 * 1024 * 1024), "text/plain")})
    assert r.status_code == 413


def test_a_cross_site_log_in_form_without_the_pages_token_is_refused(
        app: Any, tenant: Tenant) -> None:
    login = _login_for(app.state.engine, tenant, "viewer")
    with TestClient(app, follow_redirects=False) as c:  # the attacker's form: no token
        r = c.post("/login", data={"login": login, "password": PASSWORD})
        assert r.status_code == 403 and "steerco_session" not in r.cookies
        r = c.post("/login", data={"login": login, "password": PASSWORD,
                                   "csrf_token": "guessed"})
        assert r.status_code == 403 and "steerco_session" not in r.cookies
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token is not None
        r = c.post("/login", data={"login": login, "password": PASSWORD,
                                   "csrf_token": token.group(1)})
        assert r.status_code == 303 and "steerco_session" in r.cookies


@pytest.mark.parametrize("days", ["abc", "0", "-5", "1e3", "９０"])
def test_a_token_form_with_an_unreadable_expiry_is_refused_not_made_eternal(
        app: Any, tenant: Tenant, days: str) -> None:
    login = _login_for(app.state.engine, tenant, "owner")
    with TestClient(app, follow_redirects=False) as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert token is not None
        c.post("/login", data={"login": login, "password": PASSWORD,
                               "csrf_token": token.group(1)})
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/admin/tokens").text)
        assert csrf is not None
        r = c.post("/admin/tokens", data={"csrf_token": csrf.group(1), "name": "ci",
                                          "scope": "read", "days": days})
        assert r.status_code == 422 and "whole number" in r.text
        r = c.post("/admin/tokens", data={"csrf_token": csrf.group(1), "name": "ci",
                                          "scope": "read", "days": ""})
        assert r.status_code == 200
    with unit_of_work(make_sessionmaker(app.state.engine)) as s:
        rows = accounts.list_tokens(s, tenant.ws, tenant.users["owner"])
        assert all(r.expires_at is not None for r in rows)


@pytest.mark.parametrize("bad", ["obj_01", "obj_１", "obj_٣", "obj_+1", "obj_ 1", "obj_0",
                                 "obj_1_", "obj_²"])
def test_a_typed_id_is_accepted_only_in_its_one_spelling(
        client: Any, tenant: Tenant, bad: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_any(bad, "id")
    obj = build(client.app.state.engine, tenant, "objective", tenant.own,
                tenant.users["owner"])["id"]
    key = obj.removeprefix("obj_")
    twin = {"obj_01": f"obj_0{key}",
            "obj_１": "obj_" + key.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            }.get(bad, bad)
    assert client.get(f"{API}/objectives/{twin}", headers=tenant.auth("viewer")
                      ).status_code == 404
    assert client.get(f"{API}/objectives/{obj}", headers=tenant.auth("viewer")
                      ).status_code == 200


def test_token_ids_and_grant_ids_are_as_strict(client: Any, tenant: Tenant) -> None:
    tid = tenant.token_ids["owner"]
    wide = str(tid).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for bad in (f"tok_0{tid}", f"tok_{wide}"):
        with pytest.raises(ValidationFailed):
            accounts.parse_prefixed(bad, "tok", "token_id")
    assert accounts.parse_prefixed(f"tok_{tid}", "tok", "token_id") == tid


# --- 12: failures say what is wrong --------------------------------------------------

def test_health_reports_a_database_that_cannot_write(tmp_path: Path) -> None:
    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{tmp_path / 'ro.db'}")
    upgrade(engine)
    app = create_app(engine)
    with TestClient(app) as c:
        assert c.get("/healthz").json()["status"] == "ok"

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.execute("PRAGMA query_only=ON")

        engine.dispose()
        r = c.get("/healthz")
        assert r.status_code == 503
        assert "read-only" in r.json()["detail"] and str(tmp_path / "ro.db") in r.json()["detail"]
        # and a write through the API says the same, in the error shape, not a bare 500
        r = c.post(f"{API}/auth/password-reset", json={"login": "x@y.example"})
        assert r.status_code == 503 and "read-only" in r.json()["detail"]
    engine.dispose()


def test_a_full_disk_is_named_as_such(tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from steerco.db.engine import describe_failure

    engine = make_engine(f"sqlite:///{tmp_path / 'full.db'}")
    exc = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    assert "disk of the database is full" in (describe_failure(exc, engine) or "")


def test_a_missing_database_directory_is_named(tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from steerco.db.engine import describe_failure

    path = tmp_path / "no such dir" / "steerco.db"
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    said = describe_failure(caught.value, engine) or ""
    assert str(path.parent) in said and "does not exist" in said


def test_serve_refuses_a_mistyped_or_unmigrated_database_and_names_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from steerco import cli
    from steerco.settings import get_settings

    served: list[str] = []
    monkeypatch.setattr("steerco.web.server.serve", lambda *a, **k: served.append("served"))
    for path, make in ((tmp_path / "typo.db", False), (tmp_path / "empty.db", True)):
        if make:
            path.touch()
        monkeypatch.setenv("STEERCO_DATABASE_URL", f"sqlite:///{path}")
        get_settings.cache_clear()
        result = CliRunner().invoke(cli.app, ["serve"])
        assert result.exit_code != 0
        assert str(path) in " ".join(result.output.split()), result.output
        assert path.exists() == make  # nothing created
    assert served == []
    get_settings.cache_clear()

"""Sessions, CSRF, token revocation, password reset and login throttling."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from steerco.accounts import service as accounts
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import OutboxMessage
from tests.api.conftest import Tenant

PASSWORD = "correct horse battery"


def _login_for(client: Any, tenant: Tenant, role: str) -> str:
    login = f"{role}-{tenant.ws}@login.example"
    with unit_of_work(make_sessionmaker(client.app.state.engine)) as s:
        accounts.set_credential(s, tenant.ws, tenant.users[role],
                                {"login": login, "password": PASSWORD})
    return login


def _login(client: Any, login: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def _as(value: str) -> dict[str, str]:
    return {"Cookie": f"steerco_session={value}"}


def test_login_issues_a_fresh_session_id_and_ignores_a_planted_one(
        client: Any, tenant: Tenant) -> None:
    login = _login_for(client, tenant, "viewer")
    r = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD},
                    headers=_as("attacker-chosen-value"))
    assert r.status_code == 200, r.text
    fresh = r.cookies.get("steerco_session")
    assert fresh and fresh != "attacker-chosen-value"
    assert "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=lax" in r.headers["set-cookie"].lower()
    client.cookies.clear()
    assert client.get("/api/v1/auth/session",
                      headers=_as("attacker-chosen-value")).status_code == 401
    assert client.get("/api/v1/auth/session", headers=_as(fresh)).status_code == 200
    # logging in again while holding a valid session replaces it: the old id stops working
    r = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD},
                    headers=_as(fresh))
    second = r.cookies.get("steerco_session")
    assert second and second != fresh
    client.cookies.clear()
    assert client.get("/api/v1/auth/session", headers=_as(fresh)).status_code == 401
    assert client.get("/api/v1/auth/session", headers=_as(second)).status_code == 200


def test_a_cookie_write_without_the_csrf_token_is_refused(client: Any, tenant: Tenant) -> None:
    login = _login_for(client, tenant, "ws_admin")
    r = _login(client, login)
    csrf = r.json()["csrf_token"]
    body = {"name": "Focus", "description": None}
    assert client.post("/api/v1/themes", json=body).status_code == 403
    assert client.post("/api/v1/themes", json=body,
                       headers={"X-CSRF-Token": "wrong"}).status_code == 403
    r = client.post("/api/v1/themes", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    # reads need no CSRF token
    assert client.get("/api/v1/themes").status_code == 200


def test_logout_ends_the_session_on_the_server(client: Any, tenant: Tenant) -> None:
    login = _login_for(client, tenant, "viewer")
    value = _login(client, login).cookies.get("steerco_session")
    client.cookies.clear()
    assert client.get("/api/v1/auth/session", headers=_as(value)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=_as(value)).status_code == 204
    assert client.get("/api/v1/auth/session", headers=_as(value)).status_code == 401


def test_a_revoked_token_stops_working_with_the_next_request(
        client: Any, tenant: Tenant) -> None:
    login = _login_for(client, tenant, "owner")
    csrf = _login(client, login).json()["csrf_token"]
    r = client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["read"]},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    secret, tid = r.json()["token"], r.json()["id"]
    jar = dict(client.cookies)
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/objectives", headers=bearer).status_code == 200
    # a read token cannot write
    assert client.post("/api/v1/themes", json={"name": "x"}, headers=bearer).status_code == 403
    r = client.delete(f"/api/v1/tokens/{tid}", headers={
        "X-CSRF-Token": csrf, "Cookie": f"steerco_session={jar['steerco_session']}"})
    assert r.status_code == 204
    assert client.get("/api/v1/objectives", headers=bearer).status_code == 401
    listed = client.get("/api/v1/tokens", headers=tenant.auth("owner")).json()
    assert any(t["id"] == tid and t["revoked_at"] for t in listed)
    assert all("token" not in t for t in listed)


def test_a_password_reset_token_works_once_only(client: Any, tenant: Tenant) -> None:
    login = _login_for(client, tenant, "executive")
    assert client.post("/api/v1/auth/password-reset", json={"login": login}).status_code == 202
    assert client.post("/api/v1/auth/password-reset",
                       json={"login": "nobody@nowhere.example"}).status_code == 202
    with unit_of_work(make_sessionmaker(client.app.state.engine)) as s:
        msg = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == login)
                        .order_by(OutboxMessage.id.desc())).first()
        assert msg is not None and msg.kind == "password_reset"
        token = msg.payload["token"]
    new = "a brand new passphrase"
    r = client.post("/api/v1/auth/password-reset/confirm",
                    json={"token": token, "new_password": new})
    assert r.status_code == 204, r.text
    r = client.post("/api/v1/auth/password-reset/confirm",
                    json={"token": token, "new_password": "yet another passphrase"})
    assert r.status_code == 422
    assert _login(client, login, PASSWORD).status_code == 401
    assert _login(client, login, new).status_code == 200


def test_repeated_failed_logins_lock_the_login_even_for_the_right_password(
        client: Any, tenant: Tenant) -> None:
    login = _login_for(client, tenant, "controller")
    for _ in range(accounts.THROTTLE_FAILURES):
        assert _login(client, login, "wrong password!").status_code == 401
    r = _login(client, login, PASSWORD)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["type"] == "throttled"


def test_an_anonymous_request_gets_401_in_the_error_shape(client: Any) -> None:
    r = client.get("/api/v1/objectives")
    assert r.status_code == 401
    assert set(r.json()) >= {"type", "title", "detail", "errors"}
    r = client.get("/api/v1/objectives", headers={"Authorization": "Bearer stc_nope"})
    assert r.status_code == 401

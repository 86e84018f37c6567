"""The per-process credential cache (PostgreSQL): it serves repeated requests without
resolving again, and forgets everything when access changes, here or in another process
(LISTEN/NOTIFY)."""

from __future__ import annotations

import os
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event

from steerco.accounts import service as accounts
from steerco.accounts.cache import CACHE, CHANNEL
from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import ApiToken
from tests.api.conftest import PG_ENV, seed_tenant

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV),
                                reason=f"needs PostgreSQL ({PG_ENV})")


def _dsn(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _wait_listening(engine: Engine) -> None:
    deadline = time.monotonic() + 10
    while not CACHE.enabled(engine):
        assert time.monotonic() < deadline, "the credential listener never connected"
        time.sleep(0.05)


def _token_queries(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def spy(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if "FROM api_tokens" in statement:
            seen.append(statement)

    return seen


def test_a_cached_token_is_not_looked_up_again_until_it_is_revoked(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    _wait_listening(api_engine)
    headers = t.auth("viewer")
    lookups = _token_queries(api_engine)
    assert client.get("/api/v1/objectives", headers=headers).status_code == 200
    first = len(lookups)
    for _ in range(5):
        assert client.get("/api/v1/objectives", headers=headers).status_code == 200
    assert len(lookups) == first, "a cached token was resolved again"

    # Revoke it through the service (any session in this process): the next request
    # resolves from the database and is refused.
    with unit_of_work(make_sessionmaker(api_engine)) as s:
        token = s.get(ApiToken, t.token_ids["viewer"])
        assert token is not None
        accounts.revoke_token(s, token)
    assert client.get("/api/v1/objectives", headers=headers).status_code == 401


def test_a_notification_from_another_process_clears_the_cache(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    _wait_listening(api_engine)
    headers = t.auth("viewer")
    assert client.get("/api/v1/objectives", headers=headers).status_code == 200
    generation = CACHE.generation
    # Another process revokes with plain SQL: only PostgreSQL's notification tells us.
    with psycopg.connect(_dsn(api_engine), autocommit=True) as other:
        other.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s",
                      (t.token_ids["viewer"],))
        other.execute(f"NOTIFY {CHANNEL}")
    deadline = time.monotonic() + 5
    while CACHE.generation == generation:
        assert time.monotonic() < deadline, "the notification did not clear the cache"
        time.sleep(0.02)
    assert client.get("/api/v1/objectives", headers=headers).status_code == 401


def test_changing_access_notifies_other_processes_when_it_commits(api_engine: Engine) -> None:
    t = seed_tenant(api_engine)
    with psycopg.connect(_dsn(api_engine), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with unit_of_work(make_sessionmaker(api_engine)) as s:
            # A bulk delete of the person's web sessions (as a password change does).
            accounts.CredentialRepository(s).end_sessions_of(t.users["viewer"])
        assert list(listener.notifies(timeout=2.0, stop_after=1)), "no notification sent"
        with unit_of_work(make_sessionmaker(api_engine)) as s:
            token = s.get(ApiToken, t.token_ids["owner"])
            assert token is not None
            accounts.touch_token(s, token.id)  # recording use changes no one's access
        assert not list(listener.notifies(timeout=0.5, stop_after=1))


def test_deactivating_a_person_notifies_other_processes_and_ends_their_cached_token(
        client: Any, api_engine: Engine) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    _wait_listening(api_engine)
    headers = t.auth("viewer")
    assert client.get("/api/v1/objectives", headers=headers).status_code == 200  # cached
    with psycopg.connect(_dsn(api_engine), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with unit_of_work(make_sessionmaker(api_engine)) as s:
            s.info["actor"] = "test"
            accounts.update_person(s, t.ws, t.users["viewer"], {"active": False})
        assert list(listener.notifies(timeout=2.0, stop_after=1)), "no notification sent"
        with unit_of_work(make_sessionmaker(api_engine)) as s:
            s.info["actor"] = "test"
            accounts.update_person(s, t.ws, t.users["owner"], {"title": "Renamed role"})
        assert not list(listener.notifies(timeout=0.5, stop_after=1))  # no access change
    assert client.get("/api/v1/objectives", headers=headers).status_code == 401

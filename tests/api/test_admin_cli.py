"""`steerco admin create` (as a function): the first admin can log in and administer."""

from __future__ import annotations

from typing import Any

import pytest

from steerco.accounts.cli import admin_create
from steerco.kit.errors import ValidationFailed


def test_the_first_admin_is_created_and_can_log_in(client: Any, api_engine: Any) -> None:
    pid = admin_create(api_engine, "first-admin-ws", "ada@first.example", "Ada Admin",
                       "a long password", create_missing_workspace=True)
    assert pid.startswith("per_")
    r = client.post("/api/v1/auth/login",
                    json={"login": "ADA@first.example", "password": "a long password"})
    assert r.status_code == 200, r.text
    assert [g["role"] for g in r.json()["roles"]] == ["admin"]
    assert r.json()["roles"][0]["org_unit_id"] is None


def test_admin_create_refuses_an_unknown_workspace_and_a_short_password(
        api_engine: Any) -> None:
    with pytest.raises(ValidationFailed):
        admin_create(api_engine, "no-such-ws", "x@y.example", "X", "a long password")
    with pytest.raises(ValidationFailed):
        admin_create(api_engine, "no-such-ws", "x@y.example", "X", "short",
                     create_missing_workspace=True)

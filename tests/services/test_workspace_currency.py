"""Money is shown in the workspace's currency: its setting when present, EUR otherwise."""

from __future__ import annotations

from typing import Any

from steerco.finance.repository import workspace_currency
from tests.factories import world


def test_a_workspace_without_a_currency_setting_shows_euros(session: Any) -> None:
    w = world(session)
    assert workspace_currency(session, w.wid) == "EUR"


def test_a_workspace_currency_setting_is_read_when_present(session: Any) -> None:
    w = world(session)
    w.ws.settings = {"currency": "usd"}  # the shape workspace settings may take
    assert workspace_currency(session, w.wid) == "USD"
    w.ws.settings = {"currency": "not a code"}
    assert workspace_currency(session, w.wid) == "EUR"

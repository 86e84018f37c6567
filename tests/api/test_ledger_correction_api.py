"""POST /ledger-entries/{id}/correct: the append-only correction through the API."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Tenant


def test_a_correction_answers_the_reversal_and_the_replacement_and_is_done_once(
        client: Any, tenant: Tenant) -> None:
    h = tenant.auth("ws_admin")
    line = client.post("/api/v1/budget-lines", headers=h, json={
        "code": "C-1", "name": "Cloud", "org_unit_id": f"org_{tenant.own}"}).json()["id"]
    led = client.post("/api/v1/ledger-entries", headers=h, json={
        "budget_line_id": line, "period": "2026-03-01", "amount": 900.0,
        "posted_on": "2026-04-02"}).json()["id"]
    body = {"amount": 90.0, "posted_on": "2026-04-05", "reason": "one digit too many"}
    r = client.post(f"/api/v1/ledger-entries/{led}/correct", headers=h, json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["reversal"]["amount"] == -900.0 and out["reversal"]["period"] == "2026-03-01"
    assert out["replacement"]["amount"] == 90.0
    assert out["replacement"]["reference"] == f"corrects {led}: one digit too many"
    listed = client.get(f"/api/v1/ledger-entries?budget_line_id={line}", headers=h).json()
    assert sum(e["amount"] for e in listed["items"]) == 90.0
    again = client.post(f"/api/v1/ledger-entries/{led}/correct", headers=h, json=body)
    assert again.status_code == 409 and "already corrected" in again.text
    r = client.post(f"/api/v1/ledger-entries/{led}/correct", headers=h,
                    json={**body, "reason": ""})
    assert r.status_code == 422

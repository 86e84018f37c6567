"""Schemathesis over the whole OpenAPI document, authenticated as a workspace admin.

Every operation gets a bounded number of generated requests (valid and invalid); none may
answer 5xx, and every answer must match the documented status codes, content types and
schemas. (The operations are driven from one test with Hypothesis directly, so the test
holds one fixture-built app and a fixed budget of examples.) A second, stateful test
follows the OpenAPI links from each create operation to the item it created.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Tenant, metric_of, objective_in, seed_tenant
from tests.api.targets import build

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 8


@pytest.fixture(scope="module")
def fuzz_tenant(api_engine: Any) -> Tenant:
    t = seed_tenant(api_engine, subtree_roles=False)
    obj = objective_in(api_engine, t, t.own, t.users["owner"])
    metric_of(api_engine, t, t.users["owner"], obj)
    build(api_engine, t, "measurement", t.own, t.users["owner"])
    return t


def test_no_request_crashes_the_api_and_every_answer_matches_the_schema(
        app: Any, fuzz_tenant: Tenant) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = fuzz_tenant.auth("ws_admin")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect them all, then fail once with every operation
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{str(exc)[:1500]}")
    assert operations > 50
    assert not failures, "\n\n".join(failures)


def test_a_workspace_whose_metrics_have_no_evidence_yet_still_has_a_status(
        client: Any, api_engine: Any) -> None:
    t = seed_tenant(api_engine)
    metric_of(api_engine, t, t.users["owner"])
    r = client.get("/api/v1/status/counts", headers=t.auth("viewer"))
    assert r.status_code == 200, r.text


# --- stateful: create → get / update / delete over the OpenAPI links ---------------------

#: Only the document's own links (http/openapi_links.py), valid requests only: the
#: stateless test above already sends invalid ones to every operation.
STATEFUL_CONFIG = {"generation": {"mode": "positive"},
                   "phases": {"stateful": {"inference": {"algorithms": []}}}}
STATEFUL = settings(max_examples=5, stateful_step_count=6, deadline=None, derandomize=True,
                    database=None, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


def _references(engine: Any, t: Tenant) -> dict[str, str]:
    """Body fields that name an entity → an entity of `t` (random ids would only be 422)."""
    person = f"per_{t.users['owner']}"
    ini = build(engine, t, "initiative", t.own, t.users["owner"])
    other = build(engine, t, "initiative", t.own, t.users["owner"])
    link = build(engine, t, "causal_link", t.own, t.users["owner"])
    line = build(engine, t, "ledger_entry", t.own, t.users["owner"])
    obj = build(engine, t, "objective", t.own, t.users["owner"])
    return {**dict.fromkeys(("owner_id", "person_id", "manager_id", "sponsor_id",
                             "controller_id", "head_id", "chair_id"), person),
            "org_unit_id": f"org_{t.own}", "parent_id": f"org_{t.own}",
            "metric_id": ini["metric"], "driver_id": link["driven"],
            "driven_id": link["driver"], "initiative_id": ini["id"], "provider": ini["id"],
            "consumer": other["id"], "objective_id": obj["id"], "budget_line_id": line["line"]}


def _with_references(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: refs[k] if k in refs and not isinstance(v, dict | list)
                else _with_references(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_references(v, refs) for v in value]
    return value


def test_chains_of_create_then_get_update_delete_never_crash_and_match_the_schema(
        app: Any, api_engine: Any) -> None:
    t = seed_tenant(api_engine, subtree_roles=False)
    refs = _references(api_engine, t)
    headers = t.auth("ws_admin")
    doc = app.openapi()
    creates = [path for path, item in doc["paths"].items()
               if item.get("post", {}).get("responses", {}).get("201", {}).get("links")]
    schema = schemathesis.openapi.from_asgi(
        "/api/openapi.json", app, config=SchemathesisConfig.from_dict(STATEFUL_CONFIG))
    reached: set[str] = set()  # item operations that answered 2xx: only a linked id can
    failures: list[str] = []
    for path in creates:
        # One machine per collection: schemathesis picks a scenario's first step among
        # the operations it deems likely to succeed, which for this API would be only the
        # creates that reference nothing; alone, each create is the scenario's start.
        machine = schema.include(path=[path, f"{path}/{{id}}"]).as_state_machine()

        class Chain(machine):  # type: ignore[misc, valid-type]
            def before_call(self, case: Any) -> None:
                if isinstance(case.body, dict | list):
                    case.body = _with_references(case.body, refs)

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"headers": headers}

            def after_call(self, response: Any, case: Any) -> None:
                super().after_call(response, case)
                if case.operation.path.endswith("/{id}") and response.status_code < 300:
                    reached.add(f"{case.method} {case.operation.path}")

            def validate_response(self, response: Any, case: Any,
                                  additional_checks: Any = None, **kwargs: Any) -> None:
                case.validate_response(response, checks=CHECKS,
                                       transport_kwargs=kwargs or None, recorder=self.recorder)

        try:
            Chain.run(settings=STATEFUL)
        except Exception as exc:  # collect them all, then fail once with every collection
            failures.append(f"POST {path} → …: {str(exc)[:1500]}")
    assert len(creates) >= 10
    assert not failures, "\n\n".join(failures)
    # the links were followed: created entities were read back, changed and deleted
    assert {r.split()[0] for r in reached} == {"GET", "PATCH", "DELETE"}
    assert len(reached) >= 10, sorted(reached)

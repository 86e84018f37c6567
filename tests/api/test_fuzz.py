"""Schemathesis over the whole OpenAPI document, authenticated as a workspace admin.

Every operation gets a bounded number of generated requests (valid and invalid); none may
answer 5xx, and every answer must match the documented status codes, content types and
schemas. (The operations are driven from one test with Hypothesis directly, so the test
holds one fixture-built app and a fixed budget of examples.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
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

"""Every API operation documents the refusals it can answer (RFC 9457 problem+json).

Schemathesis found `PUT /me/notification-preferences` answering a documented-nowhere 422
problem; this checks the whole class on the schema, every operation, without fuzzing."""

from __future__ import annotations

from typing import Any

from steerco.web.app import create_app

PROBLEM = "application/problem+json"


def test_every_authenticated_operation_documents_401_403_and_422_as_problems(engine: Any
                                                                            ) -> None:
    doc = create_app(engine).openapi()
    missing = []
    for path, item in doc["paths"].items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/auth"):
            continue
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for code in ("401", "403", "422"):
                content = op["responses"].get(code, {}).get("content", {})
                if PROBLEM not in content:
                    missing.append(f"{method.upper()} {path} {code}")
    assert missing == []

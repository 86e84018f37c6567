"""The app factory: health check, docs, and the one error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from steerco.db.engine import make_engine
from steerco.db.migrate import head_revision
from steerco.web.app import create_app


def test_healthz_reports_the_database_and_its_schema(engine):
    client = TestClient(create_app(engine))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["schema"] == head_revision()
    assert body["database"] in ("sqlite", "postgresql")


def test_healthz_on_an_unmigrated_database_is_503_with_the_remedy(tmp_path):
    client = TestClient(create_app(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")))
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json()["detail"] == "database not migrated: run steerco db upgrade"


def test_the_openapi_document_and_docs_are_served(engine):
    client = TestClient(create_app(engine))
    assert client.get("/api/openapi.json").json()["info"]["title"] == "steerco"
    assert client.get("/docs").status_code == 200


def test_an_unknown_path_gets_the_error_shape(engine):
    resp = TestClient(create_app(engine)).get("/nowhere")
    assert resp.status_code == 404
    assert set(resp.json()) == {"type", "title", "detail", "errors"}

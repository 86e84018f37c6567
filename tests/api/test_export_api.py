"""GET /api/v1/export: the workspace as XLSX, a zip of CSVs or the strategy YAML."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import yaml

from tests.api.conftest import Tenant, objective_in


def test_export_in_each_format(client: Any, tenant: Tenant) -> None:
    objective_in(client.app.state.engine, tenant, tenant.own, tenant.users["owner"])
    h = tenant.auth("viewer")
    r = client.get("/api/v1/export", params={"format": "xlsx"}, headers=h)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "steerco-export.xlsx" in r.headers["content-disposition"]
    r = client.get("/api/v1/export", params={"format": "csv"}, headers=h)
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "objectives.csv" in names and "people.csv" in names
    objectives = zipfile.ZipFile(io.BytesIO(r.content)).read("objectives.csv").decode()
    assert "Grow" in objectives
    r = client.get("/api/v1/export", params={"format": "yaml"}, headers=h)
    assert r.headers["content-type"].startswith("application/yaml")
    assert any(o["title"] == "Grow" for o in yaml.safe_load(r.text)["objectives"])
    r = client.get("/api/v1/export", params={"format": "pdf"}, headers=h)
    assert r.status_code == 422 and "format" in r.text

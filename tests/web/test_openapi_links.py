"""The OpenAPI links from create operations to the item operations of what they create."""

from __future__ import annotations

import copy
from typing import Any

from steerco.http.openapi_links import add_crud_links
from steerco.web.app import create_app

ID = "$response.body#/id"


def operation_ids(doc: dict[str, Any]) -> set[str]:
    return {op["operationId"] for item in doc["paths"].values() for op in item.values()
            if isinstance(op, dict) and "operationId" in op}


def links_of(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return doc["paths"][path]["post"]["responses"]["201"].get("links", {})


def test_creating_an_objective_or_a_metric_links_to_its_get_update_and_delete(engine):
    doc = create_app(engine).openapi()
    objective = links_of(doc, "/api/v1/objectives")
    assert {k: v["operationId"] for k, v in objective.items()} == {
        "get_objective": "get_objective", "update_objective": "update_objective",
        "delete_objective": "delete_objective"}
    assert all(link["parameters"]["id"] == ID for link in objective.values())
    metric = links_of(doc, "/api/v1/metrics")
    assert {v["operationId"] for v in metric.values()} == {"get_metric", "update_metric"}
    # a write of a fresh entity names its version, so the update is not refused with 428
    assert metric["update_metric"]["parameters"]["header.If-Match"] == "$response.header.ETag"
    assert "header.If-Match" not in metric["get_metric"]["parameters"]


def test_every_link_points_to_an_operation_of_the_document(engine):
    doc = create_app(engine).openapi()
    known = operation_ids(doc)
    links = [link for item in doc["paths"].values() for op in item.values()
             if isinstance(op, dict) for r in op.get("responses", {}).values()
             for link in r.get("links", {}).values()]
    assert len(links) >= 20
    assert {link["operationId"] for link in links} <= known


def test_the_document_is_built_once_and_links_are_not_added_twice(engine):
    app = create_app(engine)
    first = app.openapi()
    assert app.openapi() is first is app.openapi_schema
    assert len(links_of(first, "/api/v1/objectives")) == 3


def _doc() -> dict[str, Any]:
    item = {"get": {"operationId": "get_thing"},
            "patch": {"operationId": "update_thing",
                      "parameters": [{"name": "If-Match", "in": "header"}]}}
    created = {"201": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ThingRead"}}}}}
    return {
        "paths": {
            "/things": {"post": {"responses": created}},
            "/things/{id}": item,
            "/orphans": {"post": {"responses": copy.deepcopy(created)}},
            "/things/{id}/parts": {"post": {"responses": copy.deepcopy(created)}},
            "/things/{id}/parts/{id}": copy.deepcopy(item),
            "/boxes/{box}/parts": {"post": {"responses": copy.deepcopy(created)}},
            "/boxes/{box}/parts/{id}": {"delete": {"operationId": "delete_part"}},
            "/idless": {"post": {"responses": {"201": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/NoId"}}}}}}},
            "/idless/{id}": copy.deepcopy(item),
            "/ok": {"post": {"responses": {"200": copy.deepcopy(created["201"])}}},
            "/ok/{id}": copy.deepcopy(item),
        },
        "components": {"schemas": {
            "ThingRead": {"$ref": "#/components/schemas/Thing"},
            "Thing": {"type": "object", "properties": {"id": {"type": "string"}}},
            "NoId": {"type": "object", "properties": {"name": {"type": "string"}}},
        }},
    }


def test_only_a_201_create_on_a_collection_with_an_id_and_an_item_path_gets_links():
    doc = add_crud_links(_doc())
    assert links_of(doc, "/things") == {
        "get_thing": {"operationId": "get_thing", "parameters": {"id": ID},
                      "description": "GET the /things item just created"},
        "update_thing": {"operationId": "update_thing",
                         "parameters": {"id": ID, "header.If-Match": "$response.header.ETag"},
                         "description": "PATCH the /things item just created"}}
    assert links_of(doc, "/boxes/{box}/parts") == {"delete_part": {
        "operationId": "delete_part",
        "parameters": {"id": ID, "path.box": "$request.path.box"},
        "description": "DELETE the /boxes/{box}/parts item just created"}}
    for path in ("/orphans", "/things/{id}/parts", "/idless"):
        assert links_of(doc, path) == {}, path
    assert "links" not in doc["paths"]["/ok"]["post"]["responses"]["200"]

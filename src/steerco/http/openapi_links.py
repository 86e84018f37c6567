"""OpenAPI links from each create operation to the item operations of what it created.

A stateful client (schemathesis' state machine, or a person reading the docs) can then
follow `POST /api/v1/things` → `GET | PATCH | DELETE /api/v1/things/{id}` with the new
id, instead of guessing ids. The links are derived from the document alone, so a new
entity gets them without being listed anywhere:

- the source is a POST on a collection path (its last segment is not a parameter, and
  none of its parameters is called `id`) that answers 201 with a JSON body whose schema
  has an `id` property;
- the targets are the GET, PATCH and DELETE operations (those that exist and have an
  operationId) of the same path plus `/{id}`;
- each link passes `id` from `$response.body#/id`, the collection's own path parameters
  (if nested) from the request, and, when the target takes an `If-Match` header, the new
  entity's `ETag` (a fresh entity's version is known).
"""

from __future__ import annotations

from typing import Any

TARGET_METHODS = ("get", "patch", "delete")
_JSON = "application/json"


def _resolve(doc: dict[str, Any], schema: Any) -> dict[str, Any]:
    """Follow local `$ref`s (`#/components/schemas/X`) to the schema they name."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            return {}
        node: Any = doc
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema, seen = node, seen + 1
    return schema if isinstance(schema, dict) else {}


def _has_id(doc: dict[str, Any], response: dict[str, Any]) -> bool:
    content = response.get("content", {}).get(_JSON)
    if not isinstance(content, dict):
        return False
    schema = _resolve(doc, content.get("schema"))
    return "id" in schema.get("properties", {})


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(p.get("in") == "header" and str(p.get("name", "")).lower() == "if-match"
               for p in operation.get("parameters", []) if isinstance(p, dict))


def _is_collection(path: str) -> bool:
    """A path naming a collection: its last segment is no parameter, and no parameter of
    its own is called `id` (the item's `{id}` would be ambiguous)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(last) and not last.startswith("{") and "{id}" not in path


def _path_params(path: str) -> list[str]:
    return [seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")]


def add_crud_links(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the create → get/update/delete links to `doc` (in place) and return it."""
    paths: dict[str, Any] = doc.get("paths", {})
    for path, item in paths.items():
        create = item.get("post") if isinstance(item, dict) else None
        if not isinstance(create, dict) or not _is_collection(path):
            continue
        created = create.get("responses", {}).get("201")
        if not isinstance(created, dict) or not _has_id(doc, created):
            continue
        target = paths.get(f"{path.rstrip('/')}/{{id}}")
        if not isinstance(target, dict):
            continue
        links: dict[str, Any] = {}
        for method in TARGET_METHODS:
            operation = target.get(method)
            if not isinstance(operation, dict) or not operation.get("operationId"):
                continue
            params: dict[str, str] = {"id": "$response.body#/id"}
            # A nested collection's own path parameters go along unchanged.
            params.update({f"path.{name}": f"$request.path.{name}"
                           for name in _path_params(path)})
            if _takes_if_match(operation):
                params["header.If-Match"] = "$response.header.ETag"
            op_id = str(operation["operationId"])
            links[op_id] = {"operationId": op_id, "parameters": params,
                            "description": f"{method.upper()} the {path} item just created"}
        if links:
            created.setdefault("links", {}).update(links)
    return doc

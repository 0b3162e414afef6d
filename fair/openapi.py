"""The OpenAPI document's pieces: helpers every package describes its paths with, and the
core's own paths (accounts, fairs). The composition root (``kakehashi.openapi``) puts the
packages' parts together and serves ``GET /api/openapi.json``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "error", **json_body(ref("Error"))} for s in statuses}


def path_params(*names: str) -> list[dict[str, Any]]:
    return [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]


def query_params(*names: str) -> list[dict[str, Any]]:
    return [
        {"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names
    ]


def model_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """Component schemas of request models, nested models lifted to components too."""
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def operation(
    summary: str,
    ok: tuple[int, dict[str, Any] | None],
    *,
    body: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    status, schema = ok
    responses: dict[str, Any] = {
        str(status): {"description": "success", **(json_body(schema) if schema else {})}
    }
    # 400 is always possible: a malformed request (a NUL byte in the path or query, bad JSON);
    # a JSON body may also be too large (413), not JSON (415) or have invalid fields (422).
    always = {400, 413, 415, 422} if body is not None else {400}
    responses.update(_errors(*sorted(always | set(errors))))
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, **json_body(ref(body.__name__))}
    if params:
        op["parameters"] = params
    return op

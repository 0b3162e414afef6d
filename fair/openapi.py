"""The OpenAPI document's pieces: helpers every package describes its paths with, and the
core's own paths (accounts, fairs). The composition root (``kakehashi.openapi``) puts the
packages' parts together and serves ``GET /api/openapi.json``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from fair.accounts.schemas import Login, Registration
from fair.fairs.schemas import FairCreate

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}

USER = {
    "type": "object",
    "required": ["id", "email", "name", "role"],
    "properties": {
        name: {"type": "string"}
        for name in ("id", "email", "name", "role", "company", "country", "timezone", "locale")
    },
}

FAIR = {
    "type": "object",
    "required": ["id", "slug", "title", "starts_on", "ends_on", "timezone", "phase"],
    "properties": {
        "id": {"type": "string"},
        "slug": {"type": "string"},
        "title": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": {"type": "object", "additionalProperties": {"type": "string"}},
        "starts_on": {"type": "string", "format": "date"},
        "ends_on": {"type": "string", "format": "date"},
        "booking_opens_on": {"type": "string", "format": "date"},
        "timezone": {"type": "string"},
        "slot_minutes": {"type": "integer"},
        "status": {"type": "string", "enum": ["draft", "published"]},
        "phase": {
            "type": "string",
            "enum": ["draft", "registration", "booking", "live", "closed"],
        },
    },
}


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


SLUG = [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]


def core_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR, "User": USER, "Fair": FAIR}
    schemas.update(model_schemas(Registration, Login, FairCreate))
    return schemas


def core_paths() -> dict[str, Any]:
    return {
        "/api/auth/register": {
            "post": operation(
                "Register an exhibitor or buyer",
                (201, ref("User")),
                body=Registration,
                errors=(400, 409, 413, 415, 422),
            )
        },
        "/api/auth/login": {
            "post": operation(
                "Sign in", (200, ref("User")), body=Login, errors=(400, 401, 415, 422, 429)
            )
        },
        "/api/auth/logout": {"post": operation("Sign out", (204, None))},
        "/api/auth/me": {"get": operation("The signed-in user", (200, ref("User")), errors=(401,))},
        "/api/fairs": {
            "get": operation(
                "Fairs and their phase",
                (
                    200,
                    {
                        "type": "object",
                        "properties": {"fairs": {"type": "array", "items": ref("Fair")}},
                    },
                ),
            ),
            "post": operation(
                "Create a fair (organizer)",
                (201, ref("Fair")),
                body=FairCreate,
                errors=(400, 401, 403, 409, 415, 422),
            ),
        },
        "/api/fairs/{slug}": {
            "get": operation("One fair", (200, ref("Fair")), errors=(404,), params=SLUG)
        },
        "/api/fairs/{slug}/publish": {
            "post": operation(
                "Publish a draft fair (organizer)",
                (200, ref("Fair")),
                errors=(401, 403, 404),
                params=SLUG,
            )
        },
    }

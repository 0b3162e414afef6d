"""``GET /api/openapi.json``: the public API, every package's part put together."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kakehashi.features import FEATURES


def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for feature in FEATURES:
        paths.update(feature.openapi_paths())
        schemas.update(feature.openapi_schemas())
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kakehashi API", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "kk_session"}
            },
        },
    }


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(document())


routes = [Route("/api/openapi.json", openapi_json, methods=["GET"])]

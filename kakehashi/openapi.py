"""``GET /api/openapi.json``: the public API, generated from every package's endpoints
(``fair.api``)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import api
from fair.web import SESSION_COOKIE
from kakehashi.features import FEATURES

TOKEN_DOC = (
    "A personal API token (made at /account/tokens or POST /api/tokens) as "  # noqa: S105
    "`Authorization: Bearer kk_…`: no cookie and no CSRF token are needed. An operation "
    "lists the scope it needs; the account's role applies as with the cookie."
)


def document() -> dict[str, Any]:
    paths, schemas = api.paths_and_schemas(
        endpoint for feature in FEATURES for endpoint in feature.api
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kakehashi API", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                "token": {"type": "http", "scheme": "bearer", "description": TOKEN_DOC},
            },
        },
    }


@cache
def _rendered() -> bytes:
    # The same for the process's life; generating it takes about a quarter of a second.
    text = json.dumps(document(), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


async def openapi_json(request: Request) -> Response:
    return Response(_rendered(), media_type="application/json")


routes = [Route("/api/openapi.json", openapi_json, methods=["GET"])]

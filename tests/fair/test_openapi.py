"""The OpenAPI document describes every /api route the app serves, and only those."""

from __future__ import annotations

import re

from starlette.routing import Route

from fair.config import Settings
from kakehashi.app import create_app
from kakehashi.openapi import document


def test_every_api_route_is_documented():
    app = create_app(Settings(env="test"))
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
        for method in (route.methods or ())
        if method != "HEAD"
    }
    served.discard(("/api/openapi.json", "get"))
    documented = {(path, method) for path, item in document()["paths"].items() for method in item}
    assert served == documented


def test_request_schemas_are_resolvable():
    doc = document()
    schemas = doc["components"]["schemas"]
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"].rsplit("/", 1)[-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs <= set(schemas)


def test_every_shape_has_one_plain_name():
    """Two shapes of the same class name would both get long, module-qualified names (and a
    shape used for requests and responses alike a suffix): each is named once, plainly."""
    names = document()["components"]["schemas"]
    assert [name for name in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name)] == []

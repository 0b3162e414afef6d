"""The route index (``fair.route_index``, issue 19) answers every path as Starlette's router
does by trying each route in turn: the same route, the same 404, 405 and redirect to the
path with or without its trailing slash, over all of the app's routes.

Each of the app's routes is copied with an endpoint that answers its own number, so the two
routers' answers say which route each would have run; every route's path is asked with its
parameters filled in, with and without a trailing slash, cut short at each segment, with
every method, and as a WebSocket."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route, Router, WebSocketRoute
from starlette.websockets import WebSocket

from fair.config import Settings
from fair.route_index import RouteIndex, index_routes
from kakehashi.app import create_app

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SAMPLES = {"str": "x1", "int": "7", "float": "1.5", "path": "a/b.css"}
SAMPLES["uuid"] = "0b9c5f3e-2f4e-4a51-9d1f-3f1ae9d3c8a1"
PARAMETER = re.compile(r"\{\w+(?::(\w+))?\}")
UNKNOWN = ["/", "//", "/nope", "/api", "/api/", "/api/nope", "/static", "/static/", "/ws/"]


@pytest.fixture(scope="module")
def app_router() -> Router:
    # Only built, never started: nothing is opened or written.
    return create_app(Settings(env="test", secret_key="test-secret-" + "x" * 32)).router


@pytest.fixture(scope="module")
def app_routes(app_router) -> list[BaseRoute]:
    return list(app_router.routes)


# The routes of the comparison running now: a scope's router must hold all of them.
WHOLE: list[BaseRoute] = []


def numbered(route: BaseRoute, number: int) -> BaseRoute:
    """The route's path and methods, with an endpoint that answers ``number`` and whether
    the scope's router is the whole one (``url_for`` looks routes up there)."""

    def told(scope: dict[str, Any]) -> str:
        return f"{number} {'whole' if len(scope['router'].routes) == len(WHOLE) else 'part'}"

    if isinstance(route, Route):

        async def endpoint(request: Any) -> PlainTextResponse:
            return PlainTextResponse(told(request.scope))

        return Route(route.path, endpoint, methods=route.methods, name=route.name)
    if isinstance(route, WebSocketRoute):

        async def socket(websocket: WebSocket) -> None:
            await websocket.close(code=3000 + number, reason=told(websocket.scope))

        return WebSocketRoute(route.path, socket, name=route.name)
    assert isinstance(route, Mount), route

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse(told(scope))(scope, receive, send)

    return Mount(route.path, app=mounted, name=route.name)


def paths_of(route_path: str) -> set[str]:
    filled = PARAMETER.sub(lambda m: SAMPLES[m.group(1) or "str"], route_path) or "/"
    cut = {filled[: n + 1] for n, char in enumerate(filled) if char == "/"}
    return {filled, filled + "/", filled.rstrip("/") or "/", *cut}


async def answer(router: Router, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if scope["type"] == "websocket":
            if not asked:
                asked = True
                return {"type": "websocket.connect"}
            return {"type": "websocket.disconnect", "code": 1000}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await router(dict(scope), receive, send)
    return sent


def scope_of(kind: str, method: str, path: str, root: str) -> dict[str, Any]:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http" if kind == "http" else "ws",
        "server": ("testserver", 80),
        "client": ("203.0.113.7", 50000),
        "root_path": root,
        "path": root + path,
        "raw_path": (root + path).encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }


async def same_answers(routes: list[BaseRoute], root: str) -> set[str]:
    """Ask both routers every path of ``routes`` with each method and as a WebSocket;
    the numbers of the routes that answered."""
    copies = [numbered(route, n) for n, route in enumerate(routes)]
    WHOLE[:] = copies
    plain = Router(routes=copies)
    indexed = Router(routes=copies)
    index_routes(indexed)
    paths = set(UNKNOWN).union(*(paths_of(getattr(r, "path", "/")) for r in routes))
    reached: set[str] = set()
    for path in sorted(paths):
        cases = [("http", method) for method in METHODS] + [("websocket", "GET")]
        for kind, method in cases:
            scope = scope_of(kind, method, path, root)
            expected = await answer(plain, scope)
            assert await answer(indexed, scope) == expected, (kind, method, path)
            for message in expected:
                said = message.get("body", b"").decode() or message.get("reason", "")
                if said.endswith(" whole"):
                    reached.add(said.split()[0])
                assert not said.endswith(" part"), (kind, method, path, said)
    return reached


@pytest.mark.parametrize("root", ["", "/kk"])
async def test_every_path_goes_to_the_route_the_whole_router_chooses(app_routes, root):
    reached = await same_answers(app_routes, root)
    # Every route was reached by some path, so the comparison covered each of them.
    assert len(reached) == len(app_routes), sorted(reached, key=int)


async def _nothing(request: Any) -> PlainTextResponse:
    return PlainTextResponse("")


# The app has no route whose first segment is a parameter; these come before and after
# literal ones that match the same paths, so the order among them decides.
ANYWHERE = [
    Route("/{section}/{item}", _nothing, methods=["PUT"]),
    Route("/api/{item}", _nothing, methods=["GET", "PUT"]),
    Route("/{lang}", _nothing),
    Route("/api", _nothing, methods=["POST"]),
    Route("/files/{rest:path}", _nothing),
    Mount("/static", app=_nothing),
    Route("/{lang}/about", _nothing, methods=["GET", "DELETE"]),
    Route("/{lang}/about", _nothing, methods=["DELETE"]),
    WebSocketRoute("/ws", _nothing),
    # A path parameter takes any number of segments: what follows it is anywhere.
    Route("/{rest:path}/edit", _nothing),
    Route("/{a}/{b}/edit", _nothing),
    WebSocketRoute("/{room}", _nothing),
    Route("/{everything:path}", _nothing, methods=["PATCH"]),
]


@pytest.mark.parametrize("root", ["", "/kk"])
async def test_routes_that_match_any_first_segment_keep_their_place(root):
    reached = await same_answers(ANYWHERE, root)
    # All but the second "/{lang}/about" and "/{a}/{b}/edit", whose paths come earlier.
    assert len(reached) == len(ANYWHERE) - 2, sorted(reached)


def test_the_app_dispatches_through_the_index(app_routes, app_router):
    assert isinstance(app_router.middleware_stack, RouteIndex)
    assert app_router.routes == app_routes

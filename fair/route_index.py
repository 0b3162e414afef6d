"""A request's route found among the routes of its path's first segments, not among all.

Starlette's router asks its routes one after the other whether the request's path is theirs
(a regular expression each). With the app's 226 routes, a request for one near the end (the
signaling WebSocket comes after every feature's pages) ran some 200 expressions first:
50-110 µs of CPU on each request (issue 19), and the whole list twice for every 404.

A route whose path begins with literal segments (``/api/booths/...``) can only match a path
that begins with those same segments. So a request is matched against the routes whose
first two segments are its own or parameters (``{...}``), in the app's order: a router of
its own for each pair of segments, made when first asked (at most one per pair of the
routes' own literals: a path no route names shares one router with all its kind). Where
none of them matches, the app's whole router decides as it always did: the 405 of a route
that has the path but not the method, the redirect to the path with or without its
trailing slash, the 404. Every path is answered as before, by the same route
(``tests/fair/test_route_index.py`` checks each of the app's routes)."""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Router
from starlette.types import Receive, Scope, Send


def index_routes(router: Router) -> None:
    """Make ``router`` dispatch by the path's first segments (its routes as they are now:
    a route added later would not be found)."""
    router.middleware_stack = RouteIndex(router)


# A segment no route names literally: all such share their candidates.
_OTHER = object()
DEPTH = 2  # segments looked at: the app's 226 routes come to at most a few dozen per pair


class RouteIndex:
    """The ASGI app in front of ``router``'s own dispatch (``Router.app``)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.literals = [_literal_segments(route) for route in router.routes]
        self.named = [{lit[k] for lit in self.literals if lit[k] is not None} for k in range(DEPTH)]
        self.parts: dict[tuple[Any, ...], Router] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.router.app(scope, receive, send)
            return
        # ``url_for`` asks the router in the scope: it must know every route.
        scope.setdefault("router", self.router)
        path = get_route_path(scope)  # what each route's ``matches`` looks at
        segments = path[1:].split("/", DEPTH)[:DEPTH] if path.startswith("/") else []
        key = tuple(
            segments[k] if k < len(segments) and segments[k] in self.named[k] else _OTHER
            for k in range(DEPTH)
        )
        part = self.parts.get(key)
        if part is None:
            part = self.parts[key] = self._part(key)
        await part.app(scope, receive, send)

    def _part(self, key: tuple[Any, ...]) -> Router:
        """The routes that may match a path whose segments are ``key``, in their order;
        where none does, the whole router answers, as without the index."""
        routes = [
            route
            for route, literal in zip(self.router.routes, self.literals, strict=True)
            if all(lit is None or lit == seg for lit, seg in zip(literal, key, strict=True))
        ]
        return Router(routes=routes, redirect_slashes=False, default=self.router.app)


def _literal_segments(route: BaseRoute) -> tuple[str | None, ...]:
    """The route's first ``DEPTH`` path segments, each None where it may be anything (a
    parameter, a path shorter than that, or a mount's path below it)."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return (None,) * DEPTH
    found: list[str | None] = []
    for segment in path[1:].split("/")[:DEPTH]:
        if "{" in segment or (found and found[-1] is None):
            found.append(None)  # below a parameter, nothing is known either
        else:
            found.append(segment)
    return tuple(found + [None] * (DEPTH - len(found)))

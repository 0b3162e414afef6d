"""The relay as a Starlette endpoint: the app's own ``/ws/signaling`` (``fair serve``).

Mount ``signaling_routes()`` in an app whose ``app.state.signaling`` is a ``SignalingState``
and whose lifespan calls ``state.start()`` / ``state.close()``. ``create_signaling_app(state)``
is such an app serving only the relay (plus ``GET /healthz``), for running the in-app endpoint
on its own under uvicorn (the tests and bench/signaling.py's "ours on uvicorn"); the relay's
own process runs on ``signaling.standalone`` instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from signaling.server import SignalingState, serve_connection


class StarletteTransport:
    """``signaling.server.Transport`` over a Starlette WebSocket (already accepted)."""

    __slots__ = ("_receive", "client", "close", "origin", "send")
    gone = WebSocketDisconnect

    def __init__(self, websocket: WebSocket) -> None:
        self._receive = websocket.receive
        # Bound methods as they are: a call less per frame than a method that forwards.
        self.send = websocket.send_text
        # ASGI's close sends the frame and returns: it never waits for the peer's answer.
        self.close = websocket.close
        self.client = websocket.client.host if websocket.client else None
        self.origin = websocket.headers.get("origin")

    async def receive(self) -> str | bytes:
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    def abort(self) -> None:
        """ASGI cannot drop a connection: the relay cancels the connection's task instead."""


async def signaling_endpoint(websocket: WebSocket) -> None:
    state: SignalingState = websocket.app.state.signaling
    await websocket.accept()
    await serve_connection(StarletteTransport(websocket), state)


def signaling_routes(path: str = "/ws/signaling") -> list[BaseRoute]:
    """The signaling WebSocket route, reading its collaborators from app.state.signaling."""
    return [WebSocketRoute(path, signaling_endpoint, name="signaling")]


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_signaling_app(state: SignalingState, path: str = "/ws/signaling") -> Starlette:
    """An app serving only the relay (plus GET /healthz)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.close()

    app = Starlette(
        routes=[*signaling_routes(path), Route("/healthz", _healthz, methods=["GET"])],
        lifespan=lifespan,
    )
    app.state.signaling = state
    return app

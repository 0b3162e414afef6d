"""Small helpers the tests share (plain functions; fixtures live in conftest)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

PASSWORD = "correct horse battery staple"


def make_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
        base_url="http://testserver",
        follow_redirects=False,
    )


def registration(**overrides: Any) -> dict[str, Any]:
    data = {
        "email": "lan.nguyen@saigon-trading.example",
        "password": PASSWORD,
        "name": "Nguyễn Thị Lan",
        "role": "buyer",
        "company": "Saigon Trading JSC",
        "country": "VN",
        "timezone": "Asia/Ho_Chi_Minh",
        "locale": "vi",
    }
    data.update(overrides)
    return data


async def make_user(session: AsyncSession, role: str, email: str, **extra: Any) -> Any:
    from fair.accounts.models import Role
    from fair.accounts.service import create_user

    user = await create_user(
        session,
        email=email,
        password=PASSWORD,
        name=extra.pop("name", "Test Person"),
        role=Role(role),
        **extra,
    )
    await session.commit()
    return user


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response


def use_session(client: httpx.AsyncClient, token: str) -> None:
    """Make the client present exactly this session cookie."""
    client.cookies.clear()
    client.cookies.set("kk_session", token)


async def read_scalar(session: AsyncSession, statement: Any) -> Any:
    """One value, then the transaction ends: on SQLite the test's session otherwise keeps
    the write lock (every transaction is BEGIN IMMEDIATE) and the app's next write waits."""
    value = await session.scalar(statement)
    await session.rollback()
    return value


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """``app`` behind a real uvicorn on 127.0.0.1 (its lifespan already running); yields the
    base URL. The socket listens before the server starts, so clients may connect at once."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(app, ws="websockets-sansio", log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()

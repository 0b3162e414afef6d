"""Small helpers the tests share (plain functions; fixtures live in conftest)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from email import policy
from typing import Any, NoReturn

import asyncpg
import httpx
import pytest
from sqlalchemy import delete, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session

from kakehashi.models import metadata

PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI") == "true"
PG_ADMIN_DSN = os.environ.get("KK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def missing(message: str) -> NoReturn:
    """A missing service, program or package fails the run under CI=true and skips the test
    elsewhere, saying why."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def unavailable(what: str, why: object) -> NoReturn:
    missing(f"{what} is not reachable ({why}); start it or run .ci/run")


@contextlib.asynccontextmanager
async def postgres_database(prefix: str, admin_dsn: str = PG_ADMIN_DSN) -> AsyncIterator[str]:
    """A new empty database ``prefix_<random>`` on the PostgreSQL of ``admin_dsn``; its
    SQLAlchemy URL; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable("PostgreSQL", exc)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(admin_dsn, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# Written by database triggers as meetings and buyers change (migration 0009).
REPORT_TABLES = ("report_deltas", "report_cells")


async def empty_tables(connection: AsyncConnection | AsyncSession) -> None:
    """Delete every row of every table. The report's tables go last: deleting meetings
    appends their negative counts there."""
    for table in reversed(metadata.sorted_tables):
        await connection.execute(delete(table))
    for name in REPORT_TABLES:
        await connection.execute(delete(metadata.tables[name]))


def worker_redis(url: str) -> str:
    """``url`` with its database number moved down by this pytest-xdist worker's index, so
    the workers of one ``make test`` each flush a database of their own (gw0 keeps it)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, number = url.rsplit("/", 1)
    return f"{base}/{int(number) - int(worker.removeprefix('gw'))}"


@contextlib.asynccontextmanager
async def redis_database(url: str) -> AsyncIterator[str]:
    """The Redis database of ``url``, flushed before and after (tests own their number)."""
    import redis.asyncio as aioredis

    connection = aioredis.from_url(url, socket_connect_timeout=5)
    try:
        await connection.ping()
    except (OSError, aioredis.RedisError) as exc:
        await connection.aclose()
        unavailable("Redis", exc)
    await connection.flushdb()
    try:
        yield url
    finally:
        await connection.flushdb()
        await connection.aclose()


# Test clients present themselves as a person's browser: httpx's own User-Agent is a tool's,
# whose anonymous views are not counted (booths/bots.py).
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def make_client(app: Any, address: str = "203.0.113.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://testserver",
        headers={"user-agent": BROWSER},
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
    """An account as the CLI makes them: its address confirmed unless ``verified=False``."""
    from fair.accounts.models import Role
    from fair.accounts.service import create_user

    user = await create_user(
        session,
        email=email,
        password=PASSWORD,
        name=extra.pop("name", "Test Person"),
        role=Role(role),
        verified=extra.pop("verified", True),
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextlib.contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1 answering with ``handler``;
    yields the port (aiosmtpd cannot take port 0 itself)."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


async def eventually(
    check: Callable[[], Any], what: str, within: float = 30.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail at the deadline.

    The interval only sets how often we look; no assertion depends on how long anything took.
    """
    deadline = time.monotonic() + within
    last: Any = None
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {within:.0f} s waiting for {what} (last: {last!r})")
        await asyncio.sleep(interval)


async def confirm_email(client: httpx.AsyncClient, app: Any, email: str) -> httpx.Response:
    """Confirm a registered account's address through the real endpoint, with the token of
    its newest verification link: the one its mail carries (``fair.accounts.tokens``)."""
    from sqlalchemy import select

    from fair.accounts.models import AccountToken, TokenPurpose
    from fair.accounts.tokens import token_of
    from fair.resources import of_app

    resources = of_app(app)
    async with resources.sessionmaker() as session:
        row_id = await read_scalar(
            session,
            select(AccountToken.id)
            .where(
                AccountToken.email == email.lower(),
                AccountToken.purpose == TokenPurpose.VERIFY.value,
            )
            .order_by(AccountToken.created_at.desc())
            .limit(1),
        )
    assert row_id, f"no verification link for {email}"
    token = token_of(row_id, TokenPurpose.VERIFY.value, resources.settings.secret_key)
    response = await client.post("/api/auth/verify", json={"token": token})
    assert response.status_code == 200, response.text
    return response


async def make_colleague(
    session: AsyncSession, of: Any, email: str, *, role: str = "member", **extra: Any
) -> Any:
    """An account of ``of``'s role in ``of``'s company (as an accepted invitation makes
    one), its address confirmed. ``of``: a user, or a user's id."""
    from fair.accounts.models import CompanyMember, Role, User
    from fair.accounts.service import create_user

    if isinstance(of, str):
        of = await session.get(User, of)

    user = await create_user(
        session,
        email=email,
        password=PASSWORD,
        name=extra.pop("name", "A Colleague"),
        role=Role(of.role),
        company=of.company,
        verified=True,
        with_company=False,
        **extra,
    )
    user.membership = CompanyMember(
        company=of.membership.company, company_id=of.company_id, user_id=user.id, role=role
    )
    await session.commit()
    return user


class Built(list[list[object]]):
    """The statement objects every ORM session executes while the block runs, one list per
    round (``with Built() as rounds``, then ``rounds.next()`` before each): SQLAlchemy keeps a
    statement's cache key on the statement, so one built per request is built and hashed
    again each time (issue 19). ``again()``: what a later round ran that the first did not,
    each as its SQL's first words."""

    def __enter__(self) -> Built:
        event.listen(Session, "do_orm_execute", self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Session, "do_orm_execute", self._note)

    def next(self) -> None:
        self.append([])

    def _note(self, state: Any) -> None:
        self[-1].append(state.statement)

    def again(self) -> list[str]:
        first = {id(statement) for statement in self[0]}
        return [
            " ".join(str(statement).split())[:100]
            for later in self[1:]
            for statement in later
            if id(statement) not in first
        ]


class Statements(list[str]):
    """The SQL statements an engine (async or not) sends while the block runs (``with
    Statements(engine) as sent``), for tests that pin how many a request takes, and whether
    SQLAlchemy served each from its compiled cache (``cache_hits``, ``hits``);
    ``listing()`` numbers them for a failure's message."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self.engine = getattr(engine, "sync_engine", engine)
        self.cache_hits: list[object] = []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)

    def _note(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self.append(statement)
        self.cache_hits.append(rest[1].cache_hit)  # (parameters, context, executemany)

    def hits(self, prefix: str) -> list[object]:
        """Whether each statement starting with ``prefix`` was a cache hit, in order."""
        return [hit for s, hit in zip(self, self.cache_hits, strict=True) if s.startswith(prefix)]

    def reading(self, table: str) -> list[str]:
        """The statements that read ``table``."""
        return [s for s in self if f"FROM {table}" in s or f"JOIN {table}" in s]

    def starting(self, prefix: str) -> list[str]:
        return [s for s in self if s.startswith(prefix)]

    def listing(self) -> str:
        return "\n".join(f"{n}. {s.split(chr(10))[0][:120]}" for n, s in enumerate(self, 1))

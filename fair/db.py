"""Database: the declarative base, the UTC timestamp type, engine and session factory."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar

import asyncpg
from sqlalchemy import JSON, DateTime, MetaData, String, Table, TypeDecorator, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.visitors import InternalTraversal

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[Any]: JSONType,
    }


def new_id() -> str:
    return uuid.uuid4().hex


def id_column_type() -> String:
    return String(32)


# The execution option, and the connection's note, of a transaction that only reads.
READ_ONLY = "fair_read_only"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for either backend; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 15}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control from pysqlite so BEGIN IMMEDIATE below is ours to emit.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A deferred BEGIN that later writes can deadlock against another writer;
            # IMMEDIATE makes writers queue on busy_timeout instead. A transaction that
            # only reads (``reading``) takes no write lock: a deferred BEGIN, with writes
            # refused (query_only), since a reader that upgrades fails at once when another
            # connection writes (SQLite calls no busy handler for it).
            only_reads = bool(connection.get_execution_options().get(READ_ONLY))
            if connection.info.get(READ_ONLY, False) != only_reads:
                connection.exec_driver_sql(f"PRAGMA query_only={'ON' if only_reads else 'OFF'}")
                connection.info[READ_ONLY] = only_reads
            connection.exec_driver_sql("BEGIN" if only_reads else "BEGIN IMMEDIATE")

        return engine
    asyncpg_url = make_url(url).get_driver_name() == "asyncpg"
    # asyncpg: our own ping at checkout (below) instead of SQLAlchemy's.
    kwargs.setdefault("pool_pre_ping", not asyncpg_url)
    engine = create_async_engine(url, **kwargs)
    if asyncpg_url:
        event.listen(engine.sync_engine, "do_connect", _asyncpg_connect)
        if not kwargs["pool_pre_ping"]:
            event.listen(engine.sync_engine, "checkout", _asyncpg_ping)
    return engine


def _asyncpg_ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection answers ``SELECT 1`` before a request uses it; one that does
    not (the server restarted, an administrator ended it) is replaced, with every other
    connection pooled before it (InvalidatePoolError, as SQLAlchemy's own ping does).

    Why not ``pool_pre_ping``: with asyncpg it sends BEGIN, an empty query and ROLLBACK
    (for PgBouncer's transaction mode, which this app does not use): three round trips on
    every checkout, before each request's own BEGIN, where one tells the same. A round trip
    costs the app process a write, a wake-up and a read; on the mixed load a request or an
    attendance record checks out once or twice."""
    try:
        dbapi_connection.run_async(lambda connection: connection.execute("SELECT 1"))
    except Exception as exc:  # any failure: the connection is not to be trusted
        raise InvalidatePoolError(f"the pooled connection did not answer: {exc!r}") from exc


def reading(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for work that only reads (a GET's unit of work, ``/healthz``), on the same
    pool as ``engine``. On SQLite its transactions take no write lock, so a writer never
    stops them, and may not write.

    On PostgreSQL its statements run without BEGIN and COMMIT (the driver's autocommit):
    two round trips fewer for every GET. Nothing is lost by it: at READ COMMITTED, the
    level we run at, each statement of a transaction takes a snapshot of its own anyway,
    and a reader holds no lock worth keeping. A GET that writes (a visit) goes to
    ``engine`` first (``fair.web.writing``), whose writes commit together or not at all."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True})
    return engine.execution_options(**{READ_ONLY: True})


def _asyncpg_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Connect, turning asyncpg's own refusals ("the database system is shutting down", "is
    starting up", too many connections), which SQLAlchemy passes through untranslated, into
    the DBAPI error every layer already treats as "database away" (503)."""
    try:
        return dialect.connect(*cargs, **cparams)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise dialect.loaded_dbapi.OperationalError(f"{type(exc).__name__}: {exc}") from exc


# SQLAlchemy never caches the dialects' INSERT … ON CONFLICT (their conflict clause has no
# cache key), so each one was compiled anew on every call: the outbox's insert on every
# booking, mail and webhook. These conflict clauses say what their key is made of (the
# target: index columns and their WHERE, or on PostgreSQL a constraint's name), and these
# inserts let the cache use it.
_TARGET_KEY = [
    ("inferred_target_elements", InternalTraversal.dp_multi_list),
    ("inferred_target_whereclause", InternalTraversal.dp_clauseelement),
]


class _PostgresDoNothing(postgresql.dml.OnConflictDoNothing):
    _traverse_internals: ClassVar[list[Any]] = [
        ("constraint_target", InternalTraversal.dp_string),
        *_TARGET_KEY,
    ]


class _SqliteDoNothing(sqlite.dml.OnConflictDoNothing):
    _traverse_internals: ClassVar[list[Any]] = _TARGET_KEY


# ON CONFLICT DO UPDATE: its SET's values are made SQL expressions up front (a plain value
# becomes a bound parameter, as in an UPDATE's values), so that the key is made of the
# target, the SET's columns and expressions and its WHERE, and the values go to each
# execution as parameters. SQLAlchemy's own compiler coerces them only while compiling,
# which is why it cannot cache the clause ("this coercion should be up front"). A booth's
# first visit of the day upserts its daily count: compiled anew every time, it was about
# a tenth of that request's CPU (issue 19).
_UPDATE_KEY = [
    *_TARGET_KEY,
    ("update_values_to_set", InternalTraversal.dp_dml_ordered_values),
    ("update_whereclause", InternalTraversal.dp_clauseelement),
]


class _BoundSet:
    update_values_to_set: list[tuple[Any, Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.update_values_to_set = [
            (column, coercions.expect(roles.ExpressionElementRole, value))
            for column, value in self.update_values_to_set
        ]


class _PostgresDoUpdate(_BoundSet, postgresql.dml.OnConflictDoUpdate):
    _traverse_internals: ClassVar[list[Any]] = [
        ("constraint_target", InternalTraversal.dp_string),
        *_UPDATE_KEY,
    ]


class _SqliteDoUpdate(_BoundSet, sqlite.dml.OnConflictDoUpdate):
    _traverse_internals: ClassVar[list[Any]] = _UPDATE_KEY


class _CacheableConflicts:
    """An insert whose ON CONFLICT clauses are the classes above (each dialect names its
    own), cached by what they are made of."""

    _do_nothing: ClassVar[type[Any]]
    _do_update: ClassVar[type[Any]]

    def on_conflict_do_nothing(self, *args: Any, **kwargs: Any) -> Any:
        statement = super().on_conflict_do_nothing(*args, **kwargs)  # type: ignore[misc]
        statement._post_values_clause = self._do_nothing(*args, **kwargs)  # a new statement
        return statement

    def on_conflict_do_update(self, *args: Any, **kwargs: Any) -> Any:
        statement = super().on_conflict_do_update(*args, **kwargs)  # type: ignore[misc]
        statement._post_values_clause = self._do_update(*args, **kwargs)
        return statement


class _PostgresInsert(_CacheableConflicts, postgresql.Insert):
    inherit_cache = True
    _do_nothing = _PostgresDoNothing
    _do_update = _PostgresDoUpdate


class _SqliteInsert(_CacheableConflicts, sqlite.Insert):
    inherit_cache = True
    _do_nothing = _SqliteDoNothing
    _do_update = _SqliteDoUpdate


def insert_for(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (PostgreSQL's or SQLite's), for ON CONFLICT DO NOTHING: one
    statement where a look-up and an insert would take two and could race."""
    return _PostgresInsert if session.get_bind().dialect.name == "postgresql" else _SqliteInsert


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@lru_cache(maxsize=64)
def _rows_insert(make: type[Any], table: Table, skip_taken: tuple[str, ...]) -> Any:
    statement = make(table)
    if skip_taken:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_taken))
    return statement.returning(*table.primary_key.columns)


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_taken: tuple[str, ...] = (),
) -> int:
    """Insert ``rows`` (column → value) into ``table`` in one statement (up to the
    dialect's batch: a thousand rows on PostgreSQL, 999 parameters on SQLite); with
    ``skip_taken`` (a unique key's columns), ON CONFLICT DO NOTHING on it. Returns how many
    rows were written: fewer than given when some key was taken.

    Why not ``insert(table).values(rows)``: SQLAlchemy never caches a statement that carries
    several rows of values, so each was built, coerced and compiled again on every call (a
    third of a booking's CPU: its holds, its mails' outbox rows, its rate marks). Here the
    statement is built once per table and compiled once; SQLAlchemy's "insertmanyvalues"
    writes the rows into the cached SQL at execution, still one statement (RETURNING the
    primary key is what asks for it)."""
    if not rows:
        return 0
    statement = _rows_insert(insert_for(session), table, skip_taken)
    return len((await session.execute(statement, list(rows))).all())

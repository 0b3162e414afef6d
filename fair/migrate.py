"""Running Alembic from code: ``fair migrate`` and the test fixtures use this."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent
# Search indexes written by hand in the migrations (FTS5 tables, trigram GIN indexes);
# the models do not describe them, so autogenerate must not propose to drop them.
_HAND_WRITTEN = ("booth_search",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(_HAND_WRITTEN)
    if type_ == "index":
        return not name.endswith("_trgm")
    return True


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


async def _run(engine: AsyncEngine, action: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config()

    def run(connection: object) -> None:
        config.attributes["connection"] = connection
        action(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, command.downgrade, revision)

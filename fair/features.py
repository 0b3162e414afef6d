"""What a package brings to the app, declared in one place (its ``feature.py``) and put
together by the composition root (``kakehashi``), which alone knows every package. The core
declares its own part the same way and imports no feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import BaseRoute

from fair.accounts.personal import PersonalData
from fair.api import Endpoint
from fair.desk import DeskItem

# An arq-style job: ``async def job(ctx, **ids) -> bool``.
Job = Callable[..., Awaitable[Any]]
# Work the app does now and then in each process (its own session; errors are logged).
Periodic = Callable[[AsyncSession], Awaitable[Any]]


@dataclass(frozen=True)
class Task:
    every_seconds: float
    run: Periodic
    name: str

    async def run_once(self, sessionmaker: Any) -> None:
        """Run in a session of its own and commit what it did: a task need not commit (the
        rate-mark purge's deletes were rolled back when nothing committed after it)."""
        async with sessionmaker() as session:
            await self.run(session)
            await session.commit()


@dataclass(frozen=True)
class Feature:
    name: str  # the package: its templates/ folder (if any) is found through it
    api: Sequence[Endpoint] = ()  # the JSON API, served and described by /api/openapi.json
    routes: Sequence[BaseRoute] = ()  # the pages and other routes outside the API
    jobs: Sequence[Job] = ()  # registered under their function names
    models: Sequence[ModuleType] = ()  # the modules whose tables are the package's
    templates: bool = False
    tasks: Sequence[Task] = ()
    # Its part of a person's data: what "download my data" exports, what deletion erases.
    personal_data: PersonalData | None = None
    # Its tools on the organizers' desk (``/organizer``), handed to the core by the root.
    desk: Sequence[DeskItem] = ()

"""What the meetings package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from typing import Any

from fair.features import Feature
from meetings import connection_test, jobs, models, openapi, pages, routes


def _paths() -> dict[str, Any]:
    return {**openapi.meeting_paths(), **connection_test.nettest_paths()}


def _schemas() -> dict[str, Any]:
    return {**openapi.meeting_schemas(), **connection_test.nettest_schemas()}


FEATURE = Feature(
    name="meetings",
    routes=[*routes.routes, *pages.routes, *connection_test.routes],
    jobs=jobs.JOBS,
    models=(models,),
    openapi_paths=_paths,
    openapi_schemas=_schemas,
    templates=True,
)

"""What the reports package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from typing import Any

from fair.features import Feature, Task
from reports import cells, models, openapi, pages, rate_routes, routes


def _paths() -> dict[str, Any]:
    return {**rate_routes.rate_paths(), **openapi.report_paths()}


def _schemas() -> dict[str, Any]:
    return {**rate_routes.rate_schemas(), **openapi.report_schemas()}


FEATURE = Feature(
    name="reports",
    routes=[*rate_routes.routes, *routes.routes, *pages.routes],
    models=(models,),
    openapi_paths=_paths,
    openapi_schemas=_schemas,
    templates=True,
    # The report adds cells and deltas, so it is exact whenever this runs.
    tasks=(Task(cells.FOLD_EVERY_SECONDS, cells.fold, "fold the report's deltas"),),
)

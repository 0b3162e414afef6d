"""What the reports package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from fair.accounts.models import Role
from fair.desk import DeskItem
from fair.features import Feature, Task
from fair.i18n import lazy
from reports import cells, models, pages, rate_routes, routes

FEATURE = Feature(
    name="reports",
    api=[*rate_routes.API, *routes.API],
    routes=[*rate_routes.routes, *pages.routes],
    models=(models,),
    templates=True,
    # The report adds cells and deltas, so it is exact whenever this runs.
    tasks=(Task(cells.FOLD_EVERY_SECONDS, cells.fold, "fold the report's deltas"),),
    desk=(
        DeskItem(
            "/reports/rates",
            lazy("Exchange rates"),
            lazy("Keep the rates the report uses to add deals in different currencies."),
            roles=(Role.ORGANIZER, Role.STAFF),
        ),
    ),
)

"""What the meetings package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from fair.features import Feature
from meetings import connection_test, jobs, models, pages, personal, routes

FEATURE = Feature(
    name="meetings",
    api=[*routes.API, *connection_test.API],
    routes=[*routes.routes, *pages.routes, *connection_test.routes],
    jobs=jobs.JOBS,
    models=(models,),
    templates=True,
    personal_data=personal.PART,
)

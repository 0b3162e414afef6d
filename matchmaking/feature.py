"""What the matchmaking package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from fair.features import Feature
from matchmaking import jobs, models, pages, personal, proposal_pages, routes

FEATURE = Feature(
    name="matchmaking",
    api=routes.API,
    routes=[*pages.routes, *proposal_pages.routes],
    jobs=jobs.JOBS,
    models=(models,),
    templates=True,
    personal_data=personal.PART,
)

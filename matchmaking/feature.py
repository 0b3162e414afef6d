"""What the matchmaking package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from fair.accounts.models import Role
from fair.desk import DeskItem
from fair.features import Feature, Task
from fair.i18n import lazy
from matchmaking import (
    jobs,
    learning,
    models,
    pages,
    personal,
    proposal_pages,
    routes,
    surfaces,
    weight_pages,
)

FEATURE = Feature(
    name="matchmaking",
    api=[*routes.API, *weight_pages.API],
    routes=[*pages.routes, *proposal_pages.routes, *surfaces.routes, *weight_pages.routes],
    jobs=(*jobs.JOBS, *learning.JOBS),
    models=(models,),
    templates=True,
    # Asked every hour, queued once a day (keyed by the day): the weights refitted daily.
    tasks=(Task(every_seconds=3600, run=learning.queue_refit, name="refit match weights"),),
    personal_data=personal.PART,
    desk=(
        DeskItem(
            weight_pages.BASE,
            lazy("Match weights"),
            lazy("See what the match engine learned from the meetings' outcomes."),
            roles=(Role.ORGANIZER, Role.STAFF),
        ),
    ),
)

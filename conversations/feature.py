"""What the conversations package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from conversations import digest, models, pages, personal, routes
from fair.features import Feature, Task

FEATURE = Feature(
    name="conversations",
    api=routes.API,
    routes=pages.routes,
    jobs=digest.JOBS,
    models=(models,),
    templates=True,
    tasks=(Task(digest.EVERY_SECONDS, digest.queue_digests, "mail conversation digests"),),
    personal_data=personal.PART,
)

"""What the conversations package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from conversations import digest, files, models, pages, personal, routes, service
from fair.desk import DeskItem
from fair.features import Feature, Task
from fair.i18n import lazy

FEATURE = Feature(
    name="conversations",
    api=routes.API,
    routes=pages.routes,
    jobs=(*digest.JOBS, *files.JOBS),
    models=(models,),
    templates=True,
    tasks=(Task(digest.EVERY_SECONDS, digest.queue_digests, "mail conversation digests"),),
    personal_data=personal.PART,
    desk=(
        DeskItem(
            "/organizer/conversation-reports",
            lazy("Reported messages"),
            lazy("Read the messages people reported, then dismiss or remove them."),
            waiting=service.open_report_count,
        ),
    ),
)

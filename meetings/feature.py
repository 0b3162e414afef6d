"""What the meetings package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from fair.desk import DeskItem
from fair.features import Feature
from fair.i18n import lazy
from meetings import connection_test, jobs, models, pages, personal, routes, video_room

FEATURE = Feature(
    name="meetings",
    api=[*routes.API, *connection_test.API],
    routes=[*routes.routes, *pages.routes, *connection_test.routes],
    jobs=jobs.JOBS,
    models=(models,),
    templates=True,
    personal_data=personal.PART,
    desk=(
        DeskItem(
            "/review/attendance",
            lazy("Attendance disputes"),
            lazy("Settle who really came to a meeting when a participant disputes it."),
            waiting=video_room.open_disputes,
        ),
    ),
)

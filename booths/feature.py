"""What the booths package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from booths import editor, jobs, models, pages, personal, routes, service
from fair.desk import DeskItem
from fair.fairs.panels import FairPanel, no_panel
from fair.features import Feature
from fair.i18n import lazy

DESK = (
    DeskItem(
        "/review/booths",
        lazy("Booth review"),
        lazy("Approve or return the booths exhibitors send, and their later changes."),
        waiting=service.waiting_review,
    ),
)


def feature(next_free: pages.NextFree = pages.no_times, panel: FairPanel = no_panel) -> Feature:
    """The booths; the directory's cards show the ``next_free`` meeting times, and
    ``panel`` above them."""
    return Feature(
        name="booths",
        api=routes.API,
        routes=[*routes.routes, *pages.page_routes(next_free, panel), *editor.routes],
        jobs=jobs.JOBS,
        models=(models,),
        templates=True,
        personal_data=personal.PART,
        desk=DESK,
    )

"""What the core brings to the app as a feature of its own: health, metrics, accounts,
fairs, invitations, webhooks."""

from __future__ import annotations

from collections.abc import Sequence

from fair import desk, health, money, outbox, ratelimit, retention, scrape
from fair.accounts import (
    api_token_routes,
    companies,
    company_routes,
    data,
    data_routes,
    profile_routes,
)
from fair.accounts import jobs as account_jobs
from fair.accounts import models as account_models
from fair.accounts import routes as account_routes
from fair.accounts.models import Role
from fair.desk import DeskItem
from fair.fairs import jobs as fair_jobs
from fair.fairs import models as fair_models
from fair.fairs import routes as fair_routes
from fair.fairs.panels import FairPanel, no_panel
from fair.features import Feature, Task
from fair.i18n import lazy
from fair.invitations import jobs as invitation_jobs
from fair.invitations import models as invitation_models
from fair.invitations import pages as invitation_pages
from fair.invitations import routes as invitation_routes
from fair.webhooks import jobs as webhook_jobs
from fair.webhooks import models as webhook_models
from fair.webhooks import pages as webhook_pages
from fair.webhooks import routes as webhook_routes

DESK = (
    DeskItem(
        "/organizer/companies",
        lazy("Companies"),
        lazy("Confirm the companies behind booths and buyers; find names used twice."),
        roles=(Role.ORGANIZER, Role.STAFF),
        waiting=companies.waiting_confirmation,
    ),
    DeskItem(
        "/organizer/webhooks",
        lazy("Webhooks"),
        lazy("Send the fairs' events to your own systems, and replay a delivery."),
    ),
)


def feature(fair_panel: FairPanel = no_panel, desk_items: Sequence[DeskItem] = ()) -> Feature:
    """The core; a fair's page shows ``fair_panel`` (given by a feature above it), and the
    organizers' desk lists the core's tools, then ``desk_items`` (the features' own)."""
    return Feature(
        name="fair",
        api=[
            *account_routes.API,
            *profile_routes.API,
            *data_routes.API,
            *api_token_routes.API,
            *company_routes.API,
            *fair_routes.API,
            *webhook_routes.API,
            *invitation_routes.API,
        ],
        routes=[
            *health.routes,
            *scrape.routes,
            *account_routes.routes,
            *profile_routes.routes,
            *data_routes.routes,
            *api_token_routes.routes,
            *company_routes.routes,
            *fair_routes.page_routes(fair_panel),
            *webhook_pages.routes,
            *invitation_pages.PAGES,
            *desk.routes((*DESK, *desk_items)),
        ],
        jobs=(
            *account_jobs.JOBS,
            *fair_jobs.JOBS,
            *webhook_jobs.JOBS,
            *invitation_jobs.JOBS,
            *retention.JOBS,
        ),
        models=(
            account_models,
            fair_models,
            webhook_models,
            invitation_models,
            outbox,
            ratelimit,
            money,
        ),
        templates=True,
        tasks=(
            Task(every_seconds=3600, run=ratelimit.purge_marks, name="purge rate marks"),
            Task(every_seconds=3600, run=retention.queue_purge, name="data retention"),
        ),
        personal_data=data.CORE_PART,
    )


FEATURE = feature()

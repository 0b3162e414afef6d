"""What the core brings to the app as a feature of its own: health, accounts, fairs."""

from __future__ import annotations

from fair import health, outbox, ratelimit
from fair.accounts import api_token_routes, profile_routes
from fair.accounts import jobs as account_jobs
from fair.accounts import models as account_models
from fair.accounts import routes as account_routes
from fair.fairs import jobs as fair_jobs
from fair.fairs import models as fair_models
from fair.fairs import routes as fair_routes
from fair.features import Feature, Task

FEATURE = Feature(
    name="fair",
    api=[*account_routes.API, *profile_routes.API, *api_token_routes.API, *fair_routes.API],
    routes=[
        *health.routes,
        *account_routes.routes,
        *profile_routes.routes,
        *api_token_routes.routes,
        *fair_routes.routes,
    ],
    jobs=(*account_jobs.JOBS, *fair_jobs.JOBS),
    models=(account_models, fair_models, outbox, ratelimit),
    templates=True,
    tasks=(Task(every_seconds=3600, run=ratelimit.purge_marks, name="purge rate marks"),),
)

"""What the matchmaking package brings to the app (assembled by ``kakehashi``)."""

from __future__ import annotations

from fair.features import Feature
from matchmaking import models, pages, routes

FEATURE = Feature(
    name="matchmaking", api=routes.API, routes=pages.routes, models=(models,), templates=True
)

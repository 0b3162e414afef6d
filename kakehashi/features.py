"""The packages that make the app, in the order their routes are tried: the core, then each
feature above the ones it builds on. Their templates are registered with the core's
templating here, once, for the app, the worker and the command alike; so are their parts of a
person's data (what an export holds, what deleting an account erases)."""

from __future__ import annotations

from booths.feature import feature as booths
from conversations.feature import FEATURE as CONVERSATIONS
from fair import templating
from fair.accounts import personal
from fair.feature import feature as core
from fair.features import Feature
from matchmaking.feature import FEATURE as MATCHMAKING
from matchmaking.surfaces import recommended_panel
from meetings.booking import next_free_slots
from meetings.feature import FEATURE as MEETINGS
from reports.feature import FEATURE as REPORTS

ABOVE_THE_CORE: tuple[Feature, ...] = (
    booths(next_free=next_free_slots, panel=recommended_panel),
    MEETINGS,
    MATCHMAKING,
    CONVERSATIONS,
    REPORTS,
)
FEATURES: tuple[Feature, ...] = (
    core(
        fair_panel=recommended_panel,
        desk_items=tuple(item for feature in ABOVE_THE_CORE for item in feature.desk),
    ),
    *ABOVE_THE_CORE,
)

templating.use_packages(*(feature.name for feature in FEATURES if feature.templates))
personal.use_parts(*(feature.personal_data for feature in FEATURES if feature.personal_data))

"""Every model of every package, imported so that ``metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from booths import models as booths_models
from fair import outbox
from fair.accounts import models as accounts_models
from fair.db import Base
from fair.fairs import models as fairs_models
from meetings import models as meetings_models
from reports import models as reports_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "booths_models",
    "fairs_models",
    "meetings_models",
    "metadata",
    "outbox",
    "reports_models",
]

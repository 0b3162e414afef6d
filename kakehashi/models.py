"""Every package's models, so that ``metadata`` is complete (Alembic, tests)."""

from __future__ import annotations

from fair.db import Base
from kakehashi.features import FEATURES

# Importing each feature's model modules registers their tables with the one Base.
MODEL_MODULES = tuple(module for feature in FEATURES for module in feature.models)
metadata = Base.metadata

__all__ = ["MODEL_MODULES", "metadata"]

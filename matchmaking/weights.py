"""The match engine's weights in use: the latest fit to the programme's outcomes that was
used (``match_weight_fits``, written by ``matchmaking.learning``), else the priors.

Read once per request (one row through an index). A fit stores its weights by part name:
a part added to ``Weights`` after the fit keeps its prior, a part since removed is ignored,
so the fits outlive changes to the engine's parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from matchmaking.models import FitStatus, MatchWeightFit
from matchmaking.scoring import PRIOR_WEIGHTS, Weights


def part_names() -> tuple[str, ...]:
    """The engine's parts, as ``Weights`` declares them."""
    return tuple(f.name for f in fields(Weights))


def weights_from(stored: Mapping[str, Any]) -> Weights:
    """Stored weights over the priors (a part the fit does not name keeps its prior)."""
    values = {
        name: float(stored[name])
        for name in part_names()
        if isinstance(stored.get(name), int | float) and not isinstance(stored[name], bool)
    }
    try:
        return replace(PRIOR_WEIGHTS, **values)
    except ValueError:  # negative or all zero: not weights the engine can use
        return PRIOR_WEIGHTS


def as_dict(weights: Weights) -> dict[str, float]:
    return {name: weights.of(name) for name in part_names()}


async def current_fit(session: AsyncSession) -> MatchWeightFit | None:
    """The latest fit that was used, if any."""
    return await session.scalar(
        select(MatchWeightFit)
        .where(MatchWeightFit.status == FitStatus.USED)
        .order_by(MatchWeightFit.fitted_at.desc(), MatchWeightFit.id.desc())
        .limit(1)
    )


async def current_weights(session: AsyncSession) -> Weights:
    """The weights the engine scores with now."""
    fit = await current_fit(session)
    return PRIOR_WEIGHTS if fit is None else weights_from(fit.weights)

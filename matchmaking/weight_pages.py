"""The match engine's weights as organizers and staff see them: the priors beside the
weights in use, per part, and the data they were learned from (samples, positives, when,
how well they rank held-out pairs); the organizers' "refit now" button. The same in JSON at
``GET /api/matchmaking/weights``."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair.api import Endpoint, Instant
from fair.i18n import gettext as _
from fair.i18n import lazy
from fair.web import db, json_response, page, read_form, redirect, settings_of, user_of
from matchmaking import learning
from matchmaking.models import MatchWeightFit

BASE = "/organizer/matchmaking/weights"

# Each part's name on the page; a part without one (added since) shows its field name.
PART_LABELS = {
    "hs": lazy("HS code"),
    "category": lazy("Category"),
    "text": lazy("Words of the need"),
    "certifications": lazy("Certifications"),
    "minimum_order": lazy("Minimum order"),
    "market": lazy("Market"),
    "language": lazy("Meeting language"),
    "price": lazy("Price"),
    "time_frame": lazy("Time frame"),
    "hours": lazy("Good times for both"),
}


def part_label(name: str) -> str:
    label = PART_LABELS.get(name)
    return _(label) if label else name.replace("_", " ")


class WeightPart(BaseModel):
    part: str
    prior: float
    current: float
    learned: bool  # the outcomes taught it (else it kept its prior)


class WeightFit(BaseModel):
    id: str
    fitted_at: Instant
    status: str  # used, too_few, one_class
    trigger: str  # schedule, command, organizer
    n_samples: int
    n_positive: int
    auc_learned: float | None
    auc_prior: float | None
    log_loss: float | None
    test_samples: int

    @classmethod
    def of(cls, fit: MatchWeightFit | None) -> WeightFit | None:
        if fit is None:
            return None
        metrics = fit.metrics or {}
        return cls(
            id=fit.id,
            fitted_at=fit.fitted_at,
            status=fit.status,
            trigger=fit.trigger,
            n_samples=fit.n_samples,
            n_positive=fit.n_positive,
            auc_learned=metrics.get("auc_learned"),
            auc_prior=metrics.get("auc_prior"),
            log_loss=metrics.get("log_loss"),
            test_samples=int(metrics.get("test_samples") or 0),
        )


class MatchWeights(BaseModel):
    source: str  # learned (from ``fit``) or priors
    min_outcomes: int  # FAIR_MATCH_MIN_OUTCOMES
    parts: list[WeightPart]
    fit: WeightFit | None  # the fit in use
    latest_fit: WeightFit | None  # the latest, used or not


def _shape(view: learning.WeightsView) -> MatchWeights:
    learned = set(view.used.learned_parts) if view.used else set()
    return MatchWeights(
        source="learned" if view.used else "priors",
        min_outcomes=view.min_outcomes,
        parts=[
            WeightPart(
                part=name,
                prior=view.priors[name],
                current=view.current[name],
                learned=name in learned,
            )
            for name in view.priors
        ],
        fit=WeightFit.of(view.used),
        latest_fit=WeightFit.of(view.latest),
    )


async def _view(request: Request) -> learning.WeightsView:
    return await learning.weights_view(
        db(request),
        actor=user_of(request),
        min_outcomes=settings_of(request).match_min_outcomes,
    )


async def api_weights(request: Request) -> Response:
    return json_response(_shape(await _view(request)))


async def weights_page(request: Request) -> Response:
    view = await _view(request)
    context = {
        "view": _shape(view),
        "label": part_label,
        "refitted": request.query_params.get("refitted") == "1",
        "can_refit": learning.may_refit(user_of(request)),
    }
    return page(request, "matchmaking/weights.html", context)


async def refit_page(request: Request) -> Response:
    await read_form(request)
    await learning.refit_now(
        db(request),
        actor=user_of(request),
        min_outcomes=settings_of(request).match_min_outcomes,
    )
    return redirect(f"{BASE}?refitted=1")


API = [
    Endpoint(
        "GET",
        "/api/matchmaking/weights",
        api_weights,
        "The match engine's weights: priors and those in use, and the fit they came from "
        "(organizers, staff)",
        MatchWeights,
        errors=(401, 403),
    ),
]

routes = [
    Route(BASE, weights_page, methods=["GET"]),
    Route(BASE + "/refit", refit_page, methods=["POST"]),
]

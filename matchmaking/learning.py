"""The match engine's weights learned from the programme's own outcomes.

**The data.** A sample is a (buyer, booth) pair of a fair that has a known outcome, when the
buyer has sourcing needs for that fair (or standing ones) and one of them is a match for the
booth (scored with the priors, so a fit never depends on the one before; a proposal made
for a need uses that need). Its features are the engine's parts of that match: the value of
each part in [0, 1] (``scoring.Part.value``), not the weights.

**The label.** Positive: a meeting of the pair was held (``attendance = held``) and its
current stage is follow-up, sample sent, quote or contract. Negative, when no meeting of the
pair is positive: a held meeting whose stage is no deal; a meeting nobody (or one side) came
to, or too short to count (the other ``attendance`` values); a meeting request the
exhibitor declined or let expire; a proposal declined or expired. Pairs with nothing settled
yet (a meeting to come, a held meeting without an outcome, an open proposal, a cancelled
meeting) are not samples. Every source counts (self-booked, recommended, invited,
proposed): the weights rank every pair, not only the matched ones.

**The fit.** scikit-learn's logistic regression (L2, fixed ``random_state``) of the label
on the parts. A part a need does not ask about takes that part's mean over the samples that
have it (no evidence either way); a part that never varies in the data keeps its prior (no
evidence at all). Negative coefficients are clipped to a floor (the class has no positive
constraint: a part that predicts failure is not a reason to rank a booth lower, only not a
reason to rank it higher), then the learned parts are scaled so their sum equals their
priors' sum: the weights stay on the priors' scale and unlearned parts keep their share.

**When.** Only with at least ``FAIR_MATCH_MIN_OUTCOMES`` samples of both labels; before
that a fit is stored as ``too_few`` or ``one_class`` and the priors stay. A daily task
refits (``queue_refit`` → ``refit_weights``), as do ``fair match refit`` and the
organizers' button. Each fit is a row of ``match_weight_fits`` with its data's size and
how well the weights rank held-out pairs (AUC of the engine's score on a quarter of the
samples, learned weights fitted on the rest, beside the priors' AUC on the same quarter).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from statistics import fmean
from typing import Any

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booths.models import Booth
from fair import clock, outbox, resources
from fair.accounts.models import Role, User
from fair.accounts.service import require_role
from fair.fairs.models import Fair
from matchmaking import service
from matchmaking.models import FitStatus, MatchWeightFit, Need, Proposal, ProposalStatus
from matchmaking.scoring import PRIOR_WEIGHTS, BoothFacts, Context, NeedFacts, Weights, score
from matchmaking.weights import as_dict, current_fit, part_names, weights_from
from meetings.models import Attendance, Meeting, MeetingStatus, Stage

log = logging.getLogger(__name__)

# Stages a held meeting reached that count as the match having worked.
POSITIVE_STAGES = (Stage.FOLLOW_UP, Stage.SAMPLE_SENT, Stage.QUOTE, Stage.CONTRACT)
# A meeting that did not happen as one.
NOT_MET = (
    Attendance.NO_SHOW_BUYER,
    Attendance.NO_SHOW_EXHIBITOR,
    Attendance.NO_SHOW_BOTH,
    Attendance.TOO_SHORT,
)
REFUSED_MEETINGS = (MeetingStatus.DECLINED, MeetingStatus.EXPIRED)
REFUSED_PROPOSALS = (ProposalStatus.DECLINED, ProposalStatus.EXPIRED)
# The most recent pairs a fit reads: years of a programme, in a second or two of scoring.
MAX_PAIRS = 20_000
# A learned part's weight never goes below this (on the priors' scale, whose sum is 1).
FLOOR = 0.01
# Held out to measure how well the weights rank pairs they were not fitted on.
TEST_SHARE = 0.25
RANDOM_STATE = 0
# The logistic regression's inverse regularisation strength (scikit-learn's default).
C = 1.0
DIGITS = 4
# Who may refit on demand (staff see the weights, as they see the matches).
REFITTERS = (Role.ORGANIZER,)


class Trigger:
    SCHEDULE = "schedule"
    COMMAND = "command"
    ORGANIZER = "organizer"


@dataclass(frozen=True)
class Sample:
    """A pair's parts (only those its need asks about) and whether the match worked."""

    parts: Mapping[str, float]
    positive: bool


@dataclass(frozen=True)
class Fitted:
    status: str
    weights: dict[str, float]
    learned_parts: list[str]
    n_samples: int
    n_positive: int
    metrics: dict[str, Any]


# The data ------------------------------------------------------------------------------------


@dataclass
class _Pair:
    fair_id: str
    buyer_id: str
    booth_id: str
    positive: bool = False
    negative: bool = False
    need_id: str | None = None  # the need a proposal was made for


def _meeting_label(attendance: str | None, stage: str | None, status: str) -> bool | None:
    if attendance == Attendance.HELD:
        if stage in POSITIVE_STAGES:
            return True
        return False if stage == Stage.NO_DEAL else None
    if attendance in NOT_MET or status in REFUSED_MEETINGS:
        return False
    return None


async def _labelled_pairs(session: AsyncSession) -> list[_Pair]:
    """The most recent ``MAX_PAIRS`` pairs with a known outcome whose buyer has needs."""
    has_needs = exists().where(
        Need.buyer_id == Meeting.buyer_id,
        or_(Need.fair_id == Booth.fair_id, Need.fair_id.is_(None)),
    )
    meetings = await session.execute(
        select(
            Booth.fair_id,
            Meeting.buyer_id,
            Meeting.booth_id,
            Meeting.attendance,
            Meeting.stage,
            Meeting.status,
        )
        .join(Booth, Booth.id == Meeting.booth_id)
        .where(
            has_needs,
            or_(
                Meeting.attendance.is_not(None),
                Meeting.status.in_(REFUSED_MEETINGS),
            ),
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id)
        .limit(MAX_PAIRS * 2)
    )
    pairs: dict[tuple[str, str], _Pair] = {}
    for fair_id, buyer_id, booth_id, attendance, stage, status in meetings.all():
        label = _meeting_label(attendance, stage, status)
        if label is None:
            continue
        pair = pairs.setdefault((buyer_id, booth_id), _Pair(fair_id, buyer_id, booth_id))
        pair.positive |= label
        pair.negative |= not label
    proposal_needs = exists().where(
        Need.buyer_id == Proposal.buyer_id,
        or_(Need.fair_id == Proposal.fair_id, Need.fair_id.is_(None)),
    )
    proposals = await session.execute(
        select(Proposal.fair_id, Proposal.buyer_id, Proposal.booth_id, Proposal.need_id)
        .where(proposal_needs, Proposal.status.in_(REFUSED_PROPOSALS))
        .order_by(Proposal.created_at.desc(), Proposal.id)
        .limit(MAX_PAIRS)
    )
    for fair_id, buyer_id, booth_id, need_id in proposals.all():
        pair = pairs.setdefault((buyer_id, booth_id), _Pair(fair_id, buyer_id, booth_id))
        pair.negative = True
        pair.need_id = pair.need_id or need_id
    return list(pairs.values())[:MAX_PAIRS]


async def _needs(
    session: AsyncSession, buyer_ids: Iterable[str]
) -> dict[str, list[tuple[str | None, NeedFacts]]]:
    """Each buyer's needs as the engine reads them, with the fair each is for."""
    found: dict[str, list[tuple[str | None, NeedFacts]]] = {}
    ids = sorted(set(buyer_ids))
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(Need, User)
            .join(User, User.id == Need.buyer_id)
            .where(Need.buyer_id.in_(ids[start : start + 500]))
            .order_by(Need.id)
        )
        for need, buyer in rows.all():
            found.setdefault(need.buyer_id, []).append(
                (need.fair_id, service.need_facts(need, buyer))
            )
    return found


async def _booths(session: AsyncSession, pairs: Sequence[_Pair]) -> dict[str, BoothFacts]:
    """The pairs' booths as the engine reads them, as if approved and published: a booth
    since withdrawn still tells what worked."""
    by_fair: dict[str, set[str]] = {}
    for pair in pairs:
        by_fair.setdefault(pair.fair_id, set()).add(pair.booth_id)
    found: dict[str, BoothFacts] = {}
    for fair_id, booth_ids in by_fair.items():
        fair = await session.get(Fair, fair_id)
        if fair is None:
            continue
        ids = sorted(booth_ids)
        for start in range(0, len(ids), service.MAX_CANDIDATES):
            chunk = ids[start : start + service.MAX_CANDIDATES]
            for facts in await service.booth_facts(session, fair, Booth.id.in_(chunk)):
                found[facts.id] = replace(facts, approved=True, fair_published=True)
    return found


def _parts_of(
    pair: _Pair, needs: Sequence[tuple[str | None, NeedFacts]], booth: BoothFacts, context: Context
) -> dict[str, float] | None:
    """The parts of the pair's match: for the need a proposal named, else the buyer's need
    of that fair (or standing) that matches the booth best under the priors."""
    candidates = [facts for fair_id, facts in needs if fair_id in (None, pair.fair_id)]
    named = [facts for facts in candidates if facts.id == pair.need_id]
    best = None
    for need in named or candidates:
        match = score(need, booth, weights=PRIOR_WEIGHTS, context=context)
        if match is not None and (best is None or match.score > best.score):
            best = match
    return None if best is None else {part.name: part.value for part in best.parts}


async def training_samples(session: AsyncSession) -> list[Sample]:
    """The labelled samples (see the module's docstring), most recent pairs first."""
    pairs = await _labelled_pairs(session)
    if not pairs:
        return []
    needs = await _needs(session, (pair.buyer_id for pair in pairs))
    booths = await _booths(session, pairs)
    # Pairs already closed as no deal are samples here, not exclusions: no closed pairs.
    # The price part is compared at today's rates; a time frame, which is judged against
    # one fair's days and today, is no part of what the outcomes teach.
    found = await service.context(session, fair=None, buyer_ids=(), seller_ids=())
    context = Context(interpreter_pairs=found.interpreter_pairs, rates=found.rates)
    samples = []
    for pair in pairs:
        booth = booths.get(pair.booth_id)
        if booth is None:
            continue
        parts = _parts_of(pair, needs.get(pair.buyer_id, []), booth, context)
        if parts is not None:
            samples.append(Sample(parts=parts, positive=pair.positive))
    return samples


# The fit -------------------------------------------------------------------------------------


def engine_score(parts: Mapping[str, float], weights: Weights) -> float:
    """The engine's score of a pair from its parts: their weighted mean."""
    total = sum(weights.of(name) for name in parts)
    return sum(weights.of(name) * value for name, value in parts.items()) / total if total else 0.0


def _matrix(
    samples: Sequence[Sample], names: Sequence[str], means: Mapping[str, float]
) -> list[list[float]]:
    return [[sample.parts.get(name, means[name]) for name in names] for sample in samples]


def _coefficients(
    samples: Sequence[Sample], names: Sequence[str], means: Mapping[str, float]
) -> list[float]:
    labels = [sample.positive for sample in samples]
    model = LogisticRegression(C=C, random_state=RANDOM_STATE, max_iter=1000)
    model.fit(_matrix(samples, names, means), labels)
    return [float(value) for value in model.coef_[0]]


def _to_weights(names: Sequence[str], coefficients: Sequence[float]) -> Weights:
    """Coefficients on the priors' scale: negatives clipped, the learned parts' sum equal to
    their priors' sum, none below ``FLOOR``; the other parts keep their prior."""
    clipped = [max(value, 0.0) for value in coefficients]
    if not names or sum(clipped) <= 0:
        return PRIOR_WEIGHTS
    share = sum(PRIOR_WEIGHTS.of(name) for name in names) / sum(clipped)
    learned = {
        name: round(max(value * share, FLOOR), DIGITS)
        for name, value in zip(names, clipped, strict=True)
    }
    return replace(PRIOR_WEIGHTS, **learned)


def _auc(samples: Sequence[Sample], weights: Weights) -> float:
    return float(
        roc_auc_score(
            [sample.positive for sample in samples],
            [engine_score(sample.parts, weights) for sample in samples],
        )
    )


def _held_out(samples: Sequence[Sample], names: Sequence[str]) -> dict[str, Any]:
    """The AUC of the engine's score on a held-out quarter: with weights fitted on the rest,
    and with the priors. None when the quarter cannot hold both labels."""
    labels = [sample.positive for sample in samples]
    if min(labels.count(True), labels.count(False)) < 4:
        return {"auc_learned": None, "auc_prior": None, "test_samples": 0}
    train, test = train_test_split(
        list(samples), test_size=TEST_SHARE, stratify=labels, random_state=RANDOM_STATE
    )
    train_names = [name for name in names if _varies(train, name)]
    if not train_names or len({s.positive for s in train}) < 2:
        learned = PRIOR_WEIGHTS
    else:
        means = _means(train, train_names)
        learned = _to_weights(train_names, _coefficients(train, train_names, means))
    return {
        "auc_learned": round(_auc(test, learned), DIGITS),
        "auc_prior": round(_auc(test, PRIOR_WEIGHTS), DIGITS),
        "test_samples": len(test),
    }


def _varies(samples: Sequence[Sample], name: str) -> bool:
    return len({sample.parts[name] for sample in samples if name in sample.parts}) > 1


def _means(samples: Sequence[Sample], names: Sequence[str]) -> dict[str, float]:
    return {name: fmean(s.parts[name] for s in samples if name in s.parts) for name in names}


def fit(samples: Sequence[Sample], *, min_outcomes: int) -> Fitted:
    """Weights fitted to ``samples``, or why not (``status``): see the module's docstring.
    Every part ``Weights`` declares is learned the same way."""
    n_positive = sum(1 for sample in samples if sample.positive)
    counts = {"n_samples": len(samples), "n_positive": n_positive}
    if len(samples) < min_outcomes:
        return Fitted(FitStatus.TOO_FEW, {}, [], metrics={}, **counts)
    if n_positive in (0, len(samples)):
        return Fitted(FitStatus.ONE_CLASS, {}, [], metrics={}, **counts)
    names = [name for name in part_names() if _varies(samples, name)]
    if not names:  # nothing varies: the outcomes say nothing of the parts
        return Fitted(FitStatus.USED, as_dict(PRIOR_WEIGHTS), [], metrics={}, **counts)
    means = _means(samples, names)
    labels = [sample.positive for sample in samples]
    model = LogisticRegression(C=C, random_state=RANDOM_STATE, max_iter=1000)
    matrix = _matrix(samples, names, means)
    model.fit(matrix, labels)
    weights = _to_weights(names, [float(value) for value in model.coef_[0]])
    metrics = {
        **_held_out(samples, names),
        "log_loss": round(float(log_loss(labels, model.predict_proba(matrix)[:, 1])), DIGITS),
    }
    return Fitted(FitStatus.USED, as_dict(weights), names, metrics=metrics, **counts)


# Storing, scheduling, asking -----------------------------------------------------------------


async def refit(
    session: AsyncSession, *, min_outcomes: int, trigger: str, now: datetime | None = None
) -> MatchWeightFit:
    """Fit the weights to the outcomes so far and store the fit (used only when there were
    enough outcomes of both kinds), in the caller's transaction."""
    result = fit(await training_samples(session), min_outcomes=min_outcomes)
    row = MatchWeightFit(
        fitted_at=now or clock.now(),
        status=result.status,
        weights=result.weights,
        learned_parts=result.learned_parts,
        n_samples=result.n_samples,
        n_positive=result.n_positive,
        metrics=result.metrics,
        trigger=trigger,
    )
    session.add(row)
    await session.flush()
    log.info(
        "match weights refit: %s, %d samples (%d positive)",
        result.status,
        result.n_samples,
        result.n_positive,
    )
    return row


async def refit_weights(ctx: dict[str, Any]) -> bool:
    """The daily refit, as a job: it needs the settings a periodic task lacks."""
    res = resources.of_job(ctx)
    async with res.sessionmaker() as session, session.begin():
        await refit(session, min_outcomes=res.settings.match_min_outcomes, trigger=Trigger.SCHEDULE)
    return True


async def queue_refit(session: AsyncSession) -> None:
    """The periodic task: queue today's refit, once whichever process asks first."""
    day = clock.now().strftime("%Y-%m-%d")
    await outbox.enqueue(session, refit_weights, key=f"match-refit:{day}")


@dataclass(frozen=True)
class WeightsView:
    """What organizers see: the priors, the weights in use and the fit they came from, the
    latest fit (which may not have been used) and the threshold."""

    priors: dict[str, float]
    current: dict[str, float]
    used: MatchWeightFit | None
    latest: MatchWeightFit | None
    min_outcomes: int


async def latest_fit(session: AsyncSession) -> MatchWeightFit | None:
    return await session.scalar(
        select(MatchWeightFit)
        .order_by(MatchWeightFit.fitted_at.desc(), MatchWeightFit.id.desc())
        .limit(1)
    )


async def weights_view(
    session: AsyncSession, *, actor: User | None, min_outcomes: int
) -> WeightsView:
    require_role(actor, *service.MATCHERS)
    used = await current_fit(session)
    current = PRIOR_WEIGHTS if used is None else weights_from(used.weights)
    return WeightsView(
        priors=as_dict(PRIOR_WEIGHTS),
        current=as_dict(current),
        used=used,
        latest=await latest_fit(session),
        min_outcomes=min_outcomes,
    )


def may_refit(user: User | None) -> bool:
    return user is not None and user.has_role(*REFITTERS)


async def refit_now(
    session: AsyncSession, *, actor: User | None, min_outcomes: int
) -> MatchWeightFit:
    """An organizer's refit, now (the daily one runs anyway)."""
    require_role(actor, *REFITTERS)
    return await refit(session, min_outcomes=min_outcomes, trigger=Trigger.ORGANIZER)


JOBS = (refit_weights,)

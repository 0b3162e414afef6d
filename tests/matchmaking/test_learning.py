"""The match engine's weights learned from the programme's outcomes: the fit itself on
hand-made samples (no database), then on meetings in both databases, where outcomes that
favour the market over the words of a need flip the ranking of two booths once there are
enough of them, and not before."""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import timedelta

import pytest
from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import login, make_user, read_scalar
from meeting_helpers import run_jobs
from sqlalchemy import func, select

from booths.models import Booth
from fair import clock
from fair.accounts.models import User
from fair.resources import of_app
from matchmaking import learning
from matchmaking.learning import FLOOR, Sample, fit, training_samples
from matchmaking.models import FitStatus, MatchWeightFit, Need, Proposal, ProposalStatus
from matchmaking.scoring import PRIOR_WEIGHTS, Weights
from matchmaking.weights import current_weights, weights_from
from meetings.models import Attendance, Meeting, MeetingStatus

PRIOR_SUM = sum(PRIOR_WEIGHTS.of(f.name) for f in fields(Weights))


def _samples(count: int, *, seed: int = 7) -> list[Sample]:
    """Pairs whose outcome follows the market part (80 % against 20 %), whatever the text."""
    rng = random.Random(seed)
    samples = []
    for _ in range(count):
        market = rng.random() < 0.5
        positive = rng.random() < (0.8 if market else 0.2)
        parts = {"category": 1.0, "text": rng.random(), "market": 1.0 if market else 0.0}
        samples.append(Sample(parts=parts, positive=positive))
    return samples


def test_the_part_the_outcomes_follow_gains_weight_and_the_others_keep_their_prior():
    result = fit(_samples(200), min_outcomes=50)
    assert result.status == FitStatus.USED
    assert (result.n_samples, result.n_positive) == (200, sum(s.positive for s in _samples(200)))
    # Only the parts that vary are learned; category never varies here.
    assert result.learned_parts == ["text", "market"]
    weights = weights_from(result.weights)
    assert weights.market > PRIOR_WEIGHTS.market
    assert weights.text < PRIOR_WEIGHTS.text
    # The learned parts share what their priors had: the scale stays the priors'.
    assert weights.text + weights.market == pytest.approx(
        PRIOR_WEIGHTS.text + PRIOR_WEIGHTS.market, abs=FLOOR
    )
    for name in ("hs", "category", "certifications", "minimum_order", "language"):
        assert weights.of(name) == PRIOR_WEIGHTS.of(name)
    # The held-out quarter ranks better with what was learned than with the priors.
    assert result.metrics["test_samples"] == 50
    assert result.metrics["auc_learned"] > result.metrics["auc_prior"]
    assert 0 < result.metrics["log_loss"] < 0.7


def test_a_part_that_predicts_failure_keeps_a_floor_not_a_negative_weight():
    samples = [
        Sample({"category": 1.0, "text": 1.0, "market": 0.0}, positive=False),
        Sample({"category": 1.0, "text": 0.0, "market": 1.0}, positive=True),
    ] * 30
    weights = weights_from(fit(samples, min_outcomes=50).weights)
    assert weights.text == FLOOR
    assert weights.market == pytest.approx(PRIOR_WEIGHTS.text + PRIOR_WEIGHTS.market)


def test_fewer_outcomes_than_the_threshold_or_one_kind_only_are_not_used():
    few = fit(_samples(49), min_outcomes=50)
    assert (few.status, few.weights, few.n_samples) == (FitStatus.TOO_FEW, {}, 49)
    same = [Sample({"market": float(i % 2)}, positive=True) for i in range(60)]
    one = fit(same, min_outcomes=50)
    assert (one.status, one.weights, one.n_positive) == (FitStatus.ONE_CLASS, {}, 60)


def test_the_fit_is_deterministic():
    assert fit(_samples(120), min_outcomes=50) == fit(_samples(120), min_outcomes=50)


def test_every_part_weights_declares_is_learned_and_stored_by_name():
    """A part added to ``Weights`` is learned without changes; one a fit does not name
    (added since) keeps its prior when the fit is read back."""
    names = [f.name for f in fields(Weights)]
    rng = random.Random(3)
    samples = [
        Sample({name: rng.random() for name in names}, positive=rng.random() < 0.5)
        for _ in range(80)
    ]
    result = fit(samples, min_outcomes=50)
    assert result.learned_parts == names
    assert set(result.weights) == set(names)
    assert weights_from({"market": 0.5}) == Weights(**{**_priors(), "market": 0.5})
    # Unknown, negative or all-zero stored weights never break the engine.
    assert weights_from({"gone": 1.0}) == PRIOR_WEIGHTS
    assert weights_from({"market": -1.0}) == PRIOR_WEIGHTS


def _priors() -> dict[str, float]:
    return {f.name: PRIOR_WEIGHTS.of(f.name) for f in fields(Weights)}


# On the databases --------------------------------------------------------------------------

NEED_TEXT = "enamel kettle teapot"
MIN = 20


async def _world(client, session):
    """Two booths of a fair that share the category asked for: "wordy" says every word of
    the need but sells elsewhere; "market" says none of them but sells where the buyers do.
    Under the priors the words win."""
    await make_fair(session)
    await exhibitor(client, session, "kenji@wordy.example", "Wordy Works")
    wordy = await create_booth(
        client,
        company={"ja": "ワーディ工房", "en": "Wordy Works"},
        tagline={"ja": "ほうろう製品", "en": "Enamel kettle and teapot makers"},
        description={},
        categories=["ceramics"],
        markets=["US"],
        languages=["ja"],
        certifications=[],
    )
    await exhibitor(client, session, "aiko@market.example", "Market Pottery")
    market = await create_booth(
        client,
        company={"ja": "マーケット陶器", "en": "Market Pottery"},
        tagline={"ja": "磁器", "en": "Porcelain for Thai homes"},
        description={},
        categories=["ceramics"],
        markets=["TH"],
        languages=["ja"],
        certifications=[],
    )
    await approve(client, session, wordy["id"])
    await approve(client, session, market["id"])
    fair_id = await read_scalar(session, select(Booth.fair_id).where(Booth.id == wordy["id"]))
    return {"wordy": wordy["id"], "market": market["id"], "fair_id": fair_id}


async def _buyer(session, number: int, fair_id: str) -> User:
    """A buyer in Thailand with the need, added to ``session`` (no password: they never
    sign in, and hashing one per buyer would be most of the test's time)."""
    buyer = User(
        id=f"buyer{number:027d}",
        email=f"buyer{number}@bangkok.example",
        password_hash="-",
        name=f"Buyer {number}",
        role="buyer",
        country="TH",
    )
    session.add(buyer)
    await session.flush()
    session.add(
        Need(
            buyer_id=buyer.id,
            fair_id=fair_id,
            text=NEED_TEXT,
            categories=["ceramics"],
            markets=["TH"],
            tags=[],
        )
    )
    await session.flush()
    return buyer


def _meeting(buyer_id: str, booth_id: str, days_ago: int, **outcome) -> Meeting:
    start = clock.now() - timedelta(days=days_ago)
    return Meeting(
        booth_id=booth_id,
        buyer_id=buyer_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        status=outcome.pop("status", MeetingStatus.CONFIRMED),
        buyer_timezone="Asia/Bangkok",
        **outcome,
    )


async def _outcomes(session, ids, count: int, *, wordy_stage="no_deal", market_stage="follow_up"):
    """``count`` buyers, each of whom met both booths: the words' booth ending in
    ``wordy_stage``, the market's in ``market_stage``."""
    for number in range(count):
        buyer = await _buyer(session, number, ids["fair_id"])
        session.add_all(
            [
                _meeting(
                    buyer.id,
                    ids["wordy"],
                    40 + number,
                    attendance=Attendance.HELD,
                    stage=wordy_stage,
                ),
                _meeting(
                    buyer.id,
                    ids["market"],
                    40 + number,
                    attendance=Attendance.HELD,
                    stage=market_stage,
                ),
            ]
        )
    await session.commit()


async def _recommended(client, session) -> list[str]:
    if not await read_scalar(
        session, select(func.count()).select_from(User).where(User.email == "new@bangkok.example")
    ):
        newcomer = (await make_user(session, "buyer", "new@bangkok.example", country="TH")).id
        fair_id = await read_scalar(session, select(Booth.fair_id).limit(1))
        session.add(
            Need(
                buyer_id=newcomer,
                fair_id=fair_id,
                text=NEED_TEXT,
                categories=["ceramics"],
                markets=["TH"],
                tags=[],
            )
        )
        await session.commit()
    await login(client, "new@bangkok.example")
    response = await client.get("/api/fairs/2027-06/recommendations")
    assert response.status_code == 200, response.text
    return [item["booth_id"] for item in response.json()["items"]]


async def _refit(app, min_outcomes: int = MIN) -> MatchWeightFit:
    async with of_app(app).sessionmaker() as s, s.begin():
        row = await learning.refit(s, min_outcomes=min_outcomes, trigger="command")
    return row


async def test_learned_weights_flip_the_ranking_once_enough_outcomes_exist(app, client, session):
    ids = await _world(client, session)
    assert await _recommended(client, session) == [ids["wordy"], ids["market"]]
    await _outcomes(session, ids, MIN // 2)
    # Enough outcomes, but the threshold is higher: the priors stay.
    too_few = await _refit(app, min_outcomes=MIN + 1)
    assert (too_few.status, too_few.n_samples, too_few.n_positive) == ("too_few", MIN, MIN // 2)
    assert await _recommended(client, session) == [ids["wordy"], ids["market"]]
    used = await _refit(app)
    assert (used.status, used.n_samples, used.n_positive) == ("used", MIN, MIN // 2)
    assert used.learned_parts == ["text", "market"]
    assert used.weights["market"] > PRIOR_WEIGHTS.market
    assert used.weights["text"] == FLOOR
    assert await _recommended(client, session) == [ids["market"], ids["wordy"]]
    async with of_app(app).sessionmaker() as s:
        assert await current_weights(s) == weights_from(used.weights)


async def test_outcomes_of_one_kind_leave_the_priors(app, client, session):
    ids = await _world(client, session)
    await _outcomes(session, ids, MIN, wordy_stage="contract", market_stage="quote")
    fitted = await _refit(app)
    assert (fitted.status, fitted.n_samples, fitted.n_positive) == ("one_class", 2 * MIN, 2 * MIN)
    assert await _recommended(client, session) == [ids["wordy"], ids["market"]]
    async with of_app(app).sessionmaker() as s:
        assert await current_weights(s) == PRIOR_WEIGHTS


async def test_the_label_counts_settled_outcomes_only(app, client, session):
    """Positive: held and at follow-up or beyond; negative: no deal, a no-show, a request
    declined, a proposal declined; nothing settled yet (to come, held without an outcome,
    cancelled, an open proposal) is no sample; a buyer without needs is none either."""
    ids = await _world(client, session)
    buyers = [await _buyer(session, number, ids["fair_id"]) for number in range(8)]
    wordy, market = ids["wordy"], ids["market"]
    held = {"attendance": Attendance.HELD}
    session.add_all(
        [
            _meeting(buyers[0].id, wordy, 10, **held, stage="sample_sent"),  # +
            _meeting(buyers[1].id, wordy, 10, **held, stage="no_deal"),  # -
            _meeting(buyers[2].id, wordy, 10, attendance=Attendance.NO_SHOW_BUYER),  # -
            _meeting(buyers[3].id, wordy, 10, status=MeetingStatus.DECLINED),  # -
            _meeting(buyers[4].id, wordy, 10, **held),  # no outcome yet
            _meeting(buyers[5].id, wordy, -3),  # to come
            _meeting(buyers[6].id, wordy, 10, status=MeetingStatus.CANCELLED),
            # A no-show, then a held meeting that reached a quote: the pair worked.
            _meeting(buyers[7].id, market, 20, attendance=Attendance.NO_SHOW_EXHIBITOR),
            _meeting(buyers[7].id, market, 10, **held, stage="quote"),  # +
        ]
    )
    for buyer, status in ((buyers[5], ProposalStatus.DECLINED), (buyers[6], ProposalStatus.OPEN)):
        session.add(
            Proposal(
                fair_id=ids["fair_id"],
                buyer_id=buyer.id,
                booth_id=market,
                kind="organizer",
                status=status,
                expires_at=clock.now() + timedelta(days=3),
            )
        )
    # A buyer without needs: their outcome teaches nothing of the parts.
    needless = await make_user(session, "buyer", "needless@example.com", country="TH")
    session.add(_meeting(needless.id, market, 10, **held, stage="contract"))
    await session.commit()
    samples = await training_samples(session)
    assert sorted(s.positive for s in samples) == [False, False, False, False, True, True]
    # The parts are those of the engine's match of each pair, not its weights.
    by_booth = {s.parts["market"]: s for s in samples}
    assert by_booth[0.0].parts == {"category": 1.0, "text": 1.0, "market": 0.0}
    assert by_booth[1.0].parts == {"category": 1.0, "text": 0.0, "market": 1.0}


async def test_the_daily_task_stores_one_fit_a_day(app, session, mail_context, stopped_clock):
    for _ in range(2):  # two app processes, the same day
        async with of_app(app).sessionmaker() as tasks:
            await learning.queue_refit(tasks)
            await tasks.commit()
    assert await run_jobs(app, mail_context) == 1
    fits = (await session.execute(select(MatchWeightFit.status, MatchWeightFit.trigger))).all()
    await session.rollback()
    assert [tuple(row) for row in fits] == [("too_few", "schedule")]
    stopped_clock.advance(timedelta(days=1))
    async with of_app(app).sessionmaker() as tasks:
        await learning.queue_refit(tasks)
        await tasks.commit()
    assert await run_jobs(app, mail_context) == 1
    count = select(func.count()).select_from(MatchWeightFit)
    assert await read_scalar(session, count) == 2

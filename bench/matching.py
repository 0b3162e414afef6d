"""Matchmaking: the engine's quality on a generated programme with a hidden ground truth, one
buyer's recommendations beside one directory search, and an organizer's matches for a fair.

Quality (pure, no database): ``--quality-booths`` (300) booths of 10 products each and
``--quality-buyers`` (500) buyers with 1-3 needs, generated from a fixed seed. Every product is
one of 120 HS subheadings, named in each of the six languages by made-up words of that
script (so a need's words meet a booth's text only where the subheading is the same). Each
need is made to fit one booth (a product's code at 6 or 4 digits or none, its name in the
buyer's language, a quantity at or above its minimum order, a certificate the booth holds,
a market it sells to, a language it meets in). The hidden ground truth of a need is every
booth that satisfies all it asks for, decided by this script, not by the engine. Printed:
precision@5 and recall@10 of the engine's ranking beside a category-only ranking (booths in
the need's categories, or the categories of its HS chapters, in a fixed random order) and a
popularity ranking (every booth by a Zipf-distributed popularity, blind to the need).

Server time (PostgreSQL): a temporary database gets the directory bench's fair
(``--booths`` 2,000 approved booths × ``--products`` 10, texts from the demo exhibitors),
a second published fair of ``--fair-booths`` (300) booths whose products are all their own
maker's (the big fair's booths sell a bit of everything), and ``--buyers`` (5,000) buyers
with 1-3 needs each made from the demo's products: ``--fair-buyers`` (500) of them for the
second fair, the rest for the first. The app (``kakehashi.app:create_app``) answers in this
process through httpx's ASGI transport, one request at a time, as signed-in buyers (sessions
made directly) and an organizer: ``--requests`` (30) directory searches, as many buyers'
recommendations on the big fair, and the organizer's matches of the second fair 5 times.
Per request: wall time (the database's work included) and this process's CPU time.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/matching.py [--booths 2000] [--products 10] [--buyers 5000]
        [--fair-booths 300] [--fair-buyers 500] [--requests 30] [--quality-only]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--database NAME]
        [--keep-db]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import run_within, throwaway_database

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
sys.path.insert(0, str(ROOT))

from booths.taxonomy import CATEGORIES  # noqa: E402
from booths.text import fold  # noqa: E402
from matchmaking.scoring import (  # noqa: E402
    BoothFacts,
    Context,
    NeedFacts,
    ProductFacts,
    Quantity,
    rank,
)

DATABASE = "kk_bench_matching"
BIG_FAIR, SMALL_FAIR = "2027-06", "2027-07"
LANGUAGES = ("ja", "en", "zh_Hans", "zh_Hant", "vi", "th")
COUNTRIES = {"CN": "zh_Hans", "TW": "zh_Hant", "VN": "vi", "TH": "th", "US": "en", "JP": "ja"}
CERTIFICATES = ("ISO 9001", "ISO 14001", "ISO 13485", "HACCP", "Halal")
MINIMUM_ORDERS = (50, 100, 300, 1000, 3000)
SUBHEADINGS = 120
# Letters each language's made-up words are written in (Japanese in katakana, Chinese in
# ideographs, Thai in Thai letters, Vietnamese with its tone marks).
ALPHABETS = {
    "ja": "カキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロ",
    "en": "bcdfghklmnprstvz",
    "zh_Hans": "钢杯壶刀锅瓷木纸布盒灯机泵阀轴箱瓶罐膜片",
    "zh_Hant": "鋼杯壺刀鍋瓷木紙布盒燈機泵閥軸箱瓶罐膜片",
    "vi": "bcdghklmnst",
    "th": "กขคงจฉชซดตถทนบปผพฟมยรลวสหอ",
}
VOWELS = {"en": "aeiou", "vi": "aăâeêioôơuư"}


# --- a generated programme with a hidden ground truth ------------------------------------------


def made_up_word(language: str, rng: random.Random) -> str:
    letters = ALPHABETS[language]
    if language in VOWELS:
        syllables = rng.randint(3, 4)
        return "".join(rng.choice(letters) + rng.choice(VOWELS[language]) for _ in range(syllables))
    length = {"ja": 5, "zh_Hans": 3, "zh_Hant": 3, "th": 7}[language]
    return "".join(rng.choice(letters) for _ in range(length))


@dataclass(frozen=True)
class Subheading:
    code: str
    category: str
    names: dict[str, str]


@dataclass(frozen=True)
class Case:
    need: NeedFacts
    relevant: frozenset[str]  # the booth ids that satisfy everything the need asks for
    hs_level: int  # the digits of the code the need gives (0: words only)


def subheadings(rng: random.Random) -> list[Subheading]:
    categories = list(CATEGORIES)
    chapters = rng.sample(range(10, 98), 30)
    made: list[Subheading] = []
    codes: set[str] = set()
    while len(made) < SUBHEADINGS:
        chapter = chapters[len(made) % len(chapters)]
        code = f"{chapter:02d}{rng.randint(1, 99):02d}{rng.randint(0, 99):02d}"
        if code in codes:
            continue
        codes.add(code)
        names = {language: made_up_word(language, rng) for language in LANGUAGES}
        made.append(Subheading(code, categories[chapter % len(categories)], names))
    return made


def generated_booths(
    count: int, products: int, kinds: list[Subheading], rng: random.Random
) -> list[BoothFacts]:
    booths = []
    for number in range(count):
        # A maker's products cluster in a few chapters, as real exhibitors' do.
        chapters = rng.sample(sorted({kind.code[:2] for kind in kinds}), 3)
        own = [kind for kind in kinds if kind.code[:2] in chapters]
        languages = ["ja"] + (["en"] if rng.random() < 0.6 else [])
        if rng.random() < 0.3:
            languages.append(rng.choice(["zh_Hans", "zh_Hant", "vi", "th"]))
        made = []
        for position in range(products):
            kind = rng.choice(own)
            written = [lang for lang in LANGUAGES if lang in {"ja", "en"} or rng.random() < 0.6]
            made.append(
                ProductFacts(
                    id=f"p{number}-{position}",
                    hs_code=kind.code,
                    moq=rng.choice(MINIMUM_ORDERS),
                    text=fold(" ".join(kind.names[lang] for lang in written)),
                )
            )
        booths.append(
            BoothFacts(
                id=f"b{number:04d}",
                owner_id=f"e{number:04d}",
                company=f"maker {number}",
                categories=tuple(sorted({kind.category for kind in own})),
                markets=tuple(rng.sample(sorted(COUNTRIES), rng.randint(2, 4))),
                languages=tuple(languages),
                certifications=tuple(rng.sample(CERTIFICATES, rng.randint(0, 2))),
                text=" ".join(product.text for product in made),
                products=tuple(made),
            )
        )
    return booths


def meets_in(language: str, booth: BoothFacts) -> str:
    """The language a buyer of ``language`` asks to meet in at this booth: their own where the
    booth speaks it, else English where it does, else Japanese (with an interpreter)."""
    return next(lang for lang in (language, "en", "ja") if lang in booth.languages or lang == "ja")


def fits(need: NeedFacts, booth: BoothFacts, code: str) -> bool:
    """Whether the booth satisfies everything the need asks for (the ground truth)."""
    wanted = need.quantity
    assert wanted is not None
    makes = any(
        product.hs_code == code and product.moq is not None and product.moq <= wanted.amount
        for product in booth.products
    )
    return (
        makes
        and set(need.certifications) <= set(booth.certifications)
        and bool(set(need.markets) & set(booth.markets))
        and bool(set(need.languages) & set(booth.languages))
    )


def generated_needs(
    buyers: int, booths: list[BoothFacts], kinds: list[Subheading], rng: random.Random
) -> list[Case]:
    by_code = {kind.code: kind for kind in kinds}
    cases = []
    for number in range(buyers):
        for index in range(rng.randint(1, 3)):
            target = rng.choice(booths)
            product = rng.choice(target.products)
            kind = by_code[product.hs_code]
            market = rng.choice(target.markets)
            language = COUNTRIES[market]
            level = rng.choices([6, 4, 0], weights=[5, 3, 2])[0]
            need = NeedFacts(
                id=f"n{number}-{index}",
                buyer_id=f"u{number:04d}",
                text=kind.names[language],
                categories=(kind.category,) if rng.random() < 0.5 else (),
                hs_codes=(product.hs_code[:level],) if level else (),
                quantity=Quantity(product.moq * rng.choice([1, 2, 5]), "piece"),
                certifications=tuple(rng.sample(target.certifications, 1))
                if target.certifications and rng.random() < 0.4
                else (),
                markets=(market,),
                languages=(meets_in(language, target),),
            )
            relevant = frozenset(b.id for b in booths if fits(need, b, product.hs_code))
            cases.append(Case(need, relevant, level))
    return cases


def category_only(case: Case, booths: list[BoothFacts], order: dict[str, int]) -> list[str]:
    asked = set(case.need.categories)
    if not asked:  # the categories a buyer would pick for the chapters they named
        chapters = {code[:2] for code in case.need.hs_codes}
        asked = {
            category
            for booth in booths
            for product in booth.products
            if product.hs_code[:2] in chapters
            for category in booth.categories
        }
    found = [booth.id for booth in booths if asked & set(booth.categories)]
    return sorted(found, key=order.__getitem__)


@dataclass
class Quality:
    precision_at_5: float
    recall_at_10: float


def measured(rankings: dict[str, list[str]], cases: Sequence[Case]) -> Quality:
    counted = [case for case in cases if case.relevant]
    precision = [len(set(rankings[case.need.id][:5]) & case.relevant) / 5 for case in counted]
    recall = [
        len(set(rankings[case.need.id][:10]) & case.relevant) / len(case.relevant)
        for case in counted
    ]
    return Quality(statistics.fmean(precision), statistics.fmean(recall))


def quality(args: argparse.Namespace) -> str:
    rng = random.Random(2027)  # noqa: S311 (the same programme every run, not secrets)
    kinds = subheadings(rng)
    booths = generated_booths(args.quality_booths, 10, kinds, rng)
    cases = generated_needs(args.quality_buyers, booths, kinds, rng)
    started = time.perf_counter()
    matches = rank([case.need for case in cases], booths, context=Context())
    seconds = time.perf_counter() - started
    engine: dict[str, list[str]] = {case.need.id: [] for case in cases}
    for match in matches:
        engine[match.need_id].append(match.booth_id)
    shuffled = [booth.id for booth in booths]
    rng.shuffle(shuffled)
    order = {booth_id: position for position, booth_id in enumerate(shuffled)}
    popularity = {booth.id: rng.paretovariate(1.2) for booth in booths}
    popular = sorted(popularity, key=popularity.__getitem__, reverse=True)
    rankers: dict[str, Callable[[Case], list[str]]] = {
        "match engine": lambda case: engine[case.need.id],
        "category only": lambda case: category_only(case, booths, order),
        "popularity": lambda case: popular,
    }
    counted = sum(1 for case in cases if case.relevant)
    sizes = [len(case.relevant) for case in cases if case.relevant]
    lines = [
        f"Quality: {len(booths)} booths × 10 products, {args.quality_buyers} buyers, "
        f"{len(cases)} needs ({counted} with a booth that fits; relevant booths per need: "
        f"median {statistics.median(sizes):.0f}, max {max(sizes)}); the engine scored "
        f"{len(cases)} × {len(booths)} pairs in {seconds:.2f} s.",
        "",
        "| ranking | precision@5 | recall@10 | recall@10, needs with no HS code |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, ranker in rankers.items():
        rankings = {case.need.id: ranker(case) for case in cases}
        overall = measured(rankings, cases)
        wordy = measured(rankings, [case for case in cases if case.hs_level == 0])
        lines.append(
            f"| {label} | {overall.precision_at_5:.3f} | {overall.recall_at_10:.3f} "
            f"| {wordy.recall_at_10:.3f} |"
        )
    return "\n".join(lines)


# --- server time on PostgreSQL -----------------------------------------------------------------


def demo_need(rng: random.Random, buyer: Any, fair: str) -> dict[str, Any]:
    """A need for one of the demo's products, in the buyer's language where the demo has it."""
    from demo.data import EXHIBITORS

    base = rng.choice(EXHIBITORS)
    product = rng.choice(base.products)
    name = product.name.get(buyer.locale) or product.name["en"]
    words = name.split()[:2] if " " in name else [name[:4]]
    level = rng.choice([6, 4, 2, 0])
    return {
        "fair": fair,
        "text": " ".join(words),
        "categories": [base.category] if rng.random() < 0.5 else [],
        "hs_codes": [product.hs_code[:level]] if level else [],
        "quantity": {"amount": product.moq * rng.choice([1, 2, 5]), "unit": "piece"},
        "markets": [buyer.country],
        "languages": [buyer.locale[:2] if buyer.locale in {"ja", "en"} else "en"],
    }


def specialist(number: int, fair: Any, products: int, rng: random.Random) -> Any:
    """An exhibitor of the small fair: the directory bench's, but its products are all
    variants of its own demo maker's (a cutlery maker sells cutlery), as at a real fair;
    the big fair's booths sell a bit of everything, the worst case for the engine."""
    from directory import exhibitor, product

    from demo.data import EXHIBITORS

    user, booth, _ = exhibitor(100000 + number, fair, products, rng)
    own = EXHIBITORS[(100000 + number) % len(EXHIBITORS)].products
    items = [product(own[i % len(own)], i, rng) for i in range(products)]
    for item in items:
        item.booth_id = booth.id
    return user, booth, items


WEEKDAY_HOURS = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(1, 6)]


async def seed_matching(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The second fair with its booths, the buyers and their needs, an organizer, sessions."""
    from directory import add_exhibitors, published_fair
    from sqlalchemy import select

    from booths.models import Booth
    from fair import clock
    from fair.accounts.models import User
    from fair.accounts.service import start_session
    from fair.config import Settings
    from fair.db import create_engine, create_sessionmaker
    from matchmaking.schemas import NeedCreate
    from matchmaking.service import create_need
    from meetings.models import BoothHours

    engine = create_engine(url)
    settings = Settings()
    rng = random.Random(2028)  # noqa: S311 (the same buyers every run, not secrets)
    tokens: dict[str, Any] = {"buyers": []}
    try:
        async with create_sessionmaker(engine)() as session:
            title = {"en": "Matching bench fair", "ja": "マッチングベンチ展示会"}
            small = await published_fair(session, SMALL_FAIR, title, days_ahead=50)
            await add_exhibitors(
                session, [specialist(n, small, args.products, rng) for n in range(args.fair_booths)]
            )
            verified = clock.now()
            for number in range(args.buyers):
                country = rng.choice(sorted(COUNTRIES))
                buyer = User(
                    email=f"buyer{number:05d}@bench.example",
                    password_hash="!bench",  # noqa: S106 (nobody signs in: sessions are made)
                    name=f"Buyer {number}",
                    role="buyer",
                    company=f"Buyer Trading {number}",
                    country=country,
                    locale=COUNTRIES[country],
                    languages=["en"],
                    email_verified_at=verified,
                )
                session.add(buyer)
                await session.flush()
                fair = SMALL_FAIR if number < args.fair_buyers else BIG_FAIR
                for _ in range(rng.randint(1, 3)):
                    body = NeedCreate.model_validate(demo_need(rng, buyer, fair))
                    await create_need(session, actor=buyer, data=body)
                if number >= args.fair_buyers and len(tokens["buyers"]) < args.requests:
                    tokens["buyers"].append(await start_session(session, buyer, settings=settings))
                if number % 500 == 499:
                    await session.commit()
                    session.expunge_all()
            organizer = User(
                email="organizer@bench.example",
                password_hash="!bench",  # noqa: S106
                name="Organizer",
                role="organizer",
                email_verified_at=verified,
            )
            session.add(organizer)
            await session.flush()
            tokens["organizer"] = await start_session(session, organizer, settings=settings)
            # Every booth meets on Tokyo weekdays 9:00-17:00: the good-for-both times of
            # the best matches are then worked out as in a real fair.
            booth_ids = (await session.scalars(select(Booth.id))).all()
            session.add_all(
                BoothHours(booth_id=booth_id, timezone="Asia/Tokyo", weekly=WEEKDAY_HOURS)
                for booth_id in booth_ids
            )
            await session.commit()
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        await engine.dispose()
    return tokens


@dataclass
class Timed:
    label: str
    wall: list[float]
    cpu: list[float]
    statuses: set[int]


async def timed(client: Any, label: str, requests: list[tuple[str, str | None]]) -> Timed:
    from fair.accounts.routes import SESSION_COOKIE

    result = Timed(label, [], [], set())
    for path, token in requests:
        client.cookies.clear()
        if token:
            client.cookies.set(SESSION_COOKIE, token)
        wall, cpu = time.perf_counter(), time.process_time()
        response = await client.get(path)
        result.wall.append(time.perf_counter() - wall)
        result.cpu.append(time.process_time() - cpu)
        result.statuses.add(response.status_code)
    return result


async def server_time(args: argparse.Namespace) -> str:
    import httpx
    from directory import seed

    async with throwaway_database(args.postgres, args.database, args.keep_db) as url:
        started = time.perf_counter()
        await seed(url, argparse.Namespace(booths=args.booths, products=args.products))
        tokens = await seed_matching(url, args)
        seeded = time.perf_counter() - started
        from fair.config import Settings
        from kakehashi.app import create_app

        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                database_url=url,
                media_dir=Path(tmp) / "media",
                mail_dir=Path(tmp) / "mail",
                secret_key="bench-" + "x" * 40,
                inprocess_jobs=False,
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", timeout=120
                ) as client:
                    words = ["タンブラー", "stainless", "ceramic", "包丁", "towel", "machine"]
                    searches = [
                        (f"/api/fairs/{BIG_FAIR}/booths?q={words[i % len(words)]}", None)
                        for i in range(args.requests)
                    ]
                    picks = [
                        (f"/api/fairs/{BIG_FAIR}/recommendations", token)
                        for token in tokens["buyers"]
                    ]
                    matches = [(f"/api/fairs/{SMALL_FAIR}/matches", tokens["organizer"])] * 5
                    await timed(client, "warm-up", searches[:3] + picks[:3] + matches[:1])
                    rows = [
                        await timed(client, "directory search (the baseline)", searches),
                        await timed(client, "one buyer's recommendations", picks),
                        await timed(
                            client,
                            f"organizer's matches, {args.fair_booths} booths × "
                            f"{args.fair_buyers} buyers",
                            matches,
                        ),
                    ]
    baseline = statistics.median(rows[0].wall)
    lines = [
        f"Server time on PostgreSQL ({args.booths} booths × {args.products} products and "
        f"{args.buyers} buyers with 1-3 needs; seeded in {seeded:.0f} s; one request at a "
        "time, in process):",
        "",
        "| request | n | status | wall p50 | wall max | CPU p50 | wall p50 ÷ directory |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        p50 = statistics.median(row.wall)
        lines.append(
            f"| {row.label} | {len(row.wall)} | {','.join(map(str, sorted(row.statuses)))} "
            f"| {p50 * 1000:.1f} ms | {max(row.wall) * 1000:.1f} ms "
            f"| {statistics.median(row.cpu) * 1000:.1f} ms | {p50 / baseline:.2f}× |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--booths", type=int, default=2000, help="booths of the big fair")
    parser.add_argument("--products", type=int, default=10, help="products per booth")
    parser.add_argument("--buyers", type=int, default=5000, help="buyers with 1-3 needs")
    parser.add_argument("--fair-booths", type=int, default=300, help="booths of the small fair")
    parser.add_argument("--fair-buyers", type=int, default=500, help="its buyers")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per row")
    parser.add_argument("--quality-booths", type=int, default=300)
    parser.add_argument("--quality-buyers", type=int, default=500)
    parser.add_argument("--quality-only", action="store_true", help="skip the server part")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="where to create (and drop) the bench's database",
    )
    parser.add_argument(
        "--database",
        default=DATABASE,
        help=f"the bench's database ({DATABASE}): another name lets two runs share a server",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database behind")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this")
    args = parser.parse_args(argv)
    if min(args.booths, args.products, args.buyers, args.requests) < 1:
        parser.error("--booths, --products, --buyers and --requests must be positive")
    if args.fair_buyers > args.buyers:
        parser.error("--fair-buyers cannot exceed --buyers")
    return args


def main() -> int:
    args = parse_args()
    os.environ.setdefault("FAIR_ENV", "bench")
    print(quality(args), flush=True)
    if args.quality_only:
        return 0
    print()
    report = run_within(server_time(args), args.timeout)
    if report is None:
        print(f"gave up after {args.timeout:.0f} s", file=sys.stderr)
        return 1
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

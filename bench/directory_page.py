"""Server CPU per request of the directory page and API, in process (issue 19).

The app runs in this process on a throwaway PostgreSQL database seeded as ``bench/load.py``
seeds it (one live fair of ``--booths`` approved booths with products and meeting hours,
buyers with sessions, 40 meetings starting in five minutes). Each case asks the same URL
``--requests`` times through ``httpx.ASGITransport`` (no sockets, no other process) after
one request that fills what the app keeps; the figure is ``time.process_time()`` per request,
the best of ``--rounds`` rounds, with the SQL statements one request sends (counted with a
``before_cursor_execute`` listener on the app's engine).

    .venv/bin/python bench/directory_page.py --keep  # seeds kk_bench_dirpage, keeps it
    .venv/bin/python bench/directory_page.py --database URL --checkout /work/main
    .venv/bin/python bench/directory_page.py --database URL
    .venv/bin/python bench/directory_page.py --database URL --profile /tmp/page.prof

``--checkout PATH`` measures another checkout's code with this script, so two versions are
measured the same way on the same data, back to back: the figures are only comparable
within one machine state.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common  # noqa: F401 (puts the project first on sys.path)
import httpx
from common import run_within, throwaway_database
from sqlalchemy import event

DATABASE = "kk_bench_dirpage"
ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Cases: name, path and query (the load's directory shapes), signed in as a buyer or not.
CASES: list[tuple[str, str, bool]] = [
    ("directory page, anonymous", "/fairs/{slug}/booths?lang=en", False),
    ("directory page, anonymous, search", "/fairs/{slug}/booths?q=タンブラー&lang=ja", False),
    ("directory page, a buyer", "/fairs/{slug}/booths", True),
    ("directory page, a buyer, filters", "/fairs/{slug}/booths?category=ceramics&page=2", True),
    ("directory API, anonymous", "/api/fairs/{slug}/booths?q=tumbler", False),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=ADMIN_URL, help="an existing database's URL")
    parser.add_argument("--booths", type=int, default=300)
    parser.add_argument("--products", type=int, default=10)
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200, help="GETs per round and case")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the first case's rounds")
    parser.add_argument("--database", help="a database seeded before (--keep): no seeding")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--checkout", help="measure this checkout's code instead of this one's")
    parser.add_argument("--timeout", type=float, default=900.0)
    return parser.parse_args(argv)


async def measure(
    client: httpx.AsyncClient, engine: Any, url: str, headers: dict[str, str], args: Any
) -> tuple[float, int, int]:
    """(best CPU ms per request, statements of one repeated request, body bytes)."""
    first = await client.get(url, headers=headers)
    if first.status_code != 200:
        raise RuntimeError(f"{url}: {first.status_code} {first.text[:300]}")
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        again = await client.get(url, headers=headers)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    best = float("inf")
    for _ in range(args.rounds):
        started = time.process_time()
        for _ in range(args.requests):
            response = await client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
        best = min(best, (time.process_time() - started) / args.requests)
    return best * 1000, len(sent), len(again.content)


async def buyer_token(url: str) -> str:
    """A new session of one seeded buyer (for ``--database``: the seed's are not kept)."""
    from sqlalchemy import select

    from fair.accounts.models import User
    from fair.accounts.service import start_session
    from fair.config import Settings
    from fair.db import create_engine, create_sessionmaker

    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = await session.scalar(
                select(User).where(User.role == "buyer").order_by(User.email).limit(1)
            )
            assert user is not None, "no buyer in the database"
            token = await start_session(session, user, settings=Settings())
            await session.commit()
            return token
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> int:
    import load

    from kakehashi.app import create_app

    # The whole app is imported before migrating: Alembic puts the working directory first
    # on sys.path, which would otherwise load the code of the checkout the script runs in.
    code = Path(sys.modules[create_app.__module__].__file__ or "").parent.parent
    print(f"code: {code}", file=sys.stderr)

    if args.database:
        await cases(args, args.database, await buyer_token(args.database))
        return 0
    async with throwaway_database(args.postgres, DATABASE, keep=args.keep) as url:
        seeded = await load.seed(
            url,
            argparse.Namespace(
                booths=args.booths, products=args.products, buyers=args.buyers, live_meetings=40
            ),
        )
        print(f"seeded {args.booths} booths in {seeded.seconds:.0f}s: {url}", file=sys.stderr)
        await cases(args, url, seeded.buyers[0]["token"])
    return 0


async def cases(args: argparse.Namespace, url: str, token: str) -> None:
    from load import SLUG

    from fair.config import Settings
    from fair.resources import of_app
    from kakehashi.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=url,
            media_dir=Path(tmp) / "media",
            mail_dir=Path(tmp) / "mail",
            inprocess_jobs=False,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            engine = of_app(app).engine
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                buyer = {"Cookie": f"kk_session={token}"}
                print("| request | statements | CPU ms/request | body bytes |")
                print("| --- | ---: | ---: | ---: |")
                for n, (name, path, signed_in) in enumerate(CASES):
                    profile = cProfile.Profile() if args.profile and n == 0 else None
                    if profile:
                        profile.enable()
                    ms, statements, size = await measure(
                        client, engine, path.format(slug=SLUG), buyer if signed_in else {}, args
                    )
                    if profile:
                        profile.disable()
                        profile.dump_stats(args.profile)
                    print(f"| {name} | {statements} | {ms:.2f} | {size:,} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.checkout:
        sys.path.insert(0, str(Path(args.checkout).resolve()))
    return 1 if run_within(run(args), args.timeout) is None else 0


if __name__ == "__main__":
    sys.exit(main())

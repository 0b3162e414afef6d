"""The ``fair`` command: serve, signaling, worker, migrate, demo, users create, fairs
plan-year, media migrate-to-s3, match refit.

Each command imports what it needs when it runs: the app and the worker pull in aiortc,
uvicorn and every package (about a second), which ``fair --help``, ``fair migrate`` and
``fair users create`` have no use for. These are not cycles being dodged:
tests/test_layers.py counts imports inside functions too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fair import clock, logs
from fair.config import ConfigError, Settings, load_settings
from fair.db import create_engine, create_sessionmaker
from fair.errors import DomainError


def _run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _ensure_sqlite_folder(settings: Settings) -> None:
    prefix = "sqlite+aiosqlite:///"
    if settings.database_url.startswith(prefix):
        from pathlib import Path

        path = settings.database_url[len(prefix) :]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _serve(app: Any, args: argparse.Namespace, **options: Any) -> int:
    import uvicorn

    uvicorn.run(
        app,
        **options,
        host=args.host,
        port=args.port,
        ws="websockets-sansio",
        proxy_headers=True,
        log_level="info",
        # uvicorn's lines go through the root logger set up by ``main`` (text or JSON); its
        # access line is off: it writes the path and query, where a mailed link's token may
        # stand. The app writes its own (fair.middleware.Observe).
        log_config=None,
        access_log=False,
    )
    return 0


WORKER_HEALTHCHECK_SECONDS = 60
# What ties the app to one process without Redis, named when ``--workers`` asks for more.
ONE_PROCESS_PARTS = (
    "the video rooms (LocalHub: both sides of a meeting must reach the same process)",
    "the signaling tokens' ledger (in memory)",
    "the jobs, run in the app's process (the outbox relay without a queue)",
)


def _cpus() -> int:
    """The CPUs this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def serve_workers(settings: Settings, asked: int | None) -> int:
    """How many worker processes ``fair serve`` runs: ``--workers``, else one per CPU. Several
    share the video rooms, the tokens' ledger and the jobs through Redis: without
    FAIR_REDIS_URL an explicit ``--workers N`` (N > 1) is refused (``ConfigError``) and the
    default falls back to one."""
    if asked is not None and asked < 1:
        raise ConfigError("--workers must be at least 1")
    wanted = asked if asked is not None else _cpus()
    if wanted > 1 and not settings.redis_url:
        if asked is not None:
            raise ConfigError(
                f"--workers {asked} needs FAIR_REDIS_URL: without Redis these live in one "
                "process: " + "; ".join(ONE_PROCESS_PARTS) + ". Set FAIR_REDIS_URL (and run "
                "`fair worker`) or use --workers 1"
            )
        return 1
    return wanted


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    try:
        workers = serve_workers(settings, args.workers)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if not settings.smtp_host:
        print(f"no SMTP configured: e-mails are written to {settings.mail_dir.resolve()}")
    if workers == 1:
        from kakehashi.app import create_app

        return _serve(create_app(settings, serving=True), args)
    # Each worker is a process of its own that builds the app from the environment
    # (kakehashi.app.app_from_env); the clock's instant goes with it.
    if args.now is not None or settings.now is not None:
        os.environ["FAIR_NOW"] = clock.now().isoformat()
    print(f"serving with {workers} worker processes")
    # uvicorn restarts a worker that does not answer its supervisor's ping in time (5 s by
    # default): on a busy machine importing the app takes longer, and the workers were
    # killed and restarted before they ever served.
    return _serve(
        "kakehashi.app:app_from_env",
        args,
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def cmd_signaling(settings: Settings, args: argparse.Namespace) -> int:
    # Not uvicorn: the relay's own process runs on websockets' server (signaling.standalone),
    # without the ASGI stack's cost per frame.
    from kakehashi.app import relay_server
    from kakehashi.relay import PATH, serve_until_signalled

    where = f"ws://{args.host}:{args.port}{PATH}"
    return serve_until_signalled(relay_server(settings, host=args.host, port=args.port), where)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from arq.worker import Worker

    from kakehashi.jobs import worker_settings

    if not settings.redis_url:
        print("fair worker needs FAIR_REDIS_URL (without it, `fair serve` runs jobs itself)")
        return 2
    if args.metrics_port:
        from fair.scrape import serve_in_thread

        serve_in_thread(args.metrics_host, args.metrics_port, settings.metrics_token)
    Worker(**worker_settings(settings), burst=args.burst).run()
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from fair.migrate import upgrade

    _ensure_sqlite_folder(settings)

    async def main() -> None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine, args.revision)
        finally:
            await engine.dispose()

    asyncio.run(main())
    print(f"database at {args.revision}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from demo import loader as demo
    from fair.resources import open_storage

    async def work(session: AsyncSession) -> dict[str, int] | None:
        # --if-empty: into an empty database, or one that holds the demo already (loading
        # again only adds what the later instant needs); never into other data.
        if args.if_empty and not (await demo.is_empty(session) or await demo.is_demo(session)):
            return None
        storage = open_storage(settings)  # the folder or the bucket, as the app's
        try:
            return await demo.load(
                session, storage=storage, settings=settings, history=not args.without_history
            )
        finally:
            await storage.aclose()

    # The instant the demo is loaded as of: taken before the load, which takes a while
    # (more on a busy machine) while the clock moves on.
    as_of = clock.now()
    counts = _run_in_session(settings, work)
    if counts is None:
        print("demo skipped: the database holds other data")
        return 0
    print(
        f"demo loaded as of {as_of:%Y-%m-%d %H:%M} UTC: {counts['users']} people, "
        f"{counts['fairs']} fairs, {counts['booths']} booths, {counts['meetings']} meetings "
        f"({counts['held']} held, {counts['contracts']} contracts), "
        f"{counts['live']} meetings live now, {counts['needs']} sourcing needs, "
        f"{counts['proposals']} meeting proposals"
    )
    print(f"sign in as {demo.ORGANIZER_EMAIL} / {demo.DEMO_PASSWORD}")
    for line in demo.live_accounts():
        print(line)
    return 0


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> int:
    from fair.accounts.models import Role
    from fair.accounts.service import create_user
    from fair.schemas import check_country, check_timezone

    try:
        timezone = check_timezone(args.timezone)
        country = check_country(args.country) if args.country else ""
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def work(session: AsyncSession) -> str:
        user = await create_user(
            session,
            email=args.email,
            password=args.password,
            name=args.name,
            role=Role(args.role),
            company=args.company,
            country=country,
            timezone=timezone,
            locale=args.locale,
            languages=args.languages,
            # The operator who runs the command vouches for the address.
            verified=True,
        )
        return user.id

    user_id = _run_in_session(settings, work)
    print(f"created {args.role} {args.email} ({user_id})")
    return 0


def cmd_fairs_plan_year(settings: Settings, args: argparse.Namespace) -> int:
    from fair.fairs.service import plan_year
    from fair.fairs.themes import FAIR_THEMES

    async def work(session: AsyncSession) -> int:
        return len(await plan_year(session, year=args.year, titles=FAIR_THEMES))

    created = _run_in_session(settings, work)
    print(f"{created} fairs created for {args.year} ({12 - created} already there)")
    return 0


def cmd_media_migrate_to_s3(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from fair.media_migration import migrate_to_s3
    from fair.s3 import S3Storage
    from fair.storage import LocalStorage

    if not settings.s3_bucket:
        print("fair media migrate-to-s3 needs FAIR_S3_BUCKET (and the bucket's settings)")
        return 2
    source = Path(args.source) if args.source else settings.media_dir
    if not source.is_dir():
        print(f"error: no media folder at {source.resolve()}", file=sys.stderr)
        return 2

    async def main() -> Any:
        bucket = S3Storage(settings)
        try:
            return await migrate_to_s3(
                LocalStorage(source),
                bucket,
                dry_run=args.dry_run,
                progress=print if args.verbose else lambda line: None,
            )
        finally:
            await bucket.aclose()

    counts = asyncio.run(main())
    copied = "would be copied" if args.dry_run else "copied"
    print(
        f"{counts.copied} files {copied} ({counts.copied_bytes / 1024 / 1024:.1f} MB), "
        f"{counts.skipped} already in the bucket, to s3://{settings.s3_bucket}/"
        f"{settings.s3_prefix}"
    )
    return 0


def cmd_match_refit(settings: Settings, args: argparse.Namespace) -> int:
    from matchmaking.learning import Trigger, refit

    async def work(session: AsyncSession) -> Any:
        fit = await refit(
            session, min_outcomes=settings.match_min_outcomes, trigger=Trigger.COMMAND
        )
        return fit.status, fit.n_samples, fit.n_positive, dict(fit.weights)

    status, samples, positive, weights = _run_in_session(settings, work)
    print(f"{status}: {samples} outcomes ({positive} good), at least {settings.match_min_outcomes}")
    for part, weight in weights.items():
        print(f"  {part}: {weight}")
    return 0


def _instant(text: str) -> Any:
    try:
        return clock.parse_instant(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fair", description="Kakehashi virtual trade fair")
    commands = parser.add_subparsers(dest="command", required=True)
    # Every command that reads the clock can run as of another instant (FAIR_NOW too).
    as_of = argparse.ArgumentParser(add_help=False)
    as_of.add_argument(
        "--now",
        type=_instant,
        metavar="INSTANT",
        help="run as of this instant (ISO 8601 with an offset, e.g. 2027-02-03T10:00:00+09:00); "
        "the clock runs on from it. Default: FAIR_NOW, else the real time",
    )

    serve = commands.add_parser("serve", help="serve the web app", parents=[as_of])
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per CPU; more than one needs FAIR_REDIS_URL, "
        "without it the default is 1)",
    )
    serve.set_defaults(func=cmd_serve)

    signaling = commands.add_parser(
        "signaling", help="serve only the video signaling relay (/ws/signaling)", parents=[as_of]
    )
    signaling.add_argument("--host", default="127.0.0.1")
    signaling.add_argument("--port", type=int, default=8001)
    signaling.set_defaults(func=cmd_signaling)

    worker = commands.add_parser(
        "worker", help="run the arq job worker (needs FAIR_REDIS_URL)", parents=[as_of]
    )
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        metavar="PORT",
        help="serve the worker's job metrics on http://HOST:PORT/metrics (default: off)",
    )
    worker.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address --metrics-port listens on (default 127.0.0.1; elsewhere only "
        "requests with FAIR_METRICS_TOKEN are answered)",
    )
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("revision", nargs="?", default="head")
    migrate.set_defaults(func=cmd_migrate)

    demo = commands.add_parser("demo", help="load the demo programme", parents=[as_of])
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="only into an empty database or one that holds the demo (brought up to now)",
    )
    demo.add_argument(
        "--without-history",
        action="store_true",
        help="leave out the past year's fairs (the report's history): a faster load",
    )
    demo.set_defaults(func=cmd_demo)

    users = commands.add_parser("users", help="manage accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create an account of any role")
    create.add_argument(
        "--role", required=True, choices=["organizer", "staff", "exhibitor", "buyer", "interpreter"]
    )
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--company", default="")
    create.add_argument("--country", default="")
    create.add_argument("--timezone", default="Asia/Tokyo")
    create.add_argument(
        "--locale", default="ja", choices=["ja", "en", "zh_Hans", "zh_Hant", "vi", "th"]
    )
    create.add_argument(
        "--languages",
        nargs="*",
        default=[],
        choices=["ja", "en", "zh_Hans", "zh_Hant", "vi", "th"],
        help="an interpreter's working languages",
    )
    create.set_defaults(func=cmd_users_create)

    fairs = commands.add_parser("fairs", help="manage fairs").add_subparsers(
        dest="fairs_command", required=True
    )
    plan = fairs.add_parser("plan-year", help="create the 12 monthly fairs of a year")
    plan.add_argument("year", type=int)
    plan.set_defaults(func=cmd_fairs_plan_year)

    media = commands.add_parser("media", help="manage media files").add_subparsers(
        dest="media_command", required=True
    )
    to_s3 = media.add_parser(
        "migrate-to-s3",
        help="copy the local media folder into the S3 bucket (FAIR_S3_*); files already "
        "there with the same bytes are skipped, so it can run again",
    )
    to_s3.add_argument("--source", default="", help="the folder to copy (default: FAIR_MEDIA_DIR)")
    to_s3.add_argument("--dry-run", action="store_true", help="count, copy nothing")
    to_s3.add_argument("--verbose", action="store_true", help="print each file copied")
    to_s3.set_defaults(func=cmd_media_migrate_to_s3)

    match = commands.add_parser("match", help="the match engine").add_subparsers(
        dest="match_command", required=True
    )
    refit = match.add_parser(
        "refit",
        help="refit the match weights to the outcomes so far (used once there are "
        "FAIR_MATCH_MIN_OUTCOMES of both kinds)",
        parents=[as_of],
    )
    refit.set_defaults(func=cmd_match_refit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_format, logging.INFO)
    instant = getattr(args, "now", None) or settings.now
    if instant is not None:
        if settings.is_production:
            print("configuration error: --now is for demos and tests", file=sys.stderr)
            return 2
        clock.start_at(instant)
    try:
        return args.func(settings, args)
    except DomainError as exc:
        detail = getattr(exc, "errors", None) or str(exc)
        print(f"error: {detail}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

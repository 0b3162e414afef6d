"""The booth directory under load: GET /api/fairs/{slug}/booths beside a static file.

A temporary PostgreSQL database gets one published fair with 2,000 approved booths of 10
products each, their texts recombined from the demo exhibitors (ja and en always, zh_Hans,
zh_Hant, vi and th where the demo has them) and their search columns filled by the app's own
``refresh_search``. One uvicorn worker serves ``kakehashi.app:create_app`` on that database; a
second process (this script with ``--client``) sends a fixed number of requests, 50 in flight,
first to ``/static/css/app.css`` (the baseline: same server, no database) and then to the
directory, cycling through a fixed mix of searches and filters; then the same searches
against a second server that keeps no answer (``FAIR_DIRECTORY_CACHE_MB=0``): what a search
costs the first time it is asked, or after its fair changed. Bodies are asked for without
gzip. The figures are read as ratios to the baseline, measured in the same run on the same
machine.

A benchmark, not a test: it prints figures and never asserts on timings.

    .venv/bin/python bench/directory.py [--booths 2000] [--products 10] [--requests 1000]
        [--concurrency 50] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
        [--keep-db] [--wrk-seconds 10]

With ``wrk`` on PATH (``apt install wrk``), the static file and the kept searches are asked
again by wrk, ``--concurrency`` connections from one thread: the latency at 50 clients when
the client is not the bottleneck (the httpx client takes a whole core).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from common import client_process, run_within, throwaway_database
from http_overhead import (
    Result,
    child_server,
    free_port,
    process_cpu_seconds,
    ratio,
)

if TYPE_CHECKING:  # the bench imports the app lazily, after its settings are in place
    from demo.data import Exhibitor
    from demo.data import Product as DemoProduct

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parent.parent
DATABASE = "kk_bench_directory"
SLUG = "2027-06"
STATIC_PATH = "/static/css/app.css"
# A selective word of five characters, and a two-character word (no trigram in it).
EXPLAIN_QUERIES = ("タンブラー", "研磨")
SEED_CHUNK = 250
ERRORS_SHOWN = 20
# Fifty clients queue behind a search that costs tens of milliseconds: a slow answer is a
# figure to report, not an error, so the client waits far longer than http_overhead's does.
REQUEST_TIMEOUT_SECONDS = 60.0

# The directory mix, cycled in this order: searches in the buyers' languages (two-character
# Japanese and Chinese words among them), filters alone, a search with a filter, no query.
QUERIES: list[dict[str, str]] = [
    {"q": "研磨"},
    {"q": "タンブラー"},
    {"q": "抹茶"},
    {"q": "不锈钢"},
    {"q": "陶瓷"},
    {"q": "dao bếp"},
    {"q": "trà"},
    {"q": "tumbler"},
    {"q": "knife"},
    {"category": "ceramics"},
    {"market": "VN"},
    {"q": "タンブラー", "category": "metal_parts"},
    {"category": "food_beverage", "market": "TW"},
    {},
]

# Variations that make 2,000 booths out of twelve demo exhibitors.
TOWNS = [
    ("燕", "Tsubame"),
    ("三条", "Sanjo"),
    ("関", "Seki"),
    ("有田", "Arita"),
    ("今治", "Imabari"),
    ("鯖江", "Sabae"),
    ("諏訪", "Suwa"),
    ("高山", "Takayama"),
    ("宇治", "Uji"),
    ("富士", "Fuji"),
    ("堺", "Sakai"),
    ("東大阪", "Higashiosaka"),
]
SERIES = ["KX", "SL", "TM", "AR", "MZ", "HN", "PR", "EV"]
EXTRA_LANGUAGES = ["zh_Hans", "zh_Hant", "vi", "th"]


# --- the data ----------------------------------------------------------------------------------


def some_languages(text: dict[str, str], rng: random.Random) -> dict[str, str]:
    """ja and en always; each other translation kept by most booths, not all."""
    return {
        lang: value for lang, value in text.items() if lang in {"ja", "en"} or rng.random() < 0.7
    }


def company_name(base: Exhibitor, number: int) -> dict[str, str]:
    town_ja, town_en = TOWNS[number % len(TOWNS)]
    plant = number // len(TOWNS) + 1
    return {
        "ja": f"{base.company['ja']} {town_ja}第{plant}工場",
        "en": f"{base.company['en']} – {town_en} Plant {plant}",
    }


def description(base: Exhibitor, rng: random.Random) -> dict[str, str]:
    staff, share = rng.randint(8, 480), rng.randint(5, 70)
    extra = {
        "ja": f"従業員{staff}名、海外売上比率{share}%。",
        "en": f"{staff} employees; {share}% of sales abroad.",
    }
    text = some_languages(base.description, rng)
    return {
        lang: f"{value} {extra[lang]}" if lang in extra else value for lang, value in text.items()
    }


def product(source: DemoProduct, position: int, rng: random.Random) -> Any:
    from booths.models import Product

    model = f"{rng.choice(SERIES)}-{rng.randint(100, 999)}"
    price_min = source.price_min
    price_max = source.price_max
    return Product(
        name={lang: f"{value} {model}" for lang, value in source.name.items()},
        description=some_languages(source.description, rng),
        hs_code=source.hs_code,
        moq=source.moq * rng.choice([1, 2, 5]),
        price_min=None if price_min is None else Decimal(str(price_min)),
        price_max=None if price_max is None else Decimal(str(price_max)),
        currency=source.currency,
        lead_time_days=source.lead_time_days + rng.randint(0, 30),
        position=position,
    )


def tags(base: Exhibitor, rng: random.Random) -> list[Any]:
    from booths.models import BoothTag, TagKind
    from booths.taxonomy import CATEGORIES

    categories = [base.category]
    if rng.random() < 0.4:
        categories.append(rng.choice([c for c in CATEGORIES if c != base.category]))
    markets = rng.sample(base.markets, k=min(len(base.markets), rng.randint(2, 4)))
    languages = list(base.languages)
    if rng.random() < 0.3:
        languages.append(rng.choice([lang for lang in EXTRA_LANGUAGES if lang not in languages]))
    return [
        BoothTag(kind=kind, code=code, position=position)
        for kind, codes in (
            (TagKind.CATEGORY, categories),
            (TagKind.MARKET, markets),
            (TagKind.LANGUAGE, languages),
        )
        for position, code in enumerate(codes)
    ]


def exhibitor(
    number: int, fair: Any, products: int, rng: random.Random
) -> tuple[Any, Any, list[Any]]:
    """One exhibitor user (the owner of its company, added with it), its approved booth and
    the booth's products (not yet added)."""
    from booths.models import Booth, BoothStatus
    from demo.data import EXHIBITORS
    from fair import clock
    from fair.accounts.companies import name_key
    from fair.accounts.models import Company, CompanyKind, CompanyMember, CompanyRole, User
    from fair.db import new_id

    base = EXHIBITORS[number % len(EXHIBITORS)]
    company = company_name(base, number)
    user = User(
        id=new_id(),
        email=f"exhibitor{number:05d}@bench.example",
        password_hash="!bench",  # noqa: S106 (nobody signs in as them)
        name=f"Exhibitor {number}",
        role="exhibitor",
        company=company["en"],
        country="JP",
        locale="ja",
        languages=base.languages,
    )
    # Who manages a booth (and so sees, cancels and joins its meetings) is decided by
    # company membership (booths.service.can_manage), not by the booth's owner_id.
    firm = Company(
        id=new_id(),
        name=company["en"],
        name_key=name_key(company["en"]),
        kind=CompanyKind.EXHIBITOR.value,
    )
    user.membership = CompanyMember(
        company=firm, company_id=firm.id, user_id=user.id, role=CompanyRole.OWNER.value
    )
    created = clock.now() - timedelta(days=30, minutes=number)
    booth = Booth(
        id=new_id(),
        fair_id=fair.id,
        owner_id=user.id,
        company_id=firm.id,
        company=company,
        tagline=some_languages(base.tagline, rng),
        description=description(base, rng),
        certifications=list(base.certifications),
        website=base.website,
        city=base.city,
        status=BoothStatus.APPROVED,
        reviewed_at=created + timedelta(days=rng.randint(1, 20)),
        created_at=created,
        tags=tags(base, rng),
    )
    # Its own three products first, then others' (a maker of tumblers also sells cutlery).
    others = [p for e in EXHIBITORS if e is not base for p in e.products]
    sources = (base.products + rng.sample(others, k=len(others)))[:products]
    items = [product(source, position, rng) for position, source in enumerate(sources)]
    for item in items:
        item.booth_id = booth.id
    return user, booth, items


async def published_fair(session: Any, slug: str, title: dict[str, str], *, days_ahead: int) -> Any:
    """A published fair of two days, ``days_ahead`` from today, taking bookings now."""
    from fair import clock
    from fair.fairs.models import Fair

    start = clock.now().date() + timedelta(days=days_ahead)
    fair = Fair(
        slug=slug,
        title=title,
        starts_on=start,
        ends_on=start + timedelta(days=2),
        booking_opens_on=clock.now().date(),
        timezone="Asia/Tokyo",
        slot_minutes=30,
        status="published",
    )
    session.add(fair)
    await session.flush()
    return fair


async def add_exhibitors(session: Any, made: list[tuple[Any, Any, list[Any]]]) -> None:
    """Store ``exhibitor()``'s users, booths and products, fill the booths' search columns
    by the app's own code, commit."""
    from booths.service import refresh_search

    session.add_all([user for user, _, _ in made])
    await session.flush()
    session.add_all([booth for _, booth, _ in made])
    session.add_all([item for _, _, items in made for item in items])
    await session.flush()
    for _, booth, _ in made:
        await refresh_search(session, booth)
    await session.commit()
    session.expunge_all()


async def seed(url: str, args: argparse.Namespace) -> None:
    """Migrate, then one published fair with its booths; search columns by the app's code."""
    from fair.db import create_engine, create_sessionmaker
    from fair.migrate import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
        rng = random.Random(2027)  # noqa: S311 (the same booths every run, not secrets)
        async with create_sessionmaker(engine)() as session:
            fair = await published_fair(
                session, SLUG, {"en": "Bench fair", "ja": "ベンチマーク展示会"}, days_ahead=20
            )
            for first in range(0, args.booths, SEED_CHUNK):
                numbers = range(first, min(first + SEED_CHUNK, args.booths))
                await add_exhibitors(
                    session, [exhibitor(n, fair, args.products, rng) for n in numbers]
                )
        # A freshly loaded table is not what production runs on: vacuum empties the GIN
        # indexes' pending lists and analyze gives the planner statistics.
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        await engine.dispose()


async def dataset_summary(url: str) -> dict[str, Any]:
    from fair.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.exec_driver_sql(
                    "SELECT (SELECT count(*) FROM booths WHERE status = 'approved'),"
                    " (SELECT count(*) FROM products), (SELECT count(*) FROM booth_tags),"
                    " (SELECT avg(length(search_text))::int FROM booths),"
                    " pg_total_relation_size('booths') + pg_total_relation_size('products')"
                    " + pg_total_relation_size('booth_tags')"
                )
            ).one()
    finally:
        await engine.dispose()
    return dict(zip(["booths", "products", "tags", "search_text_chars", "bytes"], row, strict=True))


# --- the plan of one search --------------------------------------------------------------------


@dataclass
class Plan:
    statement: str
    custom: list[str]
    generic: list[str]


async def captured_statements(engine: Any, q: str) -> list[tuple[str, Any]]:
    """The SQL statements (and parameters) one directory search sends, through the app's code."""
    from sqlalchemy import event, select

    from booths import directory
    from fair.db import create_sessionmaker
    from fair.fairs.models import Fair

    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    async with create_sessionmaker(engine)() as session:
        fair = await session.scalar(select(Fair).where(Fair.slug == SLUG))
        assert fair is not None
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            await directory.search(session, fair, directory.Filters(q=q))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
    return sent


async def explain_prepared(conn: Any, statement: str, params: Any, mode: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of ``statement`` prepared server-side, planned as ``mode``
    says (``force_custom_plan`` or ``force_generic_plan``), run with ``params``."""
    from sqlalchemy import literal

    def sql_literal(value: Any) -> str:
        value = str(value) if isinstance(value, str) else value  # StrEnum members as text
        return str(
            literal(value).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        )

    values = [sql_literal(value) for value in params or ()]
    arguments = f"({', '.join(values)})" if values else ""
    await conn.exec_driver_sql(f"SET plan_cache_mode = {mode}")
    await conn.exec_driver_sql(f"PREPARE bench_plan AS {statement}")
    try:
        result = await conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_plan{arguments}"
        )
        return [row[0] for row in result]
    finally:
        await conn.exec_driver_sql("DEALLOCATE bench_plan")
        await conn.exec_driver_sql("RESET plan_cache_mode")


async def explain(url: str, q: str) -> list[Plan]:
    """Each statement of one search, planned both ways: asyncpg prepares every statement, and
    PostgreSQL plans a prepared statement for its parameters (a custom plan) for the first
    five executions on a connection, then may switch to one generic plan for any parameters."""
    from fair.db import create_engine

    engine = create_engine(url)
    try:
        sent = await captured_statements(engine, q)
        plans = []
        async with engine.connect() as conn:
            for statement, params in sent:
                custom = await explain_prepared(conn, statement, params, "force_custom_plan")
                generic = await explain_prepared(conn, statement, params, "force_generic_plan")
                plans.append(Plan(" ".join(statement.split())[:60], custom, generic))
    finally:
        await engine.dispose()
    return plans


def plan_cells(plan: list[str]) -> str:
    text = "\n".join(plan)
    used = "ix_booths_search_text_trgm" in text or "ix_products_search_text_trgm" in text
    execution = next((p.split(":", 1)[1].strip() for p in plan if "Execution" in p), "?")
    return f"{'used' if used else '—'} | {execution}"


def plan_report(plans: dict[str, list[Plan]]) -> str:
    lines = [
        "### Plans of one search (EXPLAIN (ANALYZE, BUFFERS) of each statement it sends)\n",
        "Custom: planned for the pattern, as on a connection's first five executions. "
        "Generic: the one plan PostgreSQL may switch a prepared statement to afterwards.\n",
        "| q | # | statement | custom: trigram index | custom | generic: trigram index | generic |",
        "|---|---:|---|---|---:|---|---:|",
    ]
    for q, statements in plans.items():
        for number, plan in enumerate(statements, 1):
            lines.append(
                f"| {q} | {number} | `{plan.statement}` "
                f"| {plan_cells(plan.custom)} | {plan_cells(plan.generic)} |"
            )
    for q, statements in plans.items():
        generic = statements[0].generic
        top = [line for line in generic if not line.startswith(("Planning", "  Buffers"))]
        lines += ["", f"Statement 1 (the count), q={q}, generic plan:", "", "```", *top, "```"]
    return "\n".join(lines)


# --- the load generator (runs in its own process: ``--client PLAN``) ---------------------------


async def drive(
    client: httpx.AsyncClient, base_url: str, paths: list[str], count: int, concurrency: int
) -> dict[str, Any]:
    """``count`` GETs cycling through ``paths`` in order, ``concurrency`` at a time."""
    samples: list[tuple[int, float]] = []  # (index into paths, seconds) of each 200
    errors: list[tuple[str, str]] = []
    body_bytes = 0
    issued = 0

    async def worker() -> None:
        nonlocal issued, body_bytes
        while issued < count:
            index = issued % len(paths)
            issued += 1
            start = time.perf_counter()
            try:
                response = await client.get(base_url + paths[index])
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            if status == "200":
                samples.append((index, time.perf_counter() - start))
                body_bytes += len(response.content)
            else:
                errors.append((status, paths[index]))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"samples": samples, "errors": errors, "body_bytes": body_bytes}


async def client_run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    concurrency = plan["concurrency"]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results = []
    # Bodies as they are (no gzip): the rows compare the work of answering, as in earlier
    # runs; compression is measured on its own (docs/performance.md).
    async with httpx.AsyncClient(
        limits=limits, timeout=REQUEST_TIMEOUT_SECONDS, headers={"accept-encoding": "identity"}
    ) as client:
        for scenario in plan["scenarios"]:
            paths = scenario["paths"]
            warmup = max(plan["warmup"], len(paths))
            await drive(client, plan["base_url"], paths, warmup, concurrency)
            server_before = process_cpu_seconds(plan["server_pid"])
            client_before = time.process_time()
            started = time.perf_counter()
            outcome = await drive(client, plan["base_url"], paths, plan["requests"], concurrency)
            seconds = time.perf_counter() - started
            server_after = process_cpu_seconds(plan["server_pid"])
            server_cpu = None
            if server_before is not None and server_after is not None:
                server_cpu = server_after - server_before
            results.append(
                {
                    **outcome,
                    "label": scenario["label"],
                    "requests": plan["requests"],
                    "seconds": seconds,
                    "server_cpu": server_cpu,
                    "client_cpu": time.process_time() - client_before,
                }
            )
    return results


def client_main(plan_file: str) -> None:
    plan = json.loads(Path(plan_file).read_text())
    json.dump(asyncio.run(client_run(plan)), sys.stdout)


async def matching_booths(base_url: str) -> list[int]:
    """How many booths each directory query finds (one request each, after the measurement)."""
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_SECONDS) as client:
        totals = []
        for path in directory_paths():
            response = await client.get(base_url + path)
            response.raise_for_status()
            totals.append(response.json()["total"])
    return totals


async def run_client(plan: dict[str, Any], tmp: Path) -> list[dict[str, Any]]:
    return await client_process(SCRIPT, plan, tmp / "plan.json")


# --- the server and the database ---------------------------------------------------------------


@contextlib.asynccontextmanager
async def uvicorn_server(
    database_url: str, tmp: Path, **settings: str
) -> AsyncIterator[tuple[str, int]]:
    """``uvicorn --factory kakehashi.app:create_app``, one worker, with these ``FAIR_*``
    settings besides; yields (base URL, pid) once ``/healthz`` answers 200."""
    port = free_port()
    env = {
        **os.environ,
        "FAIR_ENV": "development",
        "FAIR_DATABASE_URL": database_url,
        "FAIR_INPROCESS_JOBS": "0",
        "FAIR_MEDIA_DIR": str(tmp / "media"),
        "FAIR_MAIL_DIR": str(tmp / "mail"),
        **{f"FAIR_{name.upper()}": value for name, value in settings.items()},
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "kakehashi.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    async with child_server(
        command, port, ready_path="/healthz", name="uvicorn", env=env, cwd=ROOT
    ) as server:
        yield server


# --- a second client: wrk ------------------------------------------------------------------------

# wrk (Debian's package ``wrk``) cycles the paths and reports its percentiles in microseconds.
WRK_SCRIPT = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(95)),
    math.floor(latency:percentile(99))))
end
"""


@dataclass
class WrkRow:
    label: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_cpu: float | None


async def wrk_row(
    label: str, base_url: str, pid: int, paths: list[str], args: argparse.Namespace, tmp: Path
) -> WrkRow:
    """``paths`` in turn from ``--concurrency`` connections of one wrk thread for
    ``--wrk-seconds``: the latency at that concurrency when the client costs next to
    nothing (the httpx client of the table above takes a whole core)."""
    script = tmp / "cycle.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))
    before = process_cpu_seconds(pid)
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{args.concurrency}", f"-d{args.wrk_seconds:g}s", "--timeout", "30s",
        "-s", str(script), base_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    after = process_cpu_seconds(pid)
    line = next((text for text in output.decode().splitlines() if text.startswith("WRK ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {output.decode()[-500:]}")
    requests, errors, micros, p50, p95, p99 = (int(part) for part in line.split()[1:])
    cpu = None if before is None or after is None else after - before
    return WrkRow(label, requests, errors, micros / 1e6, p50 / 1e3, p95 / 1e3, p99 / 1e3, cpu)


def wrk_table(rows: list[WrkRow]) -> str:
    baseline = rows[0]
    lines = [
        "| scenario (wrk) | requests | errors | req/s | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/req | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cpu = None if row.server_cpu is None else row.server_cpu / max(1, row.requests) * 1000
        base = (baseline.server_cpu or 0) / max(1, baseline.requests) * 1000
        lines.append(
            f"| {row.label} | {row.requests:,} | {row.errors} | {row.requests / row.seconds:,.0f} "
            f"| {row.p50_ms:.1f} | {row.p95_ms:.1f} | {row.p99_ms:.1f} "
            f"| {'n/a' if cpu is None else f'{cpu:.2f}'} "
            f"| {'—' if row is baseline or cpu is None or not base else ratio(cpu, base)} |"
        )
    return "\n".join(lines)


# --- the run -----------------------------------------------------------------------------------


def directory_paths() -> list[str]:
    return [f"/api/fairs/{SLUG}/booths" + (f"?{urlencode(q)}" if q else "") for q in QUERIES]


def query_label(query: dict[str, str]) -> str:
    return " ".join(f"{name}={value}" for name, value in query.items()) or "(no query)"


@dataclass
class Run:
    results: list[Result]
    raw: list[dict[str, Any]]
    totals: list[int]
    dataset: dict[str, Any]
    plans: dict[str, list[Plan]]
    seed_seconds: float
    load: tuple[float, float]
    wrk: list[WrkRow]


async def run(args: argparse.Namespace) -> Run:
    with tempfile.TemporaryDirectory(prefix="kk_bench_") as tmp_name:
        tmp = Path(tmp_name)
        async with throwaway_database(args.postgres, DATABASE, args.keep_db) as url:
            started = time.perf_counter()
            await seed(url, args)
            seed_seconds = time.perf_counter() - started
            dataset = await dataset_summary(url)
            async with uvicorn_server(url, tmp) as (base_url, pid):
                plan = {
                    "base_url": base_url,
                    "server_pid": pid,
                    "concurrency": args.concurrency,
                    "requests": args.requests,
                    "warmup": args.warmup,
                    "scenarios": [
                        {"label": "static file (baseline)", "paths": [STATIC_PATH]},
                        {"label": "directory search", "paths": directory_paths()},
                    ],
                }
                load_before = os.getloadavg()[0]
                raw = await run_client(plan, tmp)
                totals = await matching_booths(base_url)
                wrk_rows = []
                if args.wrk_seconds > 0 and shutil.which("wrk"):
                    for label, paths in (
                        ("static file (baseline)", [STATIC_PATH]),
                        ("directory search", directory_paths()),
                    ):
                        wrk_rows.append(await wrk_row(label, base_url, pid, paths, args, tmp))
            # The same searches on a server that keeps no answer: what each one costs when
            # it is asked first, or after its fair changed (booths/directory_cache.py).
            async with uvicorn_server(url, tmp, directory_cache_mb="0") as (base_url, pid):
                plan = {
                    **plan,
                    "base_url": base_url,
                    "server_pid": pid,
                    "scenarios": [
                        {"label": "directory search, no kept answers", "paths": directory_paths()}
                    ],
                }
                raw += await run_client(plan, tmp)
                load_after = os.getloadavg()[0]
            plans = {q: await explain(url, q) for q in EXPLAIN_QUERIES}
    results = [
        Result(
            label=r["label"],
            database="PostgreSQL",
            body_bytes=r["body_bytes"] // max(1, len(r["samples"])),
            requests=r["requests"],
            errors=len(r["errors"]),
            seconds=r["seconds"],
            latencies=[seconds for _, seconds in r["samples"]],
            server_cpu=r["server_cpu"],
            client_cpu=r["client_cpu"],
        )
        for r in raw
    ]
    return Run(
        results, raw, totals, dataset, plans, seed_seconds, (load_before, load_after), wrk_rows
    )


def table(results: list[Result]) -> str:
    baseline = results[0]
    lines = [
        "| scenario | requests | errors | req/s | p50 ms | p95 ms | p99 ms | mean body bytes "
        "| server CPU ms/req | client CPU % | req/s ratio | p50 ratio | p95 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cpu = "n/a" if r.server_cpu is None else f"{r.server_cpu / r.requests * 1000:.2f}"
        is_base = r is baseline
        lines.append(
            f"| {r.label} | {r.requests} | {r.errors} | {r.rps:,.0f} "
            f"| {r.percentile_ms(50):.1f} | {r.percentile_ms(95):.1f} "
            f"| {r.percentile_ms(99):.1f} | {r.body_bytes:,} | {cpu} "
            f"| {100 * r.client_cpu / r.seconds:.0f} "
            f"| {'—' if is_base else ratio(r.rps, baseline.rps)} "
            f"| {'—' if is_base else ratio(r.percentile_ms(50), baseline.percentile_ms(50))} "
            f"| {'—' if is_base else ratio(r.percentile_ms(95), baseline.percentile_ms(95))} |"
        )
    return "\n".join(lines)


def breakdown(raw: dict[str, Any], totals: list[int]) -> str:
    """The directory row split by query: which searches cost what."""
    paths = directory_paths()
    by_path: dict[int, list[float]] = {}
    for index, seconds in raw["samples"]:
        by_path.setdefault(index, []).append(seconds)
    lines = [
        "| query | booths found | requests | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for index, path in enumerate(paths):
        latencies = by_path.get(index, [])
        part = Result(path, "", 0, len(latencies), 0, 1.0, latencies, None, 0.0)
        lines.append(
            f"| `{query_label(QUERIES[index])}` | {totals[index]:,} | {len(latencies)} "
            f"| {part.percentile_ms(50):.1f} | {part.percentile_ms(95):.1f} |"
        )
    return "\n".join(lines)


def error_report(raw: list[dict[str, Any]]) -> str:
    errors = [(r["label"], status, path) for r in raw for status, path in r["errors"]]
    if not errors:
        return "Errors: none (every response was 200)."
    counts = Counter((label, status) for label, status, _ in errors)
    lines = [f"Errors: {len(errors)}"]
    lines += [f"- {label}: {status} × {n}" for (label, status), n in counts.items()]
    lines += [f"  - {status} {path}" for _, status, path in errors[:ERRORS_SHOWN]]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--booths", type=int, default=2000, help="approved booths in the fair")
    parser.add_argument("--products", type=int, default=10, help="products per booth")
    parser.add_argument("--requests", type=int, default=1000, help="measured requests per row")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests first")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help=f"where to create (and drop) the {DATABASE} database",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help=f"leave the {DATABASE} database behind"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="give up after this many seconds in all"
    )
    parser.add_argument(
        "--wrk-seconds",
        type=float,
        default=10.0,
        help="with wrk on PATH (Debian's package wrk): seconds of each wrk row (0: none)",
    )
    # Internal: how the benchmark starts its load generator.
    parser.add_argument("--client", metavar="PLAN", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.booths < 1 or args.products < 1 or args.requests < 1 or args.concurrency < 1:
        parser.error("--booths, --products, --requests and --concurrency must be positive")
    return args


def main() -> int:
    args = parse_args()
    if args.client:
        client_main(args.client)
        return 0
    import sqlalchemy
    import uvicorn

    outcome = run_within(run(args), args.timeout)
    if outcome is None:
        return 1
    data = outcome.dataset
    print(f"## Booth directory: GET /api/fairs/{{slug}}/booths beside GET {STATIC_PATH}\n")
    print(f"Command: `{shlex.join(sys.orig_argv)}`\n")
    print(
        f"Dataset: {data['booths']:,} approved booths × {args.products} products "
        f"({data['products']:,} products, {data['tags']:,} tags) in one fair on PostgreSQL; "
        f"booths.search_text {data['search_text_chars']:,} characters on average; "
        f"{data['bytes'] / 2**20:.0f} MiB with indexes; seeded in {outcome.seed_seconds:.0f} s.\n"
    )
    print(
        f"Python {platform.python_version()}, uvicorn {uvicorn.__version__} (one worker), "
        f"SQLAlchemy {sqlalchemy.__version__}, httpx {httpx.__version__}; "
        f"{os.cpu_count()} CPUs; load from a second process, {args.requests} requests per row "
        f"after a warm-up, concurrency {args.concurrency}, keep-alive; the directory row cycles "
        f"through {len(QUERIES)} queries; ratios are directory/static; server CPU is the "
        f"uvicorn process only (PostgreSQL's is not in it); load average "
        f"{outcome.load[0]:.1f} before the measurement, {outcome.load[1]:.1f} after.\n"
    )
    print(table(outcome.results))
    print()
    if outcome.wrk:
        print(
            f"The same server, the static file and the kept searches again with wrk as the "
            f"client (one thread, {args.concurrency} connections, {args.wrk_seconds:g} s each): "
            "the httpx client above takes a whole core and its own queue is in its latencies; "
            "wrk's is not.\n"
        )
        print(wrk_table(outcome.wrk))
        print()
    print(error_report(outcome.raw))
    # Each search's own cost shows where no answer is kept.
    print("\n### Directory latency by query, no kept answers\n")
    print(breakdown(outcome.raw[2], outcome.totals))
    print()
    print(plan_report(outcome.plans))
    failed = any(r.errors for r in outcome.results) or any(row.errors for row in outcome.wrk)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

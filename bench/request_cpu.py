"""Server CPU of single requests, in process: the app's own work for one request, with no
client or network in the figure.

A throwaway PostgreSQL database (``kk_bench_request_cpu``) is migrated and seeded through
the app's API: a fair in its booking phase (five days from tomorrow, Tokyo), one approved
booth of ten products with meeting hours every day 09:00-17:00, a few meetings the buyer
booked there (busy times for the slots to step around), a Vietnamese buyer
(Asia/Ho_Chi_Minh, UI in Vietnamese) with a thread of three replies unread, and a session
for the buyer, the exhibitor and an organizer. Then each request below is sent
``--requests`` times (200) through ``httpx.ASGITransport`` to the app in this process,
after a warm-up of 20, ``--repeat`` times (3); the figure is the best run's
``time.process_time()`` per request (the process's CPU: the app's and the in-process
client's, no network; another job's load on the machine moves it less than wall time).
The SQL statements of one request are counted with a ``before_cursor_execute`` listener on
the app's engine (asyncpg's BEGIN and COMMIT and the pool's ping are not cursor
statements).

- ``slots API, buyer``: ``GET /api/booths/{id}/slots`` signed in as the buyer;
- ``booth page, buyer``: ``GET /booths/{id}`` as the buyer (a signed-in page: the session's
  look-up, the unread marker, the visit, the page in Vietnamese);
- ``booth API, anonymous``: ``GET /api/booths/{id}`` without a session;
- ``booth page, anonymous``: ``GET /booths/{id}`` without a session;
- ``booth API, anonymous first view`` and ``booth page, anonymous first view``: the same,
  each request from another browser (its own user agent), so each is a visitor's first view
  of the day and records the visit, as most booth views of ``bench/load.py`` do;
- ``directory page, buyer`` and ``directory page, anonymous``: ``GET /fairs/{slug}/booths``
  (the fair's one booth as a card: its cover, products and next free time).

``--checkout PATH`` measures the code of another checkout of the project (say the main
branch's) with this script, so two versions are measured the same way, back to back:

    .venv/bin/python bench/request_cpu.py --checkout /work/main
    .venv/bin/python bench/request_cpu.py

``--answers FILE`` measures nothing: with the clock stopped at one instant it writes what a
visitor, the buyer, the exhibitor and an organizer are answered (status and body, ids and
CSRF tokens as placeholders; booth and product pages and APIs, slots, the booking page,
messages, the account, the booth's analytics, the directory page and API; each asked
twice) to FILE, so that two versions' files can be compared byte for byte. ``--show``
lists one request's statements; ``--only TEXT`` keeps the requests whose name holds TEXT
(for a profiler such as py-spy).

A benchmark, not a test: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import common

SLUG = "bench"
PASSWORD = "correct horse battery staple"  # noqa: S105 (the bench's own accounts)
# Each a browser not seen before (``measure``'s ``fresh``), across every measured request.
VISITORS = itertools.count()
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
EVERY_DAY = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 8)]
PRODUCT = {
    "name": {"ja": "ステンレス真空タンブラー", "en": "Vacuum Tumbler 350 ml"},
    "description": {"ja": "鏡面研磨仕上げ。", "en": "Mirror-polished inside and out."},
    "hs_code": "961700",
    "moq": 300,
    "price_min": "1800",
    "price_max": "2600",
    "currency": "JPY",
    "lead_time_days": 45,
}
BOOTH = {
    "company": {"ja": "燕ミガキ工業株式会社", "en": "Tsubame Migaki Kogyo Co., Ltd."},
    "tagline": {"ja": "深絞りと鏡面研磨。", "en": "Deep drawing and mirror polishing."},
    "description": {"ja": "1952年創業。", "en": "A polishing specialist founded in 1952."},
    "categories": ["metal_parts", "cutlery_tools"],
    "markets": ["CN", "VN", "US"],
    "languages": ["ja", "en"],
    "website": "https://www.tsubame-migaki.example",
}


def checked(response: Any, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else None


async def seed(app: Any, client: Any) -> dict[str, str]:
    """The fair, the booth, sessions and some meetings and messages; the booth's id, one
    product's, and each role's session cookie."""
    from fair import clock
    from fair.accounts.models import Role
    from fair.accounts.service import create_user, hash_password, start_session
    from fair.fairs.models import Fair
    from fair.resources import of_app

    res = of_app(app)
    today = clock.now().date()
    hashed = hash_password(PASSWORD)
    async with res.sessionmaker() as session:
        session.add(
            Fair(
                slug=SLUG,
                title={"en": "Bench fair", "ja": "ベンチ展"},
                starts_on=today + timedelta(days=1),
                ends_on=today + timedelta(days=5),
                booking_opens_on=today,
                timezone="Asia/Tokyo",
                slot_minutes=30,
                status="published",
            )
        )
        people = {}
        for role, email, extra in (
            ("exhibitor", "kenji@tsubame.example", {"company": "Tsubame", "country": "JP"}),
            ("organizer", "organizer@example.com", {}),
            (
                "buyer",
                "lan@saigon.example",
                {
                    "company": "Saigon Trading",
                    "country": "VN",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "locale": "vi",
                    "languages": ["vi", "en"],
                },
            ),
        ):
            user = await create_user(
                session,
                email=email,
                password=PASSWORD,
                password_hash=hashed,
                name=email.split("@")[0].title(),
                role=Role(role),
                verified=True,
                **extra,
            )
            people[role] = await start_session(session, user, settings=res.settings)
        await session.commit()

    def as_(role: str) -> None:
        client.cookies.clear()
        client.cookies.set("kk_session", people[role])

    as_("exhibitor")
    booth = checked(await client.post(f"/api/fairs/{SLUG}/booths", json=BOOTH), 201)
    for n in range(10):
        product = {**PRODUCT, "name": {"ja": f"タンブラー {n}", "en": f"Tumbler {n}"}}
        added = checked(await client.post(f"/api/booths/{booth['id']}/products", json=product), 201)
    hours = {"timezone": "Asia/Tokyo", "weekly": EVERY_DAY, "min_notice_minutes": 0}
    hours["max_per_buyer"] = 9  # the buyer books several of its slots below
    checked(await client.put(f"/api/booths/{booth['id']}/availability", json=hours))
    as_("organizer")
    checked(await client.post(f"/api/booths/{booth['id']}/approve"))
    as_("buyer")
    slots = checked(await client.get(f"/api/booths/{booth['id']}/slots?order=time"))["slots"]
    for slot in slots[3:60:9]:  # a few meetings: busy times for the booth and the buyer
        body = {"booth_id": booth["id"], "start": slot["start"]}
        checked(await client.post("/api/meetings", json=body), 201)
    thread = checked(await client.post("/api/conversations", json={"booth_id": booth["id"]}), 201)
    said = f"/api/conversations/{thread['id']}/messages"
    checked(await client.post(said, json={"body": "Xin chào, we would like samples."}), 201)
    as_("exhibitor")  # replies the buyer has not read: the menu's marker counts them
    for n in range(3):
        checked(await client.post(said, json={"body": f"Samples follow ({n})."}), 201)
    return {"booth": booth["id"], "product": added["id"], **people}


class Counting:
    """The statements sent through the app's engine while ``on`` (its reading engine is the
    same engine with other options, whose events are the engine's)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.sent: list[str] = []
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._note)

    def _note(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.on:
            self.sent.append(statement)


async def measure(
    client: Any,
    path: str,
    cookie: str | None,
    *,
    requests: int,
    repeat: int,
    counting: Counting,
    show: bool = False,
    fresh: bool = False,
) -> tuple[float, int, int]:
    """Best CPU ms per request of ``repeat`` runs, the statements of one request, the
    body's length. ``fresh``: every request from another visitor (its own browser), so
    each is a first view of the day and records its visit."""
    client.cookies.clear()
    if cookie:
        client.cookies.set("kk_session", cookie)

    def headers() -> dict[str, str]:
        return {"user-agent": f"{BROWSER} visitor/{next(VISITORS)}"} if fresh else {}

    for _ in range(20):  # warm-up: the statement caches, the templates, the zone data
        checked_status(await client.get(path, headers=headers()))
    counting.sent, counting.on = [], True
    response = await client.get(path, headers=headers())
    counting.on = False
    checked_status(response)
    if show:
        for statement in counting.sent:
            print("    " + " ".join(statement.split())[:150])
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(requests):
            await client.get(path, headers=headers())
        best = min(best, (time.process_time() - started) / requests)
    return best * 1000, len(counting.sent), len(response.content)


def checked_status(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")


async def run(args: argparse.Namespace) -> None:
    from fair.db import create_engine
    from fair.migrate import upgrade
    from kakehashi.app import create_app

    # The whole app is imported before migrating: Alembic puts the working directory first
    # on sys.path (alembic.ini's prepend_sys_path), which would otherwise load the rest of
    # the code of the checkout the script runs in, not of --checkout.
    assert create_app is not None

    async with common.throwaway_database(args.postgres, args.database, args.keep_db) as url:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        with tempfile.TemporaryDirectory(prefix="kk_request_cpu_") as folder:
            await measure_app(args, url, Path(folder))


async def measure_app(args: argparse.Namespace, url: str, folder: Path) -> None:
    import httpx

    from fair.config import Settings
    from fair.resources import of_app
    from kakehashi.app import create_app

    settings = Settings(
        env="test",
        database_url=url,
        secret_key="bench-secret-" + "x" * 32,
        media_dir=folder / "media",
        mail_dir=folder / "mail",
        inprocess_jobs=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"user-agent": BROWSER},
        ) as client:
            ids = await seed(app, client)
            res = of_app(app)
            counting = Counting(res.engine)
            code = Path(sys.modules[create_app.__module__].__file__ or "").parent.parent
            print(f"code: {code}")
            if args.answers:
                await answers(client, ids, Path(args.answers))
                return
            booth, buyer = ids["booth"], ids["buyer"]
            rows: list[tuple[str, str, str | None, bool]] = [
                ("slots API, buyer", f"/api/booths/{booth}/slots", buyer, False),
                ("booth page, buyer", f"/booths/{booth}", buyer, False),
                ("booth API, anonymous", f"/api/booths/{booth}", None, False),
                ("booth page, anonymous", f"/booths/{booth}", None, False),
                ("booth API, anonymous first view", f"/api/booths/{booth}", None, True),
                ("booth page, anonymous first view", f"/booths/{booth}", None, True),
                ("directory page, buyer", f"/fairs/{SLUG}/booths", buyer, False),
                ("directory page, anonymous", f"/fairs/{SLUG}/booths", None, False),
            ]
            best = f"CPU ms per request (best of {args.repeat})"
            print(f"| request | statements | body bytes | {best} |")
            print("| --- | ---: | ---: | ---: |")
            for name, path, cookie, fresh in rows:
                if args.only and args.only not in name:
                    continue
                cpu, statements, size = await measure(
                    client,
                    path,
                    cookie,
                    requests=args.requests,
                    repeat=args.repeat,
                    counting=counting,
                    show=args.show,
                    fresh=fresh,
                )
                print(f"| {name} | {statements} | {size:,} | {cpu:.2f} |", flush=True)


async def answers(client: Any, ids: dict[str, str], out: Path) -> None:
    """What each of a visitor, the buyer, the exhibitor and an organizer is answered, the
    ids and the pages' CSRF tokens written as placeholders, into ``out`` (JSON): two
    versions of the code, each run with ``--answers``, should write the same file."""
    import json
    import re

    booth, product = ids["booth"], ids["product"]
    paths = [
        f"/api/booths/{booth}",
        f"/booths/{booth}",
        f"/booths/{booth}/products/{product}",
        f"/api/booths/{booth}/slots",
        f"/api/booths/{booth}/slots?tz=America/New_York&order=time",
        f"/booths/{booth}/book",
        "/messages",
        "/api/auth/me",
        f"/api/booths/{booth}/analytics",
        f"/booths/{booth}/manage/analytics",
        f"/fairs/{SLUG}/booths",
        f"/api/fairs/{SLUG}/booths",
    ]
    found: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}

    def placeholder(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"<id {len(names)}>")

    for role in ("visitor", "buyer", "exhibitor", "organizer"):
        client.cookies.clear()
        if role != "visitor":
            client.cookies.set("kk_session", ids[role])
        for path in paths:
            for view in ("first", "again"):  # a first view of the day, then a repeat
                response = await client.get(path, headers={"accept-language": "vi"})
                body = re.sub(r"\b[0-9a-f]{32}\b", placeholder, response.text)
                body = re.sub(r'(csrf[^"]*" (?:value|content)=")[^"]+', r"\1<csrf>", body)
                key = path.replace(booth, "<booth>").replace(product, "<product>")
                found.setdefault(role, {})[f"{key} ({view})"] = {
                    "status": response.status_code,
                    "body": body,
                }
    text = json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True)
    await asyncio.to_thread(out.write_text, text)
    print(f"answers of {sum(len(v) for v in found.values())} requests written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--database", default="kk_bench_request_cpu")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkout", help="measure this checkout's code instead of this one's")
    parser.add_argument("--only", help="only the requests whose name holds this text")
    parser.add_argument("--show", action="store_true", help="list one request's statements")
    parser.add_argument("--answers", help="write what each role is answered to this file")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.checkout:
        sys.path.insert(0, str(Path(args.checkout).resolve()))
    if args.answers:  # the same dates and times in both runs
        from datetime import UTC, datetime

        from fair import clock

        clock.freeze(datetime(2027, 6, 8, 3, 0, tzinfo=UTC))
    common.run_within(run(args), args.timeout)


if __name__ == "__main__":
    main()

"""The ``fair`` command run as a user runs it: a real process, a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select

from booths.models import Booth, Media
from fair import demo_data
from fair.accounts.models import User
from fair.db import create_engine, create_sessionmaker
from fair.fairs.models import Fair
from meetings import demo as meetings_demo
from meetings.models import Meeting

FAIR = str(Path(sys.executable).with_name("fair"))


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIR_")}
    env.update(
        FAIR_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'var' / 'cli.db'}",
        FAIR_MAIL_DIR=str(tmp_path / "mail"),
        FAIR_MEDIA_DIR=str(tmp_path / "media"),
    )
    return env


def fair(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FAIR, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def count(url: str, model: type) -> int:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await session.scalar(select(func.count()).select_from(model))
    finally:
        await engine.dispose()


async def count_in(url: str, model: type, *slugs: str) -> int:
    """Rows of ``model`` (booths, or what belongs to a booth) in the fairs ``slugs``."""
    query = select(func.count()).select_from(model)
    if model is not Booth:
        query = query.join(Booth, Booth.id == model.booth_id)
    query = query.join(Fair, Fair.id == Booth.fair_id).where(Fair.slug.in_(slugs))
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await session.scalar(query)
    finally:
        await engine.dispose()


def this_and_next_month() -> tuple[str, str]:
    from datetime import timedelta

    from fair.db import utcnow

    now = utcnow()
    following = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    return f"{now:%Y-%m}", f"{following:%Y-%m}"


async def next_month_fair_is_booking(url: str) -> bool:
    from datetime import timedelta

    from fair.db import utcnow
    from fair.fairs.phase import Phase
    from fair.fairs.service import phase_of

    now = utcnow()
    following = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            fair = await session.scalar(select(Fair).where(Fair.slug == f"{following:%Y-%m}"))
            return phase_of(fair, now) == Phase.BOOKING
    finally:
        await engine.dispose()


async def test_migrate_demo_and_plan_year_are_idempotent(cli_env):
    url = cli_env["FAIR_DATABASE_URL"]
    assert fair(cli_env, "migrate").returncode == 0
    first = fair(cli_env, "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    people = 2 + len(demo_data.EXHIBITORS) + len(demo_data.BUYERS) + len(demo_data.INTERPRETERS)
    assert await count(url, User) == people
    fairs = await count(url, Fair)
    assert fairs == 36  # last year, this year and next year, one a month
    # Every demo exhibitor in this month's and next month's fair, with pictures on disk (the
    # past year's fairs have theirs too: tests/fair/test_demo_history.py).
    this_month, next_month = this_and_next_month()
    assert await count_in(url, Booth, this_month, next_month) == 2 * len(demo_data.EXHIBITORS)
    # Next month's fair has the demo bookings once its booking has opened (4 weeks before).
    booking_open = await next_month_fair_is_booking(url)
    booked = await count_in(url, Meeting, next_month)
    assert booked == (len(meetings_demo.BOOKINGS) if booking_open else 0)
    stored = [p async for p in anyio.Path(cli_env["FAIR_MEDIA_DIR"]).glob("originals/*/*")]
    # The other fairs' booths share this month's pictures.
    assert len(stored) == await count_in(url, Media, this_month)
    again = fair(cli_env, "demo", "--if-empty")
    assert "skipped" in again.stdout
    forced = fair(cli_env, "demo")
    assert "0 people, 0 fairs, 0 booths, 0 meetings" in forced.stdout
    plan = fair(cli_env, "fairs", "plan-year", "2030")
    assert plan.stdout.strip() == "12 fairs created for 2030 (0 already there)"
    plan_again = fair(cli_env, "fairs", "plan-year", "2030")
    assert plan_again.stdout.strip() == "0 fairs created for 2030 (12 already there)"
    assert await count(url, Fair) == fairs + 12


async def created_user(cli_env, role: str, email: str, *extra: str) -> User:
    fair(cli_env, "migrate")
    created = fair(
        cli_env,
        *("users", "create", "--role", role, "--email", email),
        *("--password", "a long enough secret", "--name", "Aiko", *extra),
    )
    assert created.returncode == 0, created.stderr
    engine = create_engine(cli_env["FAIR_DATABASE_URL"])
    async with create_sessionmaker(engine)() as session:
        user = await session.scalar(select(User))
    await engine.dispose()
    return user


async def test_users_create_makes_an_organizer_who_can_sign_in(cli_env):
    user = await created_user(cli_env, "organizer", "Org@City.example")
    assert (user.email, user.role) == ("org@city.example", "organizer")


async def test_users_create_gives_an_interpreter_their_languages(cli_env):
    user = await created_user(
        cli_env, "interpreter", "mai@interpret.example", "--languages", "ja", "vi"
    )
    assert (user.role, user.languages) == ("interpreter", ["ja", "vi"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--languages", "fr"], "invalid choice"),
        (["--password", "short"], "password"),
        (["--timezone", "Mars/Olympus"], "Unknown time zone."),
        (["--country", "XX"], "Unknown country"),
    ],
)
def test_users_create_refuses_bad_input(cli_env, args, message):
    fair(cli_env, "migrate")
    base = [
        "users",
        "create",
        "--role",
        "staff",
        "--email",
        "s@city.example",
        "--password",
        "a long enough secret",
        "--name",
        "Kenji",
    ]
    result = fair(cli_env, *base, *args)
    assert result.returncode != 0
    assert message in result.stderr


def test_bad_configuration_is_reported_not_a_traceback(cli_env):
    result = fair(cli_env | {"FAIR_ENV": "production"}, "migrate")
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: FAIR_SECRET_KEY")

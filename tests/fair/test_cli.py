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
from demo import data as demo_data
from demo import loader as demo
from demo import meetings as meetings_demo
from fair.accounts.models import User
from fair.db import create_engine, create_sessionmaker
from fair.fairs.models import Fair
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


async def test_migrate_demo_and_plan_year_are_idempotent(cli_env):
    url = cli_env["FAIR_DATABASE_URL"]
    assert fair(cli_env, "migrate").returncode == 0
    # The example instant: the February 2027 fair (16-18 February) takes bookings.
    first = fair(cli_env, "demo", "--if-empty", "--now", "2027-02-03T10:00:00+09:00")
    assert first.returncode == 0, first.stderr
    assert "demo loaded as of 2027-02-03 01:00 UTC" in first.stdout
    people = (
        3 + len(demo_data.EXHIBITORS) + len(demo_data.BUYERS) + len(demo_data.INTERPRETERS)
    )  # + the colleague
    assert await count(url, User) == people
    fairs = await count(url, Fair)
    assert fairs == 37  # 2026, 2027 and 2028, one a month, and the open day
    # Every demo exhibitor in the current fair, the one after it and the open day, with
    # pictures on disk (the past year's fairs have theirs too: test_demo_history.py).
    open_day = "open-day-2027-02-03"
    assert await count_in(url, Booth, "2027-02", "2027-03", open_day) == 3 * len(
        demo_data.EXHIBITORS
    )
    assert await count_in(url, Meeting, "2027-02") == len(meetings_demo.BOOKINGS)
    # The live meetings, and those that the open day's accepted proposals booked.
    accepted = [p for p in demo_data.MATCHMAKING.proposals if p.state == "accepted"]
    assert await count_in(url, Meeting, open_day) == len(meetings_demo.LIVE) + len(accepted)
    for line in demo.live_accounts():
        assert line in first.stdout
    stored = [p async for p in anyio.Path(cli_env["FAIR_MEDIA_DIR"]).glob("originals/*/*")]
    # The other fairs' booths share the current fair's pictures.
    assert len(stored) == await count_in(url, Media, "2027-02")

    # Again a few minutes later: the rooms are still open, nothing is added.
    again = fair(cli_env, "demo", "--if-empty", "--now", "2027-02-03T10:05:00+09:00")
    assert "0 people, 0 fairs, 0 booths, 0 meetings" in again.stdout
    assert "0 meetings live now" in again.stdout
    # The next day: that day's open day with its booths and live meetings.
    later = fair(cli_env, "demo", "--if-empty", "--now", "2027-02-04T10:00:00+09:00")
    assert "0 people, 1 fairs, 12 booths" in later.stdout
    assert f"{len(meetings_demo.LIVE)} meetings live now" in later.stdout
    booked = len(meetings_demo.LIVE) + len(accepted)
    assert await count_in(url, Meeting, "open-day-2027-02-04") == booked

    plan = fair(cli_env, "fairs", "plan-year", "2030")
    assert plan.stdout.strip() == "12 fairs created for 2030 (0 already there)"
    plan_again = fair(cli_env, "fairs", "plan-year", "2030")
    assert plan_again.stdout.strip() == "0 fairs created for 2030 (12 already there)"
    assert await count(url, Fair) == fairs + 1 + 12


def test_demo_keeps_out_of_a_database_with_other_data(cli_env):
    fair(cli_env, "migrate")
    made = fair(
        cli_env,
        *("users", "create", "--role", "organizer", "--email", "ops@city.example"),
        *("--password", "a long enough secret", "--name", "Ops"),
    )
    assert made.returncode == 0, made.stderr
    skipped = fair(cli_env, "demo", "--if-empty")
    assert (skipped.returncode, skipped.stdout.strip()) == (
        0,
        "demo skipped: the database holds other data",
    )


@pytest.mark.parametrize("instant", ["2027-02-03T10:00:00", "tomorrow", "2027-02-30T10:00+09:00"])
def test_demo_now_needs_an_instant_with_its_offset(cli_env, instant):
    refused = fair(cli_env, "demo", "--now", instant)
    assert refused.returncode == 2
    assert "--now" in refused.stderr and "Traceback" not in refused.stderr


def test_the_clock_cannot_be_moved_in_production(cli_env):
    env = {**cli_env, "FAIR_ENV": "production", "FAIR_SECRET_KEY": "k" * 40}
    refused = fair({**env, "FAIR_NOW": "2027-02-03T10:00:00+09:00"}, "migrate")
    assert refused.returncode == 2 and "FAIR_NOW" in refused.stderr
    flag = fair(env, "demo", "--now", "2027-02-03T10:00:00+09:00")
    assert flag.returncode == 2 and "--now" in flag.stderr


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

"""One meeting, two app processes: with FAIR_REDIS_URL the exhibitor on one `fair serve` and
the buyer on another still meet, and both processes record the visits in the one database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import websockets
from helpers import PASSWORD, free_port, make_user, read_scalar
from meeting_helpers import booth_with_hours, meeting_at
from sqlalchemy import func, select

from meetings.models import RoomVisit

ROOT = Path(__file__).resolve().parents[2]
WAIT = 15.0


@contextlib.asynccontextmanager
async def app_process(
    settings,
    redis_url: str,
    tmp: Path,
    *,
    command: str = "serve",
    port: int | None = None,
    extra: dict[str, str] | None = None,
) -> AsyncIterator[str]:
    """A real `fair serve` (or `fair signaling`) on the test database and the test Redis;
    yields its base URL."""
    port = port or free_port()
    env = {
        **(extra or {}),
        **os.environ,
        "FAIR_ENV": "test",
        "FAIR_DATABASE_URL": settings.database_url,
        "FAIR_REDIS_URL": redis_url,
        "FAIR_SECRET_KEY": settings.secret_key,
        "FAIR_MEDIA_DIR": str(tmp / "media"),
        "FAIR_MAIL_DIR": str(tmp / "mail"),
        "FAIR_INPROCESS_JOBS": "0",
    }
    log = (tmp / f"serve-{port}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "fair"),
        command,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        # `fair serve` is one process here: the test places each side on a server of its own.
        *(["--workers", "1"] if command == "serve" else []),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(300):  # up to 30 s for the process to come up
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(f"{base}/healthz")).status_code in (200, 503):
                        break
                assert process.returncode is None, (tmp / f"serve-{port}.log").read_text()
                await asyncio.sleep(0.1)
        yield base
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), WAIT)
        log.close()


async def _sign_in(client: httpx.AsyncClient, email: str) -> None:
    answer = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text


async def _enter(client: httpx.AsyncClient, meeting_id: str):
    grant = (await client.post(f"/api/meetings/{meeting_id}/join")).json()
    socket_ = await websockets.connect(grant["ws_url"], open_timeout=WAIT)
    await socket_.send(json.dumps({"type": "join", "token": grant["token"]}))
    return socket_, await _next(socket_, "joined")


async def _next(socket_, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket_.recv(), WAIT))
        if frame["type"] == kind:
            return frame


async def test_exhibitor_and_buyer_on_two_app_processes_meet_through_redis(
    client, session, settings, redis_url, tmp_path
):
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", name="Nguyễn Lan")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
    meeting_id = meeting.id
    async with (
        app_process(settings, redis_url, tmp_path) as one,
        app_process(settings, redis_url, tmp_path) as two,
    ):
        async with (
            httpx.AsyncClient(base_url=one, headers={"Origin": one}) as kenji,
            httpx.AsyncClient(base_url=two, headers={"Origin": two}) as buyer,
        ):
            await _sign_in(kenji, "kenji@tsubame.example")
            await _sign_in(buyer, "lan@saigon.example")
            exhibitor_socket, _ = await _enter(kenji, meeting_id)
            buyer_socket, joined = await _enter(buyer, meeting_id)
            assert [p["role"] for p in joined["peers"]] == ["exhibitor"]
            arrived = await _next(exhibitor_socket, "peer-joined")
            assert arrived["peer"]["name"] == "Nguyễn Lan"
            exhibitor_peer = joined["peers"][0]["peer_id"]
            await buyer_socket.send(json.dumps({"type": "offer", "to": exhibitor_peer, "sdp": "o"}))
            offer = await _next(exhibitor_socket, "offer")
            assert (offer["from"], offer["sdp"]) == (joined["peer_id"], "o")
            await exhibitor_socket.send(
                json.dumps({"type": "answer", "to": joined["peer_id"], "sdp": "a"})
            )
            assert (await _next(buyer_socket, "answer"))["from"] == exhibitor_peer
            await buyer_socket.send(json.dumps({"type": "leave"}))
            left = await _next(exhibitor_socket, "peer-left")
            assert left["peer_id"] == joined["peer_id"]
            await exhibitor_socket.close()
        # Each process recorded its own participant's visit; wait for the last leave.
        for _ in range(150):
            open_or_missing = await read_scalar(
                session,
                select(func.count())
                .select_from(RoomVisit)
                .where(RoomVisit.meeting_id == meeting_id, RoomVisit.left_at.is_not(None)),
            )
            if open_or_missing == 2:
                break
            await asyncio.sleep(0.1)
        sides = await session.scalars(
            select(RoomVisit.side).where(RoomVisit.meeting_id == meeting_id)
        )
        assert sorted(sides.all()) == ["buyer", "exhibitor"]
        await session.rollback()
        assert open_or_missing == 2


async def test_a_separate_signaling_process_records_attendance(
    client, session, settings, redis_url, tmp_path
):
    """`fair signaling` on its own: browsers are sent there by FAIR_SIGNALING_URL, and its
    visits are the attendance's evidence, as with the relay inside `fair serve`."""
    booth = await booth_with_hours(client, session)
    lan = await make_user(session, "buyer", "lan@saigon.example", name="Nguyễn Lan")
    meeting = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=3))
    meeting_id = meeting.id
    relay_port = free_port()
    relay_url = f"ws://127.0.0.1:{relay_port}/ws/signaling"
    async with (
        app_process(settings, redis_url, tmp_path, command="signaling", port=relay_port),
        app_process(settings, redis_url, tmp_path, extra={"FAIR_SIGNALING_URL": relay_url}) as web,
        httpx.AsyncClient(base_url=web, headers={"Origin": web}) as kenji,
        httpx.AsyncClient(base_url=web, headers={"Origin": web}) as buyer,
    ):
        await _sign_in(kenji, "kenji@tsubame.example")
        await _sign_in(buyer, "lan@saigon.example")
        grant = (await kenji.post(f"/api/meetings/{meeting_id}/join")).json()
        assert grant["ws_url"] == relay_url
        exhibitor_socket, _ = await _enter(kenji, meeting_id)
        buyer_socket, joined = await _enter(buyer, meeting_id)
        assert [p["role"] for p in joined["peers"]] == ["exhibitor"]
        await buyer_socket.send(json.dumps({"type": "leave"}))
        await _next(exhibitor_socket, "peer-left")
        await exhibitor_socket.close()
        for _ in range(150):
            closed = await read_scalar(
                session,
                select(func.count())
                .select_from(RoomVisit)
                .where(RoomVisit.meeting_id == meeting_id, RoomVisit.left_at.is_not(None)),
            )
            if closed == 2:
                break
            await asyncio.sleep(0.1)
    sides = (
        await session.scalars(select(RoomVisit.side).where(RoomVisit.meeting_id == meeting_id))
    ).all()
    await session.rollback()
    assert sorted(sides) == ["buyer", "exhibitor"]
    assert closed == 2

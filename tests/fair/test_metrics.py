"""Observability: ``GET /metrics`` after traffic and jobs holds the series an operator's
Prometheus alerts read, labelled by route template (bounded, whatever ids are asked for);
it is not public; every request has an id, echoed and in its JSON log line."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from helpers import free_port, make_client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from fair import clock, logs, outbox
from fair.config import ConfigError, load_settings
from fair.outbox import MAX_ATTEMPTS, OutboxJob
from fair.scrape import allowed, serve_in_thread
from kakehashi.app import create_app, relay_server
from kakehashi.jobs import retrying

TOKEN = "metrics-token-" + "m" * 24
LOOPBACK = "127.0.0.1"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def routes_of(samples: Samples) -> set[str]:
    return {
        dict(labels)["route"] for name, labels in samples if name == "kakehashi_http_requests_total"
    }


async def scrape(app: Any) -> Samples:
    async with make_client(app, LOOPBACK) as local:
        response = await local.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def test_a_scrape_after_traffic_and_jobs_finds_the_series(
    app, client, session, sessionmaker, stopped_clock
) -> None:
    before = await scrape(app)
    assert (await client.get("/api/fairs")).status_code == 200
    assert (await client.get("/api/booths/no-such-booth")).status_code == 404
    assert (await client.post("/api/auth/login", json={})).status_code == 422

    async def send_greeting(ctx: dict[str, Any], **args: Any) -> None:
        return None

    async def send_broken(ctx: dict[str, Any], **args: Any) -> None:
        raise RuntimeError("smtp away")

    jobs = {"send_greeting": send_greeting, "send_broken": send_broken}
    await outbox.enqueue(session, "send_greeting", key="greeting:1")
    await outbox.enqueue(session, "send_broken", key="broken:1")
    await session.commit()
    assert await outbox.run_inprocess(sessionmaker, jobs, {}) == 1
    after = await scrape(app)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "kakehashi_http_requests_total"
    assert grew(requests, route="/api/fairs", method="GET", status="2xx") == 1
    assert grew(requests, route="/api/booths/{booth_id}", method="GET", status="4xx") == 1
    assert grew(requests, route="/api/auth/login", method="POST", status="4xx") == 1
    latency = "kakehashi_http_request_duration_seconds_count"
    assert grew(latency, route="/api/fairs", method="GET") == 1
    assert (
        grew(
            "kakehashi_http_request_duration_seconds_bucket",
            route="/api/fairs",
            method="GET",
            le="+Inf",
        )
        == 1
    )
    assert grew("kakehashi_jobs_total", job_name="send_greeting", outcome="ok") == 1
    assert grew("kakehashi_jobs_total", job_name="send_broken", outcome="failed") == 1
    assert grew("kakehashi_job_duration_seconds_count", job_name="send_greeting") == 1
    assert grew("kakehashi_jobs_given_up_total", job_name="send_broken") == 0
    # The database pool and the video rooms (none open) are read at the scrape.
    assert value(after, "kakehashi_db_pool_size") >= 1
    assert ("kakehashi_db_pool_checked_out", frozenset()) in after
    assert value(after, "kakehashi_signaling_rooms") == 0
    assert ("kakehashi_signaling_messages_relayed_total", frozenset()) in after
    # The failed job waits for its retry (not due yet): no lag.
    assert value(after, "kakehashi_outbox_due") == 0
    assert value(after, "kakehashi_outbox_lag_seconds") == 0


async def test_outbox_lag_is_the_age_of_the_oldest_due_row(app, session, stopped_clock) -> None:
    await outbox.enqueue(session, "send_greeting", key="greeting:old")
    await session.commit()
    stopped_clock.advance(timedelta(minutes=2))
    await outbox.enqueue(session, "send_greeting", key="greeting:new")
    await outbox.enqueue(
        session, "send_greeting", key="greeting:later", run_at=stopped_clock() + timedelta(hours=1)
    )
    await session.commit()
    stopped_clock.advance(timedelta(minutes=4))
    samples = await scrape(app)
    # Six minutes since the oldest became due: past the documented alert's five.
    assert value(samples, "kakehashi_outbox_lag_seconds") == 360
    assert value(samples, "kakehashi_outbox_due") == 2  # the one planned for later is not due
    assert value(samples, "kakehashi_outbox_given_up") == 0


async def test_a_job_given_up_after_its_last_try_is_counted(session, sessionmaker) -> None:
    async def send_broken(ctx: dict[str, Any], **args: Any) -> None:
        raise RuntimeError("smtp away")

    # Without Redis: the eighth failed attempt gives the row up.
    await outbox.enqueue(session, "send_broken", key="broken:last")
    await session.execute(update(OutboxJob).values(attempts=MAX_ATTEMPTS - 1))
    await session.commit()
    given_up = {"job_name": "send_broken"}
    before = REGISTRY.get_sample_value("kakehashi_jobs_given_up_total", given_up) or 0
    assert await outbox.run_inprocess(sessionmaker, {"send_broken": send_broken}, {}) == 0
    assert REGISTRY.get_sample_value("kakehashi_jobs_given_up_total", given_up) == before + 1
    async with sessionmaker() as s:
        assert (await outbox.backlog(s, clock.now())).given_up == 1


async def test_fifty_booth_ids_make_one_series(app, client) -> None:
    before = await scrape(app)
    ids = [secrets.token_hex(16) for _ in range(50)]
    for booth_id in ids:
        assert (await client.get(f"/booths/{booth_id}")).status_code == 404
    for number in range(5):  # paths no route knows, and made-up methods
        await client.get(f"/no/such/page/{number}")
        await client.request("BREW", f"/coffee/{number}")
    after = await scrape(app)
    new_routes = routes_of(after) - routes_of(before)
    assert new_routes <= {"/booths/{booth_id}", "unmatched", "/metrics"}
    text = repr(after)
    assert not [booth_id for booth_id in ids if booth_id in text]
    assert "/no/such" not in text and "BREW" not in text

    # The registry is the process's: other tests on this worker may have asked for booth
    # pages too. Fifty ids that all answered 404 add one series at most, never fifty.
    def booth_series(scraped):
        return {
            labels
            for name, labels in scraped
            if name == "kakehashi_http_requests_total"
            and dict(labels)["route"] == "/booths/{booth_id}"
        }

    assert len(booth_series(after) - booth_series(before)) <= 1
    assert {dict(labels)["status"] for labels in booth_series(after)} <= {"2xx", "3xx", "4xx"}
    counted = value(
        after,
        "kakehashi_http_requests_total",
        route="/booths/{booth_id}",
        method="GET",
        status="4xx",
    ) - value(
        before,
        "kakehashi_http_requests_total",
        route="/booths/{booth_id}",
        method="GET",
        status="4xx",
    )
    assert counted == 50
    assert (
        value(
            after, "kakehashi_http_requests_total", route="unmatched", method="other", status="4xx"
        )
        >= 5
    )


async def test_metrics_are_not_public(settings, engine) -> None:
    app = create_app(settings.with_overrides(metrics_token=TOKEN))
    async with app.router.lifespan_context(app):
        async with make_client(app) as remote:
            anonymous = await remote.get("/metrics", headers={"accept": "application/json"})
            wrong = await remote.get("/metrics", headers={"authorization": "Bearer not-the-token"})
            basic = await remote.get("/metrics", headers={"authorization": f"Basic {TOKEN}"})
            with_token = await remote.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        async with make_client(app, "::1") as local:
            from_loopback = await local.get("/metrics")
    # Refused as a path that does not exist, in the app's error shape.
    assert anonymous.status_code == 404
    assert anonymous.json()["error"]["code"] == "not_found"
    assert "kakehashi_" not in wrong.text + basic.text
    assert (wrong.status_code, basic.status_code) == (404, 404)
    assert with_token.status_code == 200
    assert "kakehashi_http_requests_total" in with_token.text
    assert from_loopback.status_code == 200


async def test_without_a_token_only_this_machine_scrapes(app, client) -> None:
    refused = await client.get("/metrics", headers={"authorization": "Bearer "})
    assert refused.status_code == 404
    assert (await scrape(app)) != {}


@contextlib.asynccontextmanager
async def relay_http(settings, environ: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """`fair signaling`'s server (websockets', not the app's) on 127.0.0.1; an HTTP client."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    try:
        async with (
            relay_server(settings.with_overrides(metrics_token=TOKEN), sock=sock, environ=environ),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            yield http
    finally:
        sock.close()


async def test_a_separate_relay_serves_its_rooms_under_the_same_rule(settings, engine) -> None:
    """From this machine, or with the token. Behind a proxy on this machine (trusted by
    default, as uvicorn does), the request is the forwarded client's."""
    forwarded = {"x-forwarded-for": "203.0.113.7"}
    async with relay_http(settings, environ={}) as http:
        scraped = await http.get("/metrics")
        refused = await http.get("/metrics", headers=forwarded)
        with_token = await http.get(
            "/metrics", headers={**forwarded, "authorization": f"Bearer {TOKEN}"}
        )
        health = await http.get("/healthz")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    samples = parse(scraped.text)
    assert ("kakehashi_signaling_rooms", frozenset()) in samples
    assert ("kakehashi_signaling_messages_relayed_total", frozenset()) in samples
    assert (refused.status_code, with_token.status_code) == (404, 200)
    assert "kakehashi_" not in refused.text
    assert (health.status_code, health.json()) == (200, {"status": "ok"})


async def test_a_separate_relay_believes_forwarded_for_from_trusted_proxies_only(
    settings, engine
) -> None:
    """The proxy's address is FORWARDED_ALLOW_IPS (elsewhere here): a header sent from this
    machine, which is no trusted proxy, is ignored, so the request is this machine's."""
    async with relay_http(settings, environ={"FORWARDED_ALLOW_IPS": "10.0.0.1"}) as http:
        scraped = await http.get("/metrics", headers={"x-forwarded-for": "203.0.113.7"})
    assert scraped.status_code == 200


def test_the_access_rule() -> None:
    assert allowed("127.0.0.1", None, None)
    assert allowed("127.8.9.10", None, None)
    assert allowed("::1", None, None)
    assert not allowed("203.0.113.7", None, None)
    assert not allowed("203.0.113.7", "Bearer ", None)
    assert not allowed("203.0.113.7", "Bearer ", "")
    assert not allowed("203.0.113.7", f"Bearer {TOKEN}x", TOKEN)
    assert allowed("203.0.113.7", f"bearer  {TOKEN} ", TOKEN)
    assert not allowed(None, f"Token {TOKEN}", TOKEN)
    assert not allowed("not-an-address", None, None)


SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


@pytest.mark.parametrize(
    "incoming",
    [
        "x" * 65,
        "id with spaces",
        'quote"and\\backslash',
        "line\r\nInjected: yes",
        "ünïcode",
        "",
    ],
)
async def test_a_hostile_request_id_is_replaced(client, incoming: str) -> None:
    response = await client.get("/api/fairs", headers={"x-request-id": incoming.encode("utf-8")})
    echoed = response.headers["x-request-id"]
    assert echoed != incoming
    assert SANE.fullmatch(echoed)


async def test_a_sane_request_id_is_echoed_and_each_request_gets_one(client) -> None:
    given = "edge-7f3a.2_Z"
    echoed = await client.get("/api/fairs", headers={"x-request-id": given})
    assert echoed.headers["x-request-id"] == given
    assert (await client.get("/api/fairs", headers={"x-request-id": "A" * 64})).headers[
        "x-request-id"
    ] == "A" * 64
    first = (await client.get("/api/fairs")).headers["x-request-id"]
    second = (await client.get("/no/such/page")).headers["x-request-id"]
    assert SANE.fullmatch(first) and SANE.fullmatch(second) and first != second


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the root logger writes as JSON lines while the test runs."""
    stream = io.StringIO()
    handler = logs.LineHandler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_json_log_line_carries_the_request_id(client, json_lines) -> None:
    secret = "a-mailed-link-token-of-someone"
    email = "lan.nguyen@saigon-trading.example"
    client.cookies.set("kk_session", "session-cookie-value")
    response = await client.get(
        f"/password-reset/{secret}",
        params={"email": email},
        headers={"x-request-id": "trace-42", "authorization": "Bearer header-secret"},
    )
    assert response.headers["x-request-id"] == "trace-42"
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "fair.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "trace-42"
    assert (line["level"], line["method"], line["route"]) == (
        "INFO",
        "GET",
        "/password-reset/{token}",
    )
    assert line["status"] == response.status_code
    assert line["time"].endswith("+00:00")
    assert line["message"].startswith("GET /password-reset/{token} ")
    # Nothing of the link, the address, the cookie or the Authorization header in what the
    # app wrote (the test's own client, httpx, logs the URL it asked for).
    written = json.dumps([line for line in lines if line["logger"] != "httpx"])
    for private in (secret, email, "session-cookie-value", "header-secret"):
        assert private not in written


def test_a_line_outside_a_request_has_no_request_id() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.metrics.outside")
    handler = logs.LineHandler("json", stream)
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.error("relay failed for %s", "x", exc_info=True, extra={"attempt": 2})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["request_id"] is None
    assert (line["message"], line["attempt"]) == ("relay failed for x", 2)
    assert "ValueError: boom" in line["exception"]


def test_text_lines_name_the_request(caplog) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.metrics.text")
    handler = logs.LineHandler("text", stream)
    logger.addHandler(handler)
    token = logs.request_id.set("trace-7")
    try:
        logger.warning("slow")
    finally:
        logs.request_id.reset(token)
        logger.removeHandler(handler)
    assert stream.getvalue() == "WARNING tests.metrics.text: slow [trace-7]\n"


async def test_the_worker_serves_its_job_metrics() -> None:
    async def send_digest(ctx: dict[str, Any], **args: Any) -> None:
        return None

    await retrying(send_digest)({"job_try": 1, "job_id": "digest:1"})
    port = free_port()
    server = serve_in_thread(LOOPBACK, port, None)
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}") as http:
            scraped = await http.get("/metrics")
            other = await http.get("/")
    finally:
        server.shutdown()
        server.server_close()
    assert scraped.status_code == 200
    samples = parse(scraped.text)
    assert value(samples, "kakehashi_jobs_total", job_name="send_digest", outcome="ok") >= 1
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"FAIR_LOG_FORMAT": "xml"}, "FAIR_LOG_FORMAT"),
        ({"FAIR_METRICS_TOKEN": "short"}, "FAIR_METRICS_TOKEN"),
    ],
)
def test_observability_settings_are_checked(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_observability_settings_default_to_text_and_no_token() -> None:
    settings = load_settings({})
    assert (settings.log_format, settings.metrics_token) == ("text", None)
    assert load_settings({"FAIR_LOG_FORMAT": "json"}).log_format == "json"

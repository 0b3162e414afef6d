"""The "Test my connection" page, and ``POST /api/connection-test`` that answers the browser's
offer with a server-side echo peer (meetings.echo)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import clock, resources
from fair.accounts.service import require_user
from fair.api import Endpoint, Scope
from fair.errors import BadRequest
from fair.i18n import lazy
from fair.schemas import parse
from fair.web import client_address, db, json_response, page, read_json, settings_of, user_of
from meetings import responses
from meetings.candidates import CandidatePolicy, relay_addresses, screen_offer
from meetings.echo import BadOffer, echo_peers, looks_like_sdp
from meetings.schemas import EchoOffer
from signaling.ice import ice_servers

# The verdict's thresholds, shown on the page and used by static/js/connection-test.js.
# "Ready" needs all three: a round trip within 300 ms keeps one-way delay within ITU-T G.114's
# 150 ms for fluent conversation; beyond 30 ms of jitter the jitter buffers add audible delay;
# beyond 2 % loss video freezes and breaks up. Any one exceeded means "may be choppy".
READY_RTT_MS = 300
READY_JITTER_MS = 30
READY_LOSS = 0.02
# The probes: 20 a second for 10 seconds; a reply later than a second counts as lost.
PROBE_INTERVAL_MS = 50
PROBE_SECONDS = 10
LATE_AFTER_MS = 1000


class NoUsableCandidate(BadRequest):
    code = "no_usable_candidate"
    message = lazy(
        "Your browser offered no network address the test may use: it tests only the address "
        "your connection comes from. A VPN or proxy that sends the test another way can "
        "cause this."
    )


async def connection_test_api(request: Request) -> Response:
    user = require_user(user_of(request))
    offer = parse(EchoOffer, await read_json(request))
    user_id = user.id
    settings = settings_of(request)
    if not looks_like_sdp(offer.sdp):
        raise BadOffer()
    # The echo peer checks every candidate it is given: only the requester's own address
    # may stay (meetings.candidates), so the server cannot be aimed elsewhere.
    address = client_address(request)
    policy = CandidatePolicy.for_request(
        address,
        allow_local=settings.echo_reaches_local_addresses,
        relays=await relay_addresses(settings.turn_urls),
    )
    screened, kept = screen_offer(offer.sdp, policy)
    if not kept:
        raise NoUsableCandidate()
    # Gathering can take seconds (STUN/TURN); on SQLite the request's transaction holds the
    # write lock (BEGIN IMMEDIATE), so end it before: nothing here writes.
    await db(request).rollback()
    servers = ice_servers(settings, user_id, now=clock.real_now())
    peers = echo_peers(resources.of_request(request))
    sdp = await peers.answer(user_id, screened, servers, address=address)
    return json_response(responses.EchoAnswer(sdp=sdp))


async def connection_test_page(request: Request) -> Response:
    user = require_user(user_of(request))
    return page(
        request,
        "meetings/connection_test.html",
        {
            "ice_servers": ice_servers(settings_of(request), user.id, now=clock.real_now()),
            "thresholds": {
                "rtt_ms": READY_RTT_MS,
                "jitter_ms": READY_JITTER_MS,
                "loss": READY_LOSS,
            },
            "probe": {
                "interval_ms": PROBE_INTERVAL_MS,
                "seconds": PROBE_SECONDS,
                "late_after_ms": LATE_AFTER_MS,
            },
        },
    )


API = [
    Endpoint(
        "POST",
        "/api/connection-test",
        connection_test_api,
        "Answer a connection-test offer with a server echo peer (signed-in users); the "
        "answer carries all candidates. The offer's candidates must be on the "
        "requester's own address (others are removed; 400 if none is left). One peer "
        "per user, 3 per client address (429), 20 in all (503); each closed after 2 "
        "minutes, 30 seconds once three quarters are taken.",
        responses.EchoAnswer,
        body=EchoOffer,
        errors=(400, 401, 409, 429, 503),
        scope=Scope.MEETINGS,
    )
]

routes = [
    Route("/connection-test", connection_test_page, methods=["GET"]),
]

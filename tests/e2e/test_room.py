"""The meeting's video room in a real browser: an exhibitor and a buyer join the same meeting
from two browser profiles (Chromium's fake camera and microphone), see each other's video,
chat, mute, and one leaves. Screenshots land in var/screenshots/ (room-*.png).

The demo's meetings lie in next month, so this module runs its own server on its own demo
database and adds one confirmed meeting that starts two minutes from now, with its holds, as
booking would have written them (booking itself refuses such short notice, and its rules are
tested elsewhere; here only the clock matters)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import Browser, Page, WebSocketRoute, expect
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("playwright is not installed: pip install -e '.[dev]'", allow_module_level=True)

from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from e2e_helpers import sign_in
from e2e_server import REPO, demo_server
from helpers import missing
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booths.models import Booth, BoothStatus
from demo.data import BUYERS, EXHIBITORS
from fair import clock
from fair.accounts.models import User
from fair.fairs.models import Fair
from meetings.booking import holds_for
from meetings.models import BoothHours, Meeting, MeetingStatus

# An English-speaking buyer (the page is in English) and a Japanese exhibitor (the page is in
# the exhibitor's language: the test finds its parts by id, not by text). Not one of the
# demo's live pairs (demo.meetings.LIVE), whose rooms are taken now.
BUYER = next(b for b in BUYERS if b.email == "dbrooks@hudson-home-imports.example")
EXHIBITOR_CHOICES = [e for e in EXHIBITORS if e.email != "info@tsubame-migaki.example"]
# Fake cameras to switch between, and no permission prompts (screen sharing included).
MEDIA_ARGS = ["--use-fake-device-for-media-stream=device-count=3", "--use-fake-ui-for-media-stream"]
CALL_TIMEOUT_MS = 30_000  # ICE, DTLS and the first decoded frames on two cores


@dataclass(frozen=True)
class RoomServer:
    base_url: str
    database: Path


@dataclass(frozen=True)
class RoomMeeting:
    id: str
    exhibitor_email: str
    exhibitor_name: str
    path: str


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoomServer]:
    """The real app (migrated, with the demo) on a database of this module's own; the
    past year is left out of the demo (the rooms' meetings are the module's own)."""
    tmp = tmp_path_factory.mktemp("room")
    database = tmp / "room.db"
    with demo_server(tmp, database, history=False) as server:
        yield RoomServer(server.url, database)


def insert_meeting(database: Path, starts_in: timedelta) -> RoomMeeting:
    """A confirmed 30-minute meeting starting ``starts_in`` from now between the buyer and a
    demo exhibitor's approved booth, written with its holds (booth, buyer) in one transaction:
    the rows booking writes, so the no-double-booking keys see it like any other meeting."""
    engine = create_engine(f"sqlite:///{database}")
    start = (clock.now() + starts_in).replace(second=0, microsecond=0)
    try:
        with Session(engine) as session:
            buyer = session.scalar(select(User).where(User.email == BUYER.email))
            assert buyer is not None
            for exhibitor in EXHIBITOR_CHOICES:
                found = session.execute(
                    select(Booth, User, BoothHours)
                    .join(User, User.id == Booth.owner_id)
                    .join(Fair, Fair.id == Booth.fair_id)
                    .join(BoothHours, BoothHours.booth_id == Booth.id)
                    .where(User.email == exhibitor.email, Booth.status == BoothStatus.APPROVED)
                    .order_by(Fair.starts_on.desc())
                ).first()
                if found is None:
                    continue
                booth, owner, hours = found
                row = Meeting(
                    booth_id=booth.id,
                    buyer_id=buyer.id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    status=MeetingStatus.CONFIRMED,
                    buyer_timezone=buyer.timezone,
                )
                session.add(row)
                try:
                    session.flush()
                    session.add_all(holds_for(row, hours.buffer_minutes))
                    session.commit()
                except IntegrityError:
                    session.rollback()  # that booth or the buyer is busy then: the next one
                    continue
                return RoomMeeting(row.id, owner.email, owner.name, f"/meetings/{row.id}/room")
    finally:
        engine.dispose()
    pytest.fail("no demo booth is free for a meeting then")


@pytest.fixture(scope="module")
def meeting(room_server: RoomServer) -> RoomMeeting:
    """Its room opened eight minutes ago (FAIR_JOIN_EARLY_MINUTES is 10)."""
    return insert_meeting(room_server.database, timedelta(minutes=2))


@pytest.fixture(scope="module")
def later_meeting(room_server: RoomServer, meeting: RoomMeeting) -> RoomMeeting:
    """Its room opens in two hours and fifty minutes."""
    return insert_meeting(room_server.database, timedelta(hours=3))


@pytest.fixture(scope="module")
def media_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium with a fake camera and microphone that it may use without asking; launched by
    the session's playwright (one sync playwright per process), beside the shared browser."""
    if not CHROMIUM.exists():
        missing("Debian chromium not installed: run scripts/install-chromium")
    media = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
    )
    try:
        yield media
    finally:
        media.close()


def _signed_in_page(browser: Browser, server: RoomServer, email: str, zone: str) -> Any:
    context = browser.new_context(
        base_url=server.base_url,
        locale="en-US",
        timezone_id=zone,
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
    context.grant_permissions(["camera", "microphone"], origin=server.base_url)
    page = context.new_page()
    sign_in(page, email)
    return page


@pytest.fixture
def buyer_page(media_browser: Browser, room_server: RoomServer) -> Iterator[Page]:
    page = _signed_in_page(media_browser, room_server, BUYER.email, BUYER.timezone)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def exhibitor_page(
    media_browser: Browser, room_server: RoomServer, meeting: RoomMeeting
) -> Iterator[Page]:
    page = _signed_in_page(media_browser, room_server, meeting.exhibitor_email, "Asia/Tokyo")
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = REPO / "var" / "screenshots"  # var/ is ignored by git
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PREVIEW_PLAYING = """() => {
  const video = document.getElementById("room-preview");
  // Frames for half a second: a screenshot then shows the picture, not the empty tile.
  return !!video && video.readyState >= 2 && video.videoWidth > 0 && video.currentTime > 0.5;
}"""

# wait_for_function does not await a promise (a pending promise counts as true), and getStats
# is asynchronous: so each poll starts a getStats per connection and judges the figures the
# previous polls brought back, kept per RTCPeerConnection (a new connection starts at none).
FRAMES_PER_CONNECTION = """
  window.__kkFrames = window.__kkFrames || new WeakMap();
  const pcs = window.kakehashiRoom ? [...window.kakehashiRoom.pcs.values()] : [];
  pcs.forEach((pc) => pc.getStats().then((report) => {
    let frames = 0;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
    });
    window.__kkFrames.set(pc, frames);
  }));
  const frames = pcs.map((pc) => window.__kkFrames.get(pc) || 0);
"""

# Every connection of the page decodes video from the other side.
FRAMES_DECODED = (
    "() => {" + FRAMES_PER_CONNECTION + "return pcs.length > 0 && frames.every((f) => f > 0); }"
)

# The frames decoded so far (page.evaluate, unlike wait_for_function, awaits the promise).
FRAMES_SO_FAR = """async () => {
  let frames = 0;
  for (const pc of window.kakehashiRoom.pcs.values()) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
    });
  }
  return frames;
}"""


def wait_for_video_from_the_other(page: Page) -> None:
    page.wait_for_function(FRAMES_DECODED, timeout=CALL_TIMEOUT_MS, polling=250)


def wait_for_more_frames(page: Page, count: int = 10) -> None:
    """The video from the other side keeps coming: ``count`` more frames decoded."""
    before = page.evaluate(FRAMES_SO_FAR)
    page.wait_for_function(
        "() => {"
        + FRAMES_PER_CONNECTION
        + f"return frames.reduce((a, b) => a + b, 0) >= {before + count}; }}",
        timeout=CALL_TIMEOUT_MS,
        polling=250,
    )


SENT_VIDEO_LABEL = """() => {
  const pc = [...window.kakehashiRoom.pcs.values()][0];
  const sender = pc.getSenders().find((s) => s.track && s.track.kind === "video");
  return sender ? sender.track.label : null;
}"""

ICE_UFRAG = """() => {
  const pc = [...window.kakehashiRoom.pcs.values()][0];
  return pc.localDescription.sdp.match(/a=ice-ufrag:(\\S+)/)[1];
}"""


def test_exhibitor_and_buyer_meet_chat_mute_and_leave(
    buyer_page: Page, exhibitor_page: Page, meeting: RoomMeeting, screenshots: Path
) -> None:
    buyer, exhibitor = buyer_page, exhibitor_page

    # Before joining, on a 360-pixel phone: the preview, the devices, the join button.
    buyer.set_viewport_size({"width": 360, "height": 780})
    buyer.goto(meeting.path)
    room = buyer.locator("section#room")
    expect(room.get_by_role("heading", name="Video room")).to_be_visible()
    join = room.get_by_role("button", name="Join the video meeting")
    expect(join).to_be_enabled()  # the window opened 8 minutes ago
    # Chromium pauses a muted autoplaying video while it is off screen: bring it into view.
    buyer.locator("#room-preview").scroll_into_view_if_needed()
    buyer.wait_for_function(PREVIEW_PLAYING, timeout=CALL_TIMEOUT_MS, polling=200)
    expect(room.get_by_label("Camera", exact=True)).to_be_enabled()
    expect(room.get_by_label("Microphone", exact=True)).to_be_enabled()
    products = room.locator("section.room-products a[target=_blank]")
    expect(products.first).to_be_visible()
    assert buyer.evaluate("document.documentElement.scrollWidth") <= 360
    buyer.screenshot(path=screenshots / "room-prejoin-360.png", full_page=True)
    room.screenshot(path=screenshots / "room-prejoin-360-room.png")
    buyer.set_viewport_size({"width": 1280, "height": 800})

    # Both join; each decodes the other's video.
    join.click()
    expect(room.locator("#room-status")).to_have_text("You are in the room.")
    exhibitor.goto(meeting.path)
    exhibitor.locator("#room-join").click()
    wait_for_video_from_the_other(exhibitor)
    wait_for_video_from_the_other(buyer)
    expect(buyer.locator("#room-tiles li.room-peer")).to_have_count(1)
    expect(exhibitor.locator("#room-tiles li.room-peer")).to_have_count(1)
    tile = buyer.locator("#room-tiles li.room-peer figure")
    expect(tile.locator(".room-tile-name")).to_have_text(meeting.exhibitor_name)
    expect(tile.locator(".room-tile-role")).to_have_text("Exhibitor")
    expect(tile.get_by_label(f"Video of {meeting.exhibitor_name}")).to_be_visible()
    # The newcomer (the exhibitor) offered and is the polite peer.
    assert exhibitor.evaluate("window.kakehashiRoom.peers.map(p => [p.offerer, p.polite])") == [
        [True, True]
    ]
    assert buyer.evaluate("window.kakehashiRoom.peers.map(p => [p.offerer, p.polite])") == [
        [False, False]
    ]

    # The connection quality is measured and said in words.
    quality = tile.locator(".room-quality")
    expect(quality).not_to_have_attribute("data-level", "unknown", timeout=CALL_TIMEOUT_MS)
    expect(quality).to_contain_text(" connection")

    # Chat: from the buyer, at once on the exhibitor's page, and kept with the meeting.
    message = "Could you send a sample of the santoku knife?"
    buyer.get_by_label("Message", exact=True).fill(message)
    buyer.get_by_label("Message", exact=True).press("Enter")
    expect(exhibitor.locator("#room-chat-log .room-chat-body")).to_have_text([message])
    own = buyer.locator("#room-chat-log li.room-chat-own")
    expect(own).to_have_attribute("data-id", re.compile(r"^\w+$"))  # saved: the server's id
    expect(own.locator(".room-chat-author")).to_have_text("You")
    kept = buyer.request.get(f"/api/meetings/{meeting.id}/chat").json()["messages"]
    assert [m["body"] for m in kept] == [message]
    assert kept[0]["side"] == "buyer"

    # Mute and camera off are toggle buttons.
    mute = room.get_by_role("button", name="Mute", exact=True)
    expect(mute).to_have_attribute("aria-pressed", "false")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    assert buyer.evaluate("window.kakehashiRoom.localTracks.audio.enabled") is False
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "false")
    assert buyer.evaluate("window.kakehashiRoom.localTracks.audio.enabled") is True

    buyer.screenshot(path=screenshots / "room-call-buyer.png", full_page=True)
    exhibitor.screenshot(path=screenshots / "room-call-exhibitor.png", full_page=True)
    buyer.set_viewport_size({"width": 360, "height": 780})
    room.scroll_into_view_if_needed()
    assert buyer.evaluate("document.documentElement.scrollWidth") <= 360
    room.screenshot(path=screenshots / "room-call-buyer-360.png")
    buyer.set_viewport_size({"width": 1280, "height": 800})

    # The exhibitor leaves: the buyer hears of it and waits again.
    exhibitor.locator("#room-leave").click()
    expect(room.locator("#room-status")).to_have_text(f"{meeting.exhibitor_name} left the meeting.")
    expect(buyer.locator("#room-tiles li.room-peer")).to_have_count(0)
    expect(buyer.locator("#room-waiting")).to_be_visible()
    expect(exhibitor.locator("#room-join")).to_be_enabled()
    assert exhibitor.evaluate("window.kakehashiRoom.pcs.size") == 0
    assert exhibitor.evaluate("window.kakehashiRoom.localTracks.video") is None


def test_a_dropped_signaling_socket_rejoins_and_another_tab_takes_over(
    buyer_page: Page, exhibitor_page: Page, meeting: RoomMeeting
) -> None:
    buyer, exhibitor = buyer_page, exhibitor_page
    # The buyer's signaling sockets go through playwright, which can cut one like a network
    # drop would (the server may not notice at once).
    sockets: list[WebSocketRoute] = []

    def through(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    buyer.route_web_socket(re.compile(r"/ws/signaling$"), through)
    for page in (buyer, exhibitor):
        page.goto(meeting.path)
        page.locator("#room-join").click()
    wait_for_video_from_the_other(buyer)
    wait_for_video_from_the_other(exhibitor)
    first_id = buyer.evaluate("window.kakehashiRoom.peerId")
    assert len(sockets) == 1

    sockets[0].close(code=1001, reason="network drop")
    expect(buyer.locator("#room-status")).to_have_text("Reconnected.", timeout=CALL_TIMEOUT_MS)
    assert len(sockets) == 2  # a fresh token, a new socket
    assert buyer.evaluate("window.kakehashiRoom.peerId") not in {None, first_id}
    # Rejoined as the newcomer: the buyer now offers, and both see video again.
    assert buyer.evaluate("window.kakehashiRoom.peers.map(p => p.offerer)") == [True]
    wait_for_video_from_the_other(buyer)
    wait_for_video_from_the_other(exhibitor)
    expect(exhibitor.locator("#room-tiles li.room-peer")).to_have_count(1)

    # The buyer opens the room in a second tab: the first one says why it left the call.
    second = buyer.context.new_page()
    second.goto(meeting.path)
    second.locator("#room-join").click()
    expect(buyer.locator("#room-alert")).to_have_text(
        "You joined this meeting in another tab or window, so this tab has left the room."
    )
    expect(buyer.locator("#room-call")).to_be_hidden()
    assert buyer.evaluate("window.kakehashiRoom.localTracks.video") is None
    wait_for_video_from_the_other(second)
    wait_for_video_from_the_other(exhibitor)
    expect(exhibitor.locator("#room-tiles li.room-peer")).to_have_count(1)


def test_screen_share_camera_choice_and_glare_keep_the_video_flowing(
    buyer_page: Page, exhibitor_page: Page, meeting: RoomMeeting
) -> None:
    buyer, exhibitor = buyer_page, exhibitor_page
    for page in (exhibitor, buyer):
        page.goto(meeting.path)
        page.locator("#room-join").click()
    wait_for_video_from_the_other(buyer)
    wait_for_video_from_the_other(exhibitor)
    room = buyer.locator("section#room")
    sdp = "[...window.kakehashiRoom.pcs.values()][0].localDescription.sdp"
    negotiated = buyer.evaluate(sdp)

    # Screen sharing replaces the camera in the video sender, and gives it back.
    camera = buyer.evaluate(SENT_VIDEO_LABEL)
    assert camera == "fake_device_0", camera
    share = room.get_by_role("button", name="Share screen")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "true")
    buyer.wait_for_function(f"() => ({SENT_VIDEO_LABEL})() !== {camera!r}")
    assert buyer.evaluate("window.kakehashiRoom.localTracks.screen.label") == buyer.evaluate(
        SENT_VIDEO_LABEL
    )
    wait_for_more_frames(exhibitor)
    share.click()
    expect(share).to_have_attribute("aria-pressed", "false")
    buyer.wait_for_function(f"() => ({SENT_VIDEO_LABEL})() === {camera!r}")
    assert buyer.evaluate("window.kakehashiRoom.localTracks.screen") is None
    wait_for_more_frames(exhibitor)

    # Camera off is a toggle too.
    camera_off = room.get_by_role("button", name="Camera off")
    camera_off.click()
    expect(camera_off).to_have_attribute("aria-pressed", "true")
    assert buyer.evaluate("window.kakehashiRoom.localTracks.video.enabled") is False
    camera_off.click()
    expect(camera_off).to_have_attribute("aria-pressed", "false")

    # Another camera, chosen during the call. (Chromium's fake_device_1 is a depth camera
    # whose frames no encoder takes: fake_device_2 is an ordinary one.)
    room.locator("#room-devices-box > summary").click()
    cameras = room.get_by_label("Camera", exact=True)
    cameras.select_option(label="fake_device_2")
    buyer.wait_for_function(f"() => ({SENT_VIDEO_LABEL})() === 'fake_device_2'")
    wait_for_more_frames(exhibitor)
    # None of this renegotiated: replaceTrack on the same sender.
    assert buyer.evaluate(sdp) == negotiated

    # Both sides renegotiate at once (an ICE restart each): perfect negotiation settles the
    # glare, the polite newcomer rolling back, and the call goes on with new ICE credentials.
    before = {page: page.evaluate(ICE_UFRAG) for page in (buyer, exhibitor)}
    for page in (buyer, exhibitor):
        page.evaluate("[...window.kakehashiRoom.pcs.values()][0].restartIce()")
    for page in (buyer, exhibitor):
        page.wait_for_function(
            f"""() => {{
              const pc = [...window.kakehashiRoom.pcs.values()][0];
              return pc.signalingState === "stable"
                && ["connected", "completed"].includes(pc.iceConnectionState)
                && ({ICE_UFRAG})() !== {before[page]!r};
            }}""",
            timeout=CALL_TIMEOUT_MS,
        )
    wait_for_more_frames(buyer)
    wait_for_more_frames(exhibitor)


def test_before_the_window_the_room_counts_down_without_the_camera(
    buyer_page: Page, later_meeting: RoomMeeting, screenshots: Path
) -> None:
    buyer = buyer_page
    buyer.goto(later_meeting.path)
    room = buyer.locator("section#room")
    expect(room.locator("#room-opens")).to_contain_text("The room opens at ")
    expect(room.locator("#room-countdown")).to_have_text(re.compile(r"^Opens in 2:\d\d:\d\d\.$"))
    expect(room.locator("#room-left")).to_have_text(re.compile(r"^Starts in 2:5\d:\d\d$"))
    expect(room.get_by_role("button", name="Join the video meeting")).to_be_disabled()
    # The camera stays off until asked for: the page offers to test it.
    expect(room.get_by_role("button", name="Test camera and microphone")).to_be_visible()
    expect(room.get_by_label("Camera", exact=True)).to_be_hidden()
    assert buyer.evaluate("window.kakehashiRoom.localTracks.video") is None
    room.screenshot(path=screenshots / "room-before-window.png")
    room.get_by_role("button", name="Test camera and microphone").click()
    expect(room.get_by_label("Camera", exact=True)).to_be_enabled()
    assert buyer.evaluate("window.kakehashiRoom.localTracks.video.readyState") == "live"
    expect(room.get_by_role("button", name="Join the video meeting")).to_be_disabled()

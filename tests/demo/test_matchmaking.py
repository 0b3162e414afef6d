"""``fair demo``'s matchmaking (issue 18, item 7): the buyers' sourcing needs in their
languages (a Thai one met by a product described in Japanese through its HS code), the open
day's proposals in every state, matches in the organizers' console, and a past year of
matched meetings behind a non-zero partner-matching success rate. On SQLite and PostgreSQL
(the ``session`` fixture); the instant is fixed relative to the clock's now."""

from __future__ import annotations

from collections import Counter

from helpers import login
from sqlalchemy import select

from booths.models import Booth
from conversations.models import ConversationMessage
from conversations.service import threads, unread_total
from demo.data import MATCHMAKING
from demo.loader import DEMO_PASSWORD, ORGANIZER_EMAIL, load, open_day_slug
from fair import clock
from fair.accounts.models import User
from fair.fairs.models import Fair
from fair.fairs.phase import local_today
from fair.storage import LocalStorage
from matchmaking import proposals, service
from matchmaking.models import Need, Proposal
from meetings.models import Meeting, MeetingSource
from reports.service import conversion_report

NOW = clock.now().replace(day=25, hour=12, minute=0, second=0, microsecond=0)
THAI_BUYER = "nattapon.s@siamgourmet-import.example"


async def _user(session, email: str) -> User:
    return await session.scalar(select(User).where(User.email == email))


async def test_the_demo_has_needs_proposals_in_every_state_and_console_matches(
    session, client, tmp_path
):
    with clock.moved_to(NOW):
        counts = await load(session, storage=LocalStorage(tmp_path / "media"), history=False)
        await session.commit()
        assert counts["needs"] == len(MATCHMAKING.needs)
        assert counts["proposals"] == len(MATCHMAKING.proposals)
        assert counts["messages"] == sum(len(c.messages) for c in MATCHMAKING.conversations)

        # Needs in Thai, Chinese (both scripts), Vietnamese, Japanese and English.
        texts = list(await session.scalars(select(Need.text)))
        assert any("กระติกน้ำ" in t for t in texts) and any("不锈钢" in t for t in texts)
        assert any("khăn" in t for t in texts) and any("紙箱" in t for t in texts)
        assert any("Porcelain" in t for t in texts) and any("製麵" in t for t in texts)

        # The Thai need meets Tsubame's tumbler, described in Japanese, by its HS code.
        slug = open_day_slug(local_today(NOW, "Asia/Tokyo"))
        thai = await _user(session, THAI_BUYER)
        best = await service.recommendations(session, actor=thai, fair_slug=slug)
        booths = await session.scalars(
            select(Booth).join(Fair, Fair.id == Booth.fair_id).where(Fair.slug == slug)
        )
        tsubame = next(b.id for b in booths if b.company["en"].startswith("Tsubame"))
        match = next(m for m in best if m.booth_id == tsubame)
        assert "hs" in {reason.code for reason in match.reasons}

        # The open day's proposals: open, booked (a meeting of its source), declined, expired.
        organizer = await _user(session, ORGANIZER_EMAIL)
        views = await proposals.my_proposals(session, actor=organizer, fair_slug=slug, now=NOW)
        states = Counter((v.proposal.kind, v.status.value) for v in views)
        assert states == {
            ("organizer", "open"): 1,
            ("organizer", "booked"): 1,
            ("organizer", "declined"): 1,
            ("organizer", "expired"): 1,
            ("exhibitor", "open"): 2,
            ("exhibitor", "booked"): 1,
        }
        booked = [v.proposal.meeting_id for v in views if v.status == "booked"]
        sources = set(await session.scalars(select(Meeting.source).where(Meeting.id.in_(booked))))
        assert sources == {MeetingSource.PROPOSED, MeetingSource.INVITED}

        # Threads in the people's languages; each one's last message waits for the other side.
        thai_threads = await threads(session, actor=thai)
        assert [t.unread for t in thai_threads] == [1]
        exhibitor = await _user(session, MATCHMAKING.conversations[0].exhibitor)
        assert await unread_total(session, exhibitor) == 0  # he wrote last
        tea_house = await _user(session, MATCHMAKING.conversations[-1].exhibitor)
        assert await unread_total(session, tea_house) == 1  # the Vietnamese buyer asked
        bodies = list(await session.scalars(select(ConversationMessage.body)))
        assert any("ขอบคุณ" in b for b in bodies) and any("您好" in b for b in bodies)

        # The organizers' console lists the fair's matches.
        matches = await service.fair_matches(session, actor=organizer, fair_slug=slug)
        assert len({m.buyer_id for m in matches}) >= 8
        name, ids = thai.name, [view.proposal.id for view in views]
        await session.rollback()  # SQLite: the app writes next (the sign-in)
        await login(client, ORGANIZER_EMAIL, DEMO_PASSWORD)
        page = await client.get(f"/organizer/fairs/{slug}/matchmaking")
        assert page.status_code == 200
        assert name in page.text
        assert all(f'id="proposal-{id_}"' in page.text for id_ in ids)

        # Loading again adds none of it twice.
        again = await load(session, storage=LocalStorage(tmp_path / "media"), history=False)
        assert (again["needs"], again["proposals"], again["messages"]) == (0, 0, 0)
        assert len(list(await session.scalars(select(Proposal.id)))) == len(ids)


async def test_the_demo_history_has_matched_meetings_and_a_partner_matching_rate(session, tmp_path):
    await load(session, storage=LocalStorage(tmp_path / "media"), now=NOW)
    sources = Counter(await session.scalars(select(Meeting.source)))
    assert all(sources[s] > 0 for s in MeetingSource)
    organizer = await _user(session, ORGANIZER_EMAIL)
    report = await conversion_report(session, actor=organizer, now=NOW)
    assert report.matching.held_from_match > 0
    assert 0 < report.matching.contracts_from_match < report.matching.held_from_match

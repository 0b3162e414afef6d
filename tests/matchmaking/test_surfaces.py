"""Where matches are seen and acted on (issue 18, item 3): a buyer's "recommended for you" on
the fair's page and in its directory (or a prompt to say what they look for), the step after
a buyer registers, a booth's "buyers looking for what you make" with its invitation, and the
organizers' matchmaking console with its filters, "propose" per pair and "top N"."""

from __future__ import annotations

from types import SimpleNamespace

from helpers import login, make_user, read_scalar
from match_helpers import THAI_NEED, new_need, world
from sqlalchemy import func, select

from fair.fairs.models import Fair, FairBuyer
from matchmaking.models import Proposal

CSRF = "csrf-of-the-match-surfaces"
ORGANIZER = "organizer@example.com"  # made by world()'s approvals
CHINESE_NEED = {"text": "不锈钢保温杯", "hs_codes": ["9617"], "visible_to_exhibitors": False}


async def proposals(session) -> list[SimpleNamespace]:
    """The proposals as stored, as plain values (the rows expire at the rollback)."""
    found = await session.scalars(select(Proposal).order_by(Proposal.created_at, Proposal.id))
    names = ("id", "kind", "buyer_id", "booth_id", "need_id", "note")
    rows = [
        SimpleNamespace(**{n: getattr(p, n) for n in (*names, "buyer_answer", "booth_answer")})
        for p in found
    ]
    await session.rollback()
    return rows


async def count(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Proposal))


async def _world(client, session):
    """match_helpers.world with the buyers as ids (the users expire at each rollback)."""
    ids = await world(client, session)
    return {**ids, "thai": ids["thai"].id, "chinese": ids["chinese"].id}


def with_csrf(client, **fields):
    client.cookies.set("kk_csrf", CSRF)
    return {"csrf_token": CSRF, **fields}


async def test_a_buyer_without_needs_is_asked_then_sees_the_booths_recommended(client, session):
    ids = await _world(client, session)
    await login(client, "somchai@bangkok.example")
    for path in ("/fairs/2027-06", "/fairs/2027-06/booths"):
        page = await client.get(path)
        assert page.status_code == 200
        assert 'id="recommended-title"' in page.text
        assert 'href="/my/needs"' in page.text
        assert "/book?source=recommended" not in page.text

    await new_need(client, THAI_NEED)
    for path in ("/fairs/2027-06", "/fairs/2027-06/booths"):
        page = await client.get(path)
        assert f'href="/booths/{ids["tsubame"]}/book?source=recommended"' in page.text
        assert "ผลิต HS 9617.00 ที่คุณต้องการ" in page.text  # the reason, in Thai
        assert f'href="/booths/{ids["hasami"]}/book' not in page.text


async def test_no_recommendations_for_others(client, session):
    await world(client, session)
    for email in ("kenji@tsubame.example", ORGANIZER, None):
        if email:
            await login(client, email)
        else:
            client.cookies.clear()
        page = await client.get("/fairs/2027-06")
        assert page.status_code == 200
        assert 'id="recommended-title"' not in page.text


async def test_a_new_buyer_is_asked_what_they_look_for_and_may_skip(client, session):
    client.cookies.set("kk_csrf", CSRF)
    fields = {
        "role": "buyer",
        "name": "Lan",
        "company": "Saigon Trading",
        "email": "lan@saigon.example",
        "password": "a long enough password 42",
        "country": "VN",
        "timezone": "Asia/Ho_Chi_Minh",
        "locale": "en",
    }
    sent = await client.post("/register", data=with_csrf(client, **fields))
    assert (sent.status_code, sent.headers["location"]) == (303, "/my/needs?welcome=1")
    step = await client.get("/my/needs?welcome=1")
    assert "What are you looking for?" in step.text
    assert "Welcome, Lan. Your account is ready." in step.text
    assert '<a class="button" href="/">Skip for now</a>' in step.text


async def test_an_exhibitor_sees_its_leads_without_e_mails_and_invites_one(client, session):
    ids = await _world(client, session)
    await login(client, "somchai@bangkok.example")
    need = await new_need(client, THAI_NEED)
    await login(client, "wei@shanghai.example")
    await new_need(client, CHINESE_NEED)  # hidden from exhibitors

    await login(client, "kenji@tsubame.example")
    mine = await client.get("/my/booths")
    assert f'href="/booths/{ids["tsubame"]}/manage/leads"' in mine.text
    page = await client.get(f"/booths/{ids['tsubame']}/manage/leads?lang=en")
    assert page.status_code == 200
    assert "Bangkok Trading" in page.text and "Thailand" in page.text
    assert "makes HS 9617.00 that the buyer asked for" in page.text
    assert "somchai@bangkok.example" not in page.text
    assert "Shanghai Homeware" not in page.text  # its need is hidden
    assert 'class="table-wrap"' in page.text or 'class="card-grid leads"' in page.text

    form = with_csrf(client, buyer_id=ids["thai"], need_id=need["id"], note="Welcome!")
    sent = await client.post(f"/booths/{ids['tsubame']}/manage/leads", data=form)
    assert (sent.status_code, sent.headers["location"]) == (
        303,
        f"/booths/{ids['tsubame']}/manage/leads?sent=1",
    )
    (made,) = await proposals(session)
    assert (made.kind, made.buyer_id, made.booth_id, made.need_id, made.note) == (
        "exhibitor",
        ids["thai"],
        ids["tsubame"],
        need["id"],
        "Welcome!",
    )
    again = await client.get(f"/booths/{ids['tsubame']}/manage/leads?lang=en")
    assert "Invited; waiting for the answer." in again.text

    # Twice is refused with the message, and nothing more is stored.
    twice = await client.post(f"/booths/{ids['tsubame']}/manage/leads", data=form)
    assert twice.status_code == 409
    assert 'class="form-errors"' in twice.text
    assert await count(session) == 1


async def test_another_exhibitor_may_not_see_or_use_a_booths_leads(client, session):
    ids = await _world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    await login(client, "aiko@hasami.example")
    assert (await client.get(f"/booths/{ids['tsubame']}/manage/leads")).status_code == 403
    form = with_csrf(client, buyer_id=ids["thai"])
    sent = await client.post(f"/booths/{ids['tsubame']}/manage/leads", data=form)
    assert sent.status_code == 403
    assert await count(session) == 0


async def _console_world(client, session):
    ids = await _world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    await login(client, "wei@shanghai.example")
    await new_need(client, {"text": "瓷饭碗", "hs_codes": ["6912"], "fair": "2027-06"})
    await new_need(client, CHINESE_NEED)
    return ids


async def test_the_console_lists_filters_and_proposes_one_pair(client, session):
    ids = await _console_world(client, session)
    await login(client, ORGANIZER)
    fair = await client.get("/fairs/2027-06")
    assert 'href="/organizer/fairs/2027-06/matchmaking"' in fair.text
    page = await client.get("/organizer/fairs/2027-06/matchmaking?lang=en")
    assert page.status_code == 200
    assert "3 matches" in page.text
    assert 'class="table-wrap"' in page.text
    assert "Somchai" in page.text and "Wei" in page.text
    assert "makes HS 9617.00 that the buyer asked for" in page.text

    only = await client.get(f"/organizer/fairs/2027-06/matchmaking?lang=en&booth={ids['hasami']}")
    assert "1 match" in only.text and "Somchai" not in only.text.split("<tbody>")[1]
    country = await client.get("/organizer/fairs/2027-06/matchmaking?lang=en&country=TH")
    assert "1 match" in country.text
    category = await client.get("/organizer/fairs/2027-06/matchmaking?lang=en&category=ceramics")
    assert "1 match" in category.text
    high = await client.get("/organizer/fairs/2027-06/matchmaking?lang=en&min=100")
    assert "0 matches" in high.text

    form = with_csrf(client, buyer_id=ids["thai"], booth_id=ids["tsubame"])
    sent = await client.post("/organizer/fairs/2027-06/matchmaking/propose", data=form)
    assert (sent.status_code, sent.headers["location"]) == (
        303,
        "/organizer/fairs/2027-06/matchmaking?sent=1",
    )
    (made,) = await proposals(session)
    assert (made.kind, made.buyer_answer, made.booth_answer) == ("organizer", "pending", "pending")
    tracked = await client.get("/organizer/fairs/2027-06/matchmaking?lang=en")
    assert f'id="proposal-{made.id}"' in tracked.text
    assert "Waiting for answers" in tracked.text


async def test_top_n_proposes_each_buyers_best_booths_once_and_skips_the_rest(client, session):
    ids = await _console_world(client, session)
    await login(client, ORGANIZER)
    # One pair is proposed already: top N leaves it as it is.
    await client.post(
        "/api/proposals",
        json={"fair": "2027-06", "buyer_id": ids["thai"], "booth_id": ids["tsubame"]},
    )
    sent = await client.post(
        "/organizer/fairs/2027-06/matchmaking/top", data=with_csrf(client, n="2")
    )
    assert (sent.status_code, sent.headers["location"]) == (
        303,
        "/organizer/fairs/2027-06/matchmaking?created=2&skipped=1",
    )
    summary = await client.get(sent.headers["location"] + "&lang=en")
    assert "Proposals made: 2. Pairs skipped: 1." in summary.text
    pairs = {(p.buyer_id, p.booth_id) for p in await proposals(session)}
    assert pairs == {
        (ids["thai"], ids["tsubame"]),
        (ids["chinese"], ids["tsubame"]),
        (ids["chinese"], ids["hasami"]),
    }
    # Again through the API: everything is taken now.
    again = await client.post("/api/fairs/2027-06/proposals/top", json={"n": 3})
    assert again.status_code == 201, again.text
    assert again.json() == {"created": 0, "skipped": 3, "ids": []}


async def test_top_n_refuses_a_bad_n_and_others_than_organizers(client, session):
    await _console_world(client, session)
    await login(client, ORGANIZER)
    for body in ({"n": 0}, {"n": 11}, {"n": "three"}, {}):
        refused = await client.post("/api/fairs/2027-06/proposals/top", json=body)
        assert refused.status_code == 422, body
    bad = await client.post(
        "/organizer/fairs/2027-06/matchmaking/top", data=with_csrf(client, n="0")
    )
    assert bad.status_code == 422 and 'class="form-errors"' in bad.text
    await make_user(session, "staff", "staff@example.com")
    for email in ("staff@example.com", "kenji@tsubame.example", "somchai@bangkok.example"):
        await login(client, email)
        refused = await client.post("/api/fairs/2027-06/proposals/top", json={"n": 1})
        assert refused.status_code == 403, email
    assert await count(session) == 0


async def test_a_vetted_fair_proposes_to_admitted_buyers_only(client, session):
    ids = await _console_world(client, session)
    fair = await session.scalar(select(Fair).where(Fair.slug == "2027-06"))
    fair.buyer_admission = "vetted"
    session.add(FairBuyer(fair_id=fair.id, user_id=ids["chinese"], status="approved"))
    await session.commit()
    await login(client, ORGANIZER)
    made = await client.post("/api/fairs/2027-06/proposals/top", json={"n": 5})
    assert made.json()["created"] == 2
    assert {p.buyer_id for p in await proposals(session)} == {ids["chinese"]}

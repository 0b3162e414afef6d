"""Booths over the API: creation, review, who may do what, copying into the next fair."""

from __future__ import annotations

from booth_helpers import TSUBAME, approve, create_booth, exhibitor, make_fair, past_fair
from helpers import login, make_colleague, make_user, read_scalar
from sqlalchemy import func, select

from booths.models import Booth
from fair.outbox import OutboxJob
from fair.resources import job_context, of_app


async def count_booths(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Booth))


async def test_exhibitor_creates_pending_booth_invisible_to_others(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    assert booth["status"] == "pending"
    assert booth["fair"] == "2027-06"
    assert booth["categories"] == ["metal_parts", "cutlery_tools"]
    assert booth["markets"] == ["CN", "VN", "US"]
    assert (await client.get(f"/api/booths/{booth['id']}")).status_code == 200

    client.cookies.clear()
    assert (await client.get(f"/api/booths/{booth['id']}")).status_code == 404
    listing = (await client.get("/api/fairs/2027-06/booths")).json()
    assert listing["total"] == 0


async def test_approved_booth_is_public_and_owner_is_mailed(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    client.cookies.clear()
    shown = await client.get(f"/api/booths/{booth['id']}")
    assert (shown.status_code, shown.json()["status"]) == (200, "approved")
    assert "review_note" not in shown.json()  # reviewers' notes are not public
    jobs = (await session.scalars(select(OutboxJob.job))).all()
    assert "send_booth_review_mail" in jobs


async def test_rejection_reason_reaches_exhibitor_and_edit_resubmits(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    reason = "Please add product photos and an English company story."
    rejected = await client.post(f"/api/booths/{booth['id']}/reject", json={"reason": reason})
    assert rejected.json()["status"] == "rejected"

    await login(client, "kenji@tsubame.example")
    mine = (await client.get("/api/me/booths")).json()["booths"]
    assert [(b["status"], b["review_note"]) for b in mine] == [("rejected", reason)]
    edited = await client.patch(f"/api/booths/{booth['id']}", json={"city": "Tsubame, Niigata"})
    assert (edited.status_code, edited.json()["status"]) == (200, "pending")


async def test_second_booth_of_same_company_in_same_fair_is_409(client, session):
    await make_fair(session)
    kenji = await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    await create_booth(client)
    await make_colleague(session, kenji, "sales@tsubame.example")
    await login(client, "sales@tsubame.example")
    again = await client.post("/api/fairs/2027-06/booths", json=TSUBAME)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "booth_exists")
    assert await count_booths(session) == 1


async def test_a_squatters_company_name_does_not_block_the_real_company(client, session):
    """Issue 16.5: the key is the company (an organization), not a name typed first."""
    await make_fair(session)
    await exhibitor(client, session, "squat@example.net", "  SECTEST   delta co., ltd ")
    await create_booth(client)
    await exhibitor(client, session, "info@sectest-delta.example", "Sectest Delta Co., Ltd.")
    real = await client.post("/api/fairs/2027-06/booths", json=TSUBAME)
    assert real.status_code == 201, real.text
    assert await count_booths(session) == 2


async def test_a_rejected_booth_frees_its_companys_place(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    first = await create_booth(client)
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    await client.post(f"/api/booths/{first['id']}/reject", json={"reason": "Wrong fair."})
    await login(client, "kenji@tsubame.example")
    second = await client.post("/api/fairs/2027-06/booths", json=TSUBAME)
    assert second.status_code == 201, second.text
    # The rejected one edited would be a second live booth: refused, nothing changes.
    edited = await client.patch(f"/api/booths/{first['id']}", json={"city": "Sanjo"})
    assert (edited.status_code, edited.json()["error"]["code"]) == (409, "booth_exists")
    async with session.begin():
        statuses = sorted((await session.scalars(select(Booth.status))).all())
    assert statuses == ["pending", "rejected"]


async def test_a_colleague_edits_the_companys_booth(client, session):
    await make_fair(session)
    kenji = await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await make_colleague(session, kenji, "sales@tsubame.example")
    await login(client, "sales@tsubame.example")
    edited = await client.patch(f"/api/booths/{booth['id']}", json={"city": "Sanjo, Niigata"})
    assert (edited.status_code, edited.json()["city"]) == (200, "Sanjo, Niigata")
    mine = (await client.get("/api/me/booths")).json()["booths"]
    assert [b["id"] for b in mine] == [booth["id"]]


async def test_other_exhibitor_cannot_edit_and_nothing_changes(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    patch = await client.patch(
        f"/api/booths/{booth['id']}", json={"website": "https://evil.example"}
    )
    assert patch.status_code == 403
    product = await client.post(
        f"/api/booths/{booth['id']}/products", json={"name": {"ja": "偽物"}}
    )
    assert product.status_code == 403
    stored = await session.scalar(select(Booth.website).where(Booth.id == booth["id"]))
    assert stored == TSUBAME["website"]


async def test_only_organizers_approve(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    for role in ("exhibitor", "buyer", "staff"):
        await make_user(session, role, f"{role}2@example.com")
        await login(client, f"{role}2@example.com")
        response = await client.post(f"/api/booths/{booth['id']}/approve")
        assert response.status_code == 403, role
    client.cookies.clear()
    assert (await client.post(f"/api/booths/{booth['id']}/approve")).status_code == 401
    assert await session.scalar(select(Booth.status)) == "pending"


async def test_buyers_cannot_open_booths(client, session):
    await make_fair(session)
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    response = await client.post("/api/fairs/2027-06/booths", json=TSUBAME)
    assert response.status_code == 403
    assert await count_booths(session) == 0


async def test_booth_texts_must_include_japanese(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    response = await client.post(
        "/api/fairs/2027-06/booths",
        json={**TSUBAME, "tagline": {"en": "English only"}, "categories": ["spaceships"]},
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"tagline", "categories.0"}
    assert await count_booths(session) == 0


async def test_booth_in_closed_fair_is_refused(client, session):
    await past_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    response = await client.post("/api/fairs/2026-01/booths", json=TSUBAME)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "fair_closed")


async def test_copy_approved_booth_with_products_into_next_fair(client, session):
    await make_fair(session, "2027-06")
    await make_fair(session, "2027-07", days_from_now=50)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    for name in ("タンブラー", "カトラリー"):
        added = await client.post(
            f"/api/booths/{booth['id']}/products", json={"name": {"ja": name}, "moq": 100}
        )
        assert added.status_code == 201
    early = await client.post(f"/api/booths/{booth['id']}/copy", json={"fair": "2027-07"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_approved")

    await approve(client, session, booth["id"])
    await login(client, "kenji@tsubame.example")
    copy = await client.post(f"/api/booths/{booth['id']}/copy", json={"fair": "2027-07"})
    assert copy.status_code == 201
    copied = (await client.get(f"/api/booths/{copy.json()['id']}")).json()
    assert (copied["fair"], copied["status"], copied["copied_from"]) == (
        "2027-07",
        "pending",
        booth["id"],
    )
    assert [p["name"]["ja"] for p in copied["products"]] == ["タンブラー", "カトラリー"]
    twice = await client.post(f"/api/booths/{booth['id']}/copy", json={"fair": "2027-07"})
    assert twice.status_code == 409


async def test_review_queue_lists_pending_booths_for_organizers_only(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    assert (await client.get("/api/review/booths")).status_code == 403
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    queue = (await client.get("/api/review/booths?status=pending")).json()["booths"]
    assert [b["id"] for b in queue] == [booth["id"]]
    bad = await client.get("/api/review/booths?status=maybe")
    assert bad.status_code == 422


async def test_review_mails_reach_the_exhibitor_once_in_their_language(client, session, app):
    import email
    from email import policy

    from fair import outbox
    from kakehashi import jobs

    await make_fair(session)
    await make_user(
        session, "exhibitor", "kenji@tsubame.example", company="Tsubame Migaki", locale="ja"
    )
    await login(client, "kenji@tsubame.example")
    booth = await create_booth(client)
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    reason = "英語の会社紹介を追加してください。"
    await client.post(f"/api/booths/{booth['id']}/reject", json={"reason": reason})
    await client.post(f"/api/booths/{booth['id']}/reject", json={"reason": reason})  # twice
    run = outbox.run_inprocess
    assert await run(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app))) == 1
    await client.post(f"/api/booths/{booth['id']}/approve")
    assert await run(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app))) == 1
    assert await run(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app))) == 0

    folder = of_app(app).settings.mail_dir
    messages = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in folder.glob("*.eml")
    ]
    assert [m["To"] for m in messages] == ["kenji@tsubame.example"] * 2
    rejected = [m for m in messages if reason in m.get_content()]
    approved = [m for m in messages if reason not in m.get_content()]
    assert len(rejected) == len(approved) == 1
    assert f"/booths/{booth['id']}/edit" in rejected[0].get_content()
    assert "承認" in str(approved[0]["Subject"])  # Japanese, the exhibitor's language

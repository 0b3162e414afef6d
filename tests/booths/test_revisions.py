"""Changes to an approved booth wait for review: buyers keep seeing the approved version
(page, directory, search, API, files) until an organizer publishes the changes or sends them
back with a reason the exhibitor is mailed in their language."""

from __future__ import annotations

import email
from email import policy

from booth_helpers import TSUBAME, TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import login, make_user, read_scalar
from media_files import png
from sqlalchemy import func, select

from booths.models import BoothRevision
from fair import outbox
from fair.resources import job_context, of_app
from kakehashi import jobs

CSRF = "test-csrf-token-of-the-revisions"
RENAMED = {"ja": "燕ミラー工房株式会社", "en": "Tsubame Mirror Works Co., Ltd."}
NEW_TAGLINE = {"ja": "鏡面研磨ならお任せください。", "en": "Mirror polishing, done right."}


async def approved_booth(client, session, locale: str = "en") -> dict:
    """An approved booth with one product; its exhibitor signed in afterwards."""
    await make_fair(session)
    await make_user(
        session,
        "exhibitor",
        "kenji@tsubame.example",
        company="Tsubame Migaki",
        country="JP",
        locale=locale,
    )
    await login(client, "kenji@tsubame.example")
    booth = await create_booth(client)
    product = await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)
    booth["product"] = product.json()
    await approve(client, session, booth["id"])
    await login(client, "kenji@tsubame.example")
    return booth


async def as_organizer(client) -> None:
    await login(client, "organizer@example.com")


async def public_view(client, booth_id: str) -> tuple[dict, str, dict]:
    """What an anonymous buyer gets: the API's booth, the page, the directory."""
    client.cookies.clear()
    api = await client.get(f"/api/booths/{booth_id}")
    assert api.status_code == 200, api.text
    page = await client.get(f"/booths/{booth_id}")
    assert page.status_code == 200
    listing = (await client.get("/api/fairs/2027-06/booths")).json()
    return api.json(), page.text, listing


async def revisions_count(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(BoothRevision))


async def run_jobs(app) -> int:
    res = of_app(app)
    return await outbox.run_inprocess(res.sessionmaker, jobs.JOBS, job_context(res))


async def drain(app) -> None:
    """Send what is due (the booth's approval mail) and forget it: the test's mails follow."""
    await run_jobs(app)
    for path in of_app(app).settings.mail_dir.glob("*.eml"):
        path.unlink()


def mails(app) -> list:
    folder = of_app(app).settings.mail_dir
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


async def test_an_edited_approved_booth_stays_public_as_approved(client, session):
    booth = await approved_booth(client, session)
    edited = await client.patch(
        f"/api/booths/{booth['id']}",
        json={"company": RENAMED, "tagline": NEW_TAGLINE, "markets": ["TH"]},
    )
    assert edited.status_code == 200, edited.text
    shown = edited.json()
    # The answer is the public version, and says what waits.
    assert shown["company"] == TSUBAME["company"]
    assert shown["markets"] == ["TH"]  # a choice from a fixed list applies at once
    pending = shown["pending_changes"]
    assert pending["status"] == "pending"
    assert {(c["subject"], c["field"]) for c in pending["changes"]} == {
        ("booth", "company"),
        ("booth", "tagline"),
    }
    company = next(c for c in pending["changes"] if c["field"] == "company")
    assert (company["before"], company["after"]) == (TSUBAME["company"], RENAMED)

    api, page, listing = await public_view(client, booth["id"])
    assert api["company"] == TSUBAME["company"]
    assert api["tagline"] == TSUBAME["tagline"]
    assert "pending_changes" not in api  # nobody else is told what waits
    assert "Tsubame Mirror Works" not in page
    assert "Tsubame Migaki Kogyo" in page
    assert [b["company"]["en"] for b in listing["booths"]] == [TSUBAME["company"]["en"]]
    search = (await client.get("/api/fairs/2027-06/booths", params={"q": "mirror works"})).json()
    assert search["total"] == 0

    # The exhibitor's own pages show their version and say that it waits.
    await login(client, "kenji@tsubame.example")
    editor = await client.get(f"/booths/{booth['id']}/edit")
    assert "Tsubame Mirror Works Co., Ltd." in editor.text
    assert "Changes waiting for review" in editor.text
    own_public_page = await client.get(f"/booths/{booth['id']}")
    assert "This is the approved version buyers see" in own_public_page.text
    mine = (await client.get("/api/me/booths")).json()["booths"]
    assert mine[0]["pending_changes"]["status"] == "pending"


async def test_the_organizer_sees_the_difference_and_approving_publishes(client, session, app):
    booth = await approved_booth(client, session)
    await drain(app)
    await client.patch(f"/api/booths/{booth['id']}", json={"company": RENAMED})
    await client.patch(
        f"/api/booths/{booth['id']}/products/{booth['product']['id']}",
        json={"name": {"ja": "真空タンブラー", "en": "Vacuum Tumbler 500 ml"}},
    )
    await as_organizer(client)
    queue = await client.get("/review/booths?status=changes")
    assert queue.status_code == 200
    # Before and after, field by field and language by language.
    for text in (
        "<del>Tsubame Migaki Kogyo Co., Ltd.</del>",
        "<ins>Tsubame Mirror Works Co., Ltd.</ins>",
        "<del>Vacuum Tumbler 350 ml</del>",
        "<ins>Vacuum Tumbler 500 ml</ins>",
    ):
        assert text in queue.text
    listed = (await client.get("/api/review/changes")).json()["booths"]
    assert [b["id"] for b in listed] == [booth["id"]]
    product_change = next(
        c for c in listed[0]["pending_changes"]["changes"] if c["subject"] == "product"
    )
    assert product_change["after"]["en"] == "Vacuum Tumbler 500 ml"

    client.cookies.set("kk_csrf", CSRF)
    approved = await client.post(
        f"/review/booths/{booth['id']}/approve-changes",
        data={"csrf_token": CSRF, "tab": "changes"},
    )
    assert approved.status_code == 303
    assert await revisions_count(session) == 0
    api, page, _listing = await public_view(client, booth["id"])
    assert api["company"] == RENAMED
    assert api["products"][0]["name"]["en"] == "Vacuum Tumbler 500 ml"
    assert "Tsubame Mirror Works Co., Ltd." in page
    assert await run_jobs(app) == 1
    [mail] = mails(app)
    assert mail["To"] == "kenji@tsubame.example"
    assert "published" in str(mail["Subject"])


async def test_sent_back_changes_keep_the_approved_version_and_the_exhibitor_is_told(
    client, session, app
):
    booth = await approved_booth(client, session, locale="ja")
    await drain(app)
    await client.patch(f"/api/booths/{booth['id']}", json={"tagline": NEW_TAGLINE})
    await as_organizer(client)
    reason = "キャッチコピーに誇大表現があります。"
    for _ in range(2):  # a second click sends no second mail
        sent_back = await client.post(
            f"/api/booths/{booth['id']}/changes/reject", json={"reason": reason}
        )
        assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["status"] == "approved"
    assert sent_back.json()["pending_changes"]["status"] == "rejected"
    assert sent_back.json()["pending_changes"]["note"] == reason

    api, page, _listing = await public_view(client, booth["id"])
    assert api["tagline"] == TSUBAME["tagline"]
    assert "Mirror polishing" not in page
    assert await run_jobs(app) == 1
    [mail] = mails(app)
    assert mail["To"] == "kenji@tsubame.example"
    assert reason in mail.get_content()
    assert f"/booths/{booth['id']}/edit" in mail.get_content()
    assert "公開" in str(mail["Subject"])  # Japanese, the exhibitor's language

    # The exhibitor reads why on the editor, edits on, and the changes go back to review.
    await login(client, "kenji@tsubame.example")
    editor = await client.get(f"/booths/{booth['id']}/edit")
    assert reason in editor.text
    again = await client.patch(
        f"/api/booths/{booth['id']}", json={"tagline": {"ja": "鏡面研磨の専門家。"}}
    )
    assert again.json()["pending_changes"]["status"] == "pending"


async def test_an_unreviewed_picture_is_served_to_its_exhibitor_and_organizers_only(
    client, session
):
    booth = await approved_booth(client, session)
    client.cookies.set("kk_csrf", CSRF)
    uploaded = await client.post(
        f"/api/booths/{booth['id']}/media",
        files={"file": ("new.png", png((200, 120)), "image/png")},
        headers={"X-CSRF-Token": CSRF},
    )
    assert uploaded.status_code == 201, uploaded.text
    media = uploaded.json()
    assert media["awaiting_review"] is True
    for path in (f"/media/{media['id']}", f"/media/{media['id']}/thumb"):
        own = await client.get(path)
        assert own.status_code == 200
        assert "public" not in own.headers["cache-control"]  # no shared cache keeps it
    own_list = (await client.get(f"/api/booths/{booth['id']}/media")).json()["media"]
    assert [m["id"] for m in own_list] == [media["id"]]

    await as_organizer(client)
    assert (await client.get(f"/media/{media['id']}")).status_code == 200

    await make_user(session, "buyer", "lan@saigon.example")
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    for who in ("rival@seki.example", "lan@saigon.example", None):
        client.cookies.clear()
        if who:
            await login(client, who)
        assert (await client.get(f"/media/{media['id']}")).status_code == 404
        assert (await client.get(f"/media/{media['id']}/large")).status_code == 404
        shown = (await client.get(f"/api/booths/{booth['id']}")).json()
        assert shown["media"] == []
    page = await client.get(f"/booths/{booth['id']}")
    assert media["id"] not in page.text
    listing = (await client.get("/api/fairs/2027-06/booths")).json()
    assert listing["booths"][0]["cover"] is None

    await as_organizer(client)
    assert (await client.post(f"/api/booths/{booth['id']}/changes/approve")).status_code == 200
    client.cookies.clear()
    assert (await client.get(f"/media/{media['id']}")).status_code == 200


async def test_products_added_to_an_approved_booth_wait_and_prices_apply_at_once(client, session):
    booth = await approved_booth(client, session)
    added = await client.post(
        f"/api/booths/{booth['id']}/products",
        json={"name": {"ja": "新製品ケトル", "en": "Brand-new Kettle"}},
    )
    assert added.status_code == 201
    assert added.json()["awaiting_review"] is True
    priced = await client.patch(
        f"/api/booths/{booth['id']}/products/{booth['product']['id']}",
        json={"price_min": "1500", "description": {"ja": "新しい説明。", "en": "New words."}},
    )
    assert priced.status_code == 200
    assert priced.json()["price_min"] == "1500.00"  # a number: at once
    assert priced.json()["description"] == TUMBLER["description"]  # words: after review
    assert priced.json()["pending_changes"] == {
        "description": {"ja": "新しい説明。", "en": "New words."}
    }
    products_page = await client.get(f"/booths/{booth['id']}/manage/products")
    assert "Brand-new Kettle" in products_page.text
    assert "New: waiting for review" in products_page.text

    api, page, listing = await public_view(client, booth["id"])
    assert [p["name"]["en"] for p in api["products"]] == ["Vacuum Tumbler 350 ml"]
    assert api["products"][0]["price_min"] == "1500.00"
    assert "Brand-new Kettle" not in page
    assert listing["booths"][0]["product_count"] == 1
    hidden = await client.get(f"/booths/{booth['id']}/products/{added.json()['id']}")
    assert hidden.status_code == 404
    search = (await client.get("/api/fairs/2027-06/booths", params={"q": "brand-new"})).json()
    assert search["total"] == 0


async def test_another_exhibitor_neither_sees_nor_approves_the_changes(client, session):
    booth = await approved_booth(client, session)
    await client.patch(f"/api/booths/{booth['id']}", json={"company": RENAMED})
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    shown = await client.get(f"/api/booths/{booth['id']}")
    assert "pending_changes" not in shown.json()
    assert "Mirror Works" not in shown.text
    assert "Mirror Works" not in (await client.get(f"/booths/{booth['id']}")).text
    for path in ("approve", "reject"):
        refused = await client.post(
            f"/api/booths/{booth['id']}/changes/{path}", json={"reason": "Mine now."}
        )
        assert refused.status_code == 403
    assert (await client.get("/api/review/changes")).status_code == 403
    assert (await client.get("/review/booths?status=changes")).status_code == 403
    patched = await client.patch(f"/api/booths/{booth['id']}", json={"company": RENAMED})
    assert patched.status_code == 403
    revision = await read_scalar(session, select(BoothRevision.status))
    assert revision == "pending"  # still waiting, untouched


async def test_bad_input_is_refused_and_changes_nothing(client, session):
    booth = await approved_booth(client, session)
    for body in (
        {"company": {"en": "No Japanese"}},
        {"website": "javascript:alert(1)"},
        {"tagline": {"xx": "Unknown language"}},
        {"company": None},
    ):
        refused = await client.patch(f"/api/booths/{booth['id']}", json=body)
        assert refused.status_code == 422, body
    refused = await client.patch(
        f"/api/booths/{booth['id']}/products/{booth['product']['id']}",
        json={"name": {"en": "No Japanese"}},
    )
    assert refused.status_code == 422
    assert await revisions_count(session) == 0

    await as_organizer(client)
    nothing = await client.post(f"/api/booths/{booth['id']}/changes/approve")
    assert (nothing.status_code, nothing.json()["error"]["code"]) == (409, "no_pending_changes")
    await login(client, "kenji@tsubame.example")
    await client.patch(f"/api/booths/{booth['id']}", json={"city": "Tsubame"})
    await as_organizer(client)
    for body in ({}, {"reason": ""}, {"reason": "x" * 1001}):
        refused = await client.post(f"/api/booths/{booth['id']}/changes/reject", json=body)
        assert refused.status_code == 422, body
    unknown = await client.post("/api/booths/no-such-booth/changes/approve")
    assert unknown.status_code == 404
    assert await read_scalar(session, select(BoothRevision.status)) == "pending"


async def test_writing_back_the_approved_text_withdraws_the_change(client, session):
    booth = await approved_booth(client, session)
    await client.patch(f"/api/booths/{booth['id']}", json={"city": "Sanjo"})
    assert await revisions_count(session) == 1
    back = await client.patch(f"/api/booths/{booth['id']}", json={"city": ""})
    assert back.json()["pending_changes"] is None
    assert await revisions_count(session) == 0


async def test_the_edit_form_of_an_approved_booth_holds_the_texts_back(client, session):
    booth = await approved_booth(client, session)
    form = {
        "csrf_token": CSRF,
        "company.ja": RENAMED["ja"],
        "company.en": RENAMED["en"],
        "categories": TSUBAME["categories"],
        "markets": TSUBAME["markets"],
        "languages": TSUBAME["languages"],
        "certifications": "ISO 9001",
        "website": TSUBAME["website"],
    }
    client.cookies.set("kk_csrf", CSRF)
    saved = await client.post(f"/booths/{booth['id']}/edit", data=form)
    assert saved.status_code == 303
    after = await client.get(saved.headers["location"])
    assert "Your changes wait for an organizer" in after.text
    api, page, _listing = await public_view(client, booth["id"])
    assert api["company"] == TSUBAME["company"]
    assert "Tsubame Mirror Works" not in page


async def test_a_booth_not_yet_approved_changes_at_once(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    edited = await client.patch(f"/api/booths/{booth['id']}", json={"company": RENAMED})
    assert edited.json()["company"] == RENAMED
    assert edited.json()["pending_changes"] is None
    added = await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)
    assert added.json()["awaiting_review"] is False
    assert await revisions_count(session) == 0


async def test_taking_an_approved_booth_down_keeps_the_exhibitors_latest_version(client, session):
    booth = await approved_booth(client, session)
    await client.patch(f"/api/booths/{booth['id']}", json={"company": RENAMED})
    await as_organizer(client)
    down = await client.post(f"/api/booths/{booth['id']}/reject", json={"reason": "Paused."})
    assert down.json()["status"] == "rejected"
    # Reviewed whole from now on: the booth holds what the exhibitor last wrote.
    assert down.json()["company"] == RENAMED
    assert down.json()["pending_changes"] is None
    assert await revisions_count(session) == 0


async def test_markup_in_waiting_changes_is_shown_as_text(client, session):
    booth = await approved_booth(client, session)
    markup = {"ja": "<script>alert(1)</script>", "en": '<img src=x onerror="alert(2)">'}
    await client.patch(f"/api/booths/{booth['id']}", json={"tagline": markup})
    pages = [
        ("kenji@tsubame.example", f"/booths/{booth['id']}/edit"),
        ("kenji@tsubame.example", f"/booths/{booth['id']}/manage/products"),
        ("organizer@example.com", "/review/booths?status=changes"),
    ]
    for who, url in pages:
        await login(client, who)
        html = (await client.get(url)).text
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


async def test_a_copy_into_the_next_fair_takes_the_latest_version_for_review(client, session):
    booth = await approved_booth(client, session)
    await make_fair(session, "2027-07", days_from_now=50)
    await client.patch(f"/api/booths/{booth['id']}", json={"company": RENAMED})
    await client.post(
        f"/api/booths/{booth['id']}/products", json={"name": {"ja": "新製品", "en": "New kettle"}}
    )
    copied = await client.post(f"/api/booths/{booth['id']}/copy", json={"fair": "2027-07"})
    assert copied.status_code == 201, copied.text
    # The copy is reviewed whole: it holds everything, and nothing in it waits apart.
    assert (copied.json()["status"], copied.json()["company"]) == ("pending", RENAMED)
    assert copied.json()["pending_changes"] is None
    products = (await client.get(f"/api/booths/{copied.json()['id']}/products")).json()
    assert [(p["name"]["en"], p["awaiting_review"]) for p in products["products"]] == [
        ("Vacuum Tumbler 350 ml", False),
        ("New kettle", False),
    ]

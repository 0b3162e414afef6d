"""Booth pages as people use them: the directory, a booth in the viewer's language with its
fallback marker, the editor forms, the review queue. Markup written by users stays text."""

from __future__ import annotations

import re

from booth_helpers import TSUBAME, TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import login, make_user, read_scalar
from sqlalchemy import func, select

from booths.models import Booth, Product, Visit

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def approved_tsubame(client, session, **overrides):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client, **overrides)
    product = (await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)).json()
    await approve(client, session, booth["id"])
    client.cookies.clear()
    return booth, product


async def test_booth_page_in_vietnamese_marks_fallbacks(client, session):
    booth, _ = await approved_tsubame(client, session)
    html = (await client.get(f"/booths/{booth['id']}?lang=vi")).text
    # The tagline exists in Vietnamese: shown as is. The story does not: English, marked.
    tagline = "Dập sâu và đánh bóng gương cho thép không gỉ."
    assert f"<span>{tagline}</span>" in html  # no marker
    story = re.search(
        r'lang="en">A polishing specialist founded in 1952.</p>\s*<small class="fallback">([^<]+)<',
        html,
    )
    assert story and story.group(1) == "Hiển thị bằng Tiếng Anh"  # marked, in Vietnamese
    assert "1.800\xa0¥ – 2.600\xa0¥" in html  # prices formatted for Vietnamese


async def test_directory_page_searches_and_links_booths(client, session):
    booth, _ = await approved_tsubame(client, session)
    html = (await client.get("/fairs/2027-06/booths?q=タンブラー&lang=ja")).text
    assert f'href="/booths/{booth["id"]}"' in html
    assert "1 社" in html or "1" in html
    empty = (await client.get("/fairs/2027-06/booths?q=zzzz")).text
    assert f'href="/booths/{booth["id"]}"' not in empty
    bad = await client.get("/fairs/2027-06/booths?page=abc")
    assert bad.status_code == 422 and "<html" in bad.text


async def test_user_markup_is_shown_as_text_everywhere(client, session):
    booth, product = await approved_tsubame(
        client,
        session,
        company={"ja": XSS, "en": XSS},
        tagline={"ja": XSS, "en": XSS},
        description={"ja": XSS},
        certifications=[XSS[:60]],
        city=XSS,
    )
    await login(client, "kenji@tsubame.example")
    renamed = await client.patch(
        f"/api/booths/{booth['id']}/products/{product['id']}",
        json={"name": {"ja": XSS}, "description": {"ja": XSS, "vi": XSS}},
    )
    assert renamed.status_code == 200
    client.cookies.clear()
    await client.get(f"/booths/{booth['id']}/products/{product['id']}")  # a product view
    pages = [
        f"/booths/{booth['id']}",
        "/fairs/2027-06/booths",
        "/fairs/2027-06/booths?q=alert",
        f"/booths/{booth['id']}/products/{product['id']}",
    ]
    await login(client, "kenji@tsubame.example")
    pages += [
        f"/booths/{booth['id']}/edit",
        f"/booths/{booth['id']}/manage/products",
        f"/booths/{booth['id']}/manage/products/{product['id']}",
        f"/booths/{booth['id']}/manage/media",
        f"/booths/{booth['id']}/manage/analytics",
        "/my/booths",
    ]
    for url in pages:
        html = (await client.get(url)).text
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
    await login(client, "organizer@example.com")
    html = (await client.get("/review/booths?status=approved")).text
    assert "<script>alert" not in html


async def test_product_page_counts_a_product_view(client, session):
    booth, product = await approved_tsubame(client, session)
    response = await client.get(f"/booths/{booth['id']}/products/{product['id']}")
    assert response.status_code == 200
    assert "961700" in response.text
    count = await read_scalar(
        session, select(func.count()).select_from(Visit).where(Visit.kind == "product")
    )
    assert count == 1
    await login(client, "kenji@tsubame.example")
    report = (await client.get(f"/api/booths/{booth['id']}/analytics")).json()
    assert report["product_views"][0]["views"] == 1


async def test_exhibitor_creates_booth_and_product_with_forms(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    form_page = await client.get("/fairs/2027-06/booths/new")
    csrf = csrf_of(form_page.text)
    missing_ja = await client.post(
        "/fairs/2027-06/booths/new",
        data={"csrf_token": csrf, "company.en": "Tsubame", "languages": "ja"},
    )
    assert missing_ja.status_code == 422
    assert 'value="Tsubame"' in missing_ja.text  # what was typed is kept
    created = await client.post(
        "/fairs/2027-06/booths/new",
        data={
            "csrf_token": csrf,
            "company.ja": "燕ミガキ工業",
            "company.en": "Tsubame Migaki",
            "categories": ["metal_parts", "cutlery_tools"],
            "markets": ["CN", "VN"],
            "markets_other": "de, fr",
            "languages": ["ja", "en"],
            "certifications": "ISO 9001, HACCP",
            "website": "https://tsubame.example",
        },
    )
    assert created.status_code == 303
    booth_id = created.headers["location"].split("/")[2]
    booth = await session.scalar(select(Booth).where(Booth.id == booth_id))
    assert booth.markets == ["CN", "VN", "DE", "FR"]
    assert booth.certifications == ["ISO 9001", "HACCP"]
    await session.rollback()

    products_url = f"/booths/{booth_id}/manage/products"
    bad = await client.post(
        products_url,
        data={"csrf_token": csrf, "name.ja": "タンブラー", "hs_code": "12A", "currency": "JPY"},
    )
    assert bad.status_code == 422
    assert "961700" in bad.text  # the hint shows the format
    good = await client.post(
        products_url,
        data={
            "csrf_token": csrf,
            "name.ja": "タンブラー",
            "hs_code": "9617.00",
            "moq": "300",
            "moq_unit": "piece",
            "price_min": "1,800",
            "currency": "jpy",
        },
    )
    assert good.status_code == 303
    product = await session.scalar(select(Product))
    assert (product.hs_code, product.moq, int(product.price_min), product.currency) == (
        "961700",
        300,
        1800,
        "JPY",
    )
    await session.rollback()
    editor = (await client.get(f"/booths/{booth_id}/edit")).text
    assert "<meter" in editor and "At least three photos" in editor


async def test_forms_without_csrf_token_change_nothing(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    response = await client.post(
        "/fairs/2027-06/booths/new", data={"company.ja": "燕", "languages": "ja"}
    )
    assert response.status_code == 403
    assert await read_scalar(session, select(func.count()).select_from(Booth)) == 0


async def test_organizer_reviews_in_the_queue(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await make_user(session, "organizer", "org@example.com")
    await login(client, "org@example.com")
    queue = await client.get("/review/booths")
    assert TSUBAME["company"]["en"] in queue.text or TSUBAME["company"]["ja"] in queue.text
    csrf = csrf_of(queue.text)
    empty_reason = await client.post(
        f"/review/booths/{booth['id']}/reject", data={"csrf_token": csrf, "reason": " "}
    )
    assert empty_reason.status_code == 422
    sent_back = await client.post(
        f"/review/booths/{booth['id']}/reject",
        data={"csrf_token": csrf, "reason": "Add photos, please."},
    )
    assert sent_back.status_code == 303
    assert await read_scalar(session, select(Booth.status)) == "rejected"
    unknown = await client.post(f"/review/booths/{booth['id']}/publish", data={"csrf_token": csrf})
    assert unknown.status_code == 404
    await login(client, "kenji@tsubame.example")
    html = (await client.get(f"/booths/{booth['id']}/edit")).text
    assert "Add photos, please." in html
    assert (await client.get("/review/booths")).status_code == 403


async def test_editor_pages_of_someone_elses_booth_are_403(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    for suffix in ("/edit", "/manage/products", "/manage/media", "/manage/analytics"):
        assert (await client.get(f"/booths/{booth['id']}{suffix}")).status_code == 403, suffix


async def test_my_booths_offers_one_step_copy(client, session):
    booth, _ = await approved_tsubame(client, session)
    await make_fair(session, "2027-07", days_from_now=50)
    await login(client, "kenji@tsubame.example")
    html = (await client.get("/my/booths")).text
    assert f'action="/booths/{booth["id"]}/copy"' in html
    copied = await client.post(
        f"/booths/{booth['id']}/copy", data={"csrf_token": csrf_of(html), "fair": "2027-07"}
    )
    assert copied.status_code == 303
    assert await read_scalar(session, select(func.count()).select_from(Booth)) == 2

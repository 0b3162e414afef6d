"""The booth directory: search in Japanese, Chinese and Vietnamese, filters, facets, pages."""

from __future__ import annotations

import re
from html import escape

from booth_helpers import TSUBAME, TUMBLER, approve, create_booth, exhibitor, make_fair
from helpers import login, make_user

from fair import i18n

SEKI = {
    "company": {"ja": "関鍛冶刃物株式会社", "en": "Seki Kaji Cutlery Co."},
    "tagline": {"ja": "刃物のまち関から、料理人の包丁を。", "en": "Chef's knives from Seki."},
    "description": {
        "ja": "七百年の刀鍛冶の伝統を受け継ぐ包丁メーカーです。",
        "en": "Kitchen knives from a 700-year sword-smithing tradition.",
        "zh_Hant": "傳承七百年刀匠傳統的廚刀製造商。",
        "vi": "Nhà sản xuất dao bếp với truyền thống rèn kiếm 700 năm.",
    },
    "categories": ["cutlery_tools"],
    "markets": ["TW", "US"],
    "languages": ["ja", "en", "zh_Hant"],
}
UJI = {
    "company": {"ja": "宇治緑香園", "en": "Uji Ryokkoen Tea"},
    "tagline": {"ja": "宇治の抹茶を世界へ。", "en": "Uji matcha for the world."},
    "description": {
        "ja": "有機栽培の抹茶と煎茶。",
        "en": "Organic matcha and sencha.",
        "zh_Hans": "有机栽培的抹茶与煎茶。",
        "vi": "Trà xanh matcha hữu cơ từ Uji.",
        "th": "มัทฉะออร์แกนิกจากอุจิ",
    },
    "categories": ["food_beverage"],
    "markets": ["CN", "VN", "TH"],
    "languages": ["ja", "en", "vi"],
}


async def three_booths(client, session):
    await make_fair(session)
    ids = {}
    for key, email, company, content in (
        ("tsubame", "kenji@tsubame.example", "Tsubame Migaki", TSUBAME),
        ("seki", "sales@seki.example", "Seki Kaji", SEKI),
        ("uji", "global@uji.example", "Uji Ryokkoen", UJI),
    ):
        await exhibitor(client, session, email, company)
        ids[key] = (await create_booth(client, **content))["id"]
        if key == "tsubame":
            await client.post(f"/api/booths/{ids[key]}/products", json=TUMBLER)
    # A fourth, pending booth must never show up.
    await exhibitor(client, session, "new@pending.example", "Pending Works")
    await create_booth(client, company={"ja": "審査中の会社", "en": "Pending Tumbler Works"})
    for booth_id in ids.values():
        await approve(client, session, booth_id)
    client.cookies.clear()
    return ids


async def found(client, **params):
    response = await client.get("/api/fairs/2027-06/booths", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def names(body):
    return [b["company"]["en"] for b in body["booths"]]


async def test_search_across_languages_and_scripts(client, session):
    ids = await three_booths(client, session)
    cases = {
        "タンブラー": {"Tsubame Migaki Kogyo Co., Ltd."},  # a product name, katakana
        "研磨": {"Tsubame Migaki Kogyo Co., Ltd."},  # two kanji: shorter than a trigram
        "不锈钢": {"Tsubame Migaki Kogyo Co., Ltd."},  # simplified Chinese
        "廚刀": {"Seki Kaji Cutlery Co."},  # traditional Chinese
        "dao bếp": {"Seki Kaji Cutlery Co."},  # Vietnamese, two words
        "dao bep": {"Seki Kaji Cutlery Co."},  # typed without diacritics
        "TRÀ XANH": {"Uji Ryokkoen Tea"},
        "มัทฉะ": {"Uji Ryokkoen Tea"},  # Thai
        "ｍａｔｃｈａ": {"Uji Ryokkoen Tea"},  # full-width Latin
        "食品": {"Uji Ryokkoen Tea"},  # the category's label, not the booth's own text
        "tumbler": {"Tsubame Migaki Kogyo Co., Ltd."},  # the pending booth stays hidden
        "knife matcha": set(),  # every term must match
        "100%_": set(),  # wildcards are not wildcards
        "o'reilly": set(),  # quotes are text (the pattern is rendered into the SQL)
        "'; DROP TABLE booths; --": set(),
    }
    for query, expected in cases.items():
        assert set(names(await found(client, q=query))) == expected, query
    assert (await found(client))["total"] == 3  # still there after the quotes
    hit = (await found(client, q="真空"))["booths"][0]
    assert hit["id"] == ids["tsubame"]
    assert [p["name"]["en"] for p in hit["matched_products"]] == ["Vacuum Tumbler 350 ml"]


async def test_filters_and_category_facets(client, session):
    await three_booths(client, session)
    everything = await found(client)
    assert everything["total"] == 3
    assert everything["facets"]["category"] == {
        "metal_parts": 1,
        "cutlery_tools": 2,
        "food_beverage": 1,
    }
    cutlery = await found(client, category="cutlery_tools")
    assert set(names(cutlery)) == {"Tsubame Migaki Kogyo Co., Ltd.", "Seki Kaji Cutlery Co."}
    # Facets ignore the category filter itself, so the other choices keep their counts.
    assert cutlery["facets"]["category"]["food_beverage"] == 1
    assert names(await found(client, market="th")) == ["Uji Ryokkoen Tea"]
    assert names(await found(client, language="zh_Hant")) == ["Seki Kaji Cutlery Co."]
    assert names(await found(client, category="cutlery_tools", market="TW")) == [
        "Seki Kaji Cutlery Co."
    ]


async def test_relevance_puts_name_matches_first_and_pages_split(client, session):
    await three_booths(client, session)
    ranked = await found(client, q="seki")
    assert names(ranked)[0] == "Seki Kaji Cutlery Co."
    first = await found(client, per_page=2, page=1)
    second = await found(client, per_page=2, page=2)
    assert (first["pages"], len(first["booths"]), len(second["booths"])) == (2, 2, 1)
    assert not set(names(first)) & set(names(second))
    beyond = await found(client, per_page=2, page=9)
    assert beyond["page"] == 2  # clamped to the last page
    assert (beyond["total"], names(beyond)) == (3, names(second))  # and shows its booth
    nothing = await found(client, q="no-such-maker", page=3)
    assert (nothing["total"], nothing["page"], nothing["pages"], nothing["booths"]) == (
        0,
        1,
        1,
        [],
    )


async def test_bad_directory_parameters_are_422(client, session):
    await make_fair(session)
    for params in (
        {"category": "spaceships"},
        {"market": "XX"},
        {"language": "fr"},
        {"page": "abc"},
        {"page": "0"},
        {"per_page": "1000"},
        {"sort": "random"},
    ):
        response = await client.get("/api/fairs/2027-06/booths", params=params)
        assert response.status_code == 422, params
        assert next(iter(params)) in response.json()["error"]["fields"]
    assert (await client.get("/api/fairs/no-such-fair/booths")).status_code == 404


async def test_editing_a_booth_updates_what_search_finds_once_approved(client, session):
    ids = await three_booths(client, session)
    await login(client, "global@uji.example")
    response = await client.patch(
        f"/api/booths/{ids['uji']}",
        json={"tagline": {"ja": "玉露と番茶", "en": "Gyokuro and bancha"}},
    )
    assert response.status_code == 200
    client.cookies.clear()
    # The new tagline waits for review: search still finds the approved one.
    assert names(await found(client, q="gyokuro")) == []
    assert names(await found(client, q="matcha for the world")) == ["Uji Ryokkoen Tea"]
    await login(client, "organizer@example.com")
    assert (await client.post(f"/api/booths/{ids['uji']}/changes/approve")).status_code == 200
    client.cookies.clear()
    assert names(await found(client, q="gyokuro")) == ["Uji Ryokkoen Tea"]
    assert names(await found(client, q="matcha for the world")) == []


def shown_language(html: str) -> str:
    return i18n.from_tag(re.search(r'<html lang="([^"]+)"', html).group(1))


async def test_the_page_shows_what_the_api_answers_in_every_language(client, session):
    """The page and the API show one kept answer (booths.directory_cache): the same booths
    in the same order, the same facets and matched products, in the page's language."""
    await three_booths(client, session)
    searches = [
        {},
        {"q": "タンブラー"},
        {"q": "knife"},
        {"category": "cutlery_tools"},
        {"market": "VN", "sort": "newest"},
        {"language": "en", "sort": "products"},
        {"per_page": "1", "page": "2"},
        {"q": "nothing-like-this"},
    ]
    for signed_in in (False, True):
        if signed_in:  # a buyer reads in their own language, whatever the link says
            await make_user(session, "buyer", "lan@saigon.example", locale="vi")
            await login(client, "lan@saigon.example")
        for params in searches:
            answer = await found(client, **params)
            for language in ("ja", "en", "zh_Hant", "th"):
                page = await client.get(
                    "/fairs/2027-06/booths", params={**params, "lang": language}
                )
                assert page.status_code == 200, page.text
                html = page.text
                shown = shown_language(html)
                assert shown == ("vi" if signed_in else language)
                linked = re.findall(r'class="card-link" href="/booths/(\w+)"', html)
                assert linked == [b["id"] for b in answer["booths"]], params
                for booth in answer["booths"]:
                    assert escape(i18n.pick_text(booth["company"], shown)[0]) in html
                    for product in booth["matched_products"]:
                        assert escape(i18n.pick_text(product["name"], shown)[0]) in html
                counts = re.findall(r'<option value="(\w+)"[^>]*>[^<]*\((\d+)\)</option>', html)
                facets = {code: int(n) for code, n in counts if n != "0"}
                assert facets == answer["facets"]["category"], params
                with i18n.use_language(shown):
                    total = i18n.ngettext(
                        "%(num)d exhibitor", "%(num)d exhibitors", answer["total"]
                    )
                assert total % {"num": answer["total"]} in html


async def test_a_directory_card_says_what_the_booths_own_answer_says(client, session):
    """The directory reads its cards as plain rows, not as the booth the rest of the app
    loads (issue 19); every field they share must still say the same as GET
    /api/booths/{id}: tags of every kind in their order, the minimum order, the copy's
    origin, the times."""
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(
        client,
        categories=["cutlery_tools", "metal_parts"],
        markets=["US", "CN", "VN"],
        wanted_markets=["TH", "TW"],
        languages=["en", "ja"],
        minimum_order={"amount": 500, "unit": "piece"},
        city="Tsubame",
    )
    await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)
    await approve(client, session, booth["id"])
    client.cookies.clear()
    own = (await client.get(f"/api/booths/{booth['id']}")).json()
    own = own.get("booth", own)
    [card] = (await found(client, q="tumbler"))["booths"]
    shared = set(card) & set(own)
    assert shared >= {"categories", "markets", "wanted_markets", "languages", "minimum_order"}
    assert {name: card[name] for name in shared} == {name: own[name] for name in shared}
    assert card["categories"] == ["cutlery_tools", "metal_parts"]
    assert card["markets"] == ["US", "CN", "VN"] and card["wanted_markets"] == ["TH", "TW"]
    assert card["minimum_order"] == {"amount": 500, "unit": "piece"}
    assert card["product_count"] == 1
    assert [p["hs_code"] for p in card["matched_products"]] == [TUMBLER["hs_code"]]
    assert "description" not in card

"""Builders the matchmaking tests share: booths and products entered through the booth API,
buyers, needs through /api/needs."""

from __future__ import annotations

from booth_helpers import TSUBAME, approve, create_booth, exhibitor, make_fair
from helpers import make_user

# A product described only in Japanese.
TUMBLER_JA = {
    "name": {"ja": "ステンレス真空タンブラー"},
    "description": {"ja": "鏡面研磨仕上げ、二重構造。"},
    "hs_code": "961700",
    "moq": 300,
}
HASAMI = {
    "company": {"ja": "波佐見陶房", "en": "Hasami Pottery"},
    "tagline": {"ja": "毎日使う磁器"},
    "description": {},
    "categories": ["ceramics"],
    "markets": ["TH"],
    "languages": ["ja"],
    "certifications": [],
    "website": "",
}
BOWL = {"name": {"ja": "磁器の飯碗", "zh_Hans": "瓷饭碗"}, "hs_code": "691200", "moq": 100}
THAI_NEED = {
    "fair": "2027-06",
    "text": "ต้องการกระติกน้ำสแตนเลสเก็บความเย็น",
    "hs_codes": ["961700"],
    "quantity": {"amount": 1000, "unit": "piece"},
    "languages": ["en"],
}


async def add_product(client, booth_id, product):
    response = await client.post(f"/api/booths/{booth_id}/products", json=product)
    assert response.status_code == 201, response.text
    return response.json()


async def world(client, session):
    """Two approved booths and one still in review (that would match), a Thai buyer, a
    Chinese buyer, an organizer."""
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    tsubame = await create_booth(client)
    tumbler = await add_product(client, tsubame["id"], TUMBLER_JA)
    await exhibitor(client, session, "aiko@hasami.example", "Hasami Pottery")
    hasami = await create_booth(client, **HASAMI)
    bowl = await add_product(client, hasami["id"], BOWL)
    await exhibitor(client, session, "goro@pending.example", "Pending Works")
    pending = await create_booth(
        client, **{**TSUBAME, "company": {"ja": "審査中製作所", "en": "Pending Works"}}
    )
    await add_product(client, pending["id"], TUMBLER_JA)
    await approve(client, session, tsubame["id"])
    await approve(client, session, hasami["id"])
    thai = await make_user(
        session,
        "buyer",
        "somchai@bangkok.example",
        name="Somchai",
        company="Bangkok Trading",
        country="TH",
        locale="th",
    )
    chinese = await make_user(
        session,
        "buyer",
        "wei@shanghai.example",
        name="Wei",
        company="Shanghai Homeware",
        country="CN",
        locale="zh_Hans",
    )
    return {
        "tsubame": tsubame["id"],
        "tumbler": tumbler["id"],
        "hasami": hasami["id"],
        "bowl": bowl["id"],
        "pending": pending["id"],
        "thai": thai,
        "chinese": chinese,
    }


async def new_need(client, body):
    response = await client.post("/api/needs", json=body)
    assert response.status_code == 201, response.text
    return response.json()

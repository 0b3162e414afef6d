"""A fair's booths kept in memory for the match engine (matchmaking.boothcache): what a buyer
is recommended is always the booths as they are now, whatever changed them since the last
request; and the booth index, changed in place of made anew, answers as one made anew."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from booth_helpers import TSUBAME, approve, create_booth, exhibitor
from helpers import login
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from match_helpers import THAI_NEED, TUMBLER_JA, add_product, new_need, world

from booths.text import fold
from matchmaking.scoring import BoothFacts, BoothIndex, NeedFacts, ProductFacts, text_units

CSRF = "test-csrf-token-of-the-booth-cache"


async def recommended(client) -> list[str]:
    await login(client, "somchai@bangkok.example")
    response = await client.get("/api/fairs/2027-06/recommendations")
    assert response.status_code == 200, response.text
    return [item["booth_id"] for item in response.json()["items"]]


async def code_tumbler(client, ids, hs_code: str) -> None:
    """Kenji gives his tumbler another HS code (applied at once, even on an approved booth)."""
    await login(client, "kenji@tsubame.example")
    path = f"/api/booths/{ids['tsubame']}/products/{ids['tumbler']}"
    response = await client.patch(path, json={"hs_code": hs_code})
    assert response.status_code == 200, response.text


async def test_a_product_changed_after_a_recommendation_is_matched_as_it_is_now(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    assert await recommended(client) == [ids["tsubame"]]
    # The tumbler's code changed to a kettle's: the booth makes nothing the buyer asks for.
    await code_tumbler(client, ids, "732393")
    assert await recommended(client) == []
    await code_tumbler(client, ids, "961700")
    assert await recommended(client) == [ids["tsubame"]]
    # The product removed: the booth is no match again.
    await login(client, "kenji@tsubame.example")
    path = f"/api/booths/{ids['tsubame']}/products/{ids['tumbler']}"
    assert (await client.delete(path)).status_code == 204
    assert await recommended(client) == []


async def test_a_product_awaiting_review_is_not_matched_until_approved(client, session):
    """A product added to an approved booth is shown to nobody until an organizer approves
    it, so it may not win the booth a recommendation either."""
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    await code_tumbler(client, ids, "732393")
    assert await recommended(client) == []
    await login(client, "kenji@tsubame.example")
    added = await add_product(client, ids["tsubame"], TUMBLER_JA)
    assert added["awaiting_review"] is True
    assert await recommended(client) == []
    await login(client, "organizer@example.com")
    client.cookies.set("kk_csrf", CSRF)
    approved = await client.post(
        f"/review/booths/{ids['tsubame']}/approve-changes",
        data={"csrf_token": CSRF, "tab": "changes"},
    )
    assert approved.status_code == 303
    assert await recommended(client) == [ids["tsubame"]]


async def test_a_booth_approved_after_a_recommendation_is_recommended_next(client, session):
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    assert await recommended(client) == [ids["tsubame"]]
    await approve(client, session, ids["pending"])
    assert sorted(await recommended(client)) == sorted([ids["tsubame"], ids["pending"]])


async def test_a_booth_new_in_the_fair_is_recommended(client, session):
    """A booth made and approved after the fair's booths were first read (a copy from a past
    fair is made the same way: a new row, its products, its tags)."""
    ids = await world(client, session)
    await login(client, "somchai@bangkok.example")
    await new_need(client, THAI_NEED)
    assert await recommended(client) == [ids["tsubame"]]
    await exhibitor(client, session, "mai@niigata.example", "Niigata Metal")
    booth = await create_booth(
        client, **{**TSUBAME, "company": {"ja": "新潟金属", "en": "Niigata Metal"}}
    )
    await add_product(client, booth["id"], TUMBLER_JA)
    await approve(client, session, booth["id"])
    assert sorted(await recommended(client)) == sorted([ids["tsubame"], booth["id"]])


# The index changed in place ----------------------------------------------------------------

words = st.lists(
    st.sampled_from(["tumbler", "kettle", "保温杯", "กระติก", "ナイフ", "steel kettle"]), max_size=3
)
categories = st.lists(st.sampled_from(["metal_parts", "ceramics", "food_beverage"]), max_size=2)
codes = st.sampled_from(["961700", "961790", "732393", "691200", ""])


@st.composite
def booths(draw: Any) -> BoothFacts:
    products = tuple(
        ProductFacts(id=f"p{i}", hs_code=draw(codes), text=fold(" ".join(draw(words))))
        for i in range(draw(st.integers(0, 3)))
    )
    return BoothFacts(
        id="b",
        owner_id="u-ex",
        categories=tuple(draw(categories)),
        text=fold(" ".join([*draw(words), *(p.text for p in products)])),
        products=products,
    )


@st.composite
def needs(draw: Any) -> NeedFacts:
    return NeedFacts(
        id="n",
        buyer_id="u",
        text=" ".join(draw(words)),
        categories=tuple(draw(categories)),
        hs_codes=tuple(draw(st.lists(st.sampled_from(["96", "9617", "961700", "73"]), max_size=2))),
    )


def answers(index: BoothIndex, need: NeedFacts) -> tuple[set[str], set[tuple[Any, ...]]]:
    """What an index tells of a need: its booths, and its booths in groups (by id)."""
    units = text_units(need.text)
    found = {booth.id for booth in index.candidates(need, units)}
    groups = {
        (level, shared, held, frozenset(booth.id for booth in index.of(members)))
        for level, shared, held, members in index.outlines(need, units, index.all)
    }
    return found, groups


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(needs(), min_size=1, max_size=4),
    st.lists(booths(), min_size=1, max_size=6),
    st.lists(booths(), max_size=4),
    st.sets(st.integers(0, 5), max_size=3),
)
def test_an_index_changed_answers_as_one_made_anew(asked, before, edits, dropped):
    """Edits, additions and removals made to a kept index: it answers every need as an index
    of the booths as they now are, the units it remembered included."""
    before = [replace(booth, id=f"b{i}") for i, booth in enumerate(before)]
    # Edits take the ids of booths there (a booth changed) and of booths not there (new).
    edits = [replace(booth, id=f"b{2 * i}") for i, booth in enumerate(edits)]
    removed = {f"b{i}" for i in dropped} - {booth.id for booth in edits}
    now = {booth.id: booth for booth in before} | {booth.id: booth for booth in edits}
    kept = BoothIndex(before)
    for need in asked:
        answers(kept, need)  # the units it is asked for are remembered, then changed with it
    changed = kept.changed(edits, removed)
    fresh = BoothIndex([booth for booth_id, booth in now.items() if booth_id not in removed])
    for need in asked:
        assert answers(changed, need) == answers(fresh, need)
    assert {booth.id for booth in changed.of(changed.all)} == set(now) - removed
    # The kept index is left as it was: a request may still be reading it.
    assert {booth.id for booth in kept.of(kept.all)} == {booth.id for booth in before}

"""The organizers' desk (/organizer): every organizer tool on one page with what waits on
it, and only the tools the person's role may use; the header links the desk instead of
each tool, so the organizer's links keep one row."""

from __future__ import annotations

import re

from booth_helpers import create_booth, exhibitor, make_fair
from helpers import login, make_user

HTML = {"accept": "text/html"}


def card(html: str, path: str) -> str:
    """The desk's card for one tool (its link to the end of its <li>)."""
    found = re.search(rf'href="{re.escape(path)}">.*?</li>', html, re.S)
    assert found, path
    return found.group(0)


async def test_the_desk_counts_what_waits_on_each_tool(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    await create_booth(client)
    await make_user(session, "organizer", "org@kakehashi.example")
    await login(client, "org@kakehashi.example")

    desk = await client.get("/organizer", headers=HTML)
    assert desk.status_code == 200
    assert "1 waiting" in card(desk.text, "/review/booths")
    # The exhibitor's own company waits for confirmation too.
    assert "1 waiting" in card(desk.text, "/organizer/companies")
    assert "Nothing waiting" in card(desk.text, "/review/attendance")
    assert "Nothing waiting" in card(desk.text, "/organizer/conversation-reports")
    for path in ("/organizer/webhooks", "/organizer/matchmaking/weights", "/reports/rates"):
        assert "waiting" not in card(desk.text, path)  # no queue, no count
    nav = desk.text[desk.text.index('class="site-nav"') : desk.text.index("</nav>")]
    assert 'href="/organizer" aria-current="page"' in nav
    assert "/review/booths" not in nav


async def test_staff_see_only_the_tools_they_may_use(client, session):
    await make_user(session, "staff", "staff@kakehashi.example")
    await login(client, "staff@kakehashi.example")
    desk = await client.get("/organizer", headers=HTML)
    assert desk.status_code == 200
    for path in ("/organizer/companies", "/organizer/matchmaking/weights", "/reports/rates"):
        card(desk.text, path)
    for path in ("/review/booths", "/review/attendance", "/organizer/webhooks"):
        assert f'href="{path}"' not in desk.text
    for path in ("/organizer/companies", "/reports/rates"):
        assert (await client.get(path, headers=HTML)).status_code == 200


async def test_the_desk_is_not_for_exhibitors_or_buyers(client, session):
    assert (await client.get("/organizer", headers=HTML)).status_code in (302, 303, 401)
    await make_user(session, "buyer", "lan@buyer.example")
    await login(client, "lan@buyer.example")
    assert (await client.get("/organizer", headers=HTML)).status_code == 403
    home = await client.get("/", headers=HTML)
    assert 'href="/organizer"' not in home.text

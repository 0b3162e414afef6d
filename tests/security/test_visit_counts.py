"""Issue 16, item 10: visit counts cannot be inflated from one client. Anonymous requests
with 30 different User-Agents were 30 "unique visitors" and 30 booth visits in the funnel.
Now the funnel counts signed-in buyers (each once a day per booth), views without signing
in are shown apart (as views, never as people), and obvious bots are not counted at all;
the exhibitor's Visitors page, the organizer's report and both APIs show the split."""

from __future__ import annotations

import re

from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import login, make_client, make_user

HTML = {"accept": "text/html"}
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{n}.0.0.0 Safari/537.36"
)
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1; "
    "+https://openai.com/gptbot)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Wget/1.21.4",
    "Go-http-client/1.1",
    "",  # no User-Agent at all
    "Mozilla/5.0 " + "x" * 600,  # longer than any browser's
]


async def approved_booth(client, session) -> str:
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    return booth["id"]


def number_after(page: str, label: str) -> str:
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", page)
    assert match, f"no tile {label!r}"
    return match.group(1)


async def test_one_client_with_many_browsers_is_no_crowd(client, session, app) -> None:
    booth_id = await approved_booth(client, session)
    url = f"/api/booths/{booth_id}"
    async with make_client(app) as anonymous:
        for n in range(30):  # one address, 30 different browsers
            response = await anonymous.get(url, headers={"User-Agent": CHROME.format(n=100 + n)})
            assert response.status_code == 200

    # A signed-in buyer is one visitor, whichever browser or tool they use.
    await make_user(session, "buyer", "lan@saigon.example", company="Saigon Trading JSC")
    await login(client, "lan@saigon.example")
    for agent in (CHROME.format(n=120), "Mozilla/5.0 (iPhone) Safari/604.1", "curl/8.5.0"):
        assert (await client.get(url, headers={"User-Agent": agent})).status_code == 200

    # The exhibitor's figures: one buyer, 30 views without signing in, told apart.
    await login(client, "kenji@tsubame.example")
    report = (await client.get(f"{url}/analytics")).json()
    assert (report["buyer_visitors"], report["anonymous_views"]) == (1, 30)
    assert report["booth_views"] == 31  # every view, once a day per visitor, as before
    assert [(d["views"], d["buyer_views"], d["anonymous_views"]) for d in report["daily"]] == [
        (31, 1, 30)
    ]
    page = (await client.get(f"/booths/{booth_id}/manage/analytics", headers=HTML)).text
    assert number_after(page, "Buyers who visited") == "1"
    assert number_after(page, "Views without signing in") == "30"
    assert "Different visitors" not in page  # the figure anyone could inflate is gone

    # The funnel starts from the buyer; the anonymous views stand beside it.
    await login(client, "organizer@example.com")
    conversion = (await client.get("/api/reports/conversion", params={"fair": "2027-06"})).json()
    assert (conversion["visits"], conversion["anonymous_views"]) == (1, 30)
    assert [(t["visits"], t["anonymous_views"]) for t in conversion["trend"]] == [(1, 30)]
    by_booth = (await client.get("/api/reports/conversion", params={"group_by": "booth"})).json()
    assert [g["visits"] for g in by_booth["groups"]] == [1]
    dashboard = (await client.get("/reports?fair=2027-06", headers=HTML)).text
    note = re.search(r'<p class="hint" id="funnel-anonymous">([^<]*)</p>', dashboard)
    assert note and "not signed in: 30." in note.group(1)


async def test_obvious_bots_are_not_counted(client, session, app) -> None:
    booth_id = await approved_booth(client, session)
    async with make_client(app) as bot:
        for agent in BOTS:
            for path in (f"/api/booths/{booth_id}", f"/booths/{booth_id}"):
                response = await bot.get(path, headers={"User-Agent": agent})
                assert response.status_code == 200  # bots still read the page, uncounted

    await login(client, "kenji@tsubame.example")
    report = (await client.get(f"/api/booths/{booth_id}/analytics")).json()
    assert (report["booth_views"], report["anonymous_views"], report["daily"]) == (0, 0, [])
    await login(client, "organizer@example.com")
    conversion = (await client.get("/api/reports/conversion")).json()
    assert (conversion["visits"], conversion["anonymous_views"]) == (0, 0)

"""Issue 16, item 12: an exhibitor's "Who visited" list names signed-in buyers only. Buyers
are told on the booth page that the exhibitor sees them; a rival exhibitor (or an
interpreter) who looks at the booth is told nothing, so they are never listed, on the page,
in the API, nor for the organizers."""

from __future__ import annotations

from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import login, make_user

HTML = {"accept": "text/html"}


async def test_rival_exhibitors_and_interpreters_are_left_out_of_the_visitor_list(
    client, session
) -> None:
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    booth = await create_booth(client)
    await approve(client, session, booth["id"])
    url = f"/api/booths/{booth['id']}"

    await make_user(
        session, "exhibitor", "spy@rival.example", name="Rival Spy", company="Rival Kogyo"
    )
    await make_user(session, "interpreter", "mai@interpreters.example", name="Mai Interpreter")
    await make_user(
        session, "buyer", "lan@saigon.example", name="Nguyen Lan", company="Saigon Trading JSC"
    )
    for email in ("spy@rival.example", "mai@interpreters.example", "lan@saigon.example"):
        await login(client, email)
        assert (await client.get(url)).status_code == 200
        assert (await client.get(f"/booths/{booth['id']}", headers=HTML)).status_code == 200

    await login(client, "kenji@tsubame.example")
    report = (await client.get(f"{url}/analytics")).json()
    assert [(v["name"], v["company"], v["role"]) for v in report["visitors"]] == [
        ("Nguyen Lan", "Saigon Trading JSC", "buyer")
    ]
    page = (await client.get(f"/booths/{booth['id']}/manage/analytics", headers=HTML)).text
    assert "Saigon Trading JSC" in page
    assert "Rival Spy" not in page and "Rival Kogyo" not in page
    assert "Mai Interpreter" not in page
    assert "Signed-in buyers who opened your booth" in page

    # The organizers see the same list: nobody but buyers was told.
    await login(client, "organizer@example.com")
    report = (await client.get(f"{url}/analytics")).json()
    assert [v["name"] for v in report["visitors"]] == ["Nguyen Lan"]

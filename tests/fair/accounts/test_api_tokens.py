"""Personal API tokens: made, listed (never the secret) and revoked by their owner; a token
works on the API without a cookie or CSRF token, within its scopes and its account's role;
an expired, revoked, forged or malformed one is 401 and never falls back to the cookie;
the account's own keys refuse tokens; pages ignore them."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from booth_helpers import TSUBAME, make_fair
from helpers import login, make_client, make_user, read_scalar
from media_files import png
from sqlalchemy import func, select, update

from fair import clock
from fair.accounts.models import ApiToken, User
from fair.web import CSRF_COOKIE, SESSION_COOKIE

HTML = {"accept": "text/html"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ALL = ["read", "booths", "meetings", "reports"]


def in_days(days: int) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


async def make_token(client, scopes=ALL, name="City CRM", days=30) -> dict:
    answer = await client.post(
        "/api/tokens", json={"name": name, "scopes": scopes, "expires_on": in_days(days)}
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"  # the secret stays in no cache
    return answer.json()


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


async def count(session, model) -> int:
    return await read_scalar(session, select(func.count()).select_from(model))


async def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    made = await make_token(client, scopes=["meetings", "read", "read"])
    secret = made["token"]
    assert re.fullmatch(r"kk_[A-Za-z0-9_-]{43}", secret)
    assert made["scopes"] == ["read", "meetings"]  # each once, in the scopes' order
    assert made["prefix"] == secret[:8]
    assert made["expires_on"] == in_days(30)
    assert (made["last_used_at"], made["expired"]) == (None, False)

    listed = (await client.get("/api/tokens")).json()["tokens"]
    assert [t["id"] for t in listed] == [made["id"]]
    assert set(listed[0]) == set(made) - {"token"}
    assert secret not in str(listed)
    stored = await read_scalar(session, select(ApiToken.token_hash))
    assert stored == hashlib.sha256(secret.encode()).hexdigest()

    async with make_client(app) as program:
        me = await program.get("/api/auth/me", headers=bearer(secret))
        assert (me.status_code, me.json()["email"]) == (200, "lan@saigon.example")
        assert (await client.delete(f"/api/tokens/{made['id']}")).status_code == 204
        gone = await program.get("/api/auth/me", headers=bearer(secret))
    assert gone.status_code == 401
    assert (await client.get("/api/tokens")).json() == {"tokens": []}
    assert (await client.delete(f"/api/tokens/{made['id']}")).status_code == 404


async def test_a_token_reads_and_writes_without_cookie_or_csrf(app, client, session):
    await make_fair(session)
    await make_user(session, "exhibitor", "kenji@tsubame.example", company="Tsubame Migaki")
    await login(client, "kenji@tsubame.example")
    secret = (await make_token(client, scopes=["read", "booths"]))["token"]
    async with make_client(app) as program:  # no cookie at all, no CSRF token anywhere
        booth = await program.post(
            "/api/fairs/2027-06/booths", json=TSUBAME, headers=bearer(secret)
        )
        assert booth.status_code == 201, booth.text
        booth_id = booth.json()["id"]
        mine = await program.get("/api/me/booths", headers=bearer(secret))
        assert [b["id"] for b in mine.json()["booths"]] == [booth_id]
        # A multipart upload needs the CSRF header with a cookie; a token needs none.
        upload = await program.post(
            f"/api/booths/{booth_id}/media",
            files={"file": ("front.png", png(), "image/png")},
            headers=bearer(secret),
        )
        assert upload.status_code == 201, upload.text
    assert program.cookies.get(SESSION_COOKIE) is None


async def test_a_missing_scope_is_403_and_changes_nothing(app, client, session):
    await make_fair(session)
    await make_user(session, "exhibitor", "kenji@tsubame.example", company="Tsubame Migaki")
    await login(client, "kenji@tsubame.example")
    reader = (await make_token(client, scopes=["read"]))["token"]
    writer = (await make_token(client, scopes=["booths"], name="writer"))["token"]
    async with make_client(app) as program:
        refused = await program.post(
            "/api/fairs/2027-06/booths", json=TSUBAME, headers=bearer(reader)
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "insufficient_scope"
        assert "booths" in refused.json()["error"]["message"]
        assert refused.headers["www-authenticate"] == (
            'Bearer error="insufficient_scope", scope="booths"'
        )
        # Reading needs "read", the report needs "reports".
        blind = await program.get("/api/me/booths", headers=bearer(writer))
        assert (blind.status_code, blind.json()["error"]["code"]) == (403, "insufficient_scope")
        report = await program.get("/api/reports/conversion", headers=bearer(reader))
        assert report.status_code == 403
    assert (await client.get("/api/me/booths")).json()["booths"] == []


async def test_the_role_still_decides_with_every_scope(app, client, session):
    await make_fair(session)
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    secret = (await make_token(client))["token"]
    async with make_client(app) as program:
        booth = await program.post(
            "/api/fairs/2027-06/booths", json=TSUBAME, headers=bearer(secret)
        )
        report = await program.get("/api/reports/conversion", headers=bearer(secret))
    assert (booth.status_code, report.status_code) == (403, 403)
    assert booth.json()["error"]["code"] == "forbidden"


async def test_expired_revoked_forged_and_malformed_tokens_are_401(
    app, client, session, stopped_clock
):
    await make_fair(session)
    await make_user(session, "exhibitor", "kenji@tsubame.example", company="Tsubame Migaki")
    await login(client, "kenji@tsubame.example")
    short = (await make_token(client, days=0, name="today only"))["token"]
    revoked = await make_token(client, name="revoked")
    await client.delete(f"/api/tokens/{revoked['id']}")
    forged = "kk_" + secrets.token_urlsafe(32)
    cookie = client.cookies[SESSION_COOKIE]
    end_of_today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(1)
    stopped_clock.at(end_of_today - timedelta(seconds=1))
    assert (await client.get("/api/auth/me", headers=bearer(short))).status_code == 200
    stopped_clock.at(end_of_today)

    before = (
        await count(session, ApiToken),
        await read_scalar(session, select(func.max(ApiToken.last_used_at))),
    )
    headers = [
        bearer(short),
        bearer(revoked["token"]),
        bearer(forged),
        bearer("not-a-token"),
        bearer(short + "x"),
        {"authorization": "Bearer"},
        {"authorization": "bearer   "},
    ]
    for sent in headers:
        async with make_client(app) as program:
            # The browser's own cookie beside a bad token: the token decides, never the cookie.
            program.cookies.set(SESSION_COOKIE, cookie)
            program.cookies.set(CSRF_COOKIE, "x")
            me = await program.get("/api/auth/me", headers=sent)
            write = await program.post(
                "/api/fairs/2027-06/booths", json=TSUBAME, headers={**sent, "x-csrf-token": "x"}
            )
        for answer in (me, write):
            assert answer.status_code == 401, (sent, answer.text)
            assert answer.json()["error"]["code"] == "invalid_token"
            assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert (await client.get("/api/me/booths")).json()["booths"] == []
    after = (
        await count(session, ApiToken),
        await read_scalar(session, select(func.max(ApiToken.last_used_at))),
    )
    assert after == before


async def test_other_schemes_are_not_ours_and_pages_ignore_tokens(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    secret = (await make_token(client))["token"]
    # A proxy's Basic credentials pass through to the cookie.
    basic = await client.get("/api/auth/me", headers={"authorization": "Basic dTpw"})
    assert basic.status_code == 200
    async with make_client(app) as program:
        page = await program.get("/account", headers={**HTML, **bearer(secret)})
        assert page.status_code == 401  # a token signs no one in to the pages
    # With the cookie, a page works whatever Authorization says.
    page = await client.get("/account", headers={**HTML, **bearer("kk_forged")})
    assert page.status_code == 200


async def test_the_accounts_own_keys_refuse_tokens(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    made = await make_token(client)
    secret = made["token"]
    new_password = {"current_password": "correct horse battery staple", "new_password": "x" * 30}
    calls = [
        ("GET", "/api/tokens", None),
        ("POST", "/api/tokens", {"name": "more", "scopes": ["read"]}),
        ("DELETE", f"/api/tokens/{made['id']}", None),
        ("POST", "/api/auth/password", new_password),
        ("GET", "/api/auth/sessions", None),
        ("POST", "/api/auth/sessions/revoke-others", None),
        ("POST", "/api/auth/logout", None),
    ]
    sessions_before = (await client.get("/api/auth/sessions")).json()
    async with make_client(app) as program:
        for method, path, body in calls:
            answer = await program.request(method, path, json=body, headers=bearer(secret))
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "api_token_not_accepted"
    assert [t["id"] for t in (await client.get("/api/tokens")).json()["tokens"]] == [made["id"]]
    assert (await client.get("/api/auth/sessions")).json() == sessions_before
    await login(client, "lan@saigon.example")  # the password is the one it was


async def test_another_accounts_token_is_not_found_and_keeps_working(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await make_user(session, "buyer", "mai@hanoi.example")
    await login(client, "lan@saigon.example")
    lans = await make_token(client)
    async with make_client(app) as mai:
        await login(mai, "mai@hanoi.example")
        assert (await mai.delete(f"/api/tokens/{lans['id']}")).status_code == 404
        assert (await mai.get("/api/tokens")).json() == {"tokens": []}
        me = await mai.get("/api/auth/me", headers=bearer(lans["token"]))
    assert me.json()["email"] == "lan@saigon.example"


async def test_an_inactive_accounts_tokens_stop_working(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    secret = (await make_token(client))["token"]
    await session.execute(update(User).values(is_active=False))
    await session.commit()
    async with make_client(app) as program:
        assert (await program.get("/api/auth/me", headers=bearer(secret))).status_code == 401


async def test_bad_token_requests_are_refused_with_their_field(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    cases = [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x" * 81, "scopes": ["read"]}, "name"),
        ({"name": "CRM", "scopes": []}, "scopes"),
        ({"name": "CRM", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "CRM", "scopes": "read"}, "scopes"),
        ({"name": "CRM", "scopes": ["read"], "expires_on": in_days(-1)}, "expires_on"),
        ({"name": "CRM", "scopes": ["read"], "expires_on": in_days(366)}, "expires_on"),
        ({"name": "CRM", "scopes": ["read"], "expires_on": "next week"}, "expires_on"),
        ({"name": "CRM", "scopes": ["read"], "owner": "someone"}, "owner"),
    ]
    for body, field in cases:
        answer = await client.post("/api/tokens", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert list(answer.json()["error"]["fields"]) == [field], body
    assert await count(session, ApiToken) == 0
    made = await client.post(
        "/api/tokens", json={"name": "CRM", "scopes": ["read"], "expires_on": in_days(365)}
    )
    assert made.status_code == 201
    # Left out, the last day is 90 days from today.
    default = await client.post("/api/tokens", json={"name": "CRM", "scopes": ["read"]})
    assert default.json()["expires_on"] == in_days(90)


async def test_at_most_twenty_live_tokens(app, client, session, stopped_clock):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    made = [await make_token(client, name=f"t{n}", days=0 if n == 0 else 30) for n in range(20)]
    refused = await client.post("/api/tokens", json={"name": "one more", "scopes": ["read"]})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "too_many_tokens")
    await client.delete(f"/api/tokens/{made[5]['id']}")
    await make_token(client, name="in its place")
    # An expired one counts no more (and stays listed, marked, until revoked).
    stopped_clock.advance(timedelta(days=1))
    await make_token(client, name="after one expired")
    listed = (await client.get("/api/tokens")).json()["tokens"]
    assert len(listed) == 21
    assert [t["name"] for t in listed if t["expired"]] == ["t0"]


async def test_last_used_is_noted_at_most_once_a_minute(app, client, session, stopped_clock):
    await make_fair(session)
    await make_user(session, "exhibitor", "kenji@tsubame.example", company="Tsubame Migaki")
    await login(client, "kenji@tsubame.example")
    secret = (await make_token(client))["token"]
    start = clock.now()

    async def last_used():
        return (await client.get("/api/tokens")).json()["tokens"][0]["last_used_at"]

    async with make_client(app) as program:
        await program.get("/api/auth/me", headers=bearer(secret))
        assert await last_used() == start.isoformat()
        stopped_clock.advance(timedelta(seconds=30))
        await program.get("/api/auth/me", headers=bearer(secret))
        assert await last_used() == start.isoformat()
        stopped_clock.advance(timedelta(seconds=40))
        booth = await program.post(
            "/api/fairs/2027-06/booths", json=TSUBAME, headers=bearer(secret)
        )
        assert booth.status_code == 201
        assert await last_used() == clock.now().isoformat()


async def test_the_tokens_page_makes_shows_once_and_revokes(app, client, session):
    await make_user(session, "buyer", "lan@saigon.example")
    await login(client, "lan@saigon.example")
    account = await client.get("/account", headers=HTML)
    assert 'href="/account/tokens"' in account.text
    blank = await client.get("/account/tokens", headers=HTML)
    csrf = CSRF_RE.search(blank.text).group(1)
    form = {
        "csrf_token": csrf,
        "name": "City CRM",
        "scopes": ["read", "meetings"],
        "expires_on": in_days(60),
    }
    made = await client.post("/account/tokens", data=form, headers=HTML)
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(kk_[A-Za-z0-9_-]{43})"', made.text).group(1)
    async with make_client(app) as program:
        assert (await program.get("/api/auth/me", headers=bearer(secret))).status_code == 200
    again = await client.get("/account/tokens", headers=HTML)
    assert secret not in again.text
    assert secret[:8] + "…" in again.text and "City CRM" in again.text

    (token_id,) = (t["id"] for t in (await client.get("/api/tokens")).json()["tokens"])
    revoked = await client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert (revoked.status_code, revoked.headers["location"]) == (
        303,
        "/account/tokens?done=revoked",
    )
    async with make_client(app) as program:
        assert (await program.get("/api/auth/me", headers=bearer(secret))).status_code == 401


async def test_the_tokens_page_shows_what_is_wrong_in_the_viewers_language(client, session):
    await make_user(session, "buyer", "lan@saigon.example", locale="ja")
    await login(client, "lan@saigon.example")
    csrf = CSRF_RE.search((await client.get("/account/tokens", headers=HTML)).text).group(1)
    form = {"csrf_token": csrf, "name": "CRM", "expires_on": in_days(30)}
    no_scope = await client.post("/account/tokens", data=form, headers=HTML)
    assert no_scope.status_code == 422
    assert "スコープを 1 つ以上選んでください。" in no_scope.text
    too_late = {**form, "scopes": "read", "expires_on": in_days(400)}
    refused = await client.post("/account/tokens", data=too_late, headers=HTML)
    assert refused.status_code == 422
    assert "今日から 1 年以内の日を選んでください。" in refused.text
    assert 'value="CRM"' in refused.text  # what was typed stays
    assert await count(session, ApiToken) == 0

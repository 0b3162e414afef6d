from __future__ import annotations

from helpers import make_client

from fair.config import Settings
from kakehashi.app import create_app


async def test_healthz_ok_with_database_and_redis(settings, engine, redis_url):
    app = create_app(settings.with_overrides(redis_url=redis_url))
    async with app.router.lifespan_context(app), make_client(app) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_healthz_without_redis_configured_is_ok(client):
    response = await client.get("/healthz")
    assert (response.status_code, response.json()["redis"]) == (200, "not configured")


async def test_healthz_degraded_but_serving_when_redis_is_down(settings, engine):
    app = create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0"))
    async with app.router.lifespan_context(app), make_client(app) as client:
        health = await client.get("/healthz")
        fairs = await client.get("/api/fairs")
    # Still in rotation (bookings work, jobs wait in the outbox); the body says what is wrong.
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert (health.json()["database"], health.json()["redis"][:6]) == ("ok", "error:")
    assert fairs.status_code == 200


async def test_healthz_and_api_503_when_database_is_down(tmp_path):
    settings = Settings(
        env="test",
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none",
        inprocess_jobs=False,
        mail_dir=tmp_path,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), make_client(app) as client:
        health = await client.get("/healthz")
        api = await client.get("/api/fairs")
        page = await client.get("/", headers={"accept": "text/html"})
    assert health.status_code == 503
    assert health.json()["database"].startswith("error:")
    assert (api.status_code, api.json()["error"]["code"]) == (503, "unavailable")
    assert page.status_code == 503

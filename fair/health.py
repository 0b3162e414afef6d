"""``GET /healthz``: is the database reachable, is Redis (when configured)? 503 only without
the database."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fair import resources

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    res = resources.of_request(request)
    checks: dict[str, str] = {}
    try:
        # Only reads: on SQLite it takes no write lock, so a writer never makes it wait.
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), res.reader.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure is the answer, not an error of this endpoint
        checks["database"] = f"error: {type(exc).__name__}"
    if res.arq is None:
        checks["redis"] = "not configured"
    else:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await res.arq.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(value in {"ok", "not configured"} for value in checks.values())
    # Without Redis the app still serves everything (jobs wait in the outbox), so only a
    # database it cannot reach makes it unready: a load balancer polling this must not take
    # every app process out of rotation because Redis restarts. "degraded" tells monitoring.
    serving = checks["database"] == "ok"
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", **checks},
        status_code=200 if serving else 503,
        headers={"cache-control": "no-store"},
    )


routes = [Route("/healthz", healthz, methods=["GET"])]

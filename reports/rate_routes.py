"""Exchange rates over HTTP: the JSON API and the staff page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fair.openapi import model_schemas, operation, path_params, ref
from fair.schemas import CurrencyCode, Schema, parse
from fair.web import db, page, read_form, read_json, redirect, user_of
from reports import rates
from reports.models import ExchangeRate


class RateEntry(Schema):
    currency: CurrencyCode
    valid_from: date
    jpy_per_unit: Decimal = Field(gt=0, le=Decimal("1000000"), decimal_places=6)


def rate_json(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "currency": rate.currency,
        "valid_from": rate.valid_from.isoformat(),
        # The same text on both databases whatever the column's scale: 150, 151.25, 0.0061.
        "jpy_per_unit": format(Decimal(rate.jpy_per_unit).normalize(), "f"),
    }


class RateKey(Schema):
    currency: CurrencyCode
    valid_from: date


async def api_rates(request: Request) -> Response:
    rows = await rates.list_rates(db(request), actor=user_of(request))
    return JSONResponse({"rates": [rate_json(rate) for rate in rows]})


async def api_set_rate(request: Request) -> Response:
    entry = parse(RateEntry, await read_json(request))
    rate = await rates.set_rate(
        db(request),
        actor=user_of(request),
        currency=entry.currency,
        valid_from=entry.valid_from,
        jpy_per_unit=entry.jpy_per_unit,
    )
    return JSONResponse(rate_json(rate))


async def api_remove_rate(request: Request) -> Response:
    key = parse(
        RateKey,
        {"currency": request.path_params["currency"], "valid_from": request.path_params["day"]},
    )
    await rates.remove_rate(
        db(request), actor=user_of(request), currency=key.currency, valid_from=key.valid_from
    )
    return Response(status_code=204)


async def rates_page(request: Request) -> Response:
    session, user = db(request), user_of(request)
    if request.method == "POST":
        form = await read_form(request)
        if form.get("action") == "remove":
            key = parse(RateKey, {k: form.get(k, "") for k in ("currency", "valid_from")})
            await rates.remove_rate(
                session, actor=user, currency=key.currency, valid_from=key.valid_from
            )
        else:
            fields = ("currency", "valid_from", "jpy_per_unit")
            entry = parse(RateEntry, {k: form.get(k, "") for k in fields})
            await rates.set_rate(
                session,
                actor=user,
                currency=entry.currency,
                valid_from=entry.valid_from,
                jpy_per_unit=entry.jpy_per_unit,
            )
        return redirect("/reports/rates")
    rows = await rates.list_rates(session, actor=user)
    return page(request, "reports/rates.html", {"rates": rows})


routes = [
    Route("/api/exchange-rates", api_rates, methods=["GET"]),
    Route("/api/exchange-rates", api_set_rate, methods=["PUT"]),
    Route("/api/exchange-rates/{currency}/{day}", api_remove_rate, methods=["DELETE"]),
    Route("/reports/rates", rates_page, methods=["GET", "POST"]),
]


def rate_schemas() -> dict[str, Any]:
    return {
        **model_schemas(RateEntry),
        "ExchangeRate": {
            "type": "object",
            "properties": {
                "currency": {"type": "string"},
                "valid_from": {"type": "string", "format": "date"},
                "jpy_per_unit": {"type": "string", "description": "decimal yen per unit"},
            },
        },
    }


def rate_paths() -> dict[str, Any]:
    rates_list = {
        "type": "object",
        "properties": {"rates": {"type": "array", "items": ref("ExchangeRate")}},
    }
    return {
        "/api/exchange-rates": {
            "get": operation(
                "Exchange rates (staff, organizer)", (200, rates_list), errors=(401, 403)
            ),
            "put": operation(
                "Add a rate or correct the one of that currency and day (staff, organizer)",
                (200, ref("ExchangeRate")),
                body=RateEntry,
                errors=(400, 401, 403, 422),
            ),
        },
        "/api/exchange-rates/{currency}/{day}": {
            "delete": operation(
                "Remove a rate (staff, organizer)",
                (204, None),
                errors=(401, 403, 404, 422),
                params=path_params("currency", "day"),
            )
        },
    }

"""Exchange rates over HTTP: the JSON API and the staff page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair.api import Endpoint, Scope
from fair.schemas import parse
from fair.web import db, json_response, page, read_form, read_json, redirect, user_of
from reports import rates, responses
from reports.schemas import RateEntry, RateKey


async def api_rates(request: Request) -> Response:
    rows = await rates.list_rates(db(request), actor=user_of(request))
    return json_response(responses.ExchangeRates.of(rows))


async def api_set_rate(request: Request) -> Response:
    entry = parse(RateEntry, await read_json(request))
    rate = await rates.set_rate(
        db(request),
        actor=user_of(request),
        currency=entry.currency,
        valid_from=entry.valid_from,
        jpy_per_unit=entry.jpy_per_unit,
    )
    return json_response(responses.ExchangeRate.of(rate))


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


API = [
    Endpoint(
        "GET",
        "/api/exchange-rates",
        api_rates,
        "Exchange rates (staff, organizer)",
        responses.ExchangeRates,
        errors=(401, 403),
    ),
    Endpoint(
        "PUT",
        "/api/exchange-rates",
        api_set_rate,
        "Add a rate or correct the one of that currency and day (staff, organizer)",
        responses.ExchangeRate,
        body=RateEntry,
        errors=(401, 403),
        scope=Scope.REPORTS,
    ),
    Endpoint(
        "DELETE",
        "/api/exchange-rates/{currency}/{day}",
        api_remove_rate,
        "Remove a rate (staff, organizer)",
        status=204,
        errors=(401, 403, 404, 422),
        scope=Scope.REPORTS,
    ),
]

routes = [
    Route("/reports/rates", rates_page, methods=["GET", "POST"]),
]

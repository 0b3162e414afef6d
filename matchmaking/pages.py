"""The buyer's page of sourcing needs: what they look for (entered, changed and removed
here) and the booths recommended for it in the coming fairs, each with its reasons and a
booking link."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from booths.editor import field_errors
from booths.models import Booth
from booths.taxonomy import CATEGORIES, MOQ_UNITS, category_label
from fair import clock, i18n
from fair.accounts.models import Role
from fair.accounts.service import require_role
from fair.errors import DomainError
from fair.fairs.models import Fair
from fair.schemas import parse
from fair.web import db, page, read_form, redirect, user_of
from matchmaking import service
from matchmaking.reasons import render
from matchmaking.schemas import NeedCreate

# The coming fairs whose recommendations the page shows.
FAIRS_SHOWN = 2
RECOMMENDATIONS_SHOWN = 6
# Offered in the target price's list (any ISO 4217 code may be typed).
CURRENCIES = ("JPY", "USD", "CNY", "TWD", "VND", "THB", "EUR", "HKD", "SGD")
_LIST = re.compile(r"[,、，\s]+")


def _listed(form: FormData, name: str) -> list[str]:
    return [part for part in _LIST.split(str(form.get(name, ""))) if part]


def need_values(form: FormData) -> dict[str, Any]:
    """The form as the API's body (``NeedCreate``)."""
    values: dict[str, Any] = {
        "fair": str(form.get("fair", "")) or None,
        "text": str(form.get("text", "")),
        "categories": [str(v) for v in form.getlist("categories")],
        "hs_codes": _listed(form, "hs_codes"),
        "certifications": [
            part.strip() for part in str(form.get("certifications", "")).split(",") if part.strip()
        ],
        "markets": [code.upper() for code in _listed(form, "markets")],
        "languages": [str(v) for v in form.getlist("languages")],
        "visible_to_exhibitors": form.get("visible_to_exhibitors") == "1",
    }
    amount = str(form.get("quantity_amount", "")).replace(",", "").strip()
    if amount:
        values["quantity"] = {"amount": amount, "unit": str(form.get("quantity_unit", ""))}
    price = str(form.get("price_amount", "")).replace(",", "").strip()
    if price:
        currency = str(form.get("price_currency", "")).strip().upper()
        values["target_price"] = {"amount": price, "currency": currency}
    start, end = (str(form.get(name, "")).strip() for name in ("time_from", "time_until"))
    if start or end:
        values["time_frame"] = {"from": start or None, "until": end or None}
    return values


async def _coming_fairs(request: Request) -> list[Fair]:
    today = clock.now().date()
    query = (
        select(Fair)
        .where(Fair.status == "published", Fair.ends_on >= today)
        .order_by(Fair.starts_on, Fair.slug)
    )
    return list(await db(request).scalars(query.limit(FAIRS_SHOWN)))


async def _recommended(request: Request, fairs: list[Fair]) -> list[dict[str, Any]]:
    shown = []
    for fair in fairs:
        matches = await service.recommendations(
            db(request), actor=user_of(request), fair_slug=fair.slug
        )
        matches = matches[:RECOMMENDATIONS_SHOWN]
        ids = [match.booth_id for match in matches]
        booths = {
            b.id: b for b in await db(request).scalars(select(Booth).where(Booth.id.in_(ids)))
        }
        items = [
            {
                "booth": booths[match.booth_id],
                "score": match.score,
                "reasons": [render(reason, "buyer")["text"] for reason in match.reasons],
            }
            for match in matches
        ]
        shown.append({"fair": fair, "items": items})
    return shown


async def needs_page(
    request: Request, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> Response:
    require_role(user_of(request), Role.BUYER)
    needs = await service.list_needs(db(request), actor=user_of(request))
    fairs = await _coming_fairs(request)
    language = i18n.current_language()
    context = {
        "needs": needs,
        "fairs": fairs,
        "titles": {
            fair.slug: i18n.pick_text(fair.title)[0]
            for fair in await db(request).scalars(
                select(Fair).where(Fair.slug.in_({slug for _, slug in needs if slug}))
            )
        },
        "recommended": await _recommended(request, fairs),
        "categories": [(code, category_label(code, language)) for code in CATEGORIES],
        "units": [(code, i18n.gettext(label)) for code, label in MOQ_UNITS.items()],
        "currencies": CURRENCIES,
        "values": values or {"visible_to_exhibitors": True, "languages": []},
        "errors": errors or {},
        "welcome": request.query_params.get("welcome") == "1" and not needs,
        "changed": request.query_params.get("done") == "changed",
        "category_label": lambda code: category_label(code, language),
    }
    return page(request, "matchmaking/needs.html", context, 422 if errors else 200)


async def add_need(request: Request) -> Response:
    require_role(user_of(request), Role.BUYER)
    values = need_values(await read_form(request))
    try:
        data = parse(NeedCreate, values)
        await service.create_need(db(request), actor=user_of(request), data=data)
    except DomainError as exc:
        # The error status makes the unit of work roll back; nothing is saved.
        response = await needs_page(request, values, field_errors(exc))
        response.status_code = exc.status
        return response
    return redirect("/my/needs")


# The fields the page always sends; one left empty clears the need's value.
_CLEARED_WHEN_EMPTY = ("fair", "quantity", "target_price", "time_frame")


async def _edit_page(
    request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    language = i18n.current_language()
    fairs = await _coming_fairs(request)
    if values.get("fair") and values["fair"] not in {fair.slug for fair in fairs}:
        # A need kept for a fair that is not among the coming ones keeps it on offer.
        fairs += list(await db(request).scalars(select(Fair).where(Fair.slug == values["fair"])))
    context = {
        "need_id": request.path_params["need_id"],
        "fairs": fairs,
        "categories": [(code, category_label(code, language)) for code in CATEGORIES],
        "units": [(code, i18n.gettext(label)) for code, label in MOQ_UNITS.items()],
        "currencies": CURRENCIES,
        "values": values,
        "errors": errors,
    }
    return page(request, "matchmaking/need_edit.html", context, status)


async def edit_need_page(request: Request) -> Response:
    current = await service.need_as_input(
        db(request), actor=user_of(request), need_id=request.path_params["need_id"]
    )
    return await _edit_page(request, current, {})


async def change_need(request: Request) -> Response:
    """The page's form sends every field: only those that differ from the need change (so a
    need whose buying days have passed can still be reworded)."""
    need_id = request.path_params["need_id"]
    values = need_values(await read_form(request))  # the CSRF check comes first
    current = await service.need_as_input(db(request), actor=user_of(request), need_id=need_id)
    sent = {name: values.get(name) for name in _CLEARED_WHEN_EMPTY} | values
    changes = {name: value for name, value in sent.items() if value != current.get(name)}
    try:
        await service.update_need(
            db(request), actor=user_of(request), need_id=need_id, body=changes
        )
    except DomainError as exc:
        return await _edit_page(request, values, field_errors(exc), exc.status)
    return redirect("/my/needs?done=changed")


async def remove_need(request: Request) -> Response:
    await read_form(request)
    await service.delete_need(
        db(request), actor=user_of(request), need_id=request.path_params["need_id"]
    )
    return redirect("/my/needs")


routes = [
    Route("/my/needs", needs_page, methods=["GET"]),
    Route("/my/needs", add_need, methods=["POST"]),
    Route("/my/needs/{need_id}/edit", edit_need_page, methods=["GET"]),
    Route("/my/needs/{need_id}", change_need, methods=["POST"]),
    Route("/my/needs/{need_id}/delete", remove_need, methods=["POST"]),
]

"""The application's exception handlers: a domain error, an HTTP error, a conflict or a
database that is away, answered as JSON to API clients and as the error page to browsers."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from fair import i18n
from fair.errors import Conflict, DomainError, ServiceUnavailable, ValidationFailed
from fair.web import error_json, page, wants_json

log = logging.getLogger(__name__)


def _render_error(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        return error_json(status, code, message, fields)
    return page(
        request,
        "error.html",
        {"status": status, "message": message, "fields": fields or {}},
        status=status,
    )


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if exc.persist_changes:
        request.state.persist_changes = True
    message = exc.translated()
    fields = None
    if isinstance(exc, ValidationFailed):
        fields = {name: i18n.gettext(text) for name, text in exc.errors.items()}
    elif exc.field:
        fields = {exc.field: message}
    response = _render_error(request, exc.status, exc.code, message, fields)
    response.headers.update(exc.headers())
    return response


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: i18n.gettext("This page does not exist."),
        405: i18n.gettext("This method is not allowed here."),
    }
    message = messages.get(exc.status_code, i18n.gettext("The request could not be processed."))
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = _render_error(request, exc.status_code, code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_integrity_error(request: Request, exc: Exception) -> Response:
    return await on_domain_error(request, Conflict())


async def on_database_down(request: Request, exc: Exception) -> Response:
    log.warning("database error: %s", exc)
    return await on_domain_error(request, ServiceUnavailable())

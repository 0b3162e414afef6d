"""A person's data: ``POST /api/me/export`` and ``DELETE /api/me``, the account page's
"download my data" and "delete my account" forms, and the mailed download link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair import resources
from fair.accounts import data
from fair.accounts.errors import ExportNotReady
from fair.accounts.profile_routes import account_context, account_refused, errors_of
from fair.accounts.schemas import AccountDeletion
from fair.accounts.service import require_user
from fair.api import Endpoint
from fair.errors import DomainError
from fair.schemas import parse
from fair.web import (
    clear_session_cookie,
    client_address,
    db,
    page,
    read_form,
    read_json,
    redirect,
    rotate_csrf_cookie,
    settings_of,
    user_of,
)

# The archive is the person's alone: never kept by a cache, always saved as a file.
DOWNLOAD_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


async def api_export(request: Request) -> Response:
    await data.request_export(db(request), user_of(request), settings=settings_of(request))
    return Response(status_code=202)


async def _delete(request: Request, password: str) -> None:
    await data.delete_account(
        db(request),
        user_of(request),
        password=password,
        address=client_address(request),
        settings=settings_of(request),
        storage=resources.of_request(request).storage,
    )


def _signed_out(request: Request, response: Response) -> Response:
    clear_session_cookie(response, settings_of(request))
    rotate_csrf_cookie(response, settings_of(request))
    return response


async def api_delete_me(request: Request) -> Response:
    body = parse(AccountDeletion, await read_json(request))
    await _delete(request, body.password)
    return _signed_out(request, Response(status_code=204))


async def export_page(request: Request) -> Response:
    """The account page's "download my data" button."""
    await read_form(request)
    require_user(user_of(request))
    try:
        await data.request_export(db(request), user_of(request), settings=settings_of(request))
    except DomainError as exc:
        return await account_refused(request, exc)
    return redirect("/account?done=export")


async def _delete_refused(request: Request, exc: DomainError) -> Response:
    """The account page again, the refusal by the deletion form's password (the e-mail
    form has a "password" of its own); a failed try that counts toward a limit is kept."""
    if exc.persist_changes:
        request.state.persist_changes = True
    errors = {
        ("delete_password" if name in {"password", "form"} else name): text
        for name, text in errors_of(exc).items()
    }
    context = await account_context(request, errors=errors)
    answer = page(request, "accounts/account.html", context, exc.status)
    answer.headers.update(exc.headers())
    return answer


async def delete_page(request: Request) -> Response:
    """The account page's "delete my account" form: on success the person is signed out
    and told what happened."""
    form = await read_form(request)
    require_user(user_of(request))
    try:
        body = parse(AccountDeletion, {"password": str(form.get("delete_password", ""))})
        await _delete(request, body.password)
    except DomainError as exc:
        return await _delete_refused(request, exc)
    request.state.user = None
    return _signed_out(request, page(request, "accounts/deleted.html"))


async def download_page(request: Request) -> Response:
    """The mailed link: the archive, for the signed-in account it was made for."""
    found = await data.export_download(
        db(request),
        user_of(request),
        request.path_params["export_id"],
        request.path_params["token"],
        settings=settings_of(request),
        storage=resources.of_request(request).storage,
    )
    disposition = f'attachment; filename="{found.filename}"'
    response = await resources.of_request(request).storage.download(
        request,
        found.storage_key,
        media_type="application/zip",
        headers={**DOWNLOAD_HEADERS, "Content-Disposition": disposition},
    )
    if response is None:  # removed since the check: the purge ran in between
        raise ExportNotReady()
    return response


API = [
    Endpoint(
        "POST",
        "/api/me/export",
        api_export,
        "Ask for a copy of the account's data (a zip of JSON and the files it uploaded): a "
        "job builds it and mails a link that works for the account only, for "
        "FAIR_DATA_EXPORT_HOURS; at most FAIR_DATA_EXPORTS_PER_DAY a day",
        status=202,
        errors=(401, 403, 429),
        cookie_only=True,
    ),
    Endpoint(
        "DELETE",
        "/api/me",
        api_delete_me,
        "Delete the account, given its password: personal data erased, future meetings "
        "cancelled (the other side is told), the account kept as an anonymous tombstone so "
        "that past meetings still count; signed out",
        body=AccountDeletion,
        errors=(401, 429),
        cookie_only=True,
    ),
]

routes = [
    Route("/account/export", export_page, methods=["POST"]),
    Route("/account/export/{export_id}/{token}", download_page, methods=["GET"]),
    Route("/account/delete", delete_page, methods=["POST"]),
]

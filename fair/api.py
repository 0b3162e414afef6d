"""The JSON API's routes, each declared once (``Endpoint``) with what the OpenAPI document
says of it: summary, request body, query parameters, response shape and status, error
statuses. The document's paths and component schemas are generated from these declarations
and from the shapes themselves (pydantic models and dataclasses), which also serialize the
responses (``fair.web.json_response``), so the document cannot drift from what is sent.
The composition root (``kakehashi.openapi``) gathers every package's endpoints.

An endpoint also declares what an API token (``Authorization: Bearer``) needs to call it:
its ``scope`` (a GET or HEAD needs ``read`` unless it names another), or ``cookie_only``
for the account's own keys (password, sessions, tokens), which no token may touch. A write
that declares neither is refused to every token: a new route is closed until it says."""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import MISSING, BaseModel, PlainSerializer, TypeAdapter, WithJsonSchema
from pydantic.json_schema import JsonSchemaMode
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fair.errors import DomainError, Forbidden
from fair.i18n import lazy

Handler = Callable[[Request], Awaitable[Response]]
REF_TEMPLATE = "#/components/schemas/{model}"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# An instant as the API has always written it: Python's ISO 8601 ("+00:00", never "Z").
Instant = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# A text in several of the UI languages: {"ja": "…", "en": "…"}.
Texts = dict[str, str]


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | MISSING = MISSING  # a message per invalid field, when any


class Error(BaseModel):
    """Every refusal: {"error": {"code", "message", "fields"?}}, "fields" for invalid fields."""

    error: ErrorDetail


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def dump(value: Any) -> Any:
    """A response body as JSON data, through its declared shape (its type)."""
    return _adapter(type(value)).dump_python(value, mode="json", by_alias=True)


def dump_json(value: Any) -> bytes:
    """A response body as JSON text, through its declared shape: pydantic-core writes the
    bytes itself, as compact as Starlette's ``JSONResponse`` and with the same characters
    (UTF-8, nothing escaped to ``\\u``), without building the Python data first and handing
    it to ``json.dumps`` (a directory page's 24 booths in six languages: measured in
    bench/directory.py)."""
    return _adapter(type(value)).dump_json(value, by_alias=True)


class Scope(enum.StrEnum):
    """What an API token may do; a token holds one or more."""

    READ = "read"  # every GET the account may make, but the reports
    BOOTHS = "booths"  # fairs, booths, products, media, meeting hours, booth review
    MEETINGS = "meetings"  # booking and everything on a meeting; needs, admissions, reminders
    REPORTS = "reports"  # the conversion report, exchange rates


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class InsufficientScope(Forbidden):
    code = "insufficient_scope"
    message = lazy("This API token does not allow this: it needs the “%(scope)s” scope.")

    def headers(self) -> dict[str, str]:
        scope = self.params["scope"]
        return {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'}


class TokenNotAccepted(Forbidden):
    code = "api_token_not_accepted"
    message = lazy("API tokens cannot do this: sign in with your password to manage your account.")


class InvalidToken(DomainError):
    status = 401
    code = "invalid_token"
    message = lazy(
        "The API token does not work: it is unknown, expired or revoked, or its account is closed."
    )

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def token_scopes(request: Request) -> frozenset[str] | None:
    """The scopes of the API token the request came with; None for a cookie or nobody
    (``fair.middleware.Identity`` sets them)."""
    return getattr(request.state, "token_scopes", None)


@dataclass(frozen=True)
class Param:
    """A query parameter; a plain name in ``Endpoint.query`` is an optional string."""

    name: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: str = ""


# A shape's schema in the document (a $ref to its component, for a model or dataclass).
SchemaOf = Callable[[Any, JsonSchemaMode], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """A route of the JSON API and what the OpenAPI document says of it."""

    method: str
    path: str  # its ``{parameters}`` are the path parameters, strings
    handler: Handler
    summary: str
    response: Any = None  # the body's shape; None: no body (204)
    status: int = 200
    body: type[BaseModel] | None = None  # a JSON request body
    form: type[BaseModel] | None = None  # a multipart request body (an upload)
    query: Sequence[str | Param] = ()
    errors: Sequence[int] = ()  # besides the ones every request may get (see ``_errors``)
    also: Mapping[int, str] = field(default_factory=dict)  # other successes, the same body
    media_type: str = "application/json"  # the response's
    # What an API token needs: None is ``read`` for a GET or HEAD, for a write no token.
    scope: Scope | None = None
    cookie_only: bool = False  # the account's own keys: never with an API token

    @property
    def token_scope(self) -> Scope | None:
        """The scope an API token needs here; None: no token is accepted."""
        if self.cookie_only:
            return None
        if self.scope is None and self.method in SAFE_METHODS:
            return Scope.READ
        return self.scope

    def route(self) -> Route:
        return Route(self.path, self._guarded, methods=[self.method])

    async def _guarded(self, request: Request) -> Response:
        """The handler, behind the API token's check (a cookie or nobody passes through:
        the service layer authorizes them, and then the token's account alike)."""
        scopes = token_scopes(request)
        if scopes is not None:
            needed = self.token_scope
            if needed is None:
                raise TokenNotAccepted()
            if needed.value not in scopes:
                raise InsufficientScope(scope=needed.value)
        return await self.handler(request)

    def shapes(self) -> list[tuple[Any, JsonSchemaMode]]:
        found: list[tuple[Any, JsonSchemaMode]] = [(Error, "serialization")]
        for request in (self.body, self.form):
            if request is not None:
                found.append((request, "validation"))
        if self.response is not None:
            found.append((self.response, "serialization"))
        return found

    def operation(self, schema: SchemaOf) -> dict[str, Any]:
        op: dict[str, Any] = {"summary": self.summary, "responses": self._responses(schema)}
        for request, kind in ((self.body, "application/json"), (self.form, "multipart/form-data")):
            if request is not None:
                content = {kind: {"schema": schema(request, "validation")}}
                op["requestBody"] = {"required": True, "content": content}
        parameters = self._parameters()
        if parameters:
            op["parameters"] = parameters
        # The cookie, or an API token with this scope, or neither: who may call is the
        # service layer's answer (public reads, registration), not the document's.
        op["security"] = [{"session": []}]
        if self.token_scope is not None:
            op["security"].append({"token": [self.token_scope.value]})
        op["security"].append({})
        return op

    def _errors(self) -> list[int]:
        # 400 is always possible: a malformed request (a NUL byte in the path or query, bad
        # JSON); a body may also be too large (413), of another type (415) or invalid (422).
        # An API token may not work (401) or not allow this (403).
        always = {400, 401, 403}
        if self.body or self.form:
            always |= {413, 415, 422}
        return sorted(always | set(self.errors))

    def _responses(self, schema: SchemaOf) -> dict[str, Any]:
        body = {}
        if self.response is not None:
            body = {
                "content": {self.media_type: {"schema": schema(self.response, "serialization")}}
            }
        responses: dict[str, Any] = {str(self.status): {"description": "success", **body}}
        for status, description in self.also.items():
            responses[str(status)] = {"description": description, **body}
        error = {"content": {"application/json": {"schema": schema(Error, "serialization")}}}
        for status in self._errors():
            responses[str(status)] = {"description": "error", **error}
        return responses

    def _parameters(self) -> list[dict[str, Any]]:
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)(?::\w+)?}", self.path)
        ]
        for param in self.query:
            param = Param(param) if isinstance(param, str) else param
            described = {"description": param.description} if param.description else {}
            parameters.append(
                {
                    "name": param.name,
                    "in": "query",
                    "required": False,
                    "schema": dict(param.schema),
                    **described,
                }
            )
        return parameters


def routes(endpoints: Iterable[Endpoint]) -> list[Route]:
    return [endpoint.route() for endpoint in endpoints]


def paths_and_schemas(endpoints: Iterable[Endpoint]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document's ``paths`` and ``components.schemas`` for ``endpoints``."""
    endpoints = list(endpoints)
    shapes = list(dict.fromkeys(shape for e in endpoints for shape in e.shapes()))
    refs, definitions = TypeAdapter.json_schemas(
        [(shape, mode, _adapter(shape)) for shape, mode in shapes], ref_template=REF_TEMPLATE
    )
    paths: dict[str, Any] = {}
    for endpoint in endpoints:
        operation = endpoint.operation(lambda shape, mode: refs[(shape, mode)])
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    defs = definitions.get("$defs", {})
    return paths, {name: defs[name] for name in sorted(defs)}

"""The JSON API's routes, each declared once (``Endpoint``) with what the OpenAPI document
says of it: summary, request body, query parameters, response shape and status, error
statuses. The document's paths and component schemas are generated from these declarations
and from the shapes themselves (pydantic models and dataclasses), which also serialize the
responses (``fair.web.json_response``), so the document cannot drift from what is sent.
The composition root (``kakehashi.openapi``) gathers every package's endpoints."""

from __future__ import annotations

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

    def route(self) -> Route:
        return Route(self.path, self.handler, methods=[self.method])

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
        return op

    def _errors(self) -> list[int]:
        # 400 is always possible: a malformed request (a NUL byte in the path or query, bad
        # JSON); a body may also be too large (413), of another type (415) or invalid (422).
        always = {400, 413, 415, 422} if self.body or self.form else {400}
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

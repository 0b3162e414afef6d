"""Schemathesis against ``/api/openapi.json``: no 5xx, and every response matches what the
document promises (a documented status code, its content type, its body schema), and a
request the document calls invalid is refused with a 4xx.

The app runs in process (the ``app`` fixture, on SQLite and on PostgreSQL) with a seeded
world: a fair, an approved booth with hours, a product and a photo, a pending booth,
meetings booked ahead, inside the join window and held in the past, an exchange rate. Every
operation is tried anonymously and signed in as a buyer with meetings, as an exhibitor with
a booth and as an organizer; a path parameter is one of the world's real ids as often as a
generated value, so requests reach the real logic rather than only 401 and 404.

Generating cases is most of the cost, so schemathesis' strategies are drawn once per test
session, derandomized (the same cases every run), and the same cases are then sent for every
role and database. A failing case is reported with a curl command that repeats it.
"""

from __future__ import annotations

import os
import traceback
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from booth_helpers import TUMBLER, create_booth, exhibitor
from helpers import PASSWORD, make_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_files import png
from meeting_helpers import at_tokyo, book, booth_with_hours, buyer, meeting_at, next_weekday
from schemathesis import GenerationMode
from schemathesis import checks as st_checks
from schemathesis.core.parameters import ParameterLocation

from fair import clock
from fair.resources import of_app
from kakehashi.openapi import document

# Generated cases per operation (positive and negative together; fewer where the schema
# allows fewer). With the coverage cases below, the module sends about 2,400 requests per
# role on PostgreSQL and 600 on SQLite: about 85 s on a busy 2-core machine, both databases.
EXAMPLES = int(os.environ.get("KK_FUZZ_EXAMPLES", "12"))

# Schemathesis' coverage cases (every field at and past its bounds, wrong types, other
# content types: about 1,800 requests per role) are sent on PostgreSQL only: the request
# validation they probe is the same code on both databases, and PostgreSQL is the stricter one
# (column lengths, NUL bytes, numeric ranges). KK_FUZZ_COVERAGE=all sends them on SQLite too.
COVERAGE = os.environ.get("KK_FUZZ_COVERAGE", "postgres")

ROLES = ("anonymous", "buyer", "exhibitor", "organizer")

# Uploads are multipart, so they must echo the CSRF cookie in a header (booths/routes.py);
# every request carries the pair, as the browser's upload script does. No request sends an
# Origin header, so the same-origin check (fair/middleware.py) lets them all through.
CSRF = "fuzz-csrf-token"

# Left out on purpose: positive_data_acceptance (a request valid by the schema may still be
# refused: an id that does not exist, a company name without Japanese, a slot already taken);
# max_response_time (no timing assertions here); the stateful checks (use_after_free,
# ensure_resource_availability, ignored_auth, object_level_authorization), which re-send
# requests through schemathesis' own transport, while who may do what is the authorization
# matrix's subject (test_authz_matrix.py); no operation documents headers.
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.negative_data_rejection,
    st_checks.unsupported_method,
]
# Also left out: allow_header_conformance. A path served by several Starlette Routes (one per
# method, e.g. GET and POST /api/fairs) answers 405 with the Allow of the first Route only.

# How many real ids of each kind the world has; cases name them by placeholder, resolved per
# run (ids differ between runs and databases).
REAL_IDS = {"slug": 1, "booth_id": 2, "product_id": 1, "media_id": 1, "meeting_id": 3}


def _placeholder(name: str, index: int) -> str:
    return f"real-{name}-{index}"


def _fixed_parameters(path: str) -> list[dict[str, str] | None]:
    """Path parameters to draw from for an operation; ``None``: schemathesis generates them."""
    choices: list[dict[str, str] | None] = [None]
    if "{currency}" in path:
        choices.append({"currency": "USD", "day": "2026-01-01"})
        return choices
    names = [name for name in REAL_IDS if "{" + name + "}" in path]
    if names == ["booth_id", "product_id"]:
        choices.append(
            {"booth_id": _placeholder("booth_id", 0), "product_id": _placeholder("product_id", 0)}
        )
    elif len(names) == 1:
        (name,) = names
        choices += [{name: _placeholder(name, i)} for i in range(REAL_IDS[name])]
    return choices


def _coverage_cases(schema: Any, operation: Any) -> list[Any]:
    """Schemathesis' coverage phase: each field at and past its bounds, wrong types, missing
    and unknown properties, other content types. Path parameters name a real id, except in
    the cases about the path itself."""
    real = _fixed_parameters(operation.path)[1:2]
    cases = []
    for case in schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
        extra_data_source=None,
        error_feedback=None,
        session=None,
    ):
        data = case.meta.phase.data if case.meta else None
        if real and getattr(data, "parameter_location", None) != ParameterLocation.PATH:
            case.path_parameters.update(real[0])
        cases.append(case)
    return cases


@pytest.fixture(scope="session")
def fuzz_cases() -> list[tuple[Any, list[Any], list[Any]]]:
    """Each operation of the document with its generated and its coverage cases, drawn once
    per session."""
    schema = schemathesis.openapi.from_dict(document())
    corpus = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(
            [
                operation.as_strategy(mode, path_parameters=params)
                for params in _fixed_parameters(operation.path)
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            ]
        )
        corpus.append((operation, [], _coverage_cases(schema, operation)))

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def collect(case: Any) -> None:
            corpus[-1][1].append(case)

        collect()
    return corpus


async def _seed(app: Any) -> dict[str, Any]:
    """The world the requests play in: the real ids and a session token per role."""
    from meetings.models import Meeting

    async with make_client(app) as client, of_app(app).sessionmaker() as session:
        first = next_weekday()
        booth = await booth_with_hours(client, session, slug="2027-06", first=first)
        login = {"email": "kenji@tsubame.example", "password": PASSWORD}
        assert (await client.post("/api/auth/login", json=login)).status_code == 200
        product = await client.post(f"/api/booths/{booth['id']}/products", json=TUMBLER)
        assert product.status_code == 201, product.text
        client.cookies.set("kk_csrf", CSRF)
        media = await client.post(
            f"/api/booths/{booth['id']}/media",
            files={"file": ("photo.png", png(), "image/png")},
            headers={"X-CSRF-Token": CSRF},
        )
        assert media.status_code == 201, media.text
        await exhibitor(client, session, "aiko@sanjo.example", "Sanjo Hamono")
        pending = await create_booth(client, company={"ja": "三条刃物", "en": "Sanjo Hamono"})
        lan = await buyer(client, session)
        booked = await book(client, booth["id"], at_tokyo(first, 10))
        assert booked.status_code == 201, booked.text
        soon = await meeting_at(session, booth["id"], lan.id, timedelta(minutes=5))
        held = await meeting_at(session, booth["id"], lan.id, -timedelta(days=3))
        row = await session.get(Meeting, held.id)
        row.attendance, row.attendance_decided_at = "held", clock.now() - timedelta(days=3)
        await session.commit()
        real = {
            "slug": ["2027-06"],
            "booth_id": [booth["id"], pending["id"]],
            "product_id": [product.json()["id"]],
            "media_id": [media.json()["id"]],
            "meeting_id": [booked.json()["id"], soon.id, held.id],
        }
        tokens: dict[str, str | None] = {"anonymous": None}
        for role, email in (
            ("buyer", "lan@saigon.example"),
            ("exhibitor", "kenji@tsubame.example"),
            ("organizer", "organizer@example.com"),  # made by booth_with_hours' approval
        ):
            client.cookies.clear()
            response = await client.post(
                "/api/auth/login", json={"email": email, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            tokens[role] = response.cookies["kk_session"]
        rate = {"currency": "USD", "valid_from": "2026-01-01", "jpy_per_unit": "150.25"}
        response = await client.put("/api/exchange-rates", json=rate)  # as the organizer
        assert response.status_code == 200, response.text
    placeholders = {
        _placeholder(name, i): value
        for name, values in real.items()
        for i, value in enumerate(values)
    }
    return {"placeholders": placeholders, "tokens": tokens}


def _skipped(role: str, operation: Any) -> bool:
    # Signing out would end the role's session for every later request; the anonymous run
    # covers the endpoint.
    return role != "anonymous" and operation.label == "POST /api/auth/logout"


def _as_request(case: Any, token: str | None) -> requests.PreparedRequest:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    cookies = {**(kwargs.get("cookies") or {}), "kk_csrf": CSRF}
    if token:
        cookies["kk_session"] = token
    return requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers={**(kwargs.get("headers") or {}), "X-CSRF-Token": CSRF},
        params=kwargs.get("params"),
        cookies=cookies,
        json=kwargs.get("json"),
        data=kwargs.get("data"),
        files=kwargs.get("files"),
    ).prepare()


@pytest.mark.parametrize("role", ROLES)
async def test_api_matches_its_document(
    app: Any, role: str, database_url: str, fuzz_cases: list[tuple[Any, list[Any], list[Any]]]
) -> None:
    world = await _seed(app)
    with_coverage = COVERAGE == "all" or database_url.startswith(COVERAGE)
    token = world["tokens"][role]
    failures: dict[str, list[str]] = {}  # per operation: every failure, the first one shown
    async with make_client(app) as client:
        for operation, generated_cases, coverage_cases in fuzz_cases:
            if _skipped(role, operation):
                continue
            found = failures.setdefault(f"{role} {operation.label}", [])
            cases = generated_cases + (coverage_cases if with_coverage else [])
            for generated in cases:
                case = generated.derive()
                for name, value in case.path_parameters.items():
                    case.path_parameters[name] = world["placeholders"].get(value, value)
                request = _as_request(case, token)
                client.cookies.clear()  # nothing carries over from one request to the next
                try:
                    response = await client.request(
                        request.method or "GET",
                        request.url or "/",
                        headers=dict(request.headers),
                        content=request.body or b"",
                    )
                except Exception as exc:  # the app raised: a 500
                    trace = "".join(traceback.format_exception(exc)[-10:])
                    curl = case.as_curl_command(base_url="http://testserver")
                    found.append(f"500 (as {role}) for: {curl}\n{trace}")
                    continue
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseExceptionGroup as exc:  # schemathesis' FailureGroup
                    found.append(str(exc))
    report = [
        f"{where} ({len(found)} failing cases), the first:\n{found[0]}"
        for where, found in failures.items()
        if found
    ]
    assert not report, "\n\n".join(report)

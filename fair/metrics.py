"""The process's counters in the Prometheus format (``prometheus_client``'s default registry):
HTTP requests by route template, method and status class with their latency, and jobs run
by name with their outcome and duration. ``fair.scrape`` serves them on ``GET /metrics``
with what is read at scrape time (the outbox, the database pool, the video rooms).

Every label has a bounded set of values, whatever clients send: the route is the template
the request matched (``/booths/{booth_id}``, never the id), an unknown method is "other" and
a path no route matches is "unmatched"; so a scan of random URLs adds no series.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import Counter, Histogram, disable_created_metrics
from starlette.routing import BaseRoute, Mount, Route

# No ``*_created`` series beside each counter and histogram: they would double the series
# and no alert here reads them.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "kakehashi_http_requests",
    "HTTP requests answered, by route template, method and status class (2xx, 4xx, 5xx ...).",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "kakehashi_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
)
# "job_name", not "job": Prometheus gives every scraped series a "job" label of its own.
JOBS = Counter(
    "kakehashi_jobs",
    "Job runs by job name and outcome (ok, or failed: it raised and is retried or given up).",
    ["job_name", "outcome"],
)
JOBS_GIVEN_UP = Counter(
    "kakehashi_jobs_given_up",
    "Jobs whose last try failed: nothing retries them (docs/operations.md, A failed job).",
    ["job_name"],
)
JOB_DURATION = Histogram(
    "kakehashi_job_duration_seconds", "How long a job run took, by job name.", ["job_name"]
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

# The labelled children by their labels: a dict look-up per request instead of
# prometheus_client's own (which takes a lock and checks the labels each time).
_requests: dict[tuple[str, str, str], Any] = {}
_durations: dict[tuple[str, str], Any] = {}


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered: ``route`` is its template (``RouteTemplates``)."""
    method = method if method in METHODS else "other"
    status_class = f"{status // 100}xx"
    key = (route, method, status_class)
    counter = _requests.get(key)
    if counter is None:
        counter = _requests[key] = HTTP_REQUESTS.labels(route, method, status_class)
    counter.inc()
    histogram = _durations.get(key[:2])
    if histogram is None:
        histogram = _durations[key[:2]] = HTTP_DURATION.labels(route, method)
    histogram.observe(seconds)


def record_job(name: str, seconds: float, *, failed: bool, given_up: bool = False) -> None:
    """One run of job ``name``; ``given_up`` when it failed and nothing will run it again."""
    JOBS.labels(name, "failed" if failed else "ok").inc()
    JOB_DURATION.labels(name).observe(seconds)
    if given_up:
        JOBS_GIVEN_UP.labels(name).inc()


def _templates(
    routes: Iterable[BaseRoute], prefix: str = "", outer: frozenset[str] = frozenset()
) -> Iterator[tuple[tuple[Any, frozenset[str]], str]]:
    for route in routes:
        if isinstance(route, Mount):
            # The mount's own "{path}" is what its app serves, not a path parameter.
            params = outer | (frozenset(route.param_convertors) - {"path"})
            if route.routes:
                yield from _templates(route.routes, prefix + route.path, params)
            else:  # an app mounted whole (the static files): one template for all of it
                yield (route.app, params), prefix + route.path_format
        elif isinstance(route, Route):
            params = outer | frozenset(route.param_convertors)
            yield (route.endpoint, params), prefix + route.path_format


class RouteTemplates:
    """The template of the route a request matched, from what Starlette's router leaves in
    the request's scope (the endpoint and the path parameters' names), found in a table
    made once from the app's routes: no second matching of the path."""

    def __init__(self) -> None:
        self._table: dict[tuple[int, frozenset[str]], str] | None = None

    def of(self, scope: dict[str, Any]) -> str:
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED
        if self._table is None:
            self._table = {
                (id(endpoint), params): template
                for (endpoint, params), template in _templates(scope["app"].routes)
            }
        params = frozenset(scope.get("path_params") or ())
        return self._table.get((id(endpoint), params), UNMATCHED)

"""Log lines: plain text (``FAIR_LOG_FORMAT=text``, for a terminal) or one JSON object a line
(``json``, for a log collector), each with the id of the request it was written in.

The request id lives in a context variable that ``fair.middleware.Observe`` sets for each
request, so any logger called while the request is served (a service, a failed commit)
carries it without being handed it; a job run in the app's relay carries none.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s%(request_tag)s"

request_id: ContextVar[str | None] = ContextVar("fair_request_id", default=None)

# An incoming X-Request-ID is kept when it is this sane (a proxy's or a client's id, worth
# following across systems); anything else is replaced, so a log line never carries a
# header's newlines, quotes or megabytes.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# What a record carries of its own (``logging.LogRecord``'s attributes): the rest of its
# ``__dict__`` is what the caller passed in ``extra``, written out as fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "request_tag",
    "color_message",  # uvicorn's message again, with terminal colours
}


def new_request_id() -> str:
    return secrets.token_hex(16)


def sane_request_id(incoming: str | None) -> str:
    """The incoming id when it is at most 64 of ``A-Z a-z 0-9 . _ -``; a new one otherwise."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record a handler writes (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        record.request_id = current
        record.request_tag = f" [{current}]" if current else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id, the
    ``extra`` fields the caller gave, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            # The record's own time: log lines keep the real time even when the programme's
            # clock is moved (FAIR_NOW), so they line up with the other systems' logs.
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes the lines in the chosen format, each with its request's id."""

    def __init__(self, log_format: str, stream: Any = None) -> None:
        if log_format not in FORMATS:
            raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
        super().__init__(stream or sys.stderr)
        self.addFilter(RequestIdFilter())
        self.setFormatter(
            JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
        )


def configure(log_format: str, level: int = logging.INFO) -> None:
    """The process's logging: one ``LineHandler`` on the root logger, so every library's
    lines (uvicorn's, arq's, SQLAlchemy's) come out in the same format. Like
    ``logging.basicConfig``, it leaves a root logger that someone else has set up as it is
    (a test runner capturing the lines)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LineHandler)]:
        root.removeHandler(old)
    root.setLevel(level)
    # httpx writes every URL it fetches at INFO: a webhook receiver's URL may carry the
    # receiver's own secret in its query. Its warnings and errors still come through.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    if not root.handlers:
        root.addHandler(LineHandler(log_format))

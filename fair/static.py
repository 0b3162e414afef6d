"""The site's static files (style sheet, scripts, pictures): served by Starlette with a
``Cache-Control``, and named in pages by versioned URLs so browsers keep them for a year and
still see a change at once."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from os import PathLike
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The folder as text: a page names three files or more, and joining strings and os.stat
# cost half of what pathlib's ``/`` and ``stat()`` did.
_STATIC_ROOT = str(STATIC_DIR)
STATIC_PREFIX = "/static/"
# A versioned static URL names its content, so it never changes: a year, no revalidation.
IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=256)
def _version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """``/static/<path>?v=<hash of its content>``: a changed file gets a new URL, so the
    browser may keep each version for a year (``VersionedStatic``). A missing file keeps its
    plain URL (its request is the 404)."""
    try:
        stat = os.stat(os.path.join(_STATIC_ROOT, path))
    except OSError:
        return STATIC_PREFIX + path
    return f"{STATIC_PREFIX}{path}?v={_version(path, stat.st_mtime_ns)}"


class VersionedStatic(StaticFiles):
    """Starlette's static files (ETag, Last-Modified, 304, Range) with a ``Cache-Control``:
    for a year when asked by a versioned URL, else revalidated each time (an asset named by
    another asset, such as the logo in the style sheet)."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        versioned = "v" in parse_qs(scope.get("query_string", b"").decode("latin-1"))
        response.headers["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
        return response

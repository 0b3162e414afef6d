"""Search text: one folded form for what is stored and what is asked.

Pure functions. Folding is NFKC (full-width Ｔｅａ → Tea, half-width ｶﾀｶﾅ → カタカナ), case
folding, and accents dropped from Latin letters only, so a Hanoi buyer typing "gom su" finds
"Gốm sứ" while Thai vowel signs and Japanese dakuten, which are also combining marks, stay.
Matching is by substring (trigram indexes make it fast), because Japanese, Chinese and Thai
are written without spaces between words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

MAX_TERMS = 8
MAX_QUERY_CHARS = 200
# LIKE wildcards and the escape character carry no meaning in a search box.
_WILDCARDS = re.compile(r"[%_\\]")
_SPACE = re.compile(r"\s+")
_LATIN_EXTRAS = str.maketrans({"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae"})


def _is_latin_base(char: str) -> bool:
    return "a" <= char <= "z"


def fold(text: str) -> str:
    """The searchable form of ``text``."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LATIN_EXTRAS)
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and _is_latin_base(out[-1]):
            continue
        out.append(char)
    return _SPACE.sub(" ", unicodedata.normalize("NFC", "".join(out))).strip()


def search_terms(query: str) -> list[str]:
    """The folded, distinct terms of a search box entry; every one must match."""
    cleaned = _WILDCARDS.sub(" ", query[:MAX_QUERY_CHARS])
    terms: list[str] = []
    for term in fold(cleaned).split(" "):
        if term and term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def texts(*values: Mapping[str, str] | Iterable[str] | str | None) -> str:
    """Every language's text of the given fields, folded into one searchable string."""
    parts: list[str] = []
    for value in values:
        if not value:
            continue
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, Mapping):
            parts.extend(str(v) for v in value.values() if v)
        else:
            parts.extend(str(v) for v in value if v)
    return fold(" \n ".join(parts))

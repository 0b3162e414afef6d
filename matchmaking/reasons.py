"""A match's reasons in the viewer's language: each reason is a code and parameters
(``scoring.Reason``), rendered here with the gettext catalogs and babel's names and
numbers. The buyer reads them addressed to them ("that you asked for"); the booth's company
and the organizers read them about the buyer."""

from __future__ import annotations

from datetime import date
from typing import Literal

from booths.taxonomy import MOQ_UNITS, category_label
from fair.i18n import (
    current_language,
    format_date,
    format_number,
    gettext,
    language_name,
    lazy,
    ngettext,
    territory_name,
)
from matchmaking.scoring import Reason

Audience = Literal["buyer", "others"]

# (to the buyer, to the others) per code.
MESSAGES: dict[str, tuple[str, str]] = {
    "hs": (
        lazy("makes HS %(code)s that you asked for"),
        lazy("makes HS %(code)s that the buyer asked for"),
    ),
    "hs_related": (
        lazy("makes HS %(code)s, close to the HS %(asked)s you asked for"),
        lazy("makes HS %(code)s, close to the HS %(asked)s the buyer asked for"),
    ),
    "category": (lazy("works in %(categories)s"), lazy("works in %(categories)s")),
    "text": (lazy("mentions %(words)s"), lazy("mentions %(words)s")),
    "certification": (lazy("has %(certifications)s"), lazy("has %(certifications)s")),
    "minimum_order": (
        lazy("minimum order %(moq)s ≤ your %(amount)s %(unit)s"),
        lazy("minimum order %(moq)s ≤ the buyer's %(amount)s %(unit)s"),
    ),
    "market": (lazy("sells to %(markets)s"), lazy("sells to %(markets)s")),
    "wanted_market": (
        lazy("wants buyers for %(markets)s, where you sell"),
        lazy("wants buyers for %(markets)s, where the buyer sells"),
    ),
    "price": (
        lazy("price %(low)s–%(high)s %(currency)s fits your %(target)s %(target_currency)s"),
        lazy("price %(low)s–%(high)s %(currency)s fits the buyer's %(target)s %(target_currency)s"),
    ),
    "time_frame": (
        lazy("the fair comes in time for you: buying %(frame)s"),
        lazy("the fair comes in time for the buyer: buying %(frame)s"),
    ),
    "language": (lazy("meets in %(language)s"), lazy("meets in %(language)s")),
    "interpreter": (
        lazy("an interpreter between %(language)s and %(other)s is available"),
        lazy("an interpreter between %(language)s and %(other)s is available"),
    ),
}


def _good_times(count: int) -> str:
    # Written out here (not in MESSAGES) so that extraction finds a plural entry.
    return ngettext("%(count)s good time for both", "%(count)s good times for both", count)


# Codes whose wording depends on a count: the same to every audience.
PLURALS = {"good_times": _good_times}
# How a time frame reads with one end or both.
FRAME_FROM = lazy("from %(from)s")
FRAME_UNTIL = lazy("until %(until)s")
FRAME_BOTH = lazy("%(from)s – %(until)s")


def _frame(start: date | None, end: date | None) -> str:
    dates = {"from": format_date(start) if start else "", "until": format_date(end) if end else ""}
    if start and end:
        return gettext(FRAME_BOTH) % dates
    return gettext(FRAME_FROM if start else FRAME_UNTIL) % dates


def _listed(items: list[str]) -> str:
    return gettext(", ").join(items)


def _values(reason: Reason) -> dict[str, str]:
    params = reason.params
    language = current_language()
    values = {key: str(value) for key, value in params.items() if isinstance(value, str | int)}
    if "categories" in params:
        values["categories"] = _listed([category_label(c, language) for c in params["categories"]])
    if "words" in params:
        values["words"] = _listed([f"“{word}”" for word in params["words"]])
    if "certifications" in params:
        values["certifications"] = _listed(list(params["certifications"]))
    if "markets" in params:
        values["markets"] = _listed([territory_name(code) for code in params["markets"]])
    if "from" in params or "until" in params:
        values["frame"] = _frame(params.get("from"), params.get("until"))
    for key in ("low", "high", "target", "count"):
        if key in params:
            values[key] = format_number(params[key])
    for key in ("moq", "amount"):
        if key in params:
            values[key] = format_number(params[key])
    if "unit" in params:
        values["unit"] = gettext(MOQ_UNITS.get(params["unit"], params["unit"]))
    for key in ("language", "other"):
        if key in params:
            values[key] = language_name(params[key])
    return values


def render(reason: Reason, audience: Audience) -> dict[str, str]:
    """``{"code", "text"}`` in the current request's language."""
    if reason.code in PLURALS:
        message = PLURALS[reason.code](int(reason.params["count"]))
        return {"code": reason.code, "text": message % _values(reason)}
    to_buyer, to_others = MESSAGES[reason.code]
    message = to_buyer if audience == "buyer" else to_others
    return {"code": reason.code, "text": gettext(message) % _values(reason)}

"""The demo's data: the TOML files in this folder, read and checked once, on import.

``people.toml`` (organizer, staff, buyers, interpreters), ``exhibitors/*.toml`` (one company
each, with its texts, products and picture colours, in file-name order), ``programme.toml``
(the fairs ahead: rates, the open day, reviews, bookings, the live meetings), ``history.toml``
(the past year's script), ``pictures.toml`` (which drawing pictures a product) and
``matchmaking.toml`` (the buyers' sourcing needs, the open day's proposals). A file that does
not fit its model stops the import with the file, the key and what is wrong, so a typo never
loads a half-right demo. People are referred to by e-mail; an address that names nobody fails
the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from meetings.models import Attendance, Stage

FOLDER = Path(__file__).parent
ROOT = FOLDER.parents[1]

Language = Literal["ja", "en", "zh_Hans", "zh_Hant", "vi", "th"]
Text = dict[Language, str]
Channel = Annotated[int, Field(ge=0, le=255)]
RGB = tuple[Channel, Channel, Channel]
Range = tuple[int, int]


class DemoDataError(ValueError):
    """A demo data file that does not fit its model."""


def _japanese_and_english(text: Text) -> Text:
    if "ja" not in text or "en" not in text:
        raise ValueError("an exhibitor's text needs ja and en")
    return text


def _someone(kind: str) -> Callable[[str, ValidationInfo], str]:
    """A check that an e-mail address names one of the ``kind`` (given as the context)."""

    def check(email: str, info: ValidationInfo) -> str:
        if email not in (info.context or {}).get(kind, ()):
            raise ValueError(f"no demo {kind.removesuffix('s')} has this e-mail address")
        return email

    return check


ExhibitorText = Annotated[Text, AfterValidator(_japanese_and_english)]
ExhibitorEmail = Annotated[str, AfterValidator(_someone("exhibitors"))]
BuyerEmail = Annotated[str, AfterValidator(_someone("buyers"))]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# People ------------------------------------------------------------------------------------


class ProgrammeStaff(Model):
    email: str
    name: str
    company: str
    country: str
    locale: Language


class Buyer(Model):
    email: str
    name: str
    company: str
    country: str
    timezone: str
    locale: Language
    interests: list[str]


class Interpreter(Model):
    email: str
    name: str
    company: str
    country: str
    languages: list[Language]


class People(Model):
    organizer: ProgrammeStaff
    staff: ProgrammeStaff
    buyers: list[Buyer]
    interpreters: list[Interpreter]


# Exhibitors --------------------------------------------------------------------------------


class Picture(Model):
    """The booth's picture colours: backdrop wall and floor, brand accents, the cover's
    tabletop, and whether the tabletop shows wood grain."""

    wall: RGB
    floor: RGB
    accent: RGB
    accent2: RGB
    table: RGB
    grain: bool


class Product(Model):
    name: ExhibitorText
    description: ExhibitorText
    hs_code: str
    moq: int
    # Kept as written (an integer stays one) so the product is what a hand-typed one is.
    price_min: int | float
    price_max: int | float
    currency: str
    lead_time_days: int


class Exhibitor(Model):
    email: str
    name: str
    country: str
    timezone: str
    locale: Language
    city: str
    category: str
    markets: list[str]
    languages: list[Language]
    certifications: list[str]
    website: str
    company: ExhibitorText
    tagline: ExhibitorText
    description: ExhibitorText
    picture: Picture
    products: list[Product]


# The fairs ahead -----------------------------------------------------------------------------


class OpenDay(Model):
    title: Text
    description: Text


class Brochure(Model):
    title: Text


class SentBack(Model):
    exhibitor: ExhibitorEmail
    note: str


class FollowingFair(Model):
    pending: list[ExhibitorEmail]
    rejected: list[SentBack]


class Booking(Model):
    buyer: BuyerEmail
    exhibitor: ExhibitorEmail
    day: int
    hour: int = Field(ge=0, le=23)
    interpreter: Language | None = None


class Pair(Model):
    buyer: BuyerEmail
    exhibitor: ExhibitorEmail
    interpreter: Language | None = None


class Live(Model):
    note: str
    pairs: list[Pair]


class Programme(Model):
    rates: dict[str, Decimal]
    open_day: OpenDay
    brochure: Brochure
    following_fair: FollowingFair
    bookings: list[Booking]
    live: Live


# The past year -----------------------------------------------------------------------------

Step = tuple[Stage, int, int]  # a stage, then the fewest and most days after the last entry


class OutcomePath(Model):
    weight: int
    steps: tuple[Step, ...]


class Paths(Model):
    contract: list[OutcomePath]
    no_deal: list[OutcomePath]
    open: list[OutcomePath]


class Affinity(Model):
    buyer: BuyerEmail
    exhibitors: list[ExhibitorEmail]


class History(Model):
    months: int
    regulars: list[ExhibitorEmail]
    fair_size: Range
    bookings_per_fair: Range
    cancel_share: float
    rebook_share: float
    reschedule_share: float
    decline_share: float
    interpreted: list[Language]
    interpreter_share: float
    contract_share: tuple[float, float]
    no_deal_share: float
    no_outcome_share: float
    fall_back_share: float
    fall_back: Step
    feedback_share: float
    deal_yen: dict[str, Range]
    default_deal_yen: Range
    yen_per: dict[str, float]
    currency: dict[str, str]
    tokyo_hours: dict[str, Range]
    default_tokyo_hours: Range
    booking_notes: list[str]
    cancel_reasons: list[str]
    feedback_notes: list[str]
    dispute_reason: str
    fall_back_note: str
    attendance: dict[Attendance, float]
    notes: dict[Stage, list[str]]
    next_steps: dict[Stage, list[str]]
    paths: Paths
    affinity: list[Affinity]


# Pictures ----------------------------------------------------------------------------------


class Drawing(Model):
    name: str
    keywords: list[str]
    hs_codes: list[str] = Field(default_factory=list)


class Pictures(Model):
    drawings: list[Drawing]


# Matchmaking ---------------------------------------------------------------------------------


class DemoNeed(Model):
    """A buyer's standing sourcing need (``quantity`` in pieces)."""

    buyer: BuyerEmail
    text: str
    hs_codes: list[str] = []
    categories: list[str] = []
    quantity: int | None = None
    certifications: list[str] = []
    markets: list[str] = []
    visible_to_exhibitors: bool = True


class DemoProposal(Model):
    """A proposal of the open day, by the organizers or by the exhibitor, and what became of
    it: still open, accepted by every side (booked), declined by the buyer, or expired."""

    by: Literal["organizer", "exhibitor"]
    buyer: BuyerEmail
    exhibitor: ExhibitorEmail
    note: str = ""
    state: Literal["open", "accepted", "declined", "expired"]
    reason: str = ""
    days_ago: int = Field(default=0, ge=0, le=13)


class DemoMessage(Model):
    """One message of a demo thread: by the buyer or the booth's company, so many hours
    before the demo is loaded."""

    by: Literal["buyer", "booth"]
    hours_ago: int = Field(ge=1, le=24 * 13)
    text: str = Field(min_length=1, max_length=2000)


class DemoConversation(Model):
    """A thread of the open day between a buyer and an exhibitor's booth, oldest message
    first; the last one is unread by the other side."""

    buyer: BuyerEmail
    exhibitor: ExhibitorEmail
    messages: list[DemoMessage] = Field(min_length=1)

    @model_validator(mode="after")
    def _oldest_first(self) -> DemoConversation:
        hours = [message.hours_ago for message in self.messages]
        if hours != sorted(hours, reverse=True) or len(set(hours)) != len(hours):
            raise ValueError("messages go oldest first, each at its own hour")
        return self


class Matchmaking(Model):
    needs: list[DemoNeed]
    proposals: list[DemoProposal]
    conversations: list[DemoConversation] = []


# Loading -----------------------------------------------------------------------------------

M = TypeVar("M", bound=Model)


def _where(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)[1:]


def read(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """The file as ``model``, or a ``DemoDataError`` naming the file and each wrong key.
    ``context`` holds the e-mail addresses the file may refer to, by kind."""
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise DemoDataError(f"{name}: {exc}") from None
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise DemoDataError(f"{name}: {problems}") from None


PEOPLE = read(FOLDER / "people.toml", People)
EXHIBITORS: list[Exhibitor] = [
    read(path, Exhibitor) for path in sorted((FOLDER / "exhibitors").glob("*.toml"))
]
BUYERS: list[Buyer] = PEOPLE.buyers
INTERPRETERS: list[Interpreter] = PEOPLE.interpreters
_EMAILS = [
    person.email for person in (PEOPLE.organizer, PEOPLE.staff, *EXHIBITORS, *BUYERS, *INTERPRETERS)
]
if len(set(_EMAILS)) != len(_EMAILS):
    twice = sorted({email for email in _EMAILS if _EMAILS.count(email) > 1})
    raise DemoDataError(f"demo/data: more than one person has the e-mail address {twice}")
_KNOWN = {
    "exhibitors": {exhibitor.email for exhibitor in EXHIBITORS},
    "buyers": {buyer.email for buyer in BUYERS},
}
PROGRAMME = read(FOLDER / "programme.toml", Programme, _KNOWN)
HISTORY = read(FOLDER / "history.toml", History, _KNOWN)
PICTURES = read(FOLDER / "pictures.toml", Pictures)
MATCHMAKING = read(FOLDER / "matchmaking.toml", Matchmaking, _KNOWN)
OPEN_DAY_TITLE: Text = PROGRAMME.open_day.title
OPEN_DAY_DESCRIPTION: Text = PROGRAMME.open_day.description


def exhibitor_index(email: str) -> int:
    """The exhibitor's place in ``EXHIBITORS`` (the order of the files)."""
    return next(i for i, exhibitor in enumerate(EXHIBITORS) if exhibitor.email == email)


def buyer_index(email: str) -> int:
    """The buyer's place in ``BUYERS`` (the order of people.toml)."""
    return next(i for i, buyer in enumerate(BUYERS) if buyer.email == email)

"""Reading an organizer's invitation list (CSV or XLSX) into checked rows, with no database:
what the file is, its text encoding, its header names (English or Japanese), and each row's
problems (row number, column, message) in words the uploader's language can show.

Bounds come first, so a hostile or mistaken file costs little: the caller caps the bytes;
here the rows are counted as they are read and the reading stops at the first one past the
cap (``TooManyRows``), and an XLSX file's parts are checked for their unpacked size before
any is opened (a small zip can unpack to gigabytes)."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from pydantic import EmailStr, TypeAdapter, ValidationError

from fair.errors import DomainError
from fair.i18n import LANGUAGES, from_tag, lazy
from fair.schemas import COUNTRIES
from fair.web import PayloadTooLarge

COLUMNS = ("email", "role", "name", "company", "country", "language")
# Header names, compared folded (case, spaces, "-" and "_" ignored): English and Japanese.
ALIASES = {
    "email": ("email", "emailaddress", "mail", "メール", "メールアドレス", "eメール", "電子メール"),
    "role": ("role", "type", "役割", "区分", "種別"),
    "name": ("name", "fullname", "contactname", "氏名", "名前", "担当者", "担当者名"),
    "company": ("company", "companyname", "organization", "会社", "会社名", "企業名"),
    "country": ("country", "countrycode", "国", "国名", "国コード"),
    "language": ("language", "locale", "lang", "言語"),
}
ROLES = {
    "exhibitor": "exhibitor",
    "buyer": "buyer",
    "出展者": "exhibitor",
    "出展企業": "exhibitor",
    "バイヤー": "buyer",
}
MAX_LENGTH = {"email": 254, "name": 120, "company": 200}
# A cell starting with one of these is a formula to a spreadsheet that opens the file
# later (the organizer's own export of the list): refused, not stored.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 30  # columns read per row: the ones we know are found among the first
# An XLSX file's parts may unpack to at most this many times the upload's cap.
UNPACKED_FACTOR = 20
_EMAIL = TypeAdapter(EmailStr)


class SheetUnreadable(DomainError):
    status = 422
    code = "import_unreadable"
    message = lazy(
        "The file could not be read. Upload a CSV file (UTF-8, UTF-16 or Shift_JIS) or an "
        "XLSX workbook."
    )


class MissingColumns(DomainError):
    status = 422
    code = "import_columns_missing"
    message = lazy(
        "The first row must name the columns, with at least “email” and “role” "
        "(or “メールアドレス” and “役割”)."
    )


class TooManyRows(PayloadTooLarge):
    code = "import_too_many_rows"
    message = lazy("The file has more than %(limit)d rows. Split it into smaller files.")


@dataclass(frozen=True)
class RowProblem:
    row: int  # as numbered in the file: the header is row 1
    field: str
    message: str  # a msgid
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A row whose cells are all good: what one invitation needs."""

    row: int
    email: str
    role: str
    name: str
    company: str
    country: str
    language: str | None  # None: the fair's default


@dataclass
class Sheet:
    candidates: list[Candidate]
    problems: list[RowProblem]


def _fold(header: object) -> str:
    text = "" if header is None else str(header)
    return "".join(text.split()).replace("-", "").replace("_", "").lower()


_BY_ALIAS = {_fold(alias): column for column, aliases in ALIASES.items() for alias in aliases}


def decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 or UTF-16 with a byte order mark, else UTF-8, else
    Shift_JIS as Windows writes it (CP932, its superset: Excel's "CSV" in Japan). Tried in
    that order: Japanese text in CP932 is practically never valid UTF-8, so the order
    decides nothing wrongly. No library: these are the encodings organizers' tools write."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp932"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # UTF-16 without its mark decodes as UTF-8 full of NULs
            return text
    raise SheetUnreadable()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = decode(data)
    first = text.split("\n", 1)[0]
    # Excel's "Unicode text" is UTF-16 separated by tabs.
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise SheetUnreadable() from None


def _xlsx_rows(data: bytes, max_bytes: int) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetUnreadable() from None
    if unpacked > max_bytes * UNPACKED_FACTOR:
        raise SheetUnreadable()
    try:
        # Read-only: rows stream from the sheet's XML instead of building the workbook.
        # Not data_only: a formula cell reads as its formula ("=..."), and is refused.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        raise SheetUnreadable() from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield ["" if value is None else str(value) for value in values]
    except (KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile):
        raise SheetUnreadable() from None
    finally:
        book.close()


def is_xlsx(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def raw_rows(data: bytes, *, max_bytes: int) -> Iterator[list[str]]:
    return _xlsx_rows(data, max_bytes) if is_xlsx(data) else _csv_rows(data)


def _header(cells: list[str]) -> dict[int, str]:
    found: dict[int, str] = {}
    for index, cell in enumerate(cells[:MAX_COLUMNS]):
        column = _BY_ALIAS.get(_fold(cell))
        if column and column not in found.values():
            found[index] = column
    if not {"email", "role"} <= set(found.values()):
        raise MissingColumns()
    return found


def _language(value: str) -> str | None:
    if value in LANGUAGES:
        return value
    return from_tag(value) if value else None


def check_row(number: int, cells: dict[str, str]) -> tuple[Candidate | None, list[RowProblem]]:
    """A row's candidate invitation, or its problems (one per column at most)."""
    problems: list[RowProblem] = []

    def refuse(column: str, message: str, **params: Any) -> None:
        problems.append(RowProblem(number, column, message, params))

    for column in COLUMNS:
        value = cells.get(column, "")
        if value.startswith(FORMULA_STARTS):
            refuse(column, lazy("A cell may not start with =, +, - or @ (a spreadsheet formula)."))
        elif len(value) > MAX_LENGTH.get(column, 64):
            refuse(column, lazy("This is too long."))
    bad = {problem.field for problem in problems}
    email = cells.get("email", "").lower()
    if "email" not in bad:
        try:
            email = _EMAIL.validate_python(email).lower()
        except ValidationError:
            refuse("email", lazy("This is not a valid e-mail address."))
    role = ROLES.get(cells.get("role", "").lower())
    if "role" not in bad and role is None:
        refuse("role", lazy("Unknown role: use exhibitor or buyer (出展者 or バイヤー)."))
    country = cells.get("country", "").upper()
    if "country" not in bad and country and country not in COUNTRIES:
        refuse("country", lazy("Unknown country code (use ISO 3166, e.g. VN)."))
    language = _language(cells.get("language", ""))
    if "language" not in bad and cells.get("language") and language is None:
        refuse("language", lazy("Unsupported language."))
    if problems or role is None:
        return None, problems
    return (
        Candidate(
            row=number,
            email=email,
            role=role,
            name=cells.get("name", ""),
            company=cells.get("company", ""),
            country=country,
            language=language,
        ),
        [],
    )


def read_sheet(data: bytes, *, max_rows: int, max_bytes: int) -> Sheet:
    """Every row of the file checked: its candidates and its problems, duplicates of an
    address within the file among them. ``TooManyRows`` past ``max_rows`` data rows (blank
    rows are not counted), ``MissingColumns``, ``SheetUnreadable``."""
    rows = raw_rows(data, max_bytes=max_bytes)
    header: dict[int, str] | None = None
    sheet = Sheet(candidates=[], problems=[])
    first_row_of: dict[str, int] = {}
    count = 0
    for number, cells in enumerate(rows, start=1):
        texts = [cell.strip() for cell in cells]
        if not any(texts):
            continue
        if header is None:
            header = _header(texts)
            continue
        count += 1
        if count > max_rows:
            raise TooManyRows(limit=max_rows)
        named = {column: texts[index] for index, column in header.items() if index < len(texts)}
        candidate, problems = check_row(number, named)
        sheet.problems += problems
        if candidate is None:
            continue
        first = first_row_of.setdefault(candidate.email, number)
        if first != number:
            sheet.problems.append(
                RowProblem(
                    number, "email", lazy("This address is in row %(row)d already."), {"row": first}
                )
            )
            continue
        sheet.candidates.append(candidate)
    if header is None:
        raise MissingColumns()
    return sheet

"""Invitation lists (issue 17, item 6, "Bad input"): CSV in UTF-8 (with and without its
mark), UTF-16 and Shift_JIS, XLSX; a dry run writes nothing; one bad row and nothing is
imported; formula cells, duplicates and bad values are named by row and column in the
uploader's language; a 10,000-row file is refused at once; the mails go out after commit."""

from __future__ import annotations

import io
from typing import Any

import pytest
from helpers import login, make_user, read_scalar
from meeting_helpers import fair_between, next_weekday, run_jobs
from openpyxl import Workbook
from sqlalchemy import func, select

from fair.i18n import translations
from fair.invitations.models import FairInvitation
from fair.invitations.sheets import SheetUnreadable, decode, read_sheet
from fair.outbox import OutboxJob
from fair.web import CSRF_COOKIE

ORGANIZER = "organizer@example.com"
CSRF = "csrf-of-the-import-tests"
HEADER = "email,role,name,company,country,language\n"
ROWS = (
    "lan@saigon.example,buyer,Nguyễn Thị Lan,Saigon Trading,VN,vi\n"
    "kenji@tsubame.example,exhibitor,燕 研二,燕磨き,JP,ja\n"
)


@pytest.fixture
async def organizer(client, session):
    day = next_weekday()
    await fair_between(session, "2027-06", day, day)
    await make_user(session, "organizer", ORGANIZER)
    await login(client, ORGANIZER)
    client.cookies.set(CSRF_COOKIE, CSRF)
    return client


async def upload(
    client: Any, data: bytes, *, dry_run: str = "true", name: str = "list.csv", **headers: str
) -> Any:
    return await client.post(
        "/api/invitations/import",
        files={"file": (name, data, "application/octet-stream")},
        data={"fair": "2027-06", "dry_run": dry_run},
        headers={"x-csrf-token": CSRF, **headers},
    )


async def invitations(session: Any) -> int:
    return await read_scalar(session, select(func.count()).select_from(FairInvitation))


@pytest.mark.parametrize(
    "encoded",
    [
        (HEADER + ROWS).encode("utf-8"),
        (HEADER + ROWS).encode("utf-8-sig"),
        (HEADER + ROWS).encode("utf-16"),  # with its byte order mark
        (HEADER + ROWS).replace(",", "\t").encode("utf-16"),  # Excel's "Unicode text"
        ("メールアドレス,役割,氏名,会社名,国,言語\n" + ROWS).encode("cp932", "replace"),
    ],
    ids=["utf-8", "utf-8 bom", "utf-16 bom", "utf-16 tabs", "shift_jis"],
)
async def test_a_preview_reads_every_encoding_and_writes_nothing(organizer, session, encoded):
    preview = await upload(organizer, encoded)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["dry_run"] is True and body["imported"] == 0 and body["errors"] == []
    assert [(r["row"], r["email"], r["role"], r["action"]) for r in body["rows"]] == [
        (2, "lan@saigon.example", "buyer", "invite"),
        (3, "kenji@tsubame.example", "exhibitor", "invite"),
    ]
    assert body["rows"][1]["company"] == "燕磨き"
    assert await invitations(session) == 0
    assert await read_scalar(session, select(func.count()).select_from(OutboxJob)) == 0


async def test_an_import_writes_every_row_and_mails_after_commit(
    app, organizer, session, smtp, mail_context
):
    inbox, _ = smtp
    done = await upload(organizer, (HEADER + ROWS).encode(), dry_run="false")
    assert done.status_code == 201, done.text
    assert done.json()["imported"] == 2
    assert await invitations(session) == 2
    assert await run_jobs(app, mail_context) == 2
    subjects = {m["To"]: m["Subject"] for m in inbox.messages}
    fair = {"fair": "Fair 2027-06"}
    subject = "You are invited to %(fair)s on Kakehashi"
    assert subjects["lan@saigon.example"] == translations("vi").ugettext(subject) % fair
    assert subjects["kenji@tsubame.example"] == translations("ja").ugettext(subject) % fair
    # The same list again: each row is sent again, no second row.
    again = await upload(organizer, (HEADER + ROWS).encode(), dry_run="false")
    assert {r["action"] for r in again.json()["rows"]} == {"resend"}
    assert await invitations(session) == 2


async def test_one_bad_row_and_nothing_is_imported(organizer, session):
    rows = (
        "lan@saigon.example,buyer,Lan,,VN,vi\n"
        "not-an-address,buyer,,,,\n"
        "wei@shanghai.example,organizer,,,,\n"
        '=HYPERLINK("http://evil.example"),buyer,,,,\n'
        "lan@saigon.example,buyer,Lan again,,,\n"
        "mai@hanoi.example,buyer,@SUM(A1),,XX,klingon\n"
        "\n"
        "ok@example.com,exhibitor,-2+3,,,\n"
    )
    data = (HEADER + rows).encode()
    # Messages in the uploader's language.
    assert (await organizer.patch("/api/me", json={"locale": "ja"})).status_code == 200
    preview = await upload(organizer, data)
    assert preview.status_code == 200
    errors = {(e["row"], e["field"]): e["message"] for e in preview.json()["errors"]}
    ja = translations("ja").ugettext
    assert errors == {
        (3, "email"): ja("This is not a valid e-mail address."),
        (4, "role"): ja("Unknown role: use exhibitor or buyer (出展者 or バイヤー)."),
        (5, "email"): ja("A cell may not start with =, +, - or @ (a spreadsheet formula)."),
        (6, "email"): ja("This address is in row %(row)d already.") % {"row": 2},
        (7, "name"): ja("A cell may not start with =, +, - or @ (a spreadsheet formula)."),
        (7, "country"): ja("Unknown country code (use ISO 3166, e.g. VN)."),
        (7, "language"): ja("Unsupported language."),
        (9, "name"): ja("A cell may not start with =, +, - or @ (a spreadsheet formula)."),
    }
    refused = await upload(organizer, data, dry_run="false")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "import_rows_invalid"
    assert set(error["fields"]) == {f"{row}.{field}" for row, field in errors}
    assert await invitations(session) == 0
    assert await read_scalar(session, select(func.count()).select_from(OutboxJob)) == 0


async def test_an_account_of_another_role_is_a_row_error(organizer, session):
    await make_user(session, "exhibitor", "lan@saigon.example")
    refused = await upload(organizer, (HEADER + ROWS).encode(), dry_run="false")
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) == {"2.email"}
    assert await invitations(session) == 0


async def test_an_xlsx_workbook_is_read_and_its_formulas_refused(organizer, session):
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Role", "Name", "Company"])
    sheet.append(["lan@saigon.example", "バイヤー", "Lan", 42])
    sheet.append(["wei@shanghai.example", "buyer", "=1+1", "Shanghai Foods"])
    raw = io.BytesIO()
    book.save(raw)
    preview = await upload(organizer, raw.getvalue(), name="list.xlsx")
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert [(r["email"], r["role"], r["company"]) for r in body["rows"]] == [
        ("lan@saigon.example", "buyer", "42")
    ]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "name")]
    assert await invitations(session) == 0


async def test_a_ten_thousand_row_file_is_refused_at_once(organizer, session):
    rows = "".join(f"buyer{n}@example.com,buyer,Buyer {n},,,\n" for n in range(10_000))
    refused = await upload(organizer, (HEADER + rows).encode(), dry_run="false")
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "import_too_many_rows"
    assert await invitations(session) == 0


async def test_files_that_cannot_be_read_are_refused(organizer, session, settings):
    cases = [
        (b"\x00\x01\x02garbage\xff\xfe\xfd" * 10, 422, "import_unreadable"),
        (b"PK\x03\x04 not really a zip", 422, "import_unreadable"),
        (b"name,company\nLan,STJ\n", 422, "import_columns_missing"),
        (b"", 400, "bad_request"),
    ]
    for data, status, code in cases:
        response = await upload(organizer, data)
        assert response.status_code == status, (data[:20], response.text)
        assert response.json()["error"]["code"] == code
    large = b"x" * (settings.invitation_import_max_bytes + 1)
    assert (await upload(organizer, large)).status_code == 413
    # A cookie without the CSRF header (another site's form) is refused.
    forged = await organizer.post(
        "/api/invitations/import",
        files={"file": ("list.csv", (HEADER + ROWS).encode(), "text/csv")},
        data={"fair": "2027-06", "dry_run": "false"},
    )
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    assert await invitations(session) == 0


async def test_only_organizers_import(client, session, organizer):
    await make_user(session, "buyer", "b@example.com")
    await login(client, "b@example.com")
    client.cookies.set(CSRF_COOKIE, CSRF)
    assert (await upload(client, (HEADER + ROWS).encode())).status_code == 403
    client.cookies.clear()
    assert (await upload(client, (HEADER + ROWS).encode())).status_code == 401


def test_decoding_tries_the_marks_then_utf8_then_shift_jis():
    assert decode("氏名".encode("utf-8-sig")) == "氏名"
    assert decode("氏名".encode("utf-16-be")[0:0] + "\ufeff氏名".encode("utf-16-be")) == "氏名"
    assert decode("氏名".encode("shift_jis")) == "氏名"
    with pytest.raises(SheetUnreadable):
        decode("email".encode("utf-16-le"))  # UTF-16 without its mark


def test_a_header_in_japanese_with_role_values_in_japanese():
    data = "メールアドレス,区分,名前\nlan@saigon.example,出展者,Lan\n".encode()
    sheet = read_sheet(data, max_rows=10, max_bytes=10_000)
    [candidate] = sheet.candidates
    assert (candidate.email, candidate.role, candidate.name) == (
        "lan@saigon.example",
        "exhibitor",
        "Lan",
    )

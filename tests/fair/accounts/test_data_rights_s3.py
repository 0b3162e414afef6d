""" "Download my data" with media in a bucket (FAIR_STORAGE=s3, moto's S3 server): the job
fetches the person's files from the bucket into the zip, stores the zip there, the link
serves it from there, and the retention job deletes it there."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import timedelta

import pytest
from helpers import login
from meeting_helpers import booth_with_hours, run_jobs

from booths.models import Media
from fair import retention
from fair.resources import of_app
from kakehashi.app import create_app

PHOTO = b"\x89PNG\r\n\x1a\n" + b"kettle" * 100
EXHIBITOR = "kenji@tsubame.example"


def link_in(smtp, to: str) -> str:
    """The download link's path in the last mail to ``to``."""
    text = [m for m in smtp[0].messages if m["to"] == to][-1].get_body(("plain",)).get_content()
    found = re.search(r"http://\S+(/account/export/\S+)", text)
    assert found, text
    return found.group(1)


async def add_photo(app, session, booth_id: str) -> Media:
    """A photo of the booth, stored (in the bucket) as the media code stores it."""
    digest = hashlib.sha256(PHOTO).hexdigest()
    key = f"originals/{digest[:2]}/{digest}.png"
    await of_app(app).storage.write(key, PHOTO)
    media = Media(
        booth_id=booth_id,
        kind="image",
        content_type="image/png",
        size=len(PHOTO),
        sha256=digest,
        storage_key=key,
        filename="kettle.png",
        status="ready",
    )
    session.add(media)
    await session.commit()
    return media


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture
async def app(settings, engine, s3_server, bucket):
    application = create_app(s3_server.settings(settings, bucket))
    async with application.router.lifespan_context(application):
        yield application


async def test_download_my_data_from_the_bucket(
    app, client, session, mail_context, smtp, stopped_clock, s3_server, bucket
):
    booth = await booth_with_hours(client, session)
    photo = await add_photo(app, session, booth["id"])
    await login(client, EXHIBITOR)
    assert (await client.post("/api/me/export")).status_code == 202
    assert await run_jobs(app, mail_context) >= 1
    exports = [key for key in s3_server.keys(bucket) if key.startswith("media/exports/")]
    assert len(exports) == 1

    got = await client.get(link_in(smtp, EXHIBITOR))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["cache-control"] == "private, no-store"
    assert got.headers["content-disposition"].startswith('attachment; filename="kakehashi-data-')
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert archive.read(f"files/booths/{booth['id']}/{photo.id}-kettle.png") == PHOTO
    assert got.content == s3_server.body(bucket, exports[0])

    stopped_clock.advance(timedelta(hours=24, seconds=1))
    async with of_app(app).sessionmaker() as tasks:
        await retention.queue_purge(tasks)
    assert await run_jobs(app, mail_context) == 1
    assert [key for key in s3_server.keys(bucket) if key.startswith("media/exports/")] == []

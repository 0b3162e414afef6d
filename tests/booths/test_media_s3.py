"""Media in an S3-compatible bucket (FAIR_STORAGE=s3), against a real S3-protocol server
(moto's, tests/s3_server.py): uploads land in the bucket, downloads stream from it with
Range and HEAD or redirect to signed URLs, the variants job reads and writes through it,
removal deletes there, and the local folder keeps only nothing."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import login, make_client
from media_files import jpeg_with_gps, mp4, pdf
from PIL import Image

from fair import outbox
from fair.resources import job_context, of_app
from fair.s3 import S3Storage
from kakehashi import jobs
from kakehashi.app import create_app

CSRF = "test-csrf-token-0123456789"


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def owner_booth(client, session):
    await make_fair(session)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    client.cookies.set("kk_csrf", CSRF)
    return await create_booth(client)


async def upload(client, booth_id, content, name="photo.jpg", mime="image/jpeg"):
    return await client.post(
        f"/api/booths/{booth_id}/media",
        files={"file": (name, content, mime)},
        headers={"X-CSRF-Token": CSRF},
    )


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture
def s3_settings(settings, s3_server, bucket):
    return s3_server.settings(settings, bucket)


@pytest.fixture
async def app(s3_settings, engine):
    application = create_app(s3_settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_an_upload_lands_in_the_bucket_and_reads_back_whole_and_in_ranges(
    client, session, app, s3_server, bucket, s3_settings
):
    assert isinstance(of_app(app).storage, S3Storage)
    booth = await owner_booth(client, session)
    video = mp4(payload=8192)
    item = (await upload(client, booth["id"], video, name="demo.mp4")).json()
    stored = s3_server.keys(bucket)
    assert len(stored) == 1 and stored[0].startswith("media/originals/")
    assert s3_server.body(bucket, stored[0]) == video
    # Nothing kept on this machine: the staging file went into the bucket.
    assert files_under(s3_settings.media_dir) == []

    await approve(client, session, booth["id"])
    client.cookies.clear()
    full = await client.get(item["url"])
    assert full.status_code == 200
    assert full.content == video
    assert full.headers["content-type"] == "video/mp4"
    assert full.headers["content-length"] == str(len(video))
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert "max-age=86400" in full.headers["cache-control"]
    assert full.headers["etag"]

    part = await client.get(item["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == video[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(video)}"
    tail = await client.get(item["url"], headers={"Range": "bytes=-10"})
    assert (tail.status_code, tail.content) == (206, video[-10:])
    beyond = await client.get(item["url"], headers={"Range": f"bytes={len(video) + 5}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(video)}"

    head = await client.head(item["url"])
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(video))
    unchanged = await client.get(item["url"], headers={"If-None-Match": full.headers["etag"]})
    assert unchanged.status_code == 304


async def test_the_variants_job_reads_and_writes_through_the_bucket(
    client, session, app, s3_server, bucket, s3_settings
):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], jpeg_with_gps((2400, 1600)))).json()
    assert item["status"] == "processing"
    ran = await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app)))
    assert ran == 1
    variants = [key for key in s3_server.keys(bucket) if key.startswith("media/variants/")]
    assert len(variants) == 2 and all(key.endswith(".webp") for key in variants)
    listed = (await client.get(f"/api/booths/{booth['id']}/media")).json()["media"]
    assert (listed[0]["status"], listed[0]["width"], listed[0]["height"]) == ("ready", 2400, 1600)
    thumb = await client.get(item["thumb_url"])
    large = await client.get(item["large_url"])
    assert thumb.headers["content-type"] == large.headers["content-type"] == "image/webp"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 480
    assert Image.open(io.BytesIO(large.content)).size == (1600, 1067)
    # The original fetched for the worker is gone again.
    assert files_under(s3_settings.media_dir) == []


async def test_delete_removes_the_blob_and_its_variants_from_the_bucket(
    client, session, app, s3_server, bucket
):
    booth = await owner_booth(client, session)
    photo = (await upload(client, booth["id"], jpeg_with_gps((800, 600)))).json()
    brochure = (await upload(client, booth["id"], pdf(), name="brochure.pdf")).json()
    await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app)))
    assert len(s3_server.keys(bucket)) == 4  # two originals, two variants
    assert (await client.delete(f"/api/media/{photo['id']}")).status_code == 204
    remaining = s3_server.keys(bucket)
    assert len(remaining) == 1 and remaining[0].endswith(".pdf")
    assert (await client.delete(f"/api/media/{brochure['id']}")).status_code == 204
    assert s3_server.keys(bucket) == []
    assert (await client.get(photo["url"])).status_code == 404


async def test_a_file_gone_from_the_bucket_is_404(client, session, app, s3_server, bucket):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], pdf(), name="brochure.pdf")).json()
    for key in s3_server.keys(bucket):
        s3_server.client().delete_object(Bucket=bucket, Key=key)
    assert (await client.get(item["url"])).status_code == 404
    assert (await client.head(item["url"])).status_code == 404


async def test_presigned_downloads_redirect_to_a_url_the_bucket_serves(
    session, engine, s3_server, bucket, s3_settings
):
    presigned = s3_settings.with_overrides(s3_presigned_downloads=True, s3_presign_seconds=120)
    application = create_app(presigned)
    async with application.router.lifespan_context(application), make_client(application) as client:
        booth = await owner_booth(client, session)
        brochure = pdf()
        item = (await upload(client, booth["id"], brochure, name="Katalog 2027.pdf")).json()
        response = await client.get(item["url"])
        assert response.status_code == 302
        assert response.headers["cache-control"] == "private, max-age=60"
        location = response.headers["location"]
        assert location.startswith(f"{s3_server.url}/{bucket}/media/originals/")
        assert "X-Amz-Signature=" in location and "X-Amz-Expires=120" in location
        # HEAD is answered by the app itself (a URL signed for GET does not take HEAD).
        head = await client.head(item["url"])
        assert (head.status_code, head.headers["content-length"]) == (200, str(len(brochure)))
    async with httpx.AsyncClient() as plain:
        fetched = await plain.get(location)
        assert fetched.status_code == 200
        assert fetched.content == brochure
        assert fetched.headers["content-type"] == "application/pdf"
        # The app's download name and caching travel in the signed URL.
        assert fetched.headers["content-disposition"].startswith('attachment; filename="Katalog')
        assert "max-age=0" in fetched.headers["cache-control"]  # not approved: private


async def test_a_copied_booth_shares_the_blob_in_the_bucket(
    client, session, app, s3_server, bucket
):
    await make_fair(session, "2027-06")
    await make_fair(session, "2027-07", days_from_now=50)
    await exhibitor(client, session, "kenji@tsubame.example", "Tsubame Migaki")
    client.cookies.set("kk_csrf", CSRF)
    booth = await create_booth(client)
    brochure = pdf()
    (await upload(client, booth["id"], brochure, name="brochure.pdf")).json()
    await approve(client, session, booth["id"])
    await login(client, "kenji@tsubame.example")
    client.cookies.set("kk_csrf", CSRF)
    copy = await client.post(f"/api/booths/{booth['id']}/copy", json={"fair": "2027-07"})
    assert copy.status_code == 201, copy.text
    (copied,) = (await client.get(f"/api/booths/{copy.json()['id']}/media")).json()["media"]
    assert (await client.get(copied["url"])).content == brochure
    assert len(s3_server.keys(bucket)) == 1  # one blob for both booths
    # Removed from the copy, the blob stays for the original booth.
    assert (await client.delete(f"/api/media/{copied['id']}")).status_code == 204
    assert len(s3_server.keys(bucket)) == 1
    (original,) = (await client.get(f"/api/booths/{booth['id']}/media")).json()["media"]
    assert (await client.get(original["url"])).content == brochure

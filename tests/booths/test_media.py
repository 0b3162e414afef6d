"""Media uploads: type from content, streaming size limits, dedup, EXIF stripped, variants
by a job, served with Range support and the right headers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from booth_helpers import approve, create_booth, exhibitor, make_fair
from helpers import make_client, read_scalar
from media_files import GPS_TAG, jpeg_with_gps, mp4, pdf, png, webm, windows_exe
from PIL import Image
from sqlalchemy import func, select

from booths.models import Media
from fair import outbox
from fair.resources import job_context, of_app
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


async def upload(client, booth_id, content, name="photo.jpg", mime="image/jpeg", **fields):
    return await client.post(
        f"/api/booths/{booth_id}/media",
        files={"file": (name, content, mime)},
        data=fields,
        headers={"X-CSRF-Token": CSRF},
    )


async def media_count(session) -> int:
    return await read_scalar(session, select(func.count()).select_from(Media))


async def test_accepted_types_are_decided_by_content(client, session):
    booth = await owner_booth(client, session)
    cases = [
        (jpeg_with_gps(), "IMG_0001.JPG", "image", "image/jpeg"),
        (png(), "diagram.bin", "image", "image/png"),  # the name says nothing
        (mp4(), "demo.mov", "video", "video/mp4"),
        (webm(), "demo.webm", "video", "video/webm"),
        (pdf(), "brochure.pdf", "pdf", "application/pdf"),
    ]
    for content, name, kind, content_type in cases:
        response = await upload(client, booth["id"], content, name=name, mime="text/plain")
        assert response.status_code == 201, (name, response.text)
        assert (response.json()["kind"], response.json()["content_type"]) == (kind, content_type)


async def test_executable_renamed_jpg_is_415_and_leaves_nothing(client, session, settings):
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], windows_exe(), name="catalogue.jpg")
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_file")
    assert await media_count(session) == 0
    assert files_under(settings.media_dir) == []


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script>" + b" " * 8192


@pytest.mark.parametrize(
    ("name", "declared"), [("catalogue.pdf", "application/pdf"), ("demo.mp4", "video/mp4")]
)
async def test_html_declared_as_a_pdf_or_a_video_is_415_and_leaves_nothing(
    client, session, settings, name, declared
):
    """Neither the name nor the declared type decides: bytes that are no accepted type are
    refused, for the kinds Pillow's re-encode does not check a second time too."""
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], HTML, name=name, mime=declared)
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_file")
    assert await media_count(session) == 0
    assert files_under(settings.media_dir) == []


async def test_truncated_jpeg_is_refused(client, session, settings):
    booth = await owner_booth(client, session)
    response = await upload(client, booth["id"], jpeg_with_gps()[:400])
    assert response.status_code == 415
    assert files_under(settings.media_dir) == []


@pytest.fixture
async def small_limits_client(settings, engine):
    app = create_app(settings.with_overrides(max_image_bytes=100_000, max_pdf_bytes=50_000))
    async with app.router.lifespan_context(app), make_client(app) as client:
        yield client


async def test_oversized_upload_is_413_stops_reading_and_leaves_no_file(
    small_limits_client, session, settings
):
    client = small_limits_client
    booth = await owner_booth(client, session)
    boundary = "kkboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    picture = jpeg_with_gps((64, 64))
    sent = []

    async def body():
        yield head + picture
        for _ in range(100):  # 100 x 16 KB of junk after a valid start: 1.6 MB in all
            sent.append(1)
            yield b"\x00" * 16_384
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        f"/api/booths/{booth['id']}/media",
        content=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-CSRF-Token": CSRF,
        },
    )
    assert (response.status_code, response.json()["error"]["code"]) == (413, "file_too_large")
    assert len(sent) < 10  # stopped a little past 100 KB, not after 1.6 MB
    assert files_under(settings.media_dir) == []
    assert await media_count(session) == 0


async def test_declared_length_over_every_limit_is_refused_before_reading(
    small_limits_client, session
):
    booth = await owner_booth(small_limits_client, session)
    response = await small_limits_client.post(
        f"/api/booths/{booth['id']}/media",
        content=b"x" * 10,
        headers={
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(300 * 1024 * 1024),
            "X-CSRF-Token": CSRF,
        },
    )
    assert response.status_code == 413


async def test_upload_needs_csrf_header_owner_and_a_file(client, session):
    booth = await owner_booth(client, session)
    no_header = await client.post(
        f"/api/booths/{booth['id']}/media", files={"file": ("a.png", png(), "image/png")}
    )
    assert (no_header.status_code, no_header.json()["error"]["code"]) == (403, "csrf_failed")
    no_file = await upload(client, booth["id"], b"", name="")
    assert no_file.status_code == 400
    not_multipart = await client.post(
        f"/api/booths/{booth['id']}/media",
        content=png(),
        headers={"Content-Type": "image/png", "X-CSRF-Token": CSRF},
    )
    assert not_multipart.status_code == 415
    await exhibitor(client, session, "rival@seki.example", "Seki Kaji")
    client.cookies.set("kk_csrf", CSRF)
    assert (await upload(client, booth["id"], png(), name="a.png")).status_code == 403
    assert await media_count(session) == 0


async def test_same_file_twice_is_one_item(client, session, settings):
    booth = await owner_booth(client, session)
    picture = png()
    first = await upload(client, booth["id"], picture, name="a.png")
    second = await upload(client, booth["id"], picture, name="copy of a.png")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert await media_count(session) == 1
    assert len([p for p in files_under(settings.media_dir) if "originals" in p.parts]) == 1


async def test_same_file_again_with_a_bad_field_is_refused(client, session):
    # Found by the OpenAPI fuzzer: the duplicate short-cut answered 200 before the fields
    # were checked.
    booth = await owner_booth(client, session)
    picture = png()
    assert (await upload(client, booth["id"], picture, name="a.png")).status_code == 201
    again = await upload(client, booth["id"], picture, name="a.png", product_id="no-such")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "product_not_found"
    assert await media_count(session) == 1


async def test_gps_and_camera_data_are_gone_and_orientation_applied(client, session, settings):
    booth = await owner_booth(client, session)
    # Orientation 6: the camera was turned; the stored picture must be upright (portrait).
    response = await upload(client, booth["id"], jpeg_with_gps((640, 480), orientation=6))
    served = await client.get(response.json()["url"])
    assert served.status_code == 200
    stored = Image.open(io.BytesIO(served.content))
    exif = stored.getexif()
    assert GPS_TAG not in exif and 0x010F not in exif
    assert stored.size == (480, 640)
    assert (response.json()["width"], response.json()["height"]) == (480, 640)


async def test_thumbnails_are_made_by_the_job(client, session, app):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], jpeg_with_gps((2400, 1600)))).json()
    assert item["status"] == "processing"
    ran = await outbox.run_inprocess(of_app(app).sessionmaker, jobs.JOBS, job_context(of_app(app)))
    assert ran == 1
    listed = (await client.get(f"/api/booths/{booth['id']}/media")).json()["media"]
    assert listed[0]["status"] == "ready"
    thumb = await client.get(item["thumb_url"])
    large = await client.get(item["large_url"])
    assert thumb.headers["content-type"] == large.headers["content-type"] == "image/webp"
    assert max(Image.open(io.BytesIO(thumb.content)).size) == 480
    assert Image.open(io.BytesIO(large.content)).size == (1600, 1067)


async def test_video_supports_range_requests_and_headers(client, session):
    booth = await owner_booth(client, session)
    video = mp4(payload=8192)
    item = (await upload(client, booth["id"], video, name="demo.mp4")).json()
    await approve(client, session, booth["id"])
    client.cookies.clear()
    full = await client.get(item["url"])
    assert full.content == video
    assert full.headers["content-type"] == "video/mp4"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert "max-age" in full.headers["cache-control"]
    part = await client.get(item["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == video[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(video)}"


async def test_files_of_unapproved_booths_are_private(client, session):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], pdf(), name="brochure.pdf")).json()
    assert (await client.get(item["url"])).status_code == 200
    client.cookies.clear()
    assert (await client.get(item["url"])).status_code == 404
    assert (await client.get("/media/../../etc/passwd")).status_code == 404
    assert (await client.get(f"/media/{item['id']}/..%2f..%2fsecret")).status_code == 404


async def test_delete_removes_unshared_blob(client, session, settings):
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], pdf(), name="brochure.pdf")).json()
    assert (await client.delete(f"/api/media/{item['id']}")).status_code == 204
    assert [p for p in files_under(settings.media_dir) if "originals" in p.parts] == []
    assert await media_count(session) == 0


async def test_caption_product_link_and_order(client, session):
    booth = await owner_booth(client, session)
    product = (
        await client.post(f"/api/booths/{booth['id']}/products", json={"name": {"ja": "皿"}})
    ).json()
    first = await upload(
        client, booth["id"], png((10, 10)), name="a.png", **{"title.ja": "白磁の皿"}
    )
    second = await upload(client, booth["id"], png((20, 10)), name="b.png")
    assert first.json()["title"] == {"ja": "白磁の皿"}
    linked = await client.patch(
        f"/api/media/{second.json()['id']}", json={"product_id": product["id"]}
    )
    assert linked.json()["product_id"] == product["id"]
    foreign = await client.patch(f"/api/media/{second.json()['id']}", json={"product_id": "x"})
    assert foreign.status_code == 404
    order = [second.json()["id"], first.json()["id"]]
    moved = await client.put(f"/api/booths/{booth['id']}/media/order", json={"ids": order})
    assert [m["id"] for m in moved.json()["media"]] == order


async def test_pipeline_through_real_arq_worker_and_redis(
    client, session, app, settings, redis_url
):
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker

    queue = "kakehashi:test-media"
    booth = await owner_booth(client, session)
    item = (await upload(client, booth["id"], jpeg_with_gps((1200, 900)))).json()
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        sent = await outbox.relay_to_arq(of_app(app).sessionmaker, pool, queue_name=queue)
        assert sent == 1
    finally:
        await pool.aclose()
    worker = Worker(
        **jobs.worker_settings(settings.with_overrides(redis_url=redis_url, arq_queue=queue)),
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    listed = (await client.get(f"/api/booths/{booth['id']}/media")).json()["media"]
    assert (listed[0]["status"], listed[0]["width"], listed[0]["height"]) == ("ready", 1200, 900)
    thumb = await client.get(item["thumb_url"])
    assert Image.open(io.BytesIO(thumb.content)).size == (480, 360)

"""The bucket backend itself (fair/s3.py) and ``fair media migrate-to-s3``, against a real
S3-protocol server (moto's, tests/s3_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fair.config import Settings
from fair.media_migration import migrate_to_s3
from fair.s3 import S3Storage
from fair.storage import LocalStorage
from kakehashi import cli


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture
def s3_settings(s3_server, bucket, tmp_path) -> Settings:
    return s3_server.settings(Settings(env="test", media_dir=tmp_path / "media"), bucket)


@pytest.fixture
async def storage(s3_settings):
    backend = S3Storage(s3_settings)
    yield backend
    await backend.aclose()


async def test_write_read_exists_delete_under_the_prefix(storage, s3_server, bucket):
    await storage.write("exports/a.zip", b"PK\x03\x04")
    assert s3_server.keys(bucket) == ["media/exports/a.zip"]
    assert await storage.read("exports/a.zip") == b"PK\x03\x04"
    assert await storage.exists("exports/a.zip")
    assert not await storage.exists("exports/b.zip")
    await storage.delete("exports/a.zip")
    await storage.delete("exports/a.zip")  # gone already: still no error
    assert s3_server.keys(bucket) == []


async def test_commit_uploads_a_staged_file_in_parts_and_removes_it(storage, s3_server, bucket):
    staged = storage.staging_path()
    data = bytes(range(256)) * (40 * 1024 + 3)  # ~10 MB: over the part size, so in parts
    staged.write_bytes(data)
    await storage.commit(staged, "originals/ab/big.mp4")
    assert not staged.exists()
    assert s3_server.body(bucket, "media/originals/ab/big.mp4") == data
    head = s3_server.client().head_object(Bucket=bucket, Key="media/originals/ab/big.mp4")
    assert head["ETag"].strip('"').endswith("-2")  # two parts
    assert head["ContentType"] == "video/mp4"
    # The same key again (the same content): kept, the staged file removed all the same.
    again = storage.staging_path()
    again.write_bytes(b"other")
    await storage.commit(again, "originals/ab/big.mp4")
    assert not again.exists()
    assert s3_server.body(bucket, "media/originals/ab/big.mp4") == data


async def test_local_file_is_a_copy_for_the_block_only(storage):
    await storage.write("originals/cd/photo.png", b"\x89PNG data")
    async with storage.local_file("originals/cd/photo.png") as path:
        assert path is not None and path.read_bytes() == b"\x89PNG data"
    assert not path.exists()
    async with storage.local_file("originals/cd/missing.png") as nothing:
        assert nothing is None
    assert list(storage.staging.iterdir()) == []


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../other", "a/../../b", "a//b"])
async def test_a_key_that_is_not_a_plain_relative_path_is_refused(storage, key):
    with pytest.raises(ValueError, match="storage key"):
        await storage.exists(key)


def media_folder(root: Path) -> Path:
    for key, data in {
        "originals/ab/ab12.jpg": b"j" * 1000,
        "variants/ab/ab12-thumb.webp": b"w" * 100,
        "exports/x.zip": b"PK",
        "staging/upload.part": b"half an upload",
    }.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return root


def test_migrate_to_s3_copies_the_folder_once_and_reports_counts(
    s3_settings, s3_server, bucket, tmp_path, monkeypatch, capsys
):
    folder = media_folder(tmp_path / "old-media")
    environ = {
        "FAIR_S3_BUCKET": bucket,
        "FAIR_S3_ENDPOINT_URL": s3_server.url,
        "FAIR_S3_REGION": "us-east-1",
        "FAIR_S3_PREFIX": "media",
        "FAIR_S3_PATH_STYLE": "1",
        "FAIR_MEDIA_DIR": str(folder),
        # The standard AWS variables serve as credentials too.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["media", "migrate-to-s3", "--dry-run"]) == 0
    assert "3 files would be copied" in capsys.readouterr().out
    assert s3_server.keys(bucket) == []

    assert cli.main(["media", "migrate-to-s3"]) == 0
    out = capsys.readouterr().out
    assert "3 files copied" in out and "0 already in the bucket" in out
    assert s3_server.keys(bucket) == [
        "media/exports/x.zip",
        "media/originals/ab/ab12.jpg",
        "media/variants/ab/ab12-thumb.webp",
    ]  # uploads in progress stay behind
    assert s3_server.body(bucket, "media/originals/ab/ab12.jpg") == b"j" * 1000

    # Again: nothing to copy. A file changed since (same size, other bytes) goes again.
    (folder / "exports/x.zip").write_bytes(b"ZZ")
    assert cli.main(["media", "migrate-to-s3", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "1 files copied" in out and "2 already in the bucket" in out
    assert "copied exports/x.zip (2 bytes)" in out
    assert s3_server.body(bucket, "media/exports/x.zip") == b"ZZ"


def test_migrate_to_s3_needs_a_bucket_and_a_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("FAIR_S3_BUCKET", raising=False)
    assert cli.main(["media", "migrate-to-s3"]) == 2
    assert "FAIR_S3_BUCKET" in capsys.readouterr().out
    monkeypatch.setenv("FAIR_S3_BUCKET", "kk-any")
    assert cli.main(["media", "migrate-to-s3", "--source", str(tmp_path / "none")]) == 2
    assert "no media folder" in capsys.readouterr().err


async def test_a_multipart_object_of_the_same_size_counts_as_copied(storage, tmp_path):
    """Uploaded in parts, an object's ETag is no MD5 of the file: its size is compared."""
    folder = tmp_path / "big"
    (folder / "originals/ef").mkdir(parents=True)
    data = b"v" * (9 * 1024 * 1024)
    (folder / "originals/ef/ef34.mp4").write_bytes(data)
    first = await migrate_to_s3(LocalStorage(folder), storage)
    second = await migrate_to_s3(LocalStorage(folder), storage)
    assert (first.copied, first.skipped, second.copied, second.skipped) == (1, 0, 0, 1)

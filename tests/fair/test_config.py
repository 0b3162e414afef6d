from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fair.config import DEV_SECRET, ConfigError, Settings, env_name, load_settings


def test_defaults_need_no_environment():
    settings = load_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///var/kakehashi.db"
    assert (settings.redis_url, settings.https, settings.secret_key) == (None, False, DEV_SECRET)


def test_environment_is_read_and_converted():
    settings = load_settings(
        {
            "FAIR_DATABASE_URL": "postgresql+asyncpg://u@db/kk",
            "FAIR_REDIS_URL": "redis://r:6379/0",
            "FAIR_HTTPS": "1",
            "FAIR_MEDIA_DIR": "/data/media",
            "FAIR_SMTP_PORT": "2525",
            "FAIR_TURN_URLS": "turn:a:3478, turns:a:443?transport=tcp",
            "FAIR_TURN_SECRET": "s3cret",
        }
    )
    assert settings.https is True
    assert settings.media_dir == Path("/data/media")
    assert settings.smtp_port == 2525
    assert settings.turn_urls == ("turn:a:3478", "turns:a:443?transport=tcp")


@pytest.mark.parametrize(
    "environ",
    [
        {"FAIR_ENV": "production"},
        {"FAIR_ENV": "production", "FAIR_SECRET_KEY": "short"},
        {"FAIR_ENV": "staging"},
        {"FAIR_DATABASE_URL": "mysql://x"},
        {"FAIR_HTTPS": "maybe"},
        {"FAIR_SMTP_PORT": "twenty-five"},
        {"FAIR_TURN_URLS": "turn:a:3478"},
    ],
)
def test_unusable_settings_fail_at_start(environ):
    with pytest.raises(ConfigError):
        load_settings(environ)


def test_production_accepts_a_real_secret():
    settings = load_settings({"FAIR_ENV": "production", "FAIR_SECRET_KEY": "k" * 40})
    assert settings.is_production


CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_configuration_page_lists_every_setting_and_no_other():
    """The configuration page's table and the declaration are the same list."""
    text = CONFIGURATION.read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(FAIR_[A-Z0-9_]+)` \|", text, re.M))
    declared = {env_name(name) for name in Settings.model_fields}
    assert listed == declared


def test_every_setting_is_reachable_from_the_environment():
    values = {
        "login_max_failures_per_account": "7",
        "login_max_failures_per_address": "30",
        "login_window_minutes": "20",
        "arq_queue": "kk:other",
        "signaling_capacity": "6",
        "signaling_ping_interval": "5",
        "signaling_heartbeat_seconds": "2",
        "signaling_stale_seconds": "9",
        "now": "2027-02-03T10:00:00+09:00",
        "stun_urls": "stun:a:3478,stun:b:3478",
        "company_storage_bytes": "2000000000",
        "upload_max_per_account": "20",
        "media_worker_seconds": "12.5",
    }
    settings = load_settings({env_name(name): raw for name, raw in values.items()})
    assert settings.login_max_failures_per_account == 7
    assert settings.arq_queue == "kk:other"
    assert (settings.signaling_capacity, settings.signaling_stale_seconds) == (6, 9.0)
    assert settings.now == datetime(2027, 2, 3, 1, tzinfo=UTC)
    assert settings.stun_urls == ("stun:a:3478", "stun:b:3478")
    assert (settings.company_storage_bytes, settings.upload_max_per_account) == (2e9, 20)
    assert settings.media_worker_seconds == 12.5


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"FAIR_SMTP_PORT": "twenty-five"}, "FAIR_SMTP_PORT"),
        ({"FAIR_NOW": "tomorrow"}, "FAIR_NOW"),
        ({"FAIR_JOIN_EARLY_MINUTES": "300"}, "FAIR_JOIN_EARLY_MINUTES"),
        ({"FAIR_SIGNALING_STALE_SECONDS": "5"}, "FAIR_SIGNALING_STALE_SECONDS"),
        ({"FAIR_MEDIA_WORKERS": "0"}, "FAIR_MEDIA_WORKERS"),
        ({"FAIR_MEDIA_WORKER_SECONDS": "-1"}, "FAIR_MEDIA_WORKER_SECONDS"),
        ({"FAIR_MEDIA_WORKER_MEMORY_BYTES": "100000000"}, "FAIR_MEDIA_WORKER_MEMORY_BYTES"),
        ({"FAIR_STORAGE": "gcs"}, "FAIR_STORAGE"),
        ({"FAIR_STORAGE": "s3"}, "FAIR_S3_BUCKET"),
        ({"FAIR_S3_BUCKET": "b", "FAIR_S3_ACCESS_KEY_ID": "k"}, "FAIR_S3_SECRET_ACCESS_KEY"),
        ({"FAIR_S3_PRESIGN_SECONDS": "0"}, "FAIR_S3_PRESIGN_SECONDS"),
        ({"FAIR_S3_PRESIGN_SECONDS": "700000"}, "FAIR_S3_PRESIGN_SECONDS"),
    ],
)
def test_a_wrong_value_names_its_variable(environ, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_a_bucket_from_the_environment():
    settings = load_settings(
        {
            "FAIR_STORAGE": "s3",
            "FAIR_S3_BUCKET": "kakehashi-media",
            "FAIR_S3_ENDPOINT_URL": "http://minio:9000",
            "FAIR_S3_PREFIX": "/prod/media/",
            "FAIR_S3_PATH_STYLE": "1",
            "FAIR_S3_PRESIGNED_DOWNLOADS": "yes",
        }
    )
    assert (settings.storage, settings.s3_bucket, settings.s3_prefix) == (
        "s3",
        "kakehashi-media",
        "prod/media/",
    )
    assert settings.s3_path_style and settings.s3_presigned_downloads
    assert settings.s3_presign_seconds == 300
    assert Settings(s3_prefix="").s3_prefix == ""


def test_an_empty_value_counts_as_unset_and_the_process_environment_is_read(monkeypatch):
    assert load_settings({"FAIR_SMTP_PORT": "", "FAIR_ENV": ""}).smtp_port == 587
    monkeypatch.setenv("FAIR_SMTP_PORT", "2525")
    assert load_settings().smtp_port == 2525
    # Settings built in code are what they are given, whatever the environment holds.
    assert Settings().smtp_port == 587

from __future__ import annotations

from pathlib import Path

import pytest

from fair.config import DEV_SECRET, ConfigError, load_settings


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

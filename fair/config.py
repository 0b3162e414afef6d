"""Settings: read once from ``FAIR_*`` environment variables, frozen, passed into the factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from fair.clock import parse_instant

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 (a known value we refuse in production)


class ConfigError(ValueError):
    """A setting is missing or wrong; raised at start-up, never later."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"FAIR_{name} must be a whole number, got {value!r}") from exc


def _instant(value: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ConfigError(f"FAIR_NOW: {exc}") from exc


def _list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    database_url: str = "sqlite+aiosqlite:///var/kakehashi.db"
    redis_url: str | None = None
    secret_key: str = DEV_SECRET
    https: bool = False
    base_url: str = "http://127.0.0.1:8000"
    media_dir: Path = Path("var/media")
    mail_dir: Path = Path("var/mail")
    max_image_bytes: int = 10 * 1024 * 1024
    max_video_bytes: int = 200 * 1024 * 1024
    max_pdf_bytes: int = 20 * 1024 * 1024
    mail_from: str = "Kakehashi <no-reply@kakehashi.example>"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_seconds: int = 3600
    join_early_minutes: int = 10
    # The room stays open this long after the slot ends; attendance is decided then.
    join_grace_minutes: int = 15
    # Both sides together in the room this long: the meeting was held.
    held_minutes: int = 5
    # Where browsers open the signaling WebSocket; empty: this app's own /ws/signaling.
    signaling_url: str | None = None
    session_days: int = 14
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    arq_queue: str = "kakehashi:queue"
    # Without Redis the app runs jobs itself; tests turn that off and drive the relay directly.
    inprocess_jobs: bool = True
    # The programme's clock starts at this instant and runs on (demos and rehearsals of a
    # date; refused in production): see fair/clock.py.
    now: datetime | None = None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)


_FIELDS: dict[str, Any] = {
    "ENV": ("env", str),
    "DATABASE_URL": ("database_url", str),
    "REDIS_URL": ("redis_url", str),
    "SECRET_KEY": ("secret_key", str),
    "HTTPS": ("https", _bool),
    "BASE_URL": ("base_url", str),
    "MEDIA_DIR": ("media_dir", Path),
    "MAIL_DIR": ("mail_dir", Path),
    "MAX_IMAGE_BYTES": ("max_image_bytes", int),
    "MAX_VIDEO_BYTES": ("max_video_bytes", int),
    "MAX_PDF_BYTES": ("max_pdf_bytes", int),
    "MAIL_FROM": ("mail_from", str),
    "SMTP_HOST": ("smtp_host", str),
    "SMTP_PORT": ("smtp_port", int),
    "SMTP_USER": ("smtp_user", str),
    "SMTP_PASSWORD": ("smtp_password", str),
    "SMTP_STARTTLS": ("smtp_starttls", _bool),
    "STUN_URLS": ("stun_urls", _list),
    "TURN_URLS": ("turn_urls", _list),
    "TURN_SECRET": ("turn_secret", str),
    "TURN_TTL_SECONDS": ("turn_ttl_seconds", int),
    "JOIN_EARLY_MINUTES": ("join_early_minutes", int),
    "JOIN_GRACE_MINUTES": ("join_grace_minutes", int),
    "HELD_MINUTES": ("held_minutes", int),
    "SIGNALING_URL": ("signaling_url", str),
    "SESSION_DAYS": ("session_days", int),
    "INPROCESS_JOBS": ("inprocess_jobs", _bool),
    "NOW": ("now", _instant),
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``FAIR_*`` variables; fail fast on anything unusable."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, (attr, convert) in _FIELDS.items():
        raw = environ.get(f"FAIR_{name}")
        if raw is None or (raw == "" and attr != "env"):
            continue
        values[attr] = _int(name, raw) if convert is int else convert(raw)
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    if settings.env not in {"development", "test", "production"}:
        raise ConfigError("FAIR_ENV must be development, test or production")
    if settings.is_production and (
        settings.secret_key == DEV_SECRET or len(settings.secret_key) < 32
    ):
        raise ConfigError("FAIR_SECRET_KEY must be set to 32+ random characters in production")
    if settings.is_production and settings.now is not None:
        raise ConfigError("FAIR_NOW moves the clock for demos and tests; not in production")
    if not settings.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError("FAIR_DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://")
    if settings.turn_urls and not settings.turn_secret:
        raise ConfigError("FAIR_TURN_SECRET is required when FAIR_TURN_URLS is set")
    if settings.signaling_url and not settings.signaling_url.startswith(("ws://", "wss://")):
        raise ConfigError("FAIR_SIGNALING_URL must start with ws:// or wss://")
    for name in ("join_early_minutes", "join_grace_minutes", "held_minutes"):
        if not 0 <= getattr(settings, name) <= 240:
            raise ConfigError(f"FAIR_{name.upper()} must be between 0 and 240")

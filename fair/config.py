"""Settings, declared once: each field is read from the environment variable ``FAIR_`` +
its name in capitals (pydantic-settings), converted and checked, frozen, and passed into the
app factory, the worker and the relay. ``load_settings`` reads them at start-up and turns
every mistake into one ``ConfigError`` that names the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from fair.clock import parse_instant

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 (a known value we refuse in production)
PREFIX = "FAIR_"


class ConfigError(ValueError):
    """A setting is missing or wrong; raised at start-up, never later."""


def _comma_list(value: Any) -> Any:
    """``"a, b"`` from the environment is ``("a", "b")``; other values pass on."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _instant(value: Any) -> Any:
    return parse_instant(value) if isinstance(value, str) else value


CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_comma_list)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="ignore"
    )

    env: str = "development"
    database_url: str = "sqlite+aiosqlite:///var/kakehashi.db"
    redis_url: str | None = None
    secret_key: str = DEV_SECRET
    https: bool = False
    base_url: str = "http://127.0.0.1:8000"
    media_dir: Path = Path("var/media")
    # Where media live (docs/running-at-scale.md, "Media storage"): "local", under media_dir
    # (one machine), or "s3", a bucket every app process and worker shares (AWS S3,
    # Cloudflare R2, MinIO); media_dir then holds only the staging files of uploads and jobs
    # in progress. Credentials: these two, else the standard AWS variables and files.
    storage: str = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = ""
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # MinIO and most self-hosted servers want http://host/bucket/key, not bucket.host.
    s3_path_style: bool = False
    # Downloads answer with a redirect to a signed URL of the bucket valid this long (the
    # bucket serves the bytes), instead of streaming them through the app.
    s3_presigned_downloads: bool = False
    s3_presign_seconds: int = 300
    mail_dir: Path = Path("var/mail")
    max_image_bytes: int = 10 * 1024 * 1024
    max_video_bytes: int = 200 * 1024 * 1024
    max_pdf_bytes: int = 20 * 1024 * 1024
    # What checking an upload may cost (docs/security.md, "Uploads"): an image's pixels once
    # decoded, a video's length; the worker processes that decode them, their number per app
    # process, the address space and the seconds each may use for one file.
    max_image_memory_bytes: int = 128 * 1024 * 1024
    max_video_seconds: int = 600
    media_workers: int = 2
    media_worker_memory_bytes: int = 512 * 1024 * 1024
    media_worker_seconds: float = 30.0
    # What uploads may store: a company's booths in all, an account's booths not yet
    # approved (files not in an approved booth of the company), uploads an account may start.
    company_storage_bytes: int = 1024 * 1024 * 1024
    unapproved_max_files: int = 12
    unapproved_max_bytes: int = 100 * 1024 * 1024
    upload_max_per_account: int = 100
    upload_window_minutes: int = 60
    # A file attached to a conversation's message (PDF, JPEG, PNG or WebP), each of up to three.
    conversation_file_max_bytes: int = 10 * 1024 * 1024
    # A request body (JSON, a form) must arrive whole within this many seconds; an upload's
    # pieces each within this many of the one before (fair/bodies.py). 408 after.
    body_timeout_seconds: float = 30.0
    mail_from: str = "Kakehashi <no-reply@kakehashi.example>"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    stun_urls: CommaList = ()
    turn_urls: CommaList = ()
    turn_secret: str | None = None
    turn_ttl_seconds: int = 3600
    join_early_minutes: int = 10
    # The room stays open this long after the slot ends; attendance is decided then.
    join_grace_minutes: int = 15
    # Both sides in the room together this long: the meeting was held.
    held_minutes: int = 5
    # Where browsers open the signaling WebSocket; empty: this app's own /ws/signaling.
    signaling_url: str | None = None
    session_days: int = 14
    # The directory's answers (the API sends them, the page shows them) kept in each app
    # process (booths/directory_cache.py), in MiB; 0 computes every answer.
    directory_cache_mb: int = 16
    # Sign-in failures in the window: per (account, address) pair; per address across
    # accounts; per account across addresses (strangers only, see fair/accounts/service.py).
    login_max_failures_per_account_and_address: int = 5
    login_max_failures_per_address: int = 20
    login_max_failures_per_account: int = 100
    login_window_minutes: int = 15
    # Against throw-away accounts taking a booth's calendar (docs/security.md): in each
    # window, registrations per client address, bookings per buyer account and per address.
    registrations_per_address: int = 10
    bookings_per_account: int = 12
    bookings_per_address: int = 30
    abuse_window_minutes: int = 60
    # Mailed one-time links (fair/accounts/tokens.py): how long each holds, and how many an
    # account, an address or a client may ask for in the window.
    verification_hours: int = 48
    verification_resend_max: int = 3
    password_reset_minutes: int = 30
    password_reset_max_per_email: int = 3
    password_reset_max_per_address: int = 10
    account_mail_window_minutes: int = 60
    # A meeting proposed to a buyer (and a booth) waits this many days for its answers, and
    # never past the end of the fair's booking.
    proposal_days: int = 7
    # Proposals (invitations) an exhibitor or organizer may send in the abuse window.
    proposals_per_account: int = 60
    # The match engine's weights are learned from outcomes only once this many (need, booth)
    # pairs have a known outcome, of both kinds; before that the priors are used
    # (matchmaking/learning.py).
    match_min_outcomes: int = 50
    arq_queue: str = "kakehashi:queue"
    # Without Redis the app runs jobs itself; tests turn that off and drive the relay directly.
    inprocess_jobs: bool = True
    # The programme's clock starts at this instant and runs on (demos and rehearsals of a
    # date; refused in production): see fair/clock.py.
    now: Annotated[datetime | None, BeforeValidator(_instant)] = None
    # The video relay (in the app, ``fair signaling`` and the bare relay alike).
    signaling_capacity: int = 4  # participants per room
    signaling_ping_interval: float = 15.0  # seconds; silent for two intervals: dead
    signaling_heartbeat_seconds: float = 10.0  # a process refreshes its members in Redis
    signaling_stale_seconds: float = 30.0  # not refreshed this long: a dead process's
    # The connection test's echo peer may try loopback and private addresses the requester
    # offers (its own, or this machine's when it asks from this machine): for development
    # and tests, where browser and server share a machine. Unset: on unless in production
    # (meetings/candidates.py says why it must stay off there).
    connection_test_local_candidates: bool | None = None
    # Webhooks (fair/webhooks): an endpoint failing without a success this long is disabled
    # and its creator mailed. Endpoints on loopback, private, link-local or reserved
    # addresses are refused unless allowed here (development and tests only: in production
    # it would let an organizer reach the servers behind the firewall).
    webhook_disable_after_hours: int = 72
    webhooks_allow_private: bool = False
    # "Download my data" (fair/accounts/data.py): how long the mailed link and its file
    # hold, and how many exports an account may ask for in a day.
    data_export_hours: int = 24
    data_exports_per_day: int = 3
    # Organizers' invitations (fair/invitations): how long a mailed invitation holds, and
    # the bounds of an uploaded list (its bytes, its rows): past them the upload is refused
    # whole, before any row is looked at in the database.
    invitation_days: int = 14
    invitation_import_max_bytes: int = 2_000_000
    invitation_import_max_rows: int = 2000
    # Data retention (fair/retention.py): rows older than this many days are purged every
    # hour. Expired sessions and export files go as soon as they expire.
    retain_login_attempts_days: int = 90
    retain_outbox_days: int = 30
    retain_job_runs_days: int = 90
    retain_account_tokens_days: int = 7
    retain_webhook_deliveries_days: int = 30
    # Observability (docs/operations.md): log lines as text (a terminal) or one JSON object
    # a line (a log collector; recommended in production); GET /metrics answers requests
    # from this machine, and elsewhere only those carrying this token (empty: none).
    log_format: str = "text"
    metrics_token: str | None = None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def echo_reaches_local_addresses(self) -> bool:
        if self.connection_test_local_candidates is None:
            return not self.is_production
        return self.connection_test_local_candidates

    def with_overrides(self, **overrides: Any) -> Settings:
        return self.model_copy(update=overrides)

    @field_validator("env")
    @classmethod
    def _known_env(cls, value: str) -> str:
        if value not in {"development", "test", "production"}:
            raise ValueError("must be development, test or production")
        return value

    @field_validator("storage")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        if value not in {"local", "s3"}:
            raise ValueError("must be local or s3")
        return value

    @field_validator("s3_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        # "media" and "media/" name the same folder of the bucket.
        return value.strip("/") + "/" if value.strip("/") else ""

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("signaling_url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value

    @field_validator("join_early_minutes", "join_grace_minutes", "held_minutes")
    @classmethod
    def _minutes(cls, value: int) -> int:
        if not 0 <= value <= 240:
            raise ValueError("must be between 0 and 240")
        return value

    @field_validator(
        "max_image_memory_bytes",
        "max_video_seconds",
        "media_workers",
        "media_worker_memory_bytes",
        "media_worker_seconds",
        "upload_window_minutes",
        "conversation_file_max_bytes",
        "body_timeout_seconds",
        "verification_hours",
        "password_reset_minutes",
        "account_mail_window_minutes",
        "webhook_disable_after_hours",
        "proposal_days",
        "proposals_per_account",
        "match_min_outcomes",
        "data_export_hours",
        "data_exports_per_day",
        "invitation_days",
        "invitation_import_max_bytes",
        "invitation_import_max_rows",
        "retain_account_tokens_days",
        "retain_webhook_deliveries_days",
        "s3_presign_seconds",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be more than 0")
        return value

    @field_validator("directory_cache_mb")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if not 0 <= value <= 4096:
            raise ValueError("must be between 0 and 4096")
        return value

    @field_validator("retain_login_attempts_days")
    @classmethod
    def _login_attempts_kept(cls, value: int) -> int:
        # Sign-in counts an address the account used in the last 30 days as the owner's
        # (fair/accounts/service.py, KNOWN_ADDRESS_DAYS): those rows must still be there.
        if value < 30:
            raise ValueError("must be at least 30 (days)")
        return value

    @field_validator("retain_outbox_days", "retain_job_runs_days")
    @classmethod
    def _jobs_kept(cls, value: int) -> int:
        # The relay asks Redis again for jobs handed over in the last day that have no
        # ``job_runs`` row (fair/outbox.py, redeliver_lost): purging sooner would run them twice.
        if value < 2:
            raise ValueError("must be at least 2 (days)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The keyword arguments, then the variables ``load_settings`` reads: ``Settings(...)``
        # itself is what it is given and the defaults, whatever the process's environment
        # holds (tests build theirs so). No .env file, no secrets folder.
        return init_settings, _Environment(settings_cls)


_environ: ContextVar[Mapping[str, str] | None] = ContextVar("fair_settings_environ", default=None)


class _Environment(EnvSettingsSource):
    """The ``FAIR_*`` variables of the mapping ``load_settings`` is reading."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # An empty value counts as unset.
        return {key.lower(): value for key, value in (_environ.get() or {}).items() if value}


def env_name(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``FAIR_*`` variables (``environ``, else the process's); an empty
    value counts as unset. Anything unusable fails here, naming its variable."""
    token = _environ.set(os.environ if environ is None else environ)
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None
    finally:
        _environ.reset(token)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    """What a setting means beside the others (a ``Settings(...)`` built in code, as tests
    do, is not held to these)."""
    if settings.is_production and (
        settings.secret_key == DEV_SECRET or len(settings.secret_key) < 32
    ):
        raise ConfigError("FAIR_SECRET_KEY must be set to 32+ random characters in production")
    if settings.is_production and settings.now is not None:
        raise ConfigError("FAIR_NOW moves the clock for demos and tests; not in production")
    if settings.metrics_token is not None and len(settings.metrics_token) < 16:
        raise ConfigError("FAIR_METRICS_TOKEN must be at least 16 characters (or unset)")
    if settings.turn_urls and not settings.turn_secret:
        raise ConfigError("FAIR_TURN_SECRET is required when FAIR_TURN_URLS is set")
    if settings.media_worker_memory_bytes < 3 * settings.max_image_memory_bytes:
        # Re-encoding holds the decoded image, its upright copy and a converted one.
        raise ConfigError(
            "FAIR_MEDIA_WORKER_MEMORY_BYTES must be at least 3 x FAIR_MAX_IMAGE_MEMORY_BYTES"
        )
    if settings.retain_job_runs_days < settings.retain_outbox_days:
        # A job's outbox row outliving its ``job_runs`` row could be queued again by its key
        # and run a second time.
        raise ConfigError("FAIR_RETAIN_JOB_RUNS_DAYS must be at least FAIR_RETAIN_OUTBOX_DAYS")
    if settings.storage == "s3" and not settings.s3_bucket:
        raise ConfigError("FAIR_S3_BUCKET is required when FAIR_STORAGE is s3")
    if bool(settings.s3_access_key_id) != bool(settings.s3_secret_access_key):
        raise ConfigError("FAIR_S3_ACCESS_KEY_ID and FAIR_S3_SECRET_ACCESS_KEY go together")
    if settings.s3_presign_seconds > 7 * 24 * 3600:
        # SigV4's limit: a longer URL is refused by the bucket.
        raise ConfigError("FAIR_S3_PRESIGN_SECONDS must be at most 604800 (7 days)")
    if settings.signaling_stale_seconds <= settings.signaling_heartbeat_seconds:
        raise ConfigError(
            "FAIR_SIGNALING_STALE_SECONDS must be longer than FAIR_SIGNALING_HEARTBEAT_SECONDS"
        )


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{env_name(field)}: {message}" if field else message)
    return "; ".join(problems)

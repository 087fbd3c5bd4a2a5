"""Settings, read from the environment and `.env` (see `.env.example` for every variable)."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from zapflow.kit.clock import Clock, make_clock
from zapflow.kit.crypto import Keyring, derive_key, parse_keys

PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "change-me-to-a-long-random-string", "secret", "please-change"}
)
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    production = "production"
    test = "test"


class Settings(BaseSettings):
    """Every knob of Zapflow. Names are the environment variables, with the `ZAPFLOW_` prefix
    except for `DATABASE_URL`."""

    model_config = SettingsConfigDict(
        env_prefix="ZAPFLOW_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.development
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(user_data_dir("zapflow", appauthor=False))
    secret_key: SecretStr | None = None

    host: str = "127.0.0.1"
    # Addresses whose X-Forwarded-For is believed (the NGINX in front of Zapflow).
    forwarded_allow_ips: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    log_format: str = Field(default="auto", pattern="^(auto|json|console)$")

    admin_email: str | None = None
    admin_password: SecretStr | None = None

    cookie_secure: bool | None = None
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)

    login_max_failures: int = Field(default=5, ge=1)
    login_ip_max_failures: int = Field(default=30, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)

    api_rate_limit_per_minute: int = Field(default=600, ge=1)
    api_ip_rate_limit_per_minute: int = Field(default=1200, ge=1)

    max_import_mb: int = Field(default=100, ge=1, le=2048)
    max_typed_numbers: int = Field(default=10_000, ge=1)
    max_media_mb: int = Field(default=16, ge=1, le=100)

    # Anti-ban pacing of each session: caps (a session's own caps win) and the random pause
    # between two sends, in milliseconds.
    default_hourly_cap: int = Field(default=20, ge=1)
    default_daily_cap: int = Field(default=200, ge=1)
    send_delay_ms: tuple[int, int] = (8000, 25000)
    # New numbers ramp up: on day d of `warmup_days` a session may send (d+1)/warmup_days of its
    # caps. 0 turns warm-up off.
    warmup_days: int = Field(default=7, ge=0, le=60)
    # Ban signals pause a session: rate-overlimit (429) for minutes, restricted (463) for hours.
    pause_on_overlimit_minutes: int = Field(default=30, ge=1)
    pause_on_restricted_hours: int = Field(default=24, ge=1)
    # A number that failed this many times in `failure_window_days` is suppressed (opted out).
    suppress_after_failures: int = Field(default=3, ge=1)
    failure_window_days: int = Field(default=30, ge=1)
    # "Is this number on WhatsApp?" answers are cached (days), and asked in batches.
    check_numbers: bool = True
    number_check_ttl_days: int = Field(default=30, ge=1)
    number_check_negative_ttl_days: int = Field(default=7, ge=1)
    number_check_batch: int = Field(default=50, ge=1, le=500)
    number_check_min_interval_seconds: float = Field(default=2.0, ge=0)
    # Media given by URL is fetched once, size-limited; private addresses are refused unless
    # allowed (they could reach services inside your network).
    media_url_allow_private: bool = False
    media_url_timeout_seconds: float = Field(default=20.0, gt=0)
    # Tests and demos only: the dispatcher's clock runs this many times faster than the wall
    # clock from the anchor instant (every process given the same anchor agrees on the time).
    clock_speed: float = Field(default=1.0, ge=1, le=1_000_000)
    clock_anchor: datetime | None = None

    # "k2:<base64url 32 bytes>,k1:<...>", newest first; unset: one key derived from the secret.
    encryption_keys: SecretStr | None = None

    # WhatsApp sessions: leases held by workers, and the engines.
    lease_ttl_seconds: float = Field(default=30.0, ge=1)
    lease_renew_seconds: float = Field(default=10.0, gt=0)
    worker_max_sessions: int = Field(default=500, ge=1)
    simulator_enabled: bool | None = None
    simulator_seed: int = 1
    simulator_qr_seconds: float = Field(default=20.0, gt=0)
    # Tests: the simulator appends every message it receives to this file (JSON lines, fsynced
    # before the send returns), a record that survives `kill -9` of the worker.
    simulator_journal: Path | None = None
    node_binary: str = "node"
    gateway_backoff_initial_ms: int = Field(default=1000, ge=1)
    gateway_backoff_max_ms: int = Field(default=60000, ge=1)

    # The dashboard's built files (`make run` builds them from frontend/).
    dashboard_dir: Path = Path(__file__).resolve().parent.parent / "frontend" / "dist"

    run_migrations_on_start: bool = True
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    worker_shutdown_grace_seconds: float = Field(default=10.0, gt=0)
    default_whatsapp_engine: str = Field(default="simulator", pattern="^(simulator|baileys)$")
    default_timezone: str = "America/Sao_Paulo"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError("must be a postgresql:// URL (Zapflow runs on PostgreSQL only)")
        return value

    @model_validator(mode="after")
    def _lease_renewed_well_before_expiry(self) -> Settings:
        if self.lease_renew_seconds * 2 >= self.lease_ttl_seconds:
            raise ValueError(
                "ZAPFLOW_LEASE_RENEW_SECONDS must be under half ZAPFLOW_LEASE_TTL_SECONDS"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_secret(self) -> Settings:
        if self.env is Environment.production:
            secret = self.secret_key.get_secret_value() if self.secret_key else ""
            if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    "ZAPFLOW_SECRET_KEY must be set to a random string of at least "
                    f"{MIN_SECRET_LENGTH} characters in production "
                    "(generate one: python -c "
                    "'import secrets; print(secrets.token_urlsafe(48))')"
                )
        return self

    @model_validator(mode="after")
    def _one_clock_anchor(self) -> Settings:
        if self.clock_speed != 1:
            if self.is_production:
                raise ValueError("ZAPFLOW_CLOCK_SPEED is for tests and demos, not production")
            if self.clock_anchor is None:
                self.clock_anchor = datetime.now(UTC)
        return self

    def clock(self) -> Clock:
        return make_clock(self.clock_speed, self.clock_anchor)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.is_production

    @property
    def simulator_on(self) -> bool:
        """The simulator engine and its control endpoints: on by default except in production."""
        if self.simulator_enabled is not None:
            return self.simulator_enabled
        return not self.is_production

    def keyring(self) -> Keyring:
        """ZAPFLOW_ENCRYPTION_KEYS (newest first), plus "k0" derived from the secret key, which
        always stays readable so installs that began without explicit keys can rotate away."""
        derived = ("k0", derive_key(self.resolved_secret_key()))
        if self.encryption_keys is None or not self.encryption_keys.get_secret_value():
            return Keyring([derived])
        keys = parse_keys(self.encryption_keys.get_secret_value())
        return Keyring(keys if any(k == "k0" for k, _ in keys) else [*keys, derived])

    def resolved_secret_key(self) -> str:
        """The configured secret, or in development a local one generated once in the data dir
        (also when the configured one is a placeholder copied from .env.example)."""
        configured = self.secret_key.get_secret_value() if self.secret_key else ""
        if configured and configured.strip().lower() not in PLACEHOLDER_SECRETS:
            return configured
        return _local_secret_key(self.data_dir)


def _local_secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".secret_key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    # link() fails if the file exists: when two processes start at once, one key wins, complete.
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()

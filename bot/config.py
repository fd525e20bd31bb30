"""Settings from the environment and the commune file, validated once at start-up."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.commune import (  # the commune file's model; re-exported for existing imports
    Category,
    Commune,
    Desk,
    Plan,
    QuietHours,
    Service,
    StaffEntry,
)
from bot.i18n import operator_text

__all__ = [
    "SAMPLE_COMMUNE",
    "Category",
    "Commune",
    "ConfigError",
    "Desk",
    "Plan",
    "QuietHours",
    "Service",
    "Settings",
    "StaffEntry",
    "load",
    "load_commune",
    "load_settings",
    "media_hosts",
]

SAMPLE_COMMUNE = "sample_commune.toml"
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,256}")  # webhook secrets
HOST_SHAPE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")

class ConfigError(Exception):
    """Configuration that stops start-up; the message names the file and the field.

    `key` and `values`, when given, name the same sentence in the locale catalogs, which the
    CLI shows in the operator's language (`bot.i18n.explained`); the text is the English one.
    """

    def __init__(self, text: str, key: str | None = None, **values: object) -> None:
        super().__init__(text)
        self.key = key
        self.values = values


class Settings(BaseSettings):
    """Process settings from LOAXA_* environment variables and an optional .env file."""

    model_config = SettingsConfigDict(env_prefix="LOAXA_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    zalo_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = None
    # The commune's Zalo Official Account (shared/reference/zalo-oa.md): on when the app id,
    # app secret and the webhook's OA secret key are all set.
    zalo_oa_app_id: str | None = None
    zalo_oa_app_secret: SecretStr | None = None
    zalo_oa_secret_key: SecretStr | None = None  # the OA Secret Key (webhook), not the app's
    zalo_oa_webhook_path: str = "/zalo-oa/webhook"
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_oa_window_days: float = Field(default=7.0, gt=0, le=365)  # sources conflict: a setting
    zalo_oa_free_hours: float = Field(default=48.0, ge=0, le=24 * 365)
    zalo_oa_refresh_token: SecretStr | None = None  # a first refresh token (API Explorer)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # The staff console's public base URL (behind the operator's HTTPS proxy); sign-in links
    # and the links in staff notifications start with it. Default: the bot's own server.
    web_url: str | None = None
    db: Path = Path("data/loaxa.db")
    # How long a write waits for another process's lock (a backup, an operator's sqlite3
    # shell) before the person is told the system is busy and to try again.
    db_busy_timeout_ms: int = Field(default=5000, ge=1, le=600_000)
    config: Path | None = None
    # Let `loaxa run` start on the bundled sample's placeholder hamlets (tests, trials, demo).
    allow_sample: bool = False
    log_level: str = "INFO"
    concurrent_updates: int = Field(default=16, ge=1, le=256)
    flood_limit: int = Field(default=20, ge=3, le=10_000)  # messages per person per 10 s
    telegram_bot_username: str | None = None  # for QR deep links (t.me/<username>)
    # Pushes (bot/delivery.py). Telegram's free tier: ~30 messages/s overall, ~1/s per chat;
    # 0 = no limit. Paid broadcast (allow_paid_broadcast) lifts the overall cap to 1000/s.
    telegram_rate_per_second: float = Field(default=30.0, ge=0)
    telegram_per_chat_per_second: float = Field(default=1.0, ge=0)
    telegram_paid_broadcast: bool = False
    # Zalo publishes no send limits for the Bot Platform: stay well under anything plausible.
    zalo_rate_per_second: float = Field(default=5.0, ge=0)
    zalo_per_chat_per_second: float = Field(default=0.5, ge=0)
    delivery_in_flight: int = Field(default=16, ge=1, le=64)
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    delivery_retry_seconds: float = Field(default=2.0, gt=0, le=3600)
    # Daily backups (bot/backups.py): where (default: backups/ beside the database) and how
    # many to keep: the newest of each of the last `keep_days` days and `keep_weeks` weeks.
    backup_dir: Path | None = None
    backup_keep_days: int = Field(default=7, ge=1, le=365)
    backup_keep_weeks: int = Field(default=4, ge=0, le=520)
    # The bot's HTTP server (webhooks): connections open at once, seconds a client has to
    # send a request's headers (and to go on after an answer), seconds to send a body.
    http_max_connections: int = Field(default=256, ge=1, le=65_535)
    http_header_timeout: float = Field(default=10.0, gt=0, le=600)
    http_read_timeout: float = Field(default=10.0, gt=0, le=600)
    # Where residents' Zalo photos may be fetched from: https on these hosts and their
    # subdomains (Zalo's CDNs), or an exact origin written "http://host:port" (tests).
    zalo_media_hosts: str = "zdn.vn,zadn.vn"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("telegram_webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram takes 1-256 characters of ASCII A-Z a-z 0-9 _ - (setWebhook secret_token);
        # Zalo documents 8-256 characters and no alphabet, and sends the secret in an HTTP
        # header: the same rule fits both. 32 characters at least, so that guessing is
        # hopeless (a 2-character secret fell to 1,148 guesses); `isalnum()` is not used on
        # purpose, it lets "mậtkhẩu" and full-width letters through.
        if value is not None and not SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be 32-256 characters of A-Z, a-z, 0-9, _ and - (make one with: python -c"
                ' "import secrets; print(secrets.token_urlsafe(32))")'
            )
        return value

    @field_validator("zalo_media_hosts")
    @classmethod
    def _media_hosts(cls, value: str) -> str:
        for entry in media_hosts(value):
            if "://" in entry:
                parts = urlsplit(entry)
                if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
                    raise ValueError(
                        f"{entry!r} is not a host nor an origin like https://host:port"
                    )
            elif not HOST_SHAPE.fullmatch(entry):
                raise ValueError(f"{entry!r} is not a host name")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("LOAXA_TELEGRAM_WEBHOOK_URL needs LOAXA_TELEGRAM_WEBHOOK_SECRET")
        if self.zalo_webhook_url and not self.zalo_webhook_secret:
            raise ValueError("LOAXA_ZALO_WEBHOOK_URL needs LOAXA_ZALO_WEBHOOK_SECRET")
        oa = (self.zalo_oa_app_id, self.zalo_oa_app_secret, self.zalo_oa_secret_key)
        if any(oa) and not all(oa):
            raise ValueError(
                "the Zalo OA needs all three of LOAXA_ZALO_OA_APP_ID, LOAXA_ZALO_OA_APP_SECRET"
                " and LOAXA_ZALO_OA_SECRET_KEY"
            )
        if not self.zalo_oa_webhook_path.startswith("/"):
            raise ValueError("LOAXA_ZALO_OA_WEBHOOK_PATH must start with /")
        return self

    @property
    def console_url(self) -> str:
        """The console's base URL, without a trailing slash."""
        return (self.web_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def zalo_oa_on(self) -> bool:
        """Whether the Zalo Official Account channel is configured."""
        return bool(self.zalo_oa_app_id)


def media_hosts(value: str) -> tuple[str, ...]:
    """Split LOAXA_ZALO_MEDIA_HOSTS into its entries, lower-cased."""
    return tuple(e.strip().lower().rstrip("/") for e in value.split(",") if e.strip())


def _where(loc: tuple, entry: str) -> str:
    """Name a field for people: list positions count from 1 ("categories (entry 2).name")."""
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f" ({entry.format(n=part + 1)})"
        else:
            where += f".{part}" if where else str(part)
    return where or "(top level)"


def _invalid(label: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    more = exc.error_count() - 1
    english = f"{label}: {_where(first['loc'], 'entry {n}')}: {message}"
    where = _where(first["loc"], operator_text("cli.config_entry"))
    return ConfigError(
        english + (f" (and {more} more)" if more else ""),
        "cli.config_invalid_more" if more else "cli.config_invalid",
        file=label,
        field=where,
        message=message,
        more=more,
    )


def load_commune(path: Path | None) -> tuple[Commune, str]:
    """Read and validate the commune file; return it with the name to show in messages."""
    if path is None:
        default = Path("loaxa.toml")
        path = default if default.exists() else None
    if path is None:
        source = resources.files("bot").joinpath(SAMPLE_COMMUNE)
        label, text = f"(bundled) {SAMPLE_COMMUNE}", source.read_text(encoding="utf-8")
    else:
        label = str(path)
        try:  # utf-8-sig: Windows Notepad may start the file with a byte-order mark
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{label}: cannot read the commune file ({exc})",
                "cli.config_unreadable",
                file=label,
                reason=exc,
            ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{label}: not valid TOML: {exc}", "cli.config_not_toml", file=label, reason=exc
        ) from exc
    data = {**data.pop("commune", {}), **data}
    try:
        return Commune.model_validate(data), label
    except ValidationError as exc:
        raise _invalid(label, exc) from exc


def load_settings(**overrides: object) -> Settings:
    """Read the LOAXA_* environment; raise ConfigError naming the variable on bad values."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        name = f"LOAXA_{field.upper()}" if field else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(
            f"environment/.env: {name}: {message}",
            "cli.setting_invalid",
            name=name,
            message=message,
        ) from exc


def load(**overrides: object) -> tuple[Settings, Commune]:
    """Load the settings and the commune file they point to."""
    settings = load_settings(**overrides)
    commune, _ = load_commune(settings.config)
    return settings, commune

"""Settings from the environment and the commune file, validated once at start-up."""

from __future__ import annotations

import tomllib
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.models import Role

SAMPLE_COMMUNE = "sample_commune.toml"

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ConfigError(Exception):
    """Configuration that stops start-up; the message names the file and the field."""


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
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    db: Path = Path("data/loaxa.db")
    config: Path | None = None
    log_level: str = "INFO"
    concurrent_updates: int = Field(default=16, ge=1, le=256)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters of A-Z a-z 0-9 _ - (setWebhook secret_token).
        if value is not None:
            raw = value.get_secret_value()
            if not (1 <= len(raw) <= 256) or not all(c.isalnum() or c in "_-" for c in raw):
                raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("LOAXA_TELEGRAM_WEBHOOK_URL needs LOAXA_TELEGRAM_WEBHOOK_SECRET")
        return self


class Category(BaseModel):
    """A feedback category and how many working days the commune gives itself to answer."""

    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,24}$")]
    name: Name
    deadline_days: int = Field(ge=1, le=90)


class StaffEntry(BaseModel):
    """A staff member listed in the commune file."""

    model_config = ConfigDict(extra="forbid")
    channel: Annotated[str, StringConstraints(pattern=r"^(telegram|zalo)$")]
    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    name: Name
    role: Role
    hamlet: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("role")
    @classmethod
    def _staff_role(cls, value: Role) -> Role:
        if value is Role.RESIDENT:
            raise ValueError("staff need a staff role, not 'resident'")
        return value


class QuietHours(BaseModel):
    """Hours in which no scheduled push is sent (commune time)."""

    model_config = ConfigDict(extra="forbid")
    start: time = time(21, 0)
    end: time = time(6, 30)


class Commune(BaseModel):
    """What a commune edits about itself: the commune TOML file."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    kind: Name = "xã"
    province: Name
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "vi"
    hamlets: list[Name] = Field(min_length=1, max_length=60)
    hamlets_are_examples: bool = False
    categories: list[Category] = Field(min_length=1, max_length=30)
    citizen_reception: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    quiet_hours: QuietHours = QuietHours()
    session_minutes: int = Field(default=24 * 60, ge=5, le=7 * 24 * 60)
    staff: list[StaffEntry] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("hamlets")
    @classmethod
    def _distinct_hamlets(cls, value: list[str]) -> list[str]:
        if len({h.casefold() for h in value}) != len(value):
            raise ValueError("hamlet names must be distinct")
        return value

    @field_validator("categories")
    @classmethod
    def _distinct_categories(cls, value: list[Category]) -> list[Category]:
        if len({c.id for c in value}) != len(value):
            raise ValueError("category ids must be distinct")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def display_name(self) -> str:
        return f"{self.kind} {self.name}"


def _describe(error: dict) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


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
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{label}: cannot read the commune file ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from exc
    data = {**data.pop("commune", {}), **data}
    try:
        return Commune.model_validate(data), label
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{label}: {_describe(first)}{more}") from exc


def load_settings(**overrides: object) -> Settings:
    """Read the LOAXA_* environment; raise ConfigError naming the variable on bad values."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        name = f"LOAXA_{field.upper()}" if field else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"environment/.env: {name}: {message}") from exc


def load(**overrides: object) -> tuple[Settings, Commune]:
    """Load the settings and the commune file they point to."""
    settings = load_settings(**overrides)
    commune, _ = load_commune(settings.config)
    return settings, commune

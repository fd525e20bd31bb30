"""Settings from the environment and the commune file, validated once at start-up."""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
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

from bot.i18n import operator_text
from storage.models import Role

SAMPLE_COMMUNE = "sample_commune.toml"
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,256}")  # webhook secrets
HOST_SHAPE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


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
    def zalo_oa_on(self) -> bool:
        """Whether the Zalo Official Account channel is configured."""
        return bool(self.zalo_oa_app_id)


def media_hosts(value: str) -> tuple[str, ...]:
    """Split LOAXA_ZALO_MEDIA_HOSTS into its entries, lower-cased."""
    return tuple(e.strip().lower().rstrip("/") for e in value.split(",") if e.strip())


class Category(BaseModel):
    """A feedback category and how many working days the commune gives itself to answer."""

    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,24}$")]
    name: Name
    deadline_days: int = Field(ge=1, le=90)
    # Telegram user ids of the officials who handle this category; empty = every official.
    staff: list[str] = []
    papi_dimension: int | None = Field(default=None, ge=1, le=8)

    @field_validator("staff", mode="before")
    @classmethod
    def _ids_as_text(cls, value: object) -> object:
        return [str(v) for v in value] if isinstance(value, list) else value


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


class Service(BaseModel):
    """A public service residents can rate (SIPAS), e.g. birth registration."""

    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,24}$")]
    name: Name


class Desk(BaseModel):
    """A place where residents are served; its QR code opens the rating flow."""

    model_config = ConfigDict(extra="forbid")
    # Letters, digits and "-" only: it travels in a Telegram deep link (rate_<id>).
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]
    name: Name


class FeedbackRules(BaseModel):
    """Limits and timings for residents' feedback."""

    model_config = ConfigDict(extra="forbid")
    min_length: int = Field(default=10, ge=1, le=200)
    max_length: int = Field(default=2000, ge=50, le=3500)
    max_photos: int = Field(default=5, ge=0, le=10)
    max_open_per_resident: int = Field(default=5, ge=1, le=100)
    max_per_day: int = Field(default=3, ge=1, le=100)
    reopen_days: int = Field(default=7, ge=1, le=90)
    remind_days_before: int = Field(default=1, ge=0, le=10)
    # Telegram chat id of the staff group that hears about every new item (optional).
    staff_group_chat: str | None = None
    # The category of a question typed at the main menu; empty = the last category listed.
    question_category: str = ""

    @field_validator("staff_group_chat", mode="before")
    @classmethod
    def _chat_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class DigestRules(BaseModel):
    """When the weekly digest goes out (commune time) and where, besides each leader's chat."""

    model_config = ConfigDict(extra="forbid")
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    at: time = time(7, 30)
    # Telegram chat id of the leadership group that also receives the digest (optional).
    leadership_group_chat: str | None = None

    @field_validator("leadership_group_chat", mode="before")
    @classmethod
    def _chat_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class ReportRules(BaseModel):
    """What the period report takes from the commune file (`loaxa report`)."""

    model_config = ConfigDict(extra="forbid")
    # Who signs; left as a placeholder when empty (never guessed).
    chairman_name: Name | None = None
    # Section III (Phương hướng): the commune's own paragraph(s); empty = the catalog's.
    direction: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""
    # "Nơi nhận" lines; empty = the catalog's default list.
    recipients: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )


class Plan(BaseModel):
    """The commune's own outreach plan, which the library and the period report refer to.

    Optional: a library text or a report sentence that needs a part left unset is left out,
    never filled with another commune's plan.
    """

    model_config = ConfigDict(extra="forbid")
    # What the plan is about, as its summary line reads after "Kế hoạch ... về": e.g.
    # "tuyên truyền duy trì, cải thiện và nâng cao Chỉ số PAPI năm 2026".
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    signed: date | None = None  # the day it was signed (its date, "ngày ...")

    @model_validator(mode="after")
    def _number_with_date(self) -> Plan:
        if (self.number is None) != (self.signed is None):
            raise ValueError("give both number and signed (its date), or neither")
        return self


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
    # How every message addresses a resident ({address} in the catalogs).
    address: Literal["ông/bà", "anh/chị", "bà con"] = "ông/bà"
    hamlets: list[Name] = Field(min_length=1, max_length=60)
    hamlets_are_examples: bool = False
    categories: list[Category] = Field(min_length=1, max_length=30)
    citizen_reception: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    # Who the commune reports to since the district level ended (01/7/2025): a body of the
    # province, e.g. "Sở Nội vụ tỉnh Thái Nguyên". Named in the period report's opening and
    # its "Nơi nhận"; left out when empty, never guessed.
    reports_to: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    plan: Plan | None = None
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    # The name of the commune's one-stop desk (since 01/7/2025 its public-administration
    # service centre), as the commune writes it.
    service_centre: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    quiet_hours: QuietHours = QuietHours()
    digest: DigestRules = DigestRules()
    report: ReportRules = ReportRules()
    feedback: FeedbackRules = FeedbackRules()
    services: list[Service] = Field(default_factory=list, max_length=30)
    desks: list[Desk] = Field(default_factory=list, max_length=20)
    # Whether members of the supervision boards may read officials' internal notes.
    supervisors_see_internal_notes: bool = False
    # A hamlet's survey results are shown only from this many responses up (nobody singled out).
    survey_min_cell: int = Field(default=5, ge=2, le=100)
    extra_days_off: list[date] = []
    extra_working_days: list[date] = []
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

    @model_validator(mode="after")
    def _known_question_category(self) -> Commune:
        wanted = self.feedback.question_category
        if wanted and self.category(wanted) is None:
            raise ValueError(f"feedback.question_category {wanted!r} is not a category id")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def display_name(self) -> str:
        return f"{self.kind} {self.name}"

    def content_facts(self) -> dict[str, str]:
        """The commune's own facts that library texts may name ({website}, ...); unset
        facts are absent, so the text that needs them is left out (content/facts.py)."""
        facts = {"commune": self.display_name}
        if self.website:
            facts["website"] = self.website
        if self.service_centre:
            facts["service_centre"] = self.service_centre
        if self.reports_to:
            facts["reports_to"] = self.reports_to
        if self.plan is not None:
            facts["plan_title"] = self.plan.title
        if self.plan is not None and self.plan.number and self.plan.signed:
            facts["plan_number"] = self.plan.number
            facts["plan_date"] = _vn_date(self.plan.signed)
        return facts

    def service(self, service_id: str) -> Service | None:
        """Return the rated service with this id, or None."""
        return next((s for s in self.services if s.id == service_id), None)

    def desk(self, desk_id: str) -> Desk | None:
        """Return the desk with this id, or None."""
        return next((d for d in self.desks if d.id == desk_id), None)

    def category(self, category_id: str) -> Category | None:
        """Return the feedback category with this id, or None."""
        return next((c for c in self.categories if c.id == category_id), None)

    @property
    def question_category(self) -> Category:
        """The category of a question typed at the main menu."""
        return self.category(self.feedback.question_category) or self.categories[-1]


def _vn_date(day: date) -> str:
    """26/7/2022, 09/01/2015: the administrative-document rule (content.schema.show_date)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"


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

"""The commune file's model: what one commune edits (name, hamlets, categories, staff, plan).

Validated once at start-up by `bot.config.load_commune`, which turns a validation error into
one line naming the file and the field.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from storage.models import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]

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
    # province, e.g. "Sở Nội vụ tỉnh Mẫu". Named in the period report's opening and
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

"""Outreach campaigns: which library topics go out, how often, to whom (content/campaigns.yaml).

A campaign's `cron` is the five fields of a crontab line in the commune's time:
"minute hour day month weekday". Weekdays are written as in crontab (0 or 7 = Sunday,
1 = Monday) or by name (mon, tue, ...); they are translated here, because APScheduler
numbers weekdays from Monday = 0.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from storage.models import Topic

log = logging.getLogger(__name__)

CAMPAIGNS_FILE = "campaigns.yaml"
_CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # crontab numbering

CampaignId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,24}$")]


class Hamlets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    hamlets: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1)


class Subscribers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    subscribers: Topic


class Campaign(BaseModel):
    """One campaign: library topics in order, a crontab schedule, an audience."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: CampaignId
    title: str = ""
    topics: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1)
    cron: str
    audience: Literal["everyone"] | Hamlets | Subscribers = "everyone"
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        cron_fields(value)  # ValueError on a schedule APScheduler would refuse
        return value

    @property
    def job_name(self) -> str:
        return f"campaign-{self.id}"


def cron_fields(line: str) -> dict[str, str]:
    """Turn a crontab schedule into APScheduler CronTrigger fields; ValueError if invalid."""
    parts = line.split()
    if len(parts) != 5:
        raise ValueError(f"cron needs 5 fields (minute hour day month weekday): {line!r}")
    fields = dict(zip(_CRON_FIELDS, parts, strict=True))
    fields["day_of_week"] = _weekdays(fields["day_of_week"])
    try:
        CronTrigger(**fields)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cron {line!r}: {exc}") from exc
    return fields


def _weekdays(text: str) -> str:
    """Rewrite crontab weekday numbers (0/7 = Sunday) as names; names are kept."""
    names: list[str] = []
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        numeric = base == "*" or base.replace("-", "").isdigit()
        if not numeric or (base == "*" and not step_text):
            names.append(part)
            continue
        step = int(step_text) if step_text.isdigit() else 1
        first, _, last = ("0-6" if base == "*" else base).partition("-")
        end = int(last) if last else (6 if step_text else int(first))
        days = range(int(first), end + 1, step)
        if any(day > 7 for day in days) or not days:
            raise ValueError(f"weekday {part!r} is not 0-7 or a name")
        names += [_WEEKDAYS[day] for day in days]
    return ",".join(dict.fromkeys(names))


def parse(text: str) -> tuple[list[Campaign], list[str]]:
    """Read a campaigns file; return the valid campaigns and one message per broken one."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        return [], [f"not valid YAML: {exc}"]
    raw = data.get("campaigns", []) if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return [], ["expected `campaigns:` followed by a list"]
    found, problems, seen = [], [], set()
    for index, entry in enumerate(raw, 1):
        try:
            campaign = Campaign.model_validate(entry)
        except (ValidationError, ValueError) as exc:
            problems.append(f"campaign {index}: {exc}")
            continue
        if campaign.id in seen:
            problems.append(f"campaign {index}: id {campaign.id!r} is used twice")
            continue
        seen.add(campaign.id)
        found.append(campaign)
    return found, problems


def load(path: str | Path | None = None) -> tuple[list[Campaign], list[str]]:
    """Read the campaigns file (default: the shipped one); return campaigns and problems."""
    if path is None:
        text = resources.files("content").joinpath(CAMPAIGNS_FILE).read_text(encoding="utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return [], [f"{path}: cannot read ({exc})"]
    return parse(text)


@cache
def get_campaigns() -> tuple[Campaign, ...]:
    """Return the shipped campaigns that are enabled; problems are logged, broken ones left out."""
    campaigns, problems = load()
    for problem in problems:
        log.error("%s: %s", CAMPAIGNS_FILE, problem)
    return tuple(c for c in campaigns if c.enabled)

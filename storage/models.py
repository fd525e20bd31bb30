"""Plain records that repositories return; no SQL, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """Who a person is to the bot; staff roles come from the staff table."""

    RESIDENT = "resident"
    HAMLET_HEAD = "hamlet_head"
    SUPERVISOR = "supervisor"
    OFFICIAL = "official"
    LEADER = "leader"
    ADMIN = "admin"


STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}


class ResidentStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # asked for no more pushes (/dung)
    BLOCKED = "blocked"  # the app told us they blocked the bot
    DELETED = "deleted"  # personal data removed


class Topic(StrEnum):
    """What a resident can subscribe to."""

    ANNOUNCEMENTS = "announcements"
    OUTREACH = "outreach"
    SURVEYS = "surveys"


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    channel: str | None
    user_id: str | None
    chat_id: str | None
    display_name: str | None
    hamlet: str | None
    language: str
    status: ResidentStatus
    consent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    channel: str
    user_id: str
    name: str
    role: Role
    hamlet: str | None
    source: str


@dataclass(frozen=True, slots=True)
class SessionKey:
    """Whose conversation this is: one per person per chat per channel."""

    channel: str
    chat_id: str
    user_id: str


@dataclass(slots=True)
class Session:
    key: SessionKey
    flow: str
    step: str
    draft: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None

"""What outreach pushes share: who receives them, when each recipient may be woken, and
reading a send time an official typed.

Every push to residents needs a subscription: a broadcast "to everyone" reaches everyone who
receives announcements, a campaign "to everyone" everyone who receives outreach. A resident
who chose "no messages" at sign-up, or stopped (/dung), gets none; one-to-one notifications
about their own feedback are not outreach and still reach them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Commune
from bot.i18n import DEFAULT_ADDRESS, Translator, translator
from bot.messages import Reply
from bot.quiet import next_allowed
from storage import Storage
from storage.models import Resident, Topic
from storage.outbox import Push

PAGE = 1000  # residents read at once when pushing to an audience

# The quiet hours a resident may choose in /theodoi; the first is "the commune's".
QUIET_CHOICES: tuple[tuple[time, time] | None, ...] = (
    None,
    (time(22, 0), time(6, 0)),
    (time(20, 0), time(7, 0)),
)

_CLOCK = r"(\d{1,2})\s*[:hg]\s*(\d{2})"
_DAY = r"(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?"
_TIME_ONLY = re.compile(rf"^{_CLOCK}$", re.IGNORECASE)
_DAY_TIME = re.compile(rf"^{_DAY}\s+{_CLOCK}$", re.IGNORECASE)
_TIME_DAY = re.compile(rf"^{_CLOCK}\s+(?:ngay\s+|ngày\s+)?{_DAY}$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a push is for: everyone subscribed, some hamlets of them, or a topic's subscribers."""

    kind: str  # "all" | "hamlets" | "topic"
    hamlets: tuple[str, ...] = ()
    topic: Topic | None = None

    def _query(self, default_topic: Topic) -> tuple[Topic, tuple[str, ...] | None]:
        if self.kind == "hamlets":
            return default_topic, self.hamlets
        if self.kind == "topic" and self.topic is not None:
            return self.topic, None
        return default_topic, None

    async def count(self, store: Storage, default_topic: Topic) -> int:
        """Count the residents this audience reaches, without reading them."""
        return await store.residents.count_audience(*self._query(default_topic))

    def pages(
        self, store: Storage, default_topic: Topic, size: int = PAGE
    ) -> AsyncIterator[list[Resident]]:
        """Yield the residents this audience reaches, in id order, `size` at a time: a
        100,000-resident commune is never held in memory at once."""
        return store.residents.audience_pages(*self._query(default_topic), size)


async def push_to_residents(
    store: Storage,
    topic: Topic | None,
    hamlets: Iterable[str] | None,
    reply_for: Callable[[Translator], Reply],
    *,
    address: str = DEFAULT_ADDRESS,
    **push: Any,
) -> int:
    """Enqueue one push for each active resident subscribed to `topic` (None: every active
    resident) in `hamlets` (None: all), a page at a time; return how many were enqueued.

    The reply is built once per language (`reply_for(t)`) and shared by its pushes, so the
    outbox encodes it once. `push` holds the Push fields (kind, source, priority,
    not_before). Call it inside the transaction that records what is announced.
    """
    replies: dict[str, Reply] = {}
    total = 0
    async for page in store.residents.audience_pages(topic, hamlets, PAGE):
        pushes = []
        for resident in page:
            if resident.language not in replies:
                replies[resident.language] = reply_for(translator(resident.language, address))
            reply = replies[resident.language]
            pushes.append(
                Push(resident.channel, resident.chat_id, reply, resident_id=resident.id, **push)
            )
        total += await store.outbox.enqueue(pushes)
    return total


def format_hours(hours: tuple[time, time]) -> str:
    """Write quiet hours as "21:00–06:30"."""
    return f"{hours[0].strftime('%H:%M')}–{hours[1].strftime('%H:%M')}"


class QuietClock:
    """Tells, per recipient, until when a push must wait for their quiet hours to end."""

    def __init__(self, commune: Commune, own: dict[int, tuple[time, time]]) -> None:
        self.default = (commune.quiet_hours.start, commune.quiet_hours.end)
        self.zone = commune.zone
        self.own = own

    @classmethod
    async def load(cls, store: Storage, commune: Commune, ids: Iterable[int]) -> QuietClock:
        """Read the quiet hours of these residents (the commune's for those who chose none)."""
        return cls(commune, await store.preferences.quiet_hours_of(ids))

    def hours(self, resident_id: int) -> tuple[time, time]:
        return self.own.get(resident_id, self.default)

    def not_before(self, resident_id: int, at: datetime, now: datetime) -> datetime | None:
        """Return when a push meant for `at` may go out, or None for "right away"."""
        start, end = self.hours(resident_id)
        when = next_allowed(at, start, end, self.zone)
        return when if when > now else None


def parse_send_time(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Read "HH:MM" (today, or tomorrow once passed) or "DD/MM HH:MM"; None if unreadable."""
    typed = " ".join(text.strip().split())
    local = now.astimezone(zone)
    match = _TIME_ONLY.match(typed)
    if match:
        clock = _clock(match.group(1), match.group(2))
        if clock is None:
            return None
        moment = datetime.combine(local.date(), clock, zone)
        return moment if moment > local else moment + timedelta(days=1)
    for pattern, day_at, clock_at in ((_DAY_TIME, 0, 3), (_TIME_DAY, 2, 0)):
        match = pattern.match(typed)
        if match:
            groups = match.groups()
            day = _day(groups[day_at : day_at + 3], local.date())
            clock = _clock(groups[clock_at], groups[clock_at + 1])
            if day is None or clock is None:
                return None
            return datetime.combine(day, clock, zone)
    return None


def _clock(hours: str, minutes: str) -> time | None:
    h, m = int(hours), int(minutes)
    return time(h, m) if 0 <= h <= 23 and 0 <= m <= 59 else None


def _day(parts: Sequence[str | None], today: date) -> date | None:
    day, month, year = parts
    try:
        found = date(int(year) if year else today.year, int(month), int(day))
    except ValueError:
        return None
    if year is None and found < today:  # "05/01" typed in December means next January
        try:
            found = found.replace(year=today.year + 1)
        except ValueError:
            return None
    return found

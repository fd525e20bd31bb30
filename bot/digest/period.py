"""Periods that reports cover: an ISO week or a range of days, in the commune's time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Period:
    """The local days `first`..`last` (inclusive) in a time zone."""

    first: date
    last: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period cannot end ({self.last}) before it starts ({self.first})")

    @classmethod
    def week(cls, year: int, week: int, zone: ZoneInfo) -> Period:
        """Return ISO week `week` of `year` (Monday to Sunday)."""
        monday = date.fromisocalendar(year, week, 1)
        return cls(monday, monday + timedelta(days=6), zone)

    @classmethod
    def parse_week(cls, text: str, zone: ZoneInfo) -> Period:
        """Read "2026-W48" (or "2026W48"); raise ValueError otherwise."""
        match = _WEEK.match(text.strip())
        if match is None:
            raise ValueError(f"not a week: {text!r} (write it like 2026-W48)")
        try:
            return cls.week(int(match.group(1)), int(match.group(2)), zone)
        except (ValueError, OverflowError):
            raise ValueError(f"no such week: {text!r}") from None

    @classmethod
    def last_full_week(cls, moment: datetime, zone: ZoneInfo) -> Period:
        """Return the latest Monday-to-Sunday week that ended before `moment`."""
        today = moment.astimezone(zone).date()
        monday = today - timedelta(days=today.weekday() + 7)
        return cls(monday, monday + timedelta(days=6), zone)

    @property
    def start(self) -> datetime:
        """The first moment of the period (aware, local midnight)."""
        return datetime.combine(self.first, time(), self.zone)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)

    @property
    def end_day(self) -> date:
        """The local day right after the period: items due before it are overdue at its end."""
        return self.last + timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def offset(self) -> timedelta:
        """The zone's UTC offset at the start of the period."""
        return self.start.utcoffset() or timedelta()

    @property
    def iso_week(self) -> str:
        """The ISO week label of the first day, e.g. 2026-W48."""
        year, week, _ = self.first.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def week_number(self) -> tuple[int, int]:
        """The ISO week number and its year, as leaders read them: "Tuần 48" of 2026."""
        year, week, _ = self.first.isocalendar()
        return week, year

    def previous(self) -> Period:
        """Return the period of the same length right before this one."""
        length = timedelta(days=self.days)
        return Period(self.first - length, self.last - length, self.zone)

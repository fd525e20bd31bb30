"""Working days: deadlines skip weekends, Vietnam's public holidays and the commune's days off.

Public holidays come from the `holidays` package (country code VN), which includes the
observed and substituted days it knows. The government's yearly swaps (ngày nghỉ bù,
ngày làm bù) that it does not know belong in the commune file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache

import holidays


@cache
def vietnam_holidays() -> holidays.HolidayBase:
    """Vietnam's public holidays, one object per process: building one costs ~2 ms (and
    ~0.4 s the first time, importing the country's module), too much for every deadline."""
    return holidays.country_holidays("VN")


class WorkCalendar:
    """Answers which days are working days for the commune office."""

    def __init__(
        self, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()
    ):
        self.extra_off = frozenset(extra_days_off)
        self.extra_work = frozenset(extra_working_days)

    @property
    def _public(self) -> holidays.HolidayBase:
        return vietnam_holidays()

    def is_working_day(self, day: date) -> bool:
        """Tell whether the office works on `day`."""
        if day in self.extra_work:
            return True
        if day in self.extra_off or day.weekday() >= 5:
            return False
        return day not in self._public

    def add_working_days(self, start: date, days: int) -> date:
        """Return the date `days` working days after `start` (start itself not counted)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days after `start` up to and including `end` (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
        )

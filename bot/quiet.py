"""Quiet hours: scheduled pushes wait until morning instead of waking people up."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def in_quiet_hours(moment: datetime, start: time, end: time, zone: ZoneInfo) -> bool:
    """Tell whether `moment` falls in the quiet hours (which may span midnight)."""
    local = moment.astimezone(zone).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(moment: datetime, start: time, end: time, zone: ZoneInfo) -> datetime:
    """Return `moment` itself, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(moment, start, end, zone):
        return moment
    local = moment.astimezone(zone)
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning

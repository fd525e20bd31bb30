"""Residents' own quiet hours: when scheduled pushes must wait for them (commune time)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from storage.db import Database, to_db_time, utcnow


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class Preferences:
    """Repository of residents' quiet hours (no row: the commune's quiet hours apply)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_quiet_hours(self, resident_id: int, start: time, end: time) -> None:
        """Store a resident's own quiet hours."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO resident_quiet_hours (resident_id, quiet_start, quiet_end,"
                " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (resident_id) DO UPDATE SET"
                " quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,"
                " updated_at = excluded.updated_at",
                (resident_id, _hhmm(start), _hhmm(end), to_db_time(utcnow())),
            )

    async def clear_quiet_hours(self, resident_id: int) -> None:
        """Go back to the commune's quiet hours."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM resident_quiet_hours WHERE resident_id = ?", (resident_id,)
            )

    async def quiet_hours(self, resident_id: int) -> tuple[time, time] | None:
        """Return a resident's own quiet hours, or None when the commune's apply."""
        row = await self.db.fetchone(
            "SELECT quiet_start, quiet_end FROM resident_quiet_hours WHERE resident_id = ?",
            (resident_id,),
        )
        return (_time(row["quiet_start"]), _time(row["quiet_end"])) if row else None

    async def quiet_hours_of(self, resident_ids: Iterable[int]) -> dict[int, tuple[time, time]]:
        """Map those of `resident_ids` who chose their own quiet hours to them."""
        wanted = set(resident_ids)
        if not wanted:
            return {}
        # Few residents change the default: reading the whole (small) table is one query.
        rows = await self.db.fetchall(
            "SELECT resident_id, quiet_start, quiet_end FROM resident_quiet_hours"
        )
        return {
            row["resident_id"]: (_time(row["quiet_start"]), _time(row["quiet_end"]))
            for row in rows
            if row["resident_id"] in wanted
        }

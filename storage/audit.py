"""The audit of staff actions: who did what to which item, when, from the chat or the web."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, from_db_time, to_db_time


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One staff action as the audit keeps it."""

    at: datetime
    staff_id: int | None
    staff_name: str
    via: str
    action: str
    item_code: str


class AuditLog:
    """Repository of staff actions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, *, at: datetime, staff_id: int, staff_name: str, via: str, action: str, item_code: str
    ) -> None:
        """Record one staff action (inside the action's own transaction)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO staff_actions (at, staff_id, staff_name, via, action, item_code)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (to_db_time(at), staff_id, staff_name, via, action, item_code),
            )

    async def list_for_item(self, item_code: str) -> list[AuditEntry]:
        """Return the staff actions on one item, oldest first."""
        rows = await self.db.fetchall(
            "SELECT at, staff_id, staff_name, via, action, item_code FROM staff_actions"
            " WHERE item_code = ? ORDER BY id",
            (item_code,),
        )
        return [AuditEntry(from_db_time(r["at"]), *tuple(r)[1:]) for r in rows]

"""Feedback queries for the staff inbox and the scheduled deadline checks.

Mixed into FeedbackRepo (storage/feedback.py), which holds the rest of the aggregate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database


class FeedbackQueries:
    """History counts and escalation flags; FeedbackRepo supplies `db` and `_event`."""

    db: Database

    async def count_events(self, item_id: int) -> int:
        """Count an item's history entries, internal notes included."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM feedback_events WHERE feedback_id = ?", (item_id,)
        )

    async def mark_escalated(self, item_id: int) -> bool:
        """Flag an item as escalated to leaders; record it once; return whether it was new."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE feedback SET escalated = 1 WHERE id = ? AND escalated = 0", (item_id,)
            )
            if cursor.rowcount != 1:
                return False
            await self._event(
                conn, item_id, "system", None, None, "escalate", None, None, None, False
            )
        return True

"""Feedback queries for the staff inbox, the deadline checks and seeded demo or test data.

Mixed into FeedbackRepo (storage/feedback.py), which holds the rest of the aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from storage.db import to_db_time

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

    async def backdate(self, item_id: int, moments: Sequence[datetime]) -> None:
        """Re-time an item's history, one moment per event in order (demo and test data only).

        `create`, `apply` and `rate` stamp the present; a seeded history of past weeks needs
        its events, and the created, updated, resolved and rated times that follow from
        them, in the past.
        """
        events = await self.db.fetchall(
            "SELECT id, action, from_status, to_status FROM feedback_events"
            " WHERE feedback_id = ? ORDER BY id",
            (item_id,),
        )
        if not events or len(events) != len(moments):
            raise ValueError(f"feedback {item_id} has {len(events)} events, not {len(moments)}")
        stamps = [to_db_time(m) for m in moments]
        timed = list(zip(events, stamps, strict=True))
        updated = [s for e, s in timed if e["action"] != "rate"][-1]
        resolved = [
            s for e, s in timed if e["to_status"] == "resolved" and e["from_status"] != "resolved"
        ]
        rated = [s for e, s in timed if e["action"] == "rate"]
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE feedback_events SET at = ? WHERE id = ?", [(s, e["id"]) for e, s in timed]
            )
            await conn.execute(
                "UPDATE feedback SET created_at = ?, updated_at = ?,"
                " resolved_at = COALESCE(?, resolved_at), rated_at = COALESCE(?, rated_at)"
                " WHERE id = ?",
                (stamps[0], updated, resolved[-1] if resolved else None,
                 rated[-1] if rated else None, item_id),
            )  # fmt: skip

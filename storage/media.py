"""Photos residents send: stored as soon as they arrive, attached when the feedback is sent."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, to_db_time, utcnow


class MediaRepo:
    """Repository of received media."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, channel: str, user_id: str, ref: str, data: bytes | None) -> int:
        """Store a received photo (data None when it could not be downloaded); return its id."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO media (channel, user_id, ref, data, size, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (channel, user_id, ref, data, len(data) if data else None, to_db_time(utcnow())),
            )
            return cursor.lastrowid

    async def discard(self, channel: str, user_id: str) -> int:
        """Delete a person's media that never got attached (a draft given up)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM media WHERE channel = ? AND user_id = ? AND feedback_id IS NULL",
                (channel, user_id),
            )
            return cursor.rowcount

    async def purge_orphans(self, before: datetime) -> int:
        """Delete unattached media older than `before` (drafts that expired)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM media WHERE feedback_id IS NULL AND created_at < ?",
                (to_db_time(before),),
            )
            return cursor.rowcount

    async def for_feedback(self, feedback_id: int) -> list[bytes]:
        """Return the stored photos of a feedback item, oldest first (failed ones skipped)."""
        rows = await self.db.fetchall(
            "SELECT data FROM media WHERE feedback_id = ? AND data IS NOT NULL ORDER BY id",
            (feedback_id,),
        )
        return [row["data"] for row in rows]

    async def count_for_feedback(self, feedback_id: int) -> int:
        """Count the photos attached to a feedback item, failed downloads included."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM media WHERE feedback_id = ?", (feedback_id,)
        )

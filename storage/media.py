"""Photos residents send: stored as soon as they arrive, attached when the feedback is sent.

Until then a file belongs to its sender's draft, which lists its id under "media"; the
triggers of migration 0014 delete the unattached files a draft no longer lists, and all of
them when the conversation ends. On top of that one person's unattached files are capped
(DRAFT_FILES, DRAFT_BYTES), so no sequence of drafts can pile files up.
"""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, to_db_time, utcnow

DRAFT_FILES = 10  # unattached files per person: the most photos a commune may allow
DRAFT_BYTES = 20 * 1024 * 1024  # ...and their bytes: Telegram's download limit, once


class MediaRepo:
    """Repository of received media."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.max_files = DRAFT_FILES
        self.max_bytes = DRAFT_BYTES

    async def add(
        self,
        channel: str,
        user_id: str,
        ref: str,
        data: bytes | None,
        kind: str = "photo",
        seconds: int | None = None,
    ) -> int | None:
        """Store a received photo or voice note (data None when it could not be downloaded);
        return its id.

        Return None, storing nothing, when the person's unattached files would pass the cap.
        """
        size = len(data) if data else 0
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM media"
                " WHERE channel = ? AND user_id = ? AND feedback_id IS NULL",
                (channel, user_id),
            )
            files, used = await cursor.fetchone()
            if files >= self.max_files or used + size > self.max_bytes:
                return None
            cursor = await conn.execute(
                "INSERT INTO media (channel, user_id, ref, data, size, created_at, kind, seconds)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (channel, user_id, ref, data, size or None, to_db_time(utcnow()), kind, seconds),
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
        """Delete unattached media older than `before` that no conversation's draft lists
        (left by a crash between storing a file and saving the draft)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM media WHERE feedback_id IS NULL AND created_at < ? AND NOT EXISTS"
                " (SELECT 1 FROM sessions s, json_each(s.draft, '$.media') j"
                "  WHERE s.channel = media.channel AND s.user_id = media.user_id"
                "  AND j.value = media.id)",
                (to_db_time(before),),
            )
            return cursor.rowcount

    async def for_feedback(self, feedback_id: int) -> list[bytes]:
        """Return the stored photos of a feedback item, oldest first (failed ones skipped)."""
        rows = await self.db.fetchall(
            "SELECT data FROM media WHERE feedback_id = ? AND data IS NOT NULL"
            " AND kind = 'photo' ORDER BY id",
            (feedback_id,),
        )
        return [row["data"] for row in rows]

    async def voices_for_feedback(self, feedback_id: int) -> list[tuple[bytes, int | None]]:
        """Return the stored voice notes of a feedback item with their seconds, oldest first."""
        rows = await self.db.fetchall(
            "SELECT data, seconds FROM media WHERE feedback_id = ? AND data IS NOT NULL"
            " AND kind = 'voice' ORDER BY id",
            (feedback_id,),
        )
        return [(row["data"], row["seconds"]) for row in rows]

    async def count_for_feedback(self, feedback_id: int) -> int:
        """Count the photos attached to a feedback item, failed downloads included."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM media WHERE feedback_id = ? AND kind = 'photo'", (feedback_id,)
        )

    async def attached(self, feedback_id: int) -> list[tuple[int, str, int | None]]:
        """List an item's stored media as (id, kind, seconds), oldest first (for web pages)."""
        rows = await self.db.fetchall(
            "SELECT id, kind, seconds FROM media WHERE feedback_id = ? AND data IS NOT NULL"
            " ORDER BY id",
            (feedback_id,),
        )
        return [(row["id"], row["kind"], row["seconds"]) for row in rows]

    async def get_attached(self, media_id: int) -> tuple[int, str, bytes] | None:
        """Return an attached medium as (feedback id, kind, data); None if absent or a draft's."""
        row = await self.db.fetchone(
            "SELECT feedback_id, kind, data FROM media WHERE id = ? AND feedback_id IS NOT NULL"
            " AND data IS NOT NULL",
            (media_id,),
        )
        return (row["feedback_id"], row["kind"], row["data"]) if row else None

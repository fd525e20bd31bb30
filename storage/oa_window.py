"""The Zalo OA's 7-day window in the outbox: followers' last interactions and held rows.

A consultation message reaches only a follower who interacted with the OA lately
(shared/reference/zalo-oa.md §3). The outbox learns each follower's last interaction
(`touch`); a push outside the window is 'held' (`hold`): it is neither retried nor failed,
and waits until the follower writes again (`take_held`, oldest first). A sent OA push is
billed 'free' (within the free hours after the interaction) or 'paid' (`bill`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from storage.db import Database, from_db_time
from storage.outbox import _COLUMNS, OutboxItem, _to_item, stamp

HELD = "held"
BILLINGS = ("free", "paid")


class OaWindowStore:
    """Repository of OA interactions and of the outbox rows the window holds."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def touch(self, chat_id: str, at: datetime) -> None:
        """Record an interaction of a follower, keeping the latest one."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO oa_interactions (chat_id, last_at) VALUES (?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET last_at = MAX(last_at, excluded.last_at)",
                (chat_id, stamp(at)),
            )

    async def last(self, chat_id: str) -> datetime | None:
        """Return a follower's last interaction, or None when none is known."""
        value = await self.db.fetchval(
            "SELECT last_at FROM oa_interactions WHERE chat_id = ?", (chat_id,)
        )
        return from_db_time(value)

    async def hold(self, item_id: int, reason: str) -> None:
        """Keep a claimed row until its follower writes again (not an attempt, not a failure)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'held', last_error = ?, attempts = attempts - 1"
                " WHERE id = ? AND status = 'sending'",
                (reason[:500], item_id),
            )

    async def take_held(self, channel: str, chat_id: str, limit: int) -> list[OutboxItem]:
        """Claim up to `limit` of a chat's held rows, oldest first, to send them now."""
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN"
                " (SELECT id FROM outbox WHERE chat_id = ? AND channel = ? AND status = 'held'"
                "  ORDER BY id LIMIT ?)"
                f" RETURNING {_COLUMNS}",
                (chat_id, channel, limit),
            )
        return sorted((_to_item(row) for row in rows), key=lambda item: item.id)

    async def count_held(self, channel: str, chat_id: str) -> int:
        """Count a chat's rows still held."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND channel = ? AND status = 'held'",
            (chat_id, channel),
        )

    async def bill(self, ids: Collection[int], billing: str) -> None:
        """Record whether sent rows fell in the free hours ('free') or after ('paid')."""
        if billing not in BILLINGS:
            raise ValueError(f"billing must be one of {BILLINGS}, got {billing!r}")
        if not ids:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET billing = ? WHERE id = ? AND status = 'sent'",
                [(billing, item_id) for item_id in ids],
            )

    async def billed_between(self, start: datetime, end: datetime) -> dict[str, int]:
        """Count OA pushes sent in [start, end) per billing: {'free': n, 'paid': m}."""
        rows = await self.db.fetchall(
            "SELECT billing, COUNT(*) AS n FROM outbox WHERE billing IS NOT NULL"
            " AND status = 'sent' AND sent_at >= ? AND sent_at < ? GROUP BY billing",
            (stamp(start), stamp(end)),
        )
        return {billing: 0 for billing in BILLINGS} | {row["billing"]: row["n"] for row in rows}

    async def answer_status(self, feedback_id: int) -> tuple[str, str] | None:
        """Return (channel, status) of the newest notification to an item's sender, or None.

        For the inbox card and the web console: 'sent' is "đã gửi", 'held' is "waiting for
        the resident to write to the OA again".
        """
        prefix = f"fb:{feedback_id}:"
        row = await self.db.fetchone(
            "SELECT channel, status FROM outbox WHERE source >= ? AND source < ?"
            " AND resident_id IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (prefix, prefix + "\U0010ffff"),
        )
        return (row["channel"], row["status"]) if row else None

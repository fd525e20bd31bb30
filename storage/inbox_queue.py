"""Inbound updates waiting to be handled: stored before the service is told "received".

A channel adapter (Zalo) `add()`s an update and only then answers the webhook 200, so an
update the service considers delivered survives a crash. Its worker reads `pending()` in
order, handles each and calls `done()`, which erases the payload and keeps a tombstone of
the message id: the same message delivered again is refused by `add()` (it returns False).

The Telegram webhook handles an update before answering, so it keeps no payload here: it
records the update id (`add()` with an empty payload), handles the update, then `finish()`es
it; a redelivery of a finished id is ignored (`is_handled()`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from storage.db import Database, to_db_time, utcnow

_COLUMNS = "id, channel, message_id, chat_id, payload"


@dataclass(frozen=True, slots=True)
class QueuedUpdate:
    """One stored update still to handle."""

    id: int
    channel: str
    message_id: str
    chat_id: str
    payload: dict[str, Any] | None  # None when the stored JSON cannot be read


def _to_update(row: aiosqlite.Row) -> QueuedUpdate:
    try:
        payload = json.loads(row["payload"])
    except (TypeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        payload = None
    return QueuedUpdate(row["id"], row["channel"], row["message_id"], row["chat_id"], payload)


class InboxQueue:
    """Repository of received, not yet handled updates (table inbound_queue)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pruned_at: float | None = None

    async def add(
        self, channel: str, message_id: str, chat_id: str, payload: dict[str, Any]
    ) -> bool:
        """Store an update; return False (storing nothing) when its message id was seen."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO inbound_queue (channel, message_id, chat_id, payload, received_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, message_id) DO NOTHING",
                (
                    channel,
                    message_id,
                    chat_id,
                    json.dumps(payload, ensure_ascii=False),
                    to_db_time(utcnow()),
                ),
            )
            return cursor.rowcount == 1

    async def pending(self, channel: str, after_id: int = 0, limit: int = 50) -> list[QueuedUpdate]:
        """Return unhandled updates of a channel with an id above `after_id`, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM inbound_queue"
            " WHERE channel = ? AND handled_at IS NULL AND id > ? ORDER BY id LIMIT ?",
            (channel, after_id, limit),
        )
        return [_to_update(row) for row in rows]

    async def done(self, update_id: int, now: datetime | None = None) -> None:
        """Mark an update handled: erase its payload, keep its message id as a tombstone."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE inbound_queue SET payload = NULL, handled_at = ? WHERE id = ?",
                (to_db_time(now or utcnow()), update_id),
            )

    async def finish(self, channel: str, message_id: str, now: datetime | None = None) -> None:
        """Mark the update with this message id handled (a tombstone against redeliveries)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE inbound_queue SET payload = NULL, handled_at = ?"
                " WHERE channel = ? AND message_id = ?",
                (to_db_time(now or utcnow()), channel, message_id),
            )

    async def is_handled(self, channel: str, message_id: str) -> bool:
        """Tell whether the update with this message id was handled already."""
        handled = await self.db.fetchval(
            "SELECT handled_at IS NOT NULL FROM inbound_queue WHERE channel = ? AND message_id = ?",
            (channel, message_id),
        )
        return bool(handled)

    async def count_pending(self, channel: str) -> int:
        """Count a channel's updates still to handle."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM inbound_queue WHERE channel = ? AND handled_at IS NULL",
            (channel,),
        )

    async def prune(self, before: datetime) -> int:
        """Delete tombstones of updates handled before `before`; return how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM inbound_queue WHERE handled_at IS NOT NULL AND handled_at < ?",
                (to_db_time(before),),
            )
            return cursor.rowcount

    async def prune_now_and_then(self, keep: timedelta, every: float = 3600.0) -> None:
        """Prune tombstones older than `keep`, at most once per `every` seconds."""
        now = time.monotonic()
        if self._pruned_at is None or now - self._pruned_at >= every:
            self._pruned_at = now
            await self.prune(utcnow() - keep)

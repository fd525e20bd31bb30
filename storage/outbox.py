"""The outbox: every push waits here, durably, until a channel confirms it.

A push is *accepted* once `enqueue()` has committed its rows. From then on it survives any
crash: `bot/delivery.py` claims due rows (status 'sending'), sends them and records the
outcome. The guarantee is **at least once**: a row claimed and sent, whose 'sent' mark was
not yet committed when the process died, goes back to 'pending' at the next start
(`recover_in_flight()`) and is sent again. The delivery engine holds at most
2 x `delivery_in_flight` rows per channel between "send started" and "outcome committed", so
one crash duplicates at most that many pushes per channel; nothing accepted is ever lost.

Rows are unique per (source, channel, chat_id): enqueueing the same push twice (a retried
job, a double click) inserts nothing the second time.

A resident who stopped pushes (/dung) gets no outreach (OUTREACH_KINDS): `enqueue()` skips
such rows for a stopped resident, and stopping cancels the ones already pending
(`cancel_for_resident()`); one-to-one notifications about their own feedback still go.

A Zalo OA follower outside the 7-day window cannot be written to: their rows wait 'held'
(storage/oa_window.py) until they write again; held rows are cancelled and erased like
pending ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import aiosqlite

from storage.db import Database, from_db_time

if TYPE_CHECKING:
    from bot.messages import Reply

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "failed", "unreachable", "cancelled", "held")
_COLUMNS = (
    "id, channel, chat_id, resident_id, kind, source, priority, payload, status, attempts,"
    " not_before, last_error, created_at, sent_at"
)
_TOP = "\U0010ffff"  # sorts after every character: the upper end of a prefix range
OUTREACH_KINDS = ("broadcast", "campaign", "survey")  # never sent to a stopped resident


class PushKind(StrEnum):
    """Why a push is sent (the outbox.kind column)."""

    NOTIFY = "notify"  # one-to-one: your feedback was answered, a reminder
    BROADCAST = "broadcast"
    CAMPAIGN = "campaign"
    DIGEST = "digest"
    ALERT = "alert"
    SURVEY = "survey"
    REPLY = "reply"


@dataclass(frozen=True, slots=True)
class Push:
    """One message to one chat, as a caller hands it to the outbox."""

    channel: str
    chat_id: str
    reply: Reply
    kind: str
    source: str  # idempotency key, e.g. "broadcast:12"; unique with (channel, chat_id)
    priority: int = 5  # 0 (urgent, one-to-one) .. 9 (bulk)
    resident_id: int | None = None
    not_before: datetime | None = None  # aware; None = as soon as possible

    def __post_init__(self) -> None:
        PushKind(self.kind)  # ValueError on an unknown kind, before anything is written
        if not 0 <= self.priority <= 9:
            raise ValueError(f"priority must be within 0..9, got {self.priority}")
        if not self.source or not self.chat_id:
            raise ValueError("a push needs a source and a chat_id")


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A stored outbox row."""

    id: int
    channel: str
    chat_id: str
    resident_id: int | None
    kind: str
    source: str
    priority: int
    reply: Reply | None  # None only when the stored payload cannot be read
    status: str
    attempts: int
    not_before: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def stamp(moment: datetime) -> str:
    """Format an aware datetime as the outbox stores it: UTC ISO 8601 with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def now_utc() -> datetime:
    """Return the current time in UTC, to the millisecond."""
    return datetime.now(UTC)


def _encode(reply: Reply) -> str:
    # Imported here: bot.messages imports storage.models, so a module-level import would
    # make `import bot.messages` (before storage) circular.
    from bot.messages import reply_to_dict

    return json.dumps(reply_to_dict(reply), ensure_ascii=False)


def _decode(payload: str) -> Reply | None:
    from bot.messages import reply_from_dict

    data: Any = json.loads(payload)
    return reply_from_dict(data)


def _to_item(row: aiosqlite.Row) -> OutboxItem:
    try:
        reply = _decode(row["payload"])
    except (ValueError, KeyError, TypeError):
        reply = None
    return OutboxItem(
        id=row["id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        resident_id=row["resident_id"],
        kind=row["kind"],
        source=row["source"],
        priority=row["priority"],
        reply=reply,
        status=row["status"],
        attempts=row["attempts"],
        not_before=from_db_time(row["not_before"]),
        last_error=row["last_error"],
        created_at=from_db_time(row["created_at"]),
        sent_at=from_db_time(row["sent_at"]),
    )


class Outbox:
    """Repository of outbox rows."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.changed = asyncio.Event()  # set by enqueue(): wakes the delivery engine

    async def enqueue(self, pushes: Iterable[Push]) -> int:
        """Store pushes in one transaction, ignoring duplicates; return the rows inserted."""
        created = stamp(now_utc())
        # A broadcast's pushes share one Reply: encode it once. The Reply is kept with its
        # encoding, so that its id cannot be reused by another while this runs.
        payloads: dict[int, tuple[Reply, str]] = {}

        def payload(reply: Reply) -> str:
            if id(reply) not in payloads:
                payloads[id(reply)] = (reply, _encode(reply))
            return payloads[id(reply)][1]

        rows = [
            (
                p.channel,
                p.chat_id,
                p.resident_id,
                str(p.kind),
                p.source,
                p.priority,
                payload(p.reply),
                stamp(p.not_before) if p.not_before else None,
                created,
                int(p.resident_id is not None and p.kind in OUTREACH_KINDS),
            )
            for p in pushes
        ]
        if not rows:
            return 0
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO outbox (channel, chat_id, resident_id, kind, source, priority,"
                " payload, not_before, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9"
                " WHERE ?10 = 0 OR NOT EXISTS (SELECT 1 FROM residents"
                "  WHERE id = ?3 AND status IN ('stopped', 'deleted'))"
                " ON CONFLICT (source, channel, chat_id) DO NOTHING",
                rows,
            )
            inserted = conn.total_changes - before
        self.changed.set()
        return inserted

    async def claim(
        self, channel: str, limit: int, now: datetime, skip_chats: Collection[str] = ()
    ) -> list[OutboxItem]:
        """Mark up to `limit` due pending rows 'sending' (priority, then id) and return them.

        Rows for `skip_chats` (chats the worker already holds a row for, waiting for their
        rate limit) stay pending: claiming them would only hold them longer in memory.
        """
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(  # one round trip to the database thread
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN"
                " (SELECT id FROM outbox WHERE channel = ? AND status = 'pending'"
                "  AND (not_before IS NULL OR not_before <= ?)"
                "  AND chat_id NOT IN (SELECT value FROM json_each(?))"
                "  ORDER BY priority, id LIMIT ?)"
                f" RETURNING {_COLUMNS}",
                (channel, stamp(now), json.dumps(sorted(skip_chats)), limit),
            )
            items = [_to_item(row) for row in rows]
            unreadable = [item.id for item in items if item.reply is None]
            for item_id in unreadable:
                log.error("outbox row %s has an unreadable payload; marking it failed", item_id)
                await self._settle(conn, item_id, "failed", "unreadable payload")
        return sorted(
            (item for item in items if item.reply is not None), key=lambda i: (i.priority, i.id)
        )

    async def mark_sent(self, ids: Collection[int], now: datetime | None = None) -> int:
        """Record rows as sent (call only after the channel confirmed them); return the count."""
        if not ids:
            return 0
        sent_at = stamp(now or now_utc())
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?"
                " WHERE id = ? AND status = 'sending'",
                [(sent_at, item_id) for item_id in ids],
            )
            return conn.total_changes - before

    async def retry(
        self, item_id: int, not_before: datetime, error: str, *, attempt: bool = True
    ) -> None:
        """Put a row back to pending until `not_before`; `attempt=False` gives the try back."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?,"
                " attempts = attempts - ? WHERE id = ? AND status = 'sending'",
                (stamp(not_before), error[:500], 0 if attempt else 1, item_id),
            )

    async def release(self, ids: Collection[int]) -> None:
        """Return claimed rows that were never tried to pending (a graceful stop)."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET status = 'pending', attempts = attempts - 1"
                " WHERE id = ? AND status = 'sending'",
                [(item_id,) for item_id in ids],
            )

    async def fail(self, item_id: int, error: str) -> None:
        """Give a row up for good, with the reason."""
        async with self.db.transaction() as conn:
            await self._settle(conn, item_id, "failed", error)

    async def unreachable(self, item_id: int, error: str) -> None:
        """Record that the recipient blocked the bot or is gone; never retried."""
        async with self.db.transaction() as conn:
            await self._settle(conn, item_id, "unreachable", error)

    async def recover_in_flight(self) -> int:
        """Return rows left 'sending' by a stopped or killed process to pending; count them.

        Run once at start-up, before any claim. Rows that had reached the service before
        the crash are sent again: this is where at-least-once duplicates come from.
        """
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
            recovered = conn.total_changes - before
        if recovered:
            log.info("recovered %d outbox rows left in flight", recovered)
            self.changed.set()
        return recovered

    async def cancel(self, source: str) -> int:
        """Cancel the pending rows of one source; return how many."""
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE source = ?"
                " AND status IN ('pending', 'held')",
                (source,),
            )
            return conn.total_changes - before

    async def cancel_for_resident(self, resident_id: int, kinds: Collection[str]) -> list[str]:
        """Cancel a resident's pending rows of these kinds; return their sources."""
        marks = ", ".join("?" for _ in kinds)
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "UPDATE outbox SET status = 'cancelled', last_error = 'recipient stopped pushes'"
                f" WHERE resident_id = ? AND status IN ('pending', 'held') AND kind IN ({marks})"
                " RETURNING source",
                (resident_id, *kinds),
            )
        return [row["source"] for row in rows]

    async def cancel_for_chat(self, channel: str, chat_id: str, resident_id: int | None) -> int:
        """Forget a chat whose person erased their data: cancel what is pending, and blank
        the address and the text of every row (counts by kind and status stay for reports).
        """
        match = "((channel = ? AND chat_id = ?) OR resident_id = ?)"
        async with self.db.transaction() as conn:
            before = conn.total_changes
            await conn.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = 'recipient erased'"
                f" WHERE status IN ('pending', 'sending', 'held') AND {match}",
                (channel, chat_id, resident_id),
            )
            cancelled = conn.total_changes - before
            await conn.execute(
                "UPDATE outbox SET chat_id = 'erased-' || id, payload = '{\"text\": \"\"}',"
                f" resident_id = NULL WHERE {match}",
                (channel, chat_id, resident_id),
            )
            # The OA window's record of when they last wrote goes too.
            if channel == "zalo_oa":
                await conn.execute("DELETE FROM oa_interactions WHERE chat_id = ?", (chat_id,))
            return cancelled

    async def progress(self, source_prefix: str) -> dict[str, int]:
        """Count rows per status among sources starting with `source_prefix`."""
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM outbox WHERE source >= ? AND source < ?"
            " GROUP BY status",
            (source_prefix, source_prefix + _TOP),
        )
        return {status: 0 for status in STATUSES} | {row["status"]: row["n"] for row in rows}

    async def stats(self) -> dict[str, int]:
        """Count every row per status."""
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {status: 0 for status in STATUSES} | {row["status"]: row["n"] for row in rows}

    async def list_by_source(self, source: str) -> list[OutboxItem]:
        """Return the rows of one source, in id order."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE source = ? ORDER BY id", (source,)
        )
        return [_to_item(row) for row in rows]

    async def next_due(self, channel: str, skip_chats: Collection[str] = ()) -> datetime | None:
        """Return when the earliest postponed pending row of a channel falls due."""
        value = await self.db.fetchval(
            "SELECT MIN(not_before) FROM outbox WHERE channel = ? AND status = 'pending'"
            " AND chat_id NOT IN (SELECT value FROM json_each(?))",
            (channel, json.dumps(sorted(skip_chats))),
        )
        return from_db_time(value)

    async def outstanding(self, channels: Collection[str], until: datetime) -> int:
        """Count rows of these channels in flight or pending and due by `until`."""
        marks = ", ".join("?" for _ in channels)
        return await self.db.fetchval(
            f"SELECT COUNT(*) FROM outbox WHERE channel IN ({marks}) AND (status = 'sending'"
            " OR (status = 'pending' AND (not_before IS NULL OR not_before <= ?)))",
            (*channels, stamp(until)),
        )

    async def _settle(
        self, conn: aiosqlite.Connection, item_id: int, status: str, error: str
    ) -> None:
        await conn.execute(
            "UPDATE outbox SET status = ?, last_error = ? WHERE id = ? AND status = 'sending'",
            (status, error[:500], item_id),
        )

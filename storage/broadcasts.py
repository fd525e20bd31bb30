"""Officials' broadcasts: drafts being composed, queued sends, cancellations and reports.

The outbox rows of broadcast N have the source "broadcast:N:" (see `source()`): the trailing
colon keeps `Outbox.progress("broadcast:1:")` from counting broadcast 10's rows too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database, from_db_time, to_db_time, utcnow

_COLUMNS = (
    "id, author_id, author_name, author_channel, author_chat, language, text, media_kind,"
    " media_name, audience, audience_arg, status, recipients, send_at, created_at, queued_at,"
    " cancelled_at, reported_at"
)


def source(broadcast_id: int) -> str:
    """Return the outbox source of a broadcast's rows (also their progress prefix)."""
    return f"broadcast:{broadcast_id}:"


def report_source(broadcast_id: int) -> str:
    """Return the outbox source of a broadcast's delivery report to its author."""
    return f"broadcast-report:{broadcast_id}"


@dataclass(frozen=True, slots=True)
class Broadcast:
    """A stored broadcast (without its attachment's bytes)."""

    id: int
    author_id: int | None
    author_name: str
    author_channel: str
    author_chat: str
    language: str
    text: str
    media_kind: str | None
    media_name: str | None
    audience: str  # "all" | "hamlets" | "topic"
    audience_arg: list[str] | str  # hamlet names, or a topic
    status: str  # "draft" | "queued" | "cancelled" | "done"
    recipients: int
    send_at: datetime | None
    created_at: datetime
    queued_at: datetime | None
    cancelled_at: datetime | None
    reported_at: datetime | None


def _to_broadcast(row: aiosqlite.Row) -> Broadcast:
    arg = row["audience_arg"]
    return Broadcast(
        id=row["id"],
        author_id=row["author_id"],
        author_name=row["author_name"],
        author_channel=row["author_channel"],
        author_chat=row["author_chat"],
        language=row["language"],
        text=row["text"],
        media_kind=row["media_kind"],
        media_name=row["media_name"],
        audience=row["audience"],
        audience_arg=json.loads(arg) if row["audience"] == "hamlets" else arg,
        status=row["status"],
        recipients=row["recipients"],
        send_at=from_db_time(row["send_at"]),
        created_at=from_db_time(row["created_at"]),
        queued_at=from_db_time(row["queued_at"]),
        cancelled_at=from_db_time(row["cancelled_at"]),
        reported_at=from_db_time(row["reported_at"]),
    )


class Broadcasts:
    """Repository of broadcasts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_draft(
        self, author_id: int | None, author_name: str, channel: str, chat: str, language: str
    ) -> int:
        """Start a draft for an author, dropping their earlier unsent drafts; return its id."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM broadcasts WHERE status = 'draft' AND author_channel = ?"
                " AND author_chat = ?",
                (channel, chat),
            )
            cursor = await conn.execute(
                "INSERT INTO broadcasts (author_id, author_name, author_channel, author_chat,"
                " language, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (author_id, author_name, channel, chat, language, to_db_time(utcnow())),
            )
            return cursor.lastrowid

    async def get(self, broadcast_id: int) -> Broadcast | None:
        """Return a broadcast by id, or None."""
        row = await self.db.fetchone(
            f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return _to_broadcast(row) if row else None

    async def media(self, broadcast_id: int) -> tuple[str, str, bytes] | None:
        """Return a broadcast's attachment as (kind, file name, bytes), or None."""
        row = await self.db.fetchone(
            "SELECT media_kind, media_name, media_data FROM broadcasts WHERE id = ?"
            " AND media_data IS NOT NULL",
            (broadcast_id,),
        )
        return (row["media_kind"], row["media_name"], bytes(row["media_data"])) if row else None

    async def set_text(self, broadcast_id: int, text: str) -> None:
        """Store a draft's text."""
        await self._update_draft(broadcast_id, "text = ?", (text,))

    async def set_media(self, broadcast_id: int, kind: str, name: str, data: bytes) -> None:
        """Attach a photo or a document to a draft, replacing any earlier one."""
        await self._update_draft(
            broadcast_id, "media_kind = ?, media_name = ?, media_data = ?", (kind, name, data)
        )

    async def queue(
        self,
        broadcast_id: int,
        audience: str,
        audience_arg: list[str] | str,
        recipients: int,
        send_at: datetime,
        now: datetime,
    ) -> bool:
        """Mark a draft queued; False when it is no draft any more (sent already, gone).

        Call it in the transaction that enqueues the broadcast's outbox rows.
        """
        hamlets = audience == "hamlets"
        arg = json.dumps(audience_arg, ensure_ascii=False) if hamlets else audience_arg
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET status = 'queued', audience = ?, audience_arg = ?,"
                " recipients = ?, send_at = ?, queued_at = ? WHERE id = ? AND status = 'draft'",
                (audience, arg, recipients, to_db_time(send_at), to_db_time(now), broadcast_id),
            )
            return cursor.rowcount == 1

    async def cancel(self, broadcast_id: int, now: datetime) -> bool:
        """Mark a queued broadcast cancelled; False when it is not queued."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET status = 'cancelled', cancelled_at = ?"
                " WHERE id = ? AND status = 'queued'",
                (to_db_time(now), broadcast_id),
            )
            return cursor.rowcount == 1

    async def mark_done(self, broadcast_id: int, now: datetime) -> bool:
        """Record that a queued broadcast's report went out; False when it already had."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE broadcasts SET status = 'done', reported_at = ?"
                " WHERE id = ? AND status = 'queued'",
                (to_db_time(now), broadcast_id),
            )
            return cursor.rowcount == 1

    async def scheduled(self, now: datetime) -> list[Broadcast]:
        """Return queued broadcasts whose time has not come yet, soonest first."""
        return await self._list(
            "status = 'queued' AND send_at > ? ORDER BY send_at, id", (to_db_time(now),)
        )

    async def due_for_report(self, now: datetime) -> list[Broadcast]:
        """Return queued broadcasts whose time has come (their report may be due)."""
        return await self._list(
            "status = 'queued' AND send_at <= ? ORDER BY id", (to_db_time(now),)
        )

    async def recent(self, limit: int = 50) -> list[Broadcast]:
        """Return the latest broadcasts that were queued (not drafts), newest first."""
        return await self._list("status != 'draft' ORDER BY id DESC LIMIT ?", (limit,))

    async def purge_drafts(self, before: datetime) -> int:
        """Delete drafts started before `before` (composing given up)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM broadcasts WHERE status = 'draft' AND created_at < ?",
                (to_db_time(before),),
            )
            return cursor.rowcount

    async def _list(self, where: str, params: tuple) -> list[Broadcast]:
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM broadcasts WHERE {where}", params)
        return [_to_broadcast(row) for row in rows]

    async def _update_draft(self, broadcast_id: int, assignment: str, params: tuple) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                f"UPDATE broadcasts SET {assignment} WHERE id = ? AND status = 'draft'",
                (*params, broadcast_id),
            )

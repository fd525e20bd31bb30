"""Residents who consented, their hamlet and subscriptions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable

import aiosqlite

from storage.db import Database, from_db_time, to_db_time, utcnow
from storage.models import Resident, ResidentStatus, Topic

_COLUMNS = (
    "id, channel, user_id, chat_id, display_name, hamlet, language, status, consent_at, created_at"
)


def _to_resident(row: aiosqlite.Row) -> Resident:
    return Resident(
        id=row["id"],
        channel=row["channel"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        display_name=row["display_name"],
        hamlet=row["hamlet"],
        language=row["language"],
        status=ResidentStatus(row["status"]),
        consent_at=from_db_time(row["consent_at"]),
        created_at=from_db_time(row["created_at"]),
    )


def _audience_where(topic: Topic | None, hamlets: Iterable[str] | None) -> tuple[str, list]:
    """The condition (on `residents r`) and parameters of an audience."""
    where, params = ["r.status = 'active'", "r.chat_id IS NOT NULL"], []
    if topic is not None:
        where.append("EXISTS (SELECT 1 FROM subscriptions s WHERE s.resident_id = r.id"
                     " AND s.topic = ?)")  # fmt: skip
        params.append(Topic(topic).value)
    if hamlets is not None:
        names = list(hamlets)
        where.append(f"r.hamlet IN ({', '.join('?' for _ in names)})")
        params += names
    return " AND ".join(where), params


class Residents:
    """Repository of residents."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_by_identity(self, channel: str, user_id: str) -> Resident | None:
        """Return the resident behind a channel user id, or None."""
        row = await self.db.lookup(
            f"SELECT {_COLUMNS} FROM residents WHERE channel = ? AND user_id = ?",
            (channel, user_id),
        )
        return _to_resident(row) if row else None

    async def get(self, resident_id: int) -> Resident | None:
        """Return a resident by id, or None."""
        row = await self.db.lookup(f"SELECT {_COLUMNS} FROM residents WHERE id = ?", (resident_id,))
        return _to_resident(row) if row else None

    async def get_many(self, resident_ids: Iterable[int]) -> dict[int, Resident]:
        """Return these residents by id, in one query (ids not found are left out)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM residents WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(resident_ids))),),
        )
        return {row["id"]: _to_resident(row) for row in rows}

    async def register(
        self, channel: str, user_id: str, chat_id: str, display_name: str, language: str
    ) -> Resident:
        """Record a resident who has just consented (or refresh one who returns)."""
        now = to_db_time(utcnow())
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO residents (channel, user_id, chat_id, display_name, language, status,"
                " consent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)"
                " ON CONFLICT (channel, user_id) WHERE user_id IS NOT NULL DO UPDATE SET"
                " chat_id = excluded.chat_id, display_name = excluded.display_name,"
                " status = 'active', consent_at = excluded.consent_at,"
                " updated_at = excluded.updated_at",
                (channel, user_id, chat_id, display_name, language, now, now, now),
            )
        resident = await self.get_by_identity(channel, user_id)
        assert resident is not None
        return resident

    async def set_hamlet(self, resident_id: int, hamlet: str) -> None:
        """Store the hamlet a resident lives in."""
        await self._update(resident_id, "hamlet = ?", (hamlet,))

    async def set_status(self, resident_id: int, status: ResidentStatus) -> None:
        """Mark a resident active, stopped (no pushes) or blocked."""
        await self._update(resident_id, "status = ?", (status.value,))

    async def set_subscriptions(self, resident_id: int, topics: Iterable[Topic]) -> None:
        """Replace a resident's subscriptions with `topics`."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM subscriptions WHERE resident_id = ?", (resident_id,))
            await conn.executemany(
                "INSERT INTO subscriptions (resident_id, topic) VALUES (?, ?)",
                [(resident_id, Topic(t).value) for t in topics],
            )

    async def subscriptions(self, resident_id: int) -> set[Topic]:
        """Return the topics a resident receives."""
        rows = await self.db.fetchall(
            "SELECT topic FROM subscriptions WHERE resident_id = ?", (resident_id,)
        )
        return {Topic(row["topic"]) for row in rows}

    async def audience(
        self,
        topic: Topic | None = None,
        hamlets: Iterable[str] | None = None,
        *,
        after: int = 0,
        limit: int = -1,
    ) -> list[Resident]:
        """Return active residents to push to: subscribed to `topic`, in `hamlets` if given.

        In id order; `after` and `limit` read it a page at a time (ids above `after`).
        """
        where, params = _audience_where(topic, hamlets)
        columns = ", ".join(f"r.{c.strip()}" for c in _COLUMNS.split(","))
        rows = await self.db.fetchall(
            f"SELECT {columns} FROM residents r WHERE {where} AND r.id > ? ORDER BY r.id LIMIT ?",
            (*params, after, limit),
        )
        return [_to_resident(row) for row in rows]

    async def audience_pages(
        self, topic: Topic | None = None, hamlets: Iterable[str] | None = None, size: int = 1000
    ) -> AsyncIterator[list[Resident]]:
        """Yield `audience()` `size` residents at a time (keyset on the id): a commune of
        100,000 is never held in memory at once."""
        hamlets = None if hamlets is None else tuple(hamlets)
        after = 0
        while page := await self.audience(topic, hamlets, after=after, limit=size):
            yield page
            after = page[-1].id

    async def count_audience(
        self, topic: Topic | None = None, hamlets: Iterable[str] | None = None
    ) -> int:
        """Count the residents `audience()` returns, without reading them."""
        where, params = _audience_where(topic, hamlets)
        return await self.db.fetchval(f"SELECT COUNT(*) FROM residents r WHERE {where}", params)

    async def erase(self, resident_id: int) -> None:
        """Remove a resident's personal data, keeping an anonymous row for counts."""
        now = to_db_time(utcnow())
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM subscriptions WHERE resident_id = ?", (resident_id,))
            await conn.execute(
                "DELETE FROM resident_quiet_hours WHERE resident_id = ?", (resident_id,)
            )
            await conn.execute(
                "UPDATE residents SET channel = NULL, user_id = NULL, chat_id = NULL,"
                " display_name = NULL, consent_at = NULL, status = 'deleted',"
                " deleted_at = ?, updated_at = ? WHERE id = ?",
                (now, now, resident_id),
            )

    async def count_by_hamlet(self) -> dict[str | None, int]:
        """Count residents still registered, per hamlet."""
        rows = await self.db.fetchall(
            "SELECT hamlet, COUNT(*) AS n FROM residents WHERE status != 'deleted' GROUP BY hamlet"
        )
        return {row["hamlet"]: row["n"] for row in rows}

    async def count_deleted(self) -> int:
        """Count residents who deleted their data (kept only as a number)."""
        return await self.db.fetchval("SELECT COUNT(*) FROM residents WHERE status = 'deleted'")

    async def _update(self, resident_id: int, assignment: str, params: tuple) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                f"UPDATE residents SET {assignment}, updated_at = ? WHERE id = ?",
                (*params, to_db_time(utcnow()), resident_id),
            )

"""Conversation state, stored so that a restart resumes every flow where it was."""

from __future__ import annotations

import json
from datetime import datetime

from storage.db import Database, from_db_time, to_db_time, utcnow
from storage.models import Session, SessionKey


class Sessions:
    """Repository of conversation sessions, one per (channel, chat, user)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: SessionKey, now: datetime) -> Session | None:
        """Return the live session for `key`, or None when absent or expired."""
        row = await self.db.lookup(
            "SELECT flow, step, draft, expires_at FROM sessions"
            " WHERE channel = ? AND chat_id = ? AND user_id = ?",
            (key.channel, key.chat_id, key.user_id),
        )
        if row is None:
            return None
        expires_at = from_db_time(row["expires_at"])
        if expires_at is not None and expires_at <= now:
            return None
        return Session(key, row["flow"], row["step"], json.loads(row["draft"]), expires_at)

    async def get_expired(self, key: SessionKey, now: datetime) -> Session | None:
        """Return the session for `key` only if it has expired (to say so kindly)."""
        row = await self.db.fetchone(
            "SELECT flow, step, expires_at FROM sessions"
            " WHERE channel = ? AND chat_id = ? AND user_id = ? AND expires_at <= ?",
            (key.channel, key.chat_id, key.user_id, to_db_time(now)),
        )
        return Session(key, row["flow"], row["step"]) if row else None

    async def save(self, session: Session, expires_at: datetime) -> None:
        """Store the session's flow, step and draft until `expires_at`."""
        key = session.key
        await self.db.write(
            "INSERT INTO sessions (channel, chat_id, user_id, flow, step, draft, expires_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, chat_id, user_id) DO UPDATE SET flow = excluded.flow,"
            " step = excluded.step, draft = excluded.draft, expires_at = excluded.expires_at,"
            " updated_at = excluded.updated_at",
            (
                key.channel,
                key.chat_id,
                key.user_id,
                session.flow,
                session.step,
                json.dumps(session.draft, ensure_ascii=False),
                to_db_time(expires_at),
                to_db_time(utcnow()),
            ),
        )

    async def delete(self, key: SessionKey) -> None:
        """Forget the conversation state for `key`."""
        await self.db.write(
            "DELETE FROM sessions WHERE channel = ? AND chat_id = ? AND user_id = ?",
            (key.channel, key.chat_id, key.user_id),
        )

    async def delete_for_user(self, channel: str, user_id: str) -> None:
        """Forget every conversation of one person on one channel."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM sessions WHERE channel = ? AND user_id = ?", (channel, user_id)
            )

    async def purge_expired(self, now: datetime) -> int:
        """Delete expired sessions; return how many."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM sessions WHERE expires_at <= ?", (to_db_time(now),)
            )
            return cursor.rowcount

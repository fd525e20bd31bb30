"""The staff console's sign-in: one-time links, browser sessions and the audit log.

Only a secret's SHA-256 is stored: whoever reads the database (a backup, a copy) cannot sign
in with what they find there. A link is used once: redeeming it marks it used in the same
statement that checks it, so two presses of one link sign in once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database, from_db_time, to_db_time
from storage.models import Staff
from storage.staff import _COLUMNS as STAFF_COLUMNS
from storage.staff import _to_staff

TOKEN_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=8)


def digest(secret: str) -> str:
    """Return the stored form of a token or a session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: whose it is (the staff record as it is now) and its CSRF token."""

    staff: Staff
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    staff_name: str
    action: str
    target: str | None
    address: str | None


class WebSessions:
    """Repository of sign-in links, console sessions and the console's audit log."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue_token(self, staff_id: int, now: datetime) -> str:
        """Make a one-time sign-in token for a staff member, valid TOKEN_LIFETIME."""
        token = secrets.token_urlsafe(32)
        await self.db.write(
            "INSERT INTO web_tokens (token_hash, staff_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (digest(token), staff_id, to_db_time(now), to_db_time(now + TOKEN_LIFETIME)),
        )
        return token

    async def token_usable(self, token: str, now: datetime) -> bool:
        """Tell whether a token would sign in now, without using it (a link preview's GET)."""
        return bool(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM web_tokens WHERE token_hash = ? AND used_at IS NULL"
                " AND expires_at > ?",
                (digest(token), to_db_time(now)),
            )
        )

    async def redeem(self, token: str, now: datetime) -> tuple[str, WebSession] | None:
        """Use a token once and open a session for its staff member; None if it is unknown,
        used or expired. Returns the session id (for the cookie) and the session."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + SESSION_LIFETIME
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE web_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
                " AND expires_at > ? RETURNING staff_id",
                (to_db_time(now), digest(token), to_db_time(now)),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            await conn.execute(
                "INSERT INTO web_sessions (id_hash, staff_id, csrf, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (digest(session_id), row[0], csrf, to_db_time(now), to_db_time(expires)),
            )
        session = await self.get(session_id, now)
        return (session_id, session) if session is not None else None

    async def get(self, session_id: str, now: datetime) -> WebSession | None:
        """Return a live session with its staff record read now; None once expired, ended,
        or the person is no longer on the staff list."""
        columns = ", ".join(f"s.{c.strip()}" for c in STAFF_COLUMNS.split(","))
        row = await self.db.lookup(
            f"SELECT {columns}, w.csrf, w.expires_at FROM web_sessions w"
            " JOIN staff s ON s.id = w.staff_id WHERE w.id_hash = ? AND w.expires_at > ?",
            (digest(session_id), to_db_time(now)),
        )
        if row is None:
            return None
        return WebSession(_to_staff(row), row["csrf"], from_db_time(row["expires_at"]))

    async def end(self, session_id: str) -> None:
        """End one session (sign-out)."""
        await self.db.write("DELETE FROM web_sessions WHERE id_hash = ?", (digest(session_id),))

    async def purge_expired(self, now: datetime) -> int:
        """Forget expired tokens and sessions; return how many rows went."""
        moment = to_db_time(now)
        async with self.db.transaction() as conn:
            gone = await conn.execute("DELETE FROM web_tokens WHERE expires_at <= ?", (moment,))
            ended = await conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (moment,))
            return gone.rowcount + ended.rowcount

    async def record(
        self,
        staff: Staff | None,
        action: str,
        now: datetime,
        *,
        target: str | None = None,
        address: str | None = None,
    ) -> None:
        """Add a line to the console's audit log, with the person's name as it is now."""
        await self.db.write(
            "INSERT INTO web_audit (at, staff_id, staff_name, action, target, address)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (to_db_time(now), staff.id if staff else None, staff.name if staff else "",
             action, target, address),
        )  # fmt: skip

    async def audit(self, limit: int = 100) -> list[AuditEntry]:
        """Return the latest audit lines, newest first."""
        rows = await self.db.fetchall(
            "SELECT at, staff_name, action, target, address FROM web_audit"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(from_db_time(r["at"]), r["staff_name"], r["action"], r["target"],
                       r["address"])
            for r in rows
        ]  # fmt: skip

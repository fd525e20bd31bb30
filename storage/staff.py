"""Commune staff and their roles."""

from __future__ import annotations

import aiosqlite

from storage.db import Database, to_db_time, utcnow
from storage.models import Role, Staff

_COLUMNS = "id, channel, user_id, name, role, hamlet, source"


def _to_staff(row: aiosqlite.Row) -> Staff:
    return Staff(
        id=row["id"],
        channel=row["channel"],
        user_id=row["user_id"],
        name=row["name"],
        role=Role(row["role"]),
        hamlet=row["hamlet"],
        source=row["source"],
    )


class StaffRepo:
    """Repository of staff members."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get_by_identity(self, channel: str, user_id: str) -> Staff | None:
        """Return the staff member behind a channel user id, or None."""
        row = await self.db.lookup(
            f"SELECT {_COLUMNS} FROM staff WHERE channel = ? AND user_id = ?", (channel, user_id)
        )
        return _to_staff(row) if row else None

    async def get(self, staff_id: int) -> Staff | None:
        """Return a staff member by id, or None (removed from staff)."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM staff WHERE id = ?", (staff_id,))
        return _to_staff(row) if row else None

    async def list_all(self) -> list[Staff]:
        """Return every staff member, by role then name."""
        rows = await self.db.fetchall(f"SELECT {_COLUMNS} FROM staff ORDER BY role, name")
        return [_to_staff(row) for row in rows]

    async def list_by_role(self, *roles: Role) -> list[Staff]:
        """Return the staff members holding any of `roles`."""
        marks = ", ".join("?" for _ in roles)
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM staff WHERE role IN ({marks}) ORDER BY name",
            [r.value for r in roles],
        )
        return [_to_staff(row) for row in rows]

    async def upsert(
        self,
        channel: str,
        user_id: str,
        name: str,
        role: Role,
        *,
        hamlet: str | None = None,
        source: str = "cli",
    ) -> Staff:
        """Add a staff member or change the name and role of an existing one."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO staff (channel, user_id, name, role, hamlet, source, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, user_id) DO UPDATE SET"
                " name = excluded.name, role = excluded.role, hamlet = excluded.hamlet,"
                " source = excluded.source",
                (channel, user_id, name, Role(role).value, hamlet, source, to_db_time(utcnow())),
            )
        staff = await self.get_by_identity(channel, user_id)
        assert staff is not None
        return staff

    async def remove(self, channel: str, user_id: str) -> bool:
        """Remove a staff member; return whether one was removed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM staff WHERE channel = ? AND user_id = ?", (channel, user_id)
            )
            return cursor.rowcount > 0

    async def remove_config_staff_except(self, keep: set[tuple[str, str]]) -> int:
        """Drop staff loaded from the commune file that the file no longer lists."""
        rows = await self.db.fetchall("SELECT channel, user_id FROM staff WHERE source = 'config'")
        gone = [
            (r["channel"], r["user_id"]) for r in rows if (r["channel"], r["user_id"]) not in keep
        ]
        async with self.db.transaction() as conn:
            await conn.executemany("DELETE FROM staff WHERE channel = ? AND user_id = ?", gone)
        return len(gone)

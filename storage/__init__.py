"""SQLite storage: the database, its migrations and one repository per aggregate."""

from __future__ import annotations

from pathlib import Path

from storage.db import Database, StorageError, is_transient
from storage.residents import Residents
from storage.sessions import Sessions
from storage.staff import StaffRepo


class Storage:
    """The database with its repositories, opened and migrated."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.residents = Residents(db)
        self.staff = StaffRepo(db)
        self.sessions = Sessions(db)

    @classmethod
    async def open(cls, path: str | Path) -> Storage:
        """Connect to `path` and apply pending migrations."""
        db = Database(path)
        await db.connect()
        try:
            await db.migrate()
        except BaseException:
            await db.close()
            raise
        return cls(db)

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()


__all__ = ["Database", "Storage", "StorageError", "is_transient"]

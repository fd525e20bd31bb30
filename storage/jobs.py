"""Records of scheduled firings: the guard that makes every job run once per period."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, from_db_time, to_db_time, utcnow


class JobRuns:
    """Repository of job firings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, key: str, job: str) -> bool:
        """Record a firing; return False when this key was already fired."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO job_runs (key, job, fired_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (key, job, to_db_time(utcnow())),
            )
            return cursor.rowcount == 1

    async def prune(self, job: str, before: datetime) -> int:
        """Forget one frequent job's firings older than `before` (its keys never recur)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM job_runs WHERE job = ? AND fired_at < ?", (job, to_db_time(before))
            )
            return cursor.rowcount

    async def fired(self, key: str) -> bool:
        """Tell whether a key has been fired."""
        return bool(await self.db.fetchval("SELECT 1 FROM job_runs WHERE key = ?", (key,)))

    async def last(self, job: str) -> datetime | None:
        """Return when a job last fired, or None."""
        return from_db_time(
            await self.db.fetchval("SELECT MAX(fired_at) FROM job_runs WHERE job = ?", (job,))
        )

"""What the operator's tools read from the live database: the outbox backlog and soundness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database
from storage.outbox import stamp


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    """The outbox at a glance: what waits, since when, and what failed lately."""

    depth: int  # rows pending or being sent
    oldest_due: datetime | None  # the oldest pending row that is due now (not postponed)
    failed_last_day: int  # rows given up for good, created in the last 24 hours


class Health:
    """Read-only questions about the database, for `loaxa doctor`, /healthz and /metrics."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def outbox(self, now: datetime) -> OutboxSummary:
        """Summarise the outbox as of `now`."""
        row = await self.db.fetchone(
            "SELECT"
            " (SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')),"
            " (SELECT MIN(created_at) FROM outbox WHERE status = 'pending'"
            "   AND (not_before IS NULL OR not_before <= ?)),"
            " (SELECT COUNT(*) FROM outbox WHERE status = 'failed' AND created_at >= ?)",
            (stamp(now), stamp(now - timedelta(days=1))),
        )
        oldest = datetime.fromisoformat(row[1]) if row[1] else None
        return OutboxSummary(depth=row[0], oldest_due=oldest, failed_last_day=row[2])

    async def integrity(self) -> str:
        """Return "ok", or SQLite's first complaint about the file (PRAGMA integrity_check)."""
        rows = await self.db.fetchall("PRAGMA integrity_check(5)")
        return "; ".join(str(row[0]) for row in rows) or "ok"

    async def journal_mode(self) -> str:
        """Return the file's journal mode ("wal" when all is as it should be)."""
        return str(await self.db.fetchval("PRAGMA journal_mode"))

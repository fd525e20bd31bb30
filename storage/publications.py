"""Public disclosures (công khai): published documents, their files, withdrawals and views.

Nothing here deletes a publication (the table refuses it): `withdraw()` records who, when
and why, residents stop seeing it, staff still list it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database, from_db_time, to_db_time, utcnow

CATEGORIES = ("budget", "land-use", "poor-households", "dialogue", "investment", "other")

_COLUMNS = (
    "p.id, p.category, p.title, p.summary, p.published_by_name, p.published_at, p.pushed,"
    " p.withdrawn_at, p.withdrawn_by_name, p.withdraw_reason"
)


class NotWithdrawable(Exception):
    """The publication does not exist or was already withdrawn."""


@dataclass(frozen=True, slots=True)
class Publication:
    id: int
    category: str
    title: str
    summary: str
    published_by_name: str
    published_at: datetime
    pushed: bool
    withdrawn_at: datetime | None
    withdrawn_by_name: str | None
    withdraw_reason: str | None
    files: int = 0

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


@dataclass(frozen=True, slots=True)
class PublicationFile:
    id: int
    kind: str  # "document" | "photo"
    filename: str
    size: int
    data: bytes


def _to_publication(row: aiosqlite.Row) -> Publication:
    return Publication(
        id=row["id"],
        category=row["category"],
        title=row["title"],
        summary=row["summary"],
        published_by_name=row["published_by_name"],
        published_at=from_db_time(row["published_at"]),
        pushed=bool(row["pushed"]),
        withdrawn_at=from_db_time(row["withdrawn_at"]),
        withdrawn_by_name=row["withdrawn_by_name"],
        withdraw_reason=row["withdraw_reason"],
        files=row["files"],
    )


def uploader_key(channel: str, user_id: str) -> str:
    """Name the owner of draft files: "channel:user_id"."""
    return f"{channel}:{user_id}"


class PublicationsRepo:
    """Repository of publications and their files."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_draft_file(
        self, uploader: str, kind: str, filename: str, data: bytes
    ) -> tuple[int, int]:
        """Keep a file an official sent while composing; return (file id, files so far)."""
        async with self.db.transaction() as conn:
            count = await self.db.fetchval(
                "SELECT COUNT(*) FROM publication_files"
                " WHERE uploader = ? AND publication_id IS NULL",
                (uploader,),
            )
            cursor = await conn.execute(
                "INSERT INTO publication_files (uploader, position, kind, filename, size, data,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (uploader, count, kind, filename, len(data), data, to_db_time(utcnow())),
            )
            return cursor.lastrowid, count + 1

    async def draft_files(self, uploader: str) -> list[tuple[str, str, int]]:
        """List an uploader's unpublished files as (kind, filename, size), in order."""
        rows = await self.db.fetchall(
            "SELECT kind, filename, size FROM publication_files"
            " WHERE uploader = ? AND publication_id IS NULL ORDER BY position, id",
            (uploader,),
        )
        return [(r["kind"], r["filename"], r["size"]) for r in rows]

    async def discard_drafts(self, uploader: str) -> int:
        """Delete an uploader's files that were never published."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM publication_files WHERE uploader = ? AND publication_id IS NULL",
                (uploader,),
            )
            return cursor.rowcount

    async def purge_drafts(self, before: datetime) -> int:
        """Delete unpublished files older than `before` (drafts given up)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM publication_files WHERE publication_id IS NULL AND created_at < ?",
                (to_db_time(before),),
            )
            return cursor.rowcount

    async def publish(
        self,
        uploader: str,
        *,
        category: str,
        title: str,
        summary: str,
        staff_id: int | None,
        staff_name: str,
        pushed: bool,
    ) -> int:
        """Publish the uploader's draft files under a title; return the publication id."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown publication category {category!r}")
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO publications (category, title, summary, published_by,"
                " published_by_name, published_at, pushed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (category, title, summary, staff_id, staff_name, to_db_time(utcnow()), int(pushed)),
            )
            publication_id = cursor.lastrowid
            attached = await conn.execute(
                "UPDATE publication_files SET publication_id = ?, uploader = NULL"
                " WHERE uploader = ? AND publication_id IS NULL",
                (publication_id, uploader),
            )
            if attached.rowcount == 0:
                raise ValueError("a publication needs at least one file")
        return publication_id

    async def get(self, publication_id: int) -> Publication | None:
        """Return a publication, withdrawn or not, or None."""
        rows = await self._select("p.id = ?", (publication_id,), "p.id", 1)
        return rows[0] if rows else None

    async def list_shown(self, category: str, limit: int = 20) -> list[Publication]:
        """Return a category's publications residents may see, newest first."""
        return await self._select(
            "p.category = ? AND p.withdrawn_at IS NULL", (category,), "p.published_at DESC", limit
        )

    async def list_all(self, limit: int = 30) -> list[Publication]:
        """Return every publication for staff, withdrawn ones included, newest first."""
        return await self._select("1 = 1", (), "p.published_at DESC, p.id DESC", limit)

    async def count_shown(self) -> dict[str, int]:
        """Count the publications residents may see, per category."""
        rows = await self.db.fetchall(
            "SELECT category, COUNT(*) FROM publications WHERE withdrawn_at IS NULL"
            " GROUP BY category"
        )
        return {row[0]: row[1] for row in rows}

    async def files(self, publication_id: int) -> list[PublicationFile]:
        """Return a publication's files, in order."""
        rows = await self.db.fetchall(
            "SELECT id, kind, filename, size, data FROM publication_files"
            " WHERE publication_id = ? ORDER BY position, id",
            (publication_id,),
        )
        return [PublicationFile(*tuple(row)) for row in rows]

    async def withdraw(
        self, publication_id: int, *, staff_id: int | None, staff_name: str, reason: str
    ) -> None:
        """Withdraw a publication, recording who, when and why; raise NotWithdrawable."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE publications SET withdrawn_at = ?, withdrawn_by = ?,"
                " withdrawn_by_name = ?, withdraw_reason = ?"
                " WHERE id = ? AND withdrawn_at IS NULL",
                (to_db_time(utcnow()), staff_id, staff_name, reason, publication_id),
            )
            if cursor.rowcount != 1:
                raise NotWithdrawable(publication_id)

    async def record_view(self, publication_id: int, resident_id: int) -> None:
        """Count that a resident opened a publication (the first time only)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO publication_views (publication_id, resident_id, first_at)"
                " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (publication_id, resident_id, to_db_time(utcnow())),
            )

    async def published_between(self, start: datetime, end: datetime) -> dict[str, int]:
        """Count publications made in [start, end) per category (withdrawn ones included)."""
        rows = await self.db.fetchall(
            "SELECT category, COUNT(*) FROM publications"
            " WHERE published_at >= ? AND published_at < ? GROUP BY category",
            (to_db_time(start), to_db_time(end)),
        )
        return {row[0]: row[1] for row in rows}

    async def withdrawn_between(self, start: datetime, end: datetime) -> int:
        """Count publications withdrawn in [start, end)."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM publications WHERE withdrawn_at >= ? AND withdrawn_at < ?",
            (to_db_time(start), to_db_time(end)),
        )

    async def viewers_between(self, start: datetime, end: datetime) -> int:
        """Count residents who first opened a publication in [start, end)."""
        return await self.db.fetchval(
            "SELECT COUNT(DISTINCT resident_id) FROM publication_views"
            " WHERE first_at >= ? AND first_at < ?",
            (to_db_time(start), to_db_time(end)),
        )

    async def _select(
        self, where: str, params: Sequence, order: str, limit: int
    ) -> list[Publication]:
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS}, (SELECT COUNT(*) FROM publication_files f"
            f" WHERE f.publication_id = p.id) AS files FROM publications p WHERE {where}"
            f" ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [_to_publication(row) for row in rows]

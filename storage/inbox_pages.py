"""The console's inbox: filtered pages of feedback by keyset on (deadline, id), and the count
of items newer than a page shows.

Never OFFSET: a page starts after the last (deadline, id) the previous one showed, so page
500 of a million items costs what page 1 costs. Each filter column leads an index ending in
(deadline, id) (migration 0023).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage.db import Database
from storage.feedback import _COLUMNS, FORMAL_SQL, OPEN_SQL, FeedbackItem, _to_item

PAGE_SIZE = 50
SEARCH_LIMIT = 100  # characters of a search


@dataclass(frozen=True, slots=True)
class PageFilter:
    """What the console's inbox shows; None (or empty) means "any"."""

    kind: str | None = None
    category: str | None = None
    hamlet: str | None = None
    status: str | None = None
    assignee_id: int | None = None
    overdue_on: date | None = None  # open, non-formal items due before this day
    code: str | None = None  # an exact tracking code
    text: str | None = None  # words found in the description


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the next page starts after this (deadline, id)."""

    deadline: date
    id: int

    def __str__(self) -> str:
        return f"{self.deadline.isoformat()}.{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """Read a cursor from a page address; None for anything else."""
        day, _, number = text.partition(".")
        try:
            return cls(date.fromisoformat(day), int(number)) if number.isdigit() else None
        except ValueError:
            return None


def _where(flt: PageFilter) -> tuple[list[str], list]:
    where: list[str] = []
    params: list = []
    for column in ("kind", "category", "hamlet", "status", "assignee_id", "code"):
        value = getattr(flt, column)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if flt.overdue_on is not None:
        where.append(f"deadline < ? AND status IN {OPEN_SQL} AND kind NOT IN {FORMAL_SQL}")
        params.append(flt.overdue_on.isoformat())
    if flt.text:
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("erased_at IS NULL AND description LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    return where, params


class InboxPages:
    """Read-only queries behind the console's inbox page."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def page(
        self, flt: PageFilter, after: Cursor | None = None, limit: int = PAGE_SIZE
    ) -> tuple[list[FeedbackItem], Cursor | None]:
        """Return one page, soonest deadline first, and the cursor of the next (None: last)."""
        where, params = _where(flt)
        if after is not None:
            where.append("(deadline > ? OR (deadline = ? AND id > ?))")
            params += [after.deadline.isoformat(), after.deadline.isoformat(), after.id]
        clause = " AND ".join(where) or "1 = 1"
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE {clause} ORDER BY deadline, id LIMIT ?",
            [*params, limit + 1],
        )
        items = [_to_item(row) for row in rows[:limit]]
        more = len(rows) > limit
        return items, Cursor(items[-1].deadline, items[-1].id) if more else None

    async def newer(
        self, flt: PageFilter, after_id: int, limit: int = PAGE_SIZE
    ) -> list[FeedbackItem]:
        """Return matching items received after item `after_id`, newest last."""
        where, params = _where(flt)
        where.append("id > ?")
        rows = await self.db.fetchall(
            f"SELECT {_COLUMNS} FROM feedback WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            [*params, after_id, limit],
        )
        return [_to_item(row) for row in rows]

    async def latest_id(self) -> int:
        """Return the id of the newest item (0 when there is none)."""
        return await self.db.fetchval("SELECT COALESCE(MAX(id), 0) FROM feedback")

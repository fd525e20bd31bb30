"""Ratings of public services (SIPAS) and the satisfaction figures reports need.

Satisfaction is reported as the share of answers at the top of the scale (4-5 of 5) and as
a mean, per component (domain.md, SIPAS). A feedback item's rating by its sender counts
towards component 5 (how feedback is received and handled).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Database, to_db_time, utcnow

COMPONENTS = (1, 2, 3, 4, 5)


class AlreadyRated(Exception):
    """This resident already rated this service at this desk today."""


@dataclass(frozen=True, slots=True)
class NewRating:
    resident_id: int | None
    channel: str
    desk: str
    service: str
    visit_day: date
    mode: str  # "full" | "quick"
    scores: dict[int, int]  # component -> 1..5 (full mode)
    overall: int | None = None  # quick mode
    comment: str | None = None
    contact_ok: bool = False


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Answers to one question: how many, their mean, and the share that scored 4 or 5."""

    count: int
    mean: float | None
    satisfied_share: float | None


def _satisfaction(count: int, total: int | None, top: int | None) -> Satisfaction:
    if not count:
        return Satisfaction(0, None, None)
    return Satisfaction(count, total / count, top / count)


class RatingsRepo:
    """Repository of service ratings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, new: NewRating) -> int:
        """Store a rating; raise AlreadyRated for a second rating of the same visit."""
        key = None
        if new.resident_id is not None:
            key = f"{new.resident_id}|{new.desk}|{new.service}|{new.visit_day.isoformat()}"
        scores = [new.scores.get(c) for c in COMPONENTS]
        try:
            async with self.db.transaction() as conn:
                cursor = await conn.execute(
                    "INSERT INTO ratings (resident_id, channel, desk, service, visit_day,"
                    " visit_key, mode, c1, c2, c3, c4, c5, overall, comment, contact_ok,"
                    " created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (new.resident_id, new.channel, new.desk, new.service,
                     new.visit_day.isoformat(), key, new.mode, *scores, new.overall,
                     new.comment, int(new.contact_ok), to_db_time(utcnow())),
                )  # fmt: skip
                return cursor.lastrowid
        except sqlite3.IntegrityError as exc:
            if "visit_key" in str(exc):
                raise AlreadyRated from exc
            raise

    async def has_rated(self, resident_id: int, desk: str, service: str, day: date) -> bool:
        """Tell whether the resident already rated this visit."""
        key = f"{resident_id}|{desk}|{service}|{day.isoformat()}"
        return bool(await self.db.fetchval("SELECT 1 FROM ratings WHERE visit_key = ?", (key,)))

    async def by_component(self, start: datetime, end: datetime) -> dict[int, Satisfaction]:
        """Satisfaction per SIPAS component for ratings made in [start, end).

        Component 5 also counts the ratings residents gave to the handling of their feedback.
        """
        span = (to_db_time(start), to_db_time(end))
        parts = ", ".join(f"COUNT(c{c}), SUM(c{c}), SUM(c{c} >= 4)" for c in COMPONENTS)
        row = await self.db.fetchone(
            f"SELECT {parts} FROM ratings WHERE created_at >= ? AND created_at < ?", span
        )
        fb = await self.db.fetchone(
            "SELECT COUNT(rating), SUM(rating), SUM(rating >= 4) FROM feedback"
            " WHERE rated_at >= ? AND rated_at < ?",
            span,
        )
        result = {}
        for c in COMPONENTS:
            count, total, top = row[3 * (c - 1)], row[3 * (c - 1) + 1], row[3 * (c - 1) + 2]
            if c == 5:
                count, total, top = (
                    count + fb[0],
                    (total or 0) + (fb[1] or 0),
                    (top or 0) + (fb[2] or 0),
                )
            result[c] = _satisfaction(count, total, top)
        return result

    async def overall(self, start: datetime, end: datetime) -> Satisfaction:
        """Satisfaction with the one-question (quick) ratings made in [start, end)."""
        row = await self.db.fetchone(
            "SELECT COUNT(overall), SUM(overall), SUM(overall >= 4) FROM ratings"
            " WHERE created_at >= ? AND created_at < ?",
            (to_db_time(start), to_db_time(end)),
        )
        return _satisfaction(*row)

    async def by_service(self, start: datetime, end: datetime) -> dict[str, Satisfaction]:
        """Satisfaction per service over every score given (components and quick scores)."""
        rows = await self.db.fetchall(
            "SELECT service, COUNT(v), SUM(v), SUM(v >= 4) FROM ("
            + " UNION ALL ".join(
                f"SELECT service, {col} AS v FROM ratings WHERE created_at >= ? AND created_at < ?"
                for col in ("c1", "c2", "c3", "c4", "c5", "overall")
            )
            + ") GROUP BY service ORDER BY service",
            (to_db_time(start), to_db_time(end)) * 6,
        )
        return {r[0]: _satisfaction(r[1], r[2], r[3]) for r in rows}

    async def lowest(self, start: datetime, end: datetime, limit: int = 5) -> list[dict]:
        """The lowest-scoring ratings with comments, for leaders (no identity)."""
        rows = await self.db.fetchall(
            "SELECT desk, service, MIN(COALESCE(c1, 9), COALESCE(c2, 9), COALESCE(c3, 9),"
            " COALESCE(c4, 9), COALESCE(c5, 9), COALESCE(overall, 9)) AS low, comment, created_at"
            " FROM ratings WHERE created_at >= ? AND created_at < ? AND low <= 2"
            " ORDER BY low, created_at DESC LIMIT ?",
            (to_db_time(start), to_db_time(end), limit),
        )
        return [dict(row) for row in rows]
